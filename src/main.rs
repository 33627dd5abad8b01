//! latent-lab entry point: no subcommand opens the window; the commands (`latent_lab::cli`) run headless.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use eframe::egui;
use latent_lab::app::{AppOptions, LatentLabApp, bench_window, renderer};
use latent_lab::cli::{self, BenchWhat, Cli, Command, ImageModel, TrainModel};
use latent_lab::models::device::DevicePref;
use latent_lab::runtime::train_flags::TrainFlags;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latent-lab: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let launched = Instant::now();
    let cli = Cli::parse();
    latent_lab::models::device::configure_cpu_threads();
    match cli.command {
        Some(Command::Train { flags, model }) => train(&model, &flags, cli.device),
        Some(Command::Sample(args)) => cli::sample::run(&args, cli.device),
        Some(Command::Eval(args)) if args.leaderboard => cli::leaderboard::run(&args, cli.device),
        Some(Command::Eval(args)) => {
            let report = cli::eval(&args, cli.device)?;
            latent_lab::runtime::report::emit(args.json, &report, |report| {
                cli::print_eval(report, args.grid);
            })?;
            Ok(())
        }
        Some(Command::Dsep { graph_file }) => {
            // One line on stderr, no backtrace: this command is meant for scripts.
            if let Err(e) = cli::dsep(&graph_file) {
                eprintln!("latent-lab dsep: {e:#}");
                std::process::exit(1);
            }
            Ok(())
        }
        Some(Command::Bench { what }) => bench(what, cli.device, cli.renderer),
        Some(Command::Average(args)) => latent_lab::diffusion::cli::average(&args),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "latent-lab", &mut std::io::stdout());
            Ok(())
        }
        None => run_gui(&AppOptions {
            device: cli.device,
            renderer: cli.renderer,
            bench_frames: cli.bench_ui,
            theme: cli.theme,
            lecture: cli.lecture.map(|file| (file, cli.stop.unwrap_or(1))),
            launched: Some(launched),
            ..AppOptions::default()
        }),
    }
}

/// `latent-lab train MODEL`: the model's family does the work.
fn train(model: &TrainModel, flags: &TrainFlags, device: DevicePref) -> anyhow::Result<()> {
    use latent_lab::{autoregressive, diffusion, hvae};
    let image = |kind, args| -> anyhow::Result<()> {
        let report = cli::train(kind, args, flags, device)?;
        latent_lab::runtime::report::emit(flags.json, &report, |report| {
            cli::print_report(report);
        })?;
        Ok(())
    };
    match model {
        TrainModel::Ae(args) => image(ImageModel::Autoencoder, args),
        TrainModel::Vae(args) => image(ImageModel::Vae, args),
        TrainModel::Iwae(args) => image(ImageModel::Iwae(args.k), &args.image),
        TrainModel::Realnvp(args) => cli::flows::train(cli::flows::FlowChoice::RealNvp, args, flags),
        TrainModel::Resflow(args) => {
            cli::flows::train(cli::flows::FlowChoice::Residual(args.lipschitz), &args.flow, flags)
        }
        TrainModel::Ddpm(args) => diffusion::cli::train(args, flags, device),
        TrainModel::Hvae(args) => hvae::cli::run(args, flags, device),
        TrainModel::Made(args) => autoregressive::cli::train_made(args, flags),
        TrainModel::Wavenet(args) => autoregressive::cli::train_wavenet(args, flags),
        TrainModel::Pixelcnn => anyhow::bail!(
            "there is no PixelCNN in latent-lab: the autoregressive model for digits is MADE (`latent-lab train made`), \
             with the same exact likelihood p(x) = Π p(x_j | x_<j) through masks"
        ),
    }
}

/// `latent-lab bench WHAT`.
fn bench(what: BenchWhat, device: DevicePref, renderer: renderer::RendererPref) -> anyhow::Result<()> {
    match what {
        BenchWhat::Dsep { nodes, edges, window, queries, seed, write, each } => {
            cli::bench_dsep(&cli::DsepBench { nodes, edges, window, queries, seed, write, each })
        }
        BenchWhat::Train { model, steps, batch_size, split } => {
            cli::bench_train(model, steps, batch_size, split, device, true).map(|_| ())
        }
        BenchWhat::Flow { data, seconds, json } => cli::flows::bench(data, seconds, json),
        BenchWhat::Reference { seconds, steps, vae_seconds, json } => {
            let rows = cli::reference::run(seconds, steps, vae_seconds, device)?;
            latent_lab::runtime::report::emit(json, &rows, |rows| cli::reference::print(rows))
        }
        BenchWhat::Estimators { k, repeats } => cli::bench_estimators(k, repeats),
        BenchWhat::Decode { count, training } => cli::decode_bench::bench_decode(device, count, training),
        BenchWhat::Diffusion(args) => latent_lab::diffusion::cli::bench(&args, device),
        BenchWhat::Made(args) => latent_lab::autoregressive::cli::bench(&args),
        BenchWhat::Window { tab: cli::BenchTab::All, .. } => bench_each_tab(),
        BenchWhat::Window { seconds, warmup, tab, refresh } => {
            let plan = bench_window::Plan {
                lessons: tab.lessons(),
                warmup: Duration::from_secs_f64(warmup),
                seconds: Duration::from_secs_f64(seconds),
            };
            let options = AppOptions { device, renderer, refresh: Some(refresh), ..AppOptions::default() };
            bench_in_window(&options, &plan)
        }
    }
}

/// `bench window --tab all`: every tab in a process of its own (this binary again, with the same arguments and one
/// tab), so no tab's threads or caches are left over for the next; prints one table.
fn bench_each_tab() -> anyhow::Result<()> {
    use clap::ValueEnum as _;
    let exe = std::env::current_exe()?;
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--tab") {
        args.drain(i..(i + 2).min(args.len()));
    }
    args.retain(|a| !a.starts_with("--tab="));
    let mut header_shown = false;
    for tab in cli::BenchTab::value_variants().iter().filter(|t| **t != cli::BenchTab::All) {
        let name = tab.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
        let out = std::process::Command::new(&exe)
            .args(&args)
            .args(["--tab", &name])
            .stderr(std::process::Stdio::inherit())
            .output()?;
        anyhow::ensure!(out.status.success(), "bench window --tab {name} failed ({})", out.status);
        let text = String::from_utf8_lossy(&out.stdout);
        for (i, line) in text.lines().enumerate() {
            if i > 0 || !header_shown {
                println!("{line}");
            }
        }
        header_shown = true;
    }
    Ok(())
}

/// `bench window`: the plan in the real window first (it fails fast where no window can open), then headless.
fn bench_in_window(options: &AppOptions, plan: &bench_window::Plan) -> anyhow::Result<()> {
    let per_tab = plan.warmup + plan.seconds;
    eprintln!("in the window: {} tab(s), {:.0} s each …", plan.lessons.len(), per_tab.as_secs_f64());
    let results = bench_window::Results::default();
    run_gui(&AppOptions { window_bench: Some((plan.clone(), results.clone())), ..options.clone() })?;
    let window = results.lock().map_err(|_| anyhow::anyhow!("the window's results were lost"))?.clone();
    if window.len() < plan.lessons.len() {
        anyhow::bail!("the window closed after {} of {} tabs were measured", window.len(), plan.lessons.len());
    }
    eprintln!("without a window: the same tabs …");
    let headless = bench_window::run_headless(options, plan.clone());
    print!("{}", bench_window::report(&window, &headless));
    Ok(())
}

fn run_gui(options: &AppOptions) -> anyhow::Result<()> {
    let choice = renderer::choose(options.renderer, &latent_lab::models::device::probe_adapters());
    let opened = open_window(options, &choice);
    match opened {
        // OpenGL may be missing where Vulkan is not (a minimal container): try wgpu before giving up.
        Err(e) if choice.renderer == eframe::Renderer::Glow && options.renderer == renderer::RendererPref::Auto => {
            eprintln!("latent-lab: OpenGL could not open the window ({e}); trying wgpu");
            let fallback = renderer::choose(renderer::RendererPref::Wgpu, &[]);
            open_window(options, &fallback)
        }
        other => other,
    }
}

fn open_window(options: &AppOptions, choice: &renderer::RendererChoice) -> anyhow::Result<()> {
    let mut native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("latent-lab")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([900.0, 600.0]),
        ..Default::default()
    };
    renderer::apply(choice, &mut native);
    let options = options.clone();
    eframe::run_native("latent-lab", native, Box::new(move |cc| Ok(Box::new(LatentLabApp::new(cc, &options)))))
        .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}

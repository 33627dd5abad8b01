//! latent-lab entry point: no subcommand opens the window; `train` and `bench` run headless.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use eframe::egui;
use latent_lab::app::{AppOptions, LatentLabApp};
use latent_lab::cli::{self, BenchWhat, Cli, Command};

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
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if latent_lab::hvae::cli::is_hvae_command(&args) {
        latent_lab::models::device::configure_cpu_threads();
        return latent_lab::hvae::cli::run_args(&args);
    }
    if latent_lab::autoregressive::cli::is_ar_command(&args) {
        latent_lab::models::device::configure_cpu_threads();
        return latent_lab::autoregressive::cli::run_args(&args);
    }
    if latent_lab::diffusion::cli::is_diffusion_command(&args) {
        latent_lab::models::device::configure_cpu_threads();
        return latent_lab::diffusion::cli::run_args(&args);
    }
    let cli = Cli::parse();
    latent_lab::models::device::configure_cpu_threads();
    match cli.command {
        Some(Command::Train(args)) if args.model.image_kind().is_none() => cli::flows::train(&args),
        Some(Command::Train(args)) => {
            let report = cli::train(&args, cli.device)?;
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                cli::print_report(&report);
            }
            Ok(())
        }
        Some(Command::Eval(args)) if args.leaderboard => cli::leaderboard::run(&args, cli.device),
        Some(Command::Eval(args)) => {
            let report = cli::eval(&args, cli.device)?;
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                cli::print_eval(&report, args.grid);
            }
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
        Some(Command::Bench { what: BenchWhat::Dsep { nodes, edges, window, queries, seed, write, each } }) => {
            cli::bench_dsep(&cli::DsepBench { nodes, edges, window, queries, seed, write, each })
        }
        Some(Command::Bench { what: BenchWhat::Train { model, steps, batch_size, split } }) => {
            cli::bench_train(model, steps, batch_size, split, cli.device)
        }
        Some(Command::Bench { what: BenchWhat::Flow { data, seconds, json } }) => {
            cli::flows::bench(data, seconds, json)
        }
        Some(Command::Bench { what: BenchWhat::Estimators { k, repeats } }) => cli::bench_estimators(k, repeats),
        Some(Command::Bench { what: BenchWhat::Decode { count, training } }) => {
            cli::decode_bench::bench_decode(cli.device, count, training)
        }
        None => run_gui(AppOptions {
            device: cli.device,
            bench_frames: cli.bench_ui,
            launched: Some(launched),
            shader: None,
        }),
    }
}

fn run_gui(options: AppOptions) -> anyhow::Result<()> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("latent-lab")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([900.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native("latent-lab", native, Box::new(move |cc| Ok(Box::new(LatentLabApp::new(cc, &options)))))
        .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}

//! The one command tree (clap derive): no subcommand opens the window; `train`, `sample`, `eval`, `dsep`, `bench`,
//! `average` and `completions` run headless. Each family keeps its own flags and work in its `cli` module; this
//! module only puts them in one tree, so `--help` at every level lists everything there is.

pub mod flows;
pub mod leaderboard;
pub mod reference;
pub mod sample;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::causal::{compact::Separator, query, text};
use crate::data::Dataset;
use crate::data::toy2d::Toy2d;
use crate::models::device::{self, DevicePref};
use crate::models::{Observation, bounds, checkpoint};
use crate::runtime::envelope;
use crate::runtime::progress::Progress;
use crate::runtime::train_flags::TrainFlags;
use crate::train::knn::knn_accuracy;
use crate::train::{ModelKind, StepOutcome, TrainConfig, TrainSession};

pub mod decode_bench;

#[derive(Debug, Parser)]
#[command(name = "latent-lab", version, about = "Live, touchable demos of deep generative models")]
pub struct Cli {
    /// Compute device of the burn models (AE/VAE/IWAE, HVAE, the digits U-Net): a hardware GPU if present (auto),
    /// the CPU, or wgpu. The plain-Rust models (flows, MADE, WaveNet, 2-D DDPM) always run on the CPU.
    #[arg(long, value_enum, default_value_t = DevicePref::Auto, global = true)]
    pub device: DevicePref,
    /// What draws the window: wgpu on a hardware GPU, else OpenGL (auto), or as chosen.
    #[arg(long, value_enum, default_value_t = crate::app::renderer::RendererPref::Auto, global = true)]
    pub renderer: crate::app::renderer::RendererPref,
    /// The window's look: dark, or light for washed-out projectors (default: as chosen last in View ▸ Theme).
    #[arg(long, value_enum)]
    pub theme: Option<crate::app::hall::Theme>,
    /// Open in lecture mode: the shipped lecture, or the lecture file named (Lecture ▸ Open lecture… in the window).
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    #[allow(clippy::option_option)] // absent, `--lecture` (the shipped one) or `--lecture FILE`
    pub lecture: Option<Option<PathBuf>>,
    /// With --lecture: the stop to start at (1 = the first; a lecture has at most 500).
    #[arg(long, requires = "lecture", value_parser = crate::bounds::within(1, 500))]
    pub stop: Option<usize>,
    /// GUI benchmark: train, measure this many frames, print p50/p95 frame times and quit.
    #[arg(long, value_name = "FRAMES", value_parser = crate::bounds::within(1, 100_000))]
    pub bench_ui: Option<usize>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model headless and print its metrics (`--seconds`, `--out`, `--json`, `--seed` may come before or
    /// after the model's name).
    Train {
        #[command(flatten)]
        flags: TrainFlags,
        #[command(subcommand)]
        model: TrainModel,
    },
    /// Sample from any model file into a picture; the file's kind says how (digits grid, 2-D scatter, signal).
    Sample(sample::SampleArgs),
    /// Estimate L_K on the held-out images (and log p(x) by quadrature for a 2-D latent), or `--leaderboard`.
    Eval(EvalArgs),
    /// Answer d-separation queries: reads `a, b _||_ c | d` lines on stdin, prints `true` or `false` for each.
    Dsep {
        /// The graph: `DAGitty` (`dag { a -> b }`) or Graphviz DOT (`digraph { a -> b; }`).
        graph_file: PathBuf,
    },
    /// Benchmarks that print numbers.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Average the weights of digits U-Nets with the same architecture (runs continued from one checkpoint).
    Average(crate::diffusion::cli::AverageArgs),
    /// Print a shell completion script: `latent-lab completions bash > ~/.local/share/bash-completion/completions/latent-lab`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The models `train` knows, each with only its own flags.
#[derive(Debug, Subcommand)]
pub enum TrainModel {
    /// An autoencoder on images (default: the built-in MNIST digits): deterministic 2-D codes.
    Ae(ImageTrainArgs),
    /// A VAE on images: Gaussian codes, trained on the ELBO.
    Vae(ImageTrainArgs),
    /// A VAE trained on the importance-weighted bound L_K.
    Iwae(IwaeArgs),
    /// A RealNVP normalising flow on a 2-D toy dataset.
    Realnvp(flows::FlowArgs),
    /// A residual (i-ResNet style) flow on a 2-D toy dataset.
    Resflow(flows::ResFlowArgs),
    /// A denoising diffusion model: an ε-prediction MLP on 2-D data, or the U-Net with `--data digits`.
    Ddpm(crate::diffusion::cli::DdpmArgs),
    /// A two-layer hierarchical VAE (z₂ → z₁ → x) on the built-in binarised digits.
    Hvae(crate::hvae::cli::HvaeArgs),
    /// MADE on the built-in binarised digits (exact held-out NLL).
    Made(crate::autoregressive::cli::MadeArgs),
    /// A WaveNet-style dilated causal CNN on synthetic signals.
    Wavenet(crate::autoregressive::cli::WaveNetArgs),
    /// (Not a model here: the autoregressive model for digits is MADE.)
    #[command(hide = true)]
    Pixelcnn,
}

/// Which models `bench train` steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchModel {
    Ae,
    Vae,
    Both,
}

impl BenchModel {
    fn kinds(self) -> Vec<ModelKind> {
        match self {
            Self::Ae => vec![ModelKind::Autoencoder],
            Self::Vae => vec![ModelKind::Vae],
            Self::Both => ModelKind::ALL.to_vec(),
        }
    }
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// IDX images file (raw or .gz; needs --labels); default: the built-in MNIST digits.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// IDX labels file matching --data.
    #[arg(long, requires = "data")]
    pub labels: Option<PathBuf>,
}

/// `train ae` and `train vae`.
#[derive(Debug, Args)]
pub struct ImageTrainArgs {
    /// Train for this many passes over the training items instead of a time (not with --seconds).
    #[arg(long, value_parser = crate::bounds::epochs)]
    pub epochs: Option<f64>,
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long, default_value_t = 2e-3, value_parser = crate::bounds::learning_rate)]
    pub lr: f64,
    /// Minibatch size.
    #[arg(long, default_value_t = 128, value_parser = crate::bounds::batch())]
    pub batch_size: usize,
    /// Hidden layer widths, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "512,256", value_parser = crate::bounds::width())]
    pub hidden: Vec<usize>,
    /// Observation model p(x|z): Bernoulli (cross-entropy) or Gaussian N(x; sigmoid(decoder output), σ²).
    #[arg(long = "obs", value_enum, default_value_t = ObsArg::Bernoulli)]
    pub obs: ObsArg,
    /// Variance σ² of the Gaussian observation model (its starting value with --learn-sigma).
    #[arg(long, default_value_t = 0.1)]
    pub sigma2: f64,
    /// Learn log σ² of the Gaussian observation model with the weights.
    #[arg(long)]
    pub learn_sigma: bool,
}

/// `train iwae`: a VAE's flags and the number of importance samples.
#[derive(Debug, Args)]
pub struct IwaeArgs {
    #[command(flatten)]
    pub image: ImageTrainArgs,
    /// Importance samples per image.
    #[arg(long, default_value_t = 5, value_parser = crate::bounds::within(1, 5000))]
    pub k: usize,
}

/// Which image model `train` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageModel {
    Autoencoder,
    Vae,
    /// With K importance samples.
    Iwae(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObsArg {
    Bernoulli,
    Gaussian,
}

impl ImageTrainArgs {
    /// `train vae` with no flags: the defaults come from the flags' own declarations.
    #[must_use]
    pub fn defaults() -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            args: ImageTrainArgs,
        }
        Defaults::parse_from(["defaults"]).args
    }

    /// The observation model the flags ask for; --sigma2/--learn-sigma only make sense with --obs gaussian.
    pub fn observation(&self) -> anyhow::Result<Observation> {
        let observation = match self.obs {
            ObsArg::Bernoulli => {
                if self.learn_sigma {
                    bail!("--learn-sigma needs the Gaussian observation model: add --obs gaussian");
                }
                Observation::Bernoulli
            }
            ObsArg::Gaussian => Observation::Gaussian { sigma2: self.sigma2, learn_sigma: self.learn_sigma },
        };
        observation.validate().map_err(anyhow::Error::msg)?;
        Ok(observation)
    }
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model file written by `train --out` (FILE.bpk, with FILE.json beside it).
    #[arg(required_unless_present = "leaderboard")]
    pub model: Option<PathBuf>,
    /// Instead of one model file: train every model family for the same time on the binarised digits and print
    /// the held-out NLL leaderboard (see `cli::leaderboard`).
    #[arg(long, conflicts_with = "model")]
    pub leaderboard: bool,
    #[command(flatten)]
    pub board: leaderboard::BoardArgs,
    /// Importance samples per digit, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,5,50,5000", value_parser = crate::bounds::within(1, 5000))]
    pub k: Vec<usize>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Evaluate only the first N held-out images.
    #[arg(long, value_parser = crate::bounds::within(1, 10_000_000))]
    pub limit: Option<usize>,
    /// Cells per side of the z-grid for the quadrature of log p(x) (2-D latents), over [−6, 6]².
    #[arg(long, default_value_t = 400, value_parser = crate::bounds::within(2, 1000))]
    pub grid: usize,
    #[arg(long)]
    pub json: bool,
}

/// One row of `eval`'s table.
#[derive(Debug, Serialize)]
pub struct BoundRow {
    pub k: usize,
    pub mean: f64,
    pub stderr: f64,
    pub seconds: f64,
}

/// What `eval` prints (`--json` prints exactly this).
#[derive(Debug, Serialize)]
pub struct EvalReport {
    pub images: usize,
    pub bounds: Vec<BoundRow>,
    /// Mean log p(x) per image by quadrature over z; `None` unless the latent space is 2-D.
    pub log_px_quadrature: Option<f64>,
    pub log_px_stderr: Option<f64>,
    pub quadrature_seconds: Option<f64>,
}

/// `latent-lab eval MODEL --k …`
pub fn eval(args: &EvalArgs, device_pref: DevicePref) -> anyhow::Result<EvalReport> {
    let path = args.model.as_ref().context("name a model file (or pass --leaderboard)")?;
    let found = envelope::identify(path).map_err(anyhow::Error::msg)?;
    if !matches!(found.kind, envelope::FileKind::Autoencoder | envelope::FileKind::Vae) {
        bail!(
            "{}: it holds {}, not an autoencoder or a VAE (eval estimates a VAE's bounds L_K; `latent-lab sample {}` \
             draws from any model file)",
            found.description.display(),
            found.kind.label(),
            path.display()
        );
    }
    let dataset = load_data(&args.data)?;
    let (device, info) = device::select(device_pref);
    let device = device.without_autodiff();
    let (model, config) = checkpoint::load_for(path, dataset.dim(), &device)?;
    if !config.variational {
        bail!("{} is an autoencoder: the bounds need a VAE (q(z|x) to sample from)", path.display());
    }
    let mut items: Vec<usize> = dataset.heldout_range().collect();
    if let Some(limit) = args.limit {
        items.truncate(limit.max(1));
    }
    let pixels: Vec<f32> = items.iter().flat_map(|&i| dataset.image(i).iter().copied()).collect();
    let threads = info.cpu_threads();
    let mut bounds = Vec::new();
    for &k in &args.k {
        let start = Instant::now();
        let per_image = bounds::iwae_bounds(&model, &pixels, dataset.dim(), k, threads, &device)?;
        let e = bounds::estimate(&per_image);
        bounds.push(BoundRow { k, mean: e.mean, stderr: e.stderr, seconds: start.elapsed().as_secs_f64() });
        if !args.json {
            eprintln!("L_{k} done in {:.1} s", start.elapsed().as_secs_f64());
        }
    }
    let (log_px, log_px_stderr, quadrature_seconds) = if config.latent_dim == 2 {
        let start = Instant::now();
        let per_image = bounds::quadrature_log_px(&model, &pixels, dataset.dim(), args.grid, 6.0, threads, &device)?;
        let e = bounds::estimate(&per_image);
        (Some(e.mean), Some(e.stderr), Some(start.elapsed().as_secs_f64()))
    } else {
        (None, None, None)
    };
    Ok(EvalReport { images: items.len(), bounds, log_px_quadrature: log_px, log_px_stderr, quadrature_seconds })
}

/// Human-readable `eval` table.
pub fn print_eval(r: &EvalReport, grid: usize) {
    println!("held-out images: {}", r.images);
    println!("{:>6}  {:>12}  {:>8}  {:>8}", "K", "L_K (nats)", "± s.e.", "seconds");
    for row in &r.bounds {
        println!("{:>6}  {:>12.3}  {:>8.3}  {:>8.1}", row.k, row.mean, row.stderr, row.seconds);
    }
    match (r.log_px_quadrature, r.log_px_stderr) {
        (Some(m), Some(se)) => {
            println!("log p(x) by quadrature ({grid}×{grid} grid on [−6, 6]²): {m:.3} ± {se:.3}");
        }
        _ => println!("log p(x) by quadrature: only for 2-D latent spaces"),
    }
}

/// A tab `bench window` can train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchTab {
    /// Latent space: the AE and the VAE side by side.
    Latent,
    /// Flows: RealNVP and the residual flow.
    Flows,
    /// Diffusion: the 2-D ε-model.
    Diffusion,
    /// Hierarchical VAE.
    Hvae,
    /// Autoregressive: MADE on the digits.
    Autoregressive,
    /// Leaderboard: every family for the same time.
    Leaderboard,
    /// Every tab above in turn.
    All,
}

impl BenchTab {
    /// The tab names, as `app::bench_window::TABS` spells them.
    pub fn lessons(self) -> Vec<&'static str> {
        use crate::app::bench_window::TABS;
        match self {
            Self::All => TABS.to_vec(),
            one => vec![TABS[one as usize]],
        }
    }
}

/// A duration in seconds for a benchmark: finite, from 0 to one hour.
fn bench_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.0..=3600.0).contains(&s) => Ok(s),
        _ => Err(format!("'{text}' is not a number of seconds from 0 to 3600")),
    }
}

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Train a tab's models in the real window for --seconds, then the same tab without a window, and print the
    /// in-app and headless steps/s, their ratio, the presented frames per second and the CPU shares.
    Window {
        #[arg(long, default_value = "20", value_parser = bench_seconds)]
        seconds: f64,
        /// Training before the measurement starts (device choice, first steps).
        #[arg(long, default_value = "3", value_parser = bench_seconds)]
        warmup: f64,
        #[arg(long, value_enum, default_value_t = BenchTab::Latent)]
        tab: BenchTab,
        /// View ▸ Refresh while training for the window: auto, unlimited, or a frame-rate cap (1–240).
        #[arg(long, default_value = "auto")]
        refresh: crate::pacing::Refresh,
    },
    /// Time the Gradient estimators lesson: 1,000 estimates per estimator, and everything it draws.
    Estimators {
        /// Samples per estimate.
        #[arg(long, default_value_t = 10, value_parser = crate::bounds::within(1, 10_000))]
        k: usize,
        /// Repetitions (the median is printed).
        #[arg(long, default_value_t = 20, value_parser = crate::bounds::within(1, 10_000))]
        repeats: usize,
    },
    /// Time the `dsep` command on a random DAG: parse + queries, per-query times, peak memory.
    Dsep {
        #[arg(long, default_value_t = 1_000_000, value_parser = crate::bounds::within(2, 10_000_000))]
        nodes: usize,
        #[arg(long, default_value_t = 3_000_000, value_parser = crate::bounds::within(0, 20_000_000))]
        edges: usize,
        /// Each edge joins node i to one of nodes i+1 ..= i+WINDOW (100: paths tens of thousands long; 0: any later node).
        #[arg(long, default_value_t = 100, value_parser = crate::bounds::within(0, 10_000_000))]
        window: usize,
        #[arg(long, default_value_t = 100, value_parser = crate::bounds::within(0, 10_000_000))]
        queries: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write the graph here (and the queries to FILE.queries) to time `latent-lab dsep FILE` end to end.
        #[arg(long)]
        write: Option<PathBuf>,
        /// Print every query with its answer, the work done (ancestors marked or swept, ball states, probe steps) and its
        /// time.
        #[arg(long)]
        each: bool,
    },
    /// Time decoding a dragged latent point through the worker (request → image ready to draw).
    Decode {
        #[arg(long, default_value_t = 200, value_parser = crate::bounds::within(1, 100_000))]
        count: usize,
        /// Keep the AE and the VAE training meanwhile (as in the lesson) instead of pausing them.
        #[arg(long)]
        training: bool,
    },
    /// Train RealNVP and the residual flow side by side for --seconds, fit a KDE (bandwidth by leave-one-out
    /// cross-validation), and print the three held-out NLLs on the same split.
    Flow {
        /// 2-D toy dataset.
        #[arg(long, value_enum, default_value_t = Toy2d::Moons)]
        data: Toy2d,
        #[arg(long, default_value_t = 60.0, value_parser = crate::bounds::seconds)]
        seconds: f64,
        #[arg(long)]
        json: bool,
    },
    /// 2-D: energy distance of samples after `--seconds` of training; digits: the shipped checkpoint's samples judged
    /// by a held-out classifier, and the time to sample 16 digits with 50 DDIM steps.
    Diffusion(crate::diffusion::cli::BenchArgs),
    /// Pixel-by-pixel sampling speed of a 28×28 MADE (and training step time).
    Made(crate::autoregressive::cli::BenchArgs),
    /// Our numbers against PyTorch's on this machine (the same networks, data and optimiser): the 2-D DDPM and
    /// RealNVP after --seconds, the VAE's images/s and its 5-NN accuracy after 20 s; a table with targets.
    Reference {
        /// Training time of the 2-D DDPM and of each flow.
        #[arg(long, default_value_t = 60.0, value_parser = crate::bounds::seconds)]
        seconds: f64,
        /// VAE steps timed for the throughput.
        #[arg(long, default_value_t = 300, value_parser = crate::bounds::steps())]
        steps: usize,
        /// Training time of the VAE whose 5-NN accuracy is compared (the reference's is 20 s).
        #[arg(long, default_value_t = 20.0, value_parser = crate::bounds::seconds)]
        vae_seconds: f64,
        #[arg(long)]
        json: bool,
    },
    /// Time training steps: prints ms/step and images/s.
    Train {
        /// `both` trains the AE and the VAE side by side, as the Latent space lesson does.
        #[arg(long, value_enum, default_value_t = BenchModel::Vae)]
        model: BenchModel,
        #[arg(long, default_value_t = 50, value_parser = crate::bounds::steps())]
        steps: usize,
        #[arg(long, default_value_t = 128, value_parser = crate::bounds::batch())]
        batch_size: usize,
        /// Threads a lone model splits its batch over (default: every core on the CPU backend, 1 on a GPU).
        #[arg(long, value_parser = crate::bounds::within(1, 256))]
        split: Option<usize>,
    },
}

/// Final numbers of a headless run (`--json` prints exactly this).
#[derive(Debug, Serialize)]
pub struct TrainReport {
    pub model: String,
    pub device: String,
    pub dataset: String,
    pub steps: u64,
    pub epochs: f64,
    pub seconds: f64,
    pub images_per_second: f64,
    pub train_recon: f64,
    pub train_kl: f64,
    pub heldout_recon: f64,
    pub heldout_kl: f64,
    /// 5-NN accuracy of held-out codes classified by their nearest training codes.
    pub knn5_accuracy: f64,
    /// The observation model p(x|z).
    pub observation: String,
    /// σ² of a Gaussian observation model at the end (the learned value with --learn-sigma).
    pub sigma2: Option<f64>,
    pub saved_to: Option<String>,
}

pub(crate) fn load_data(args: &DataArgs) -> anyhow::Result<Dataset> {
    Ok(match (&args.data, &args.labels) {
        (Some(images), Some(labels)) => Dataset::load(images, labels)?,
        (Some(images), None) => bail!("--data {} needs --labels (the IDX labels file)", images.display()),
        _ => Dataset::builtin_mnist()?,
    })
}

/// `latent-lab train ae|vae|iwae …`
pub fn train(
    model: ImageModel,
    args: &ImageTrainArgs,
    flags: &TrainFlags,
    device_pref: DevicePref,
) -> anyhow::Result<TrainReport> {
    flags.check_out()?;
    if flags.seconds.is_some() && args.epochs.is_some() {
        bail!("--seconds and --epochs both give a length of training: choose one");
    }
    let dataset = Arc::new(load_data(&args.data)?);
    let (device, info) = device::select(device_pref);
    let (kind, iwae_k) = match model {
        ImageModel::Autoencoder => (ModelKind::Autoencoder, 1),
        ImageModel::Vae => (ModelKind::Vae, 1),
        ImageModel::Iwae(k) => (ModelKind::Vae, k),
    };
    let config = TrainConfig {
        iwae_k,
        learning_rate: args.lr,
        batch_size: args.batch_size,
        hidden: args.hidden.clone(),
        seed: flags.seed_or(42),
        models: vec![kind],
        observation: args.observation()?,
        ..TrainConfig::default()
    };
    let mut session = TrainSession::new(config, dataset.clone(), &device)?.with_cpu_threads(info.cpu_threads());
    let seconds = match (flags.seconds, args.epochs) {
        (Some(s), _) => Some(s),
        (None, Some(_)) => None,
        (None, None) => Some(20.0),
    };
    let bar = match (seconds, args.epochs) {
        (Some(s), _) => Progress::new(s, "s"),
        (None, e) => Progress::new(e.unwrap_or(1.0), "epochs"),
    };
    // An epoch budget is a number of steps: epoch = steps · batch / training items.
    let budget = match (seconds, args.epochs) {
        (Some(s), _) => crate::nn::Budget::seconds(s),
        (None, e) => {
            let steps = (e.unwrap_or(1.0) * dataset.train_len as f64 / args.batch_size as f64).ceil() as usize;
            crate::nn::Budget::seconds(f64::INFINITY).with_steps(Some(steps))
        }
    };
    let spent = crate::nn::budget::run(budget, None, |fraction| {
        for (_, outcome) in session.step() {
            match outcome {
                StepOutcome::Trained(p) => {
                    let position = if seconds.is_some() { fraction * budget.seconds } else { session.epoch() };
                    bar.set(position, format!("step {}  recon {:.1}  KL {:.2}", p.step, p.recon, p.kl));
                }
                StepOutcome::Diverged { message, .. } => {
                    bar.abandon();
                    bail!(message);
                }
            }
        }
        Ok(())
    })?;
    let seconds_taken = spent.wall_seconds;
    bar.finish();
    let train_items: Vec<usize> = (0..dataset.train_len).collect();
    let heldout_items: Vec<usize> = dataset.heldout_range().collect();
    let train_loss = session.evaluate(kind, &train_items).context("no model to evaluate")?;
    let heldout_loss = session.evaluate(kind, &heldout_items).context("no model to evaluate")?;
    let train_codes = session.codes_full(kind, &train_items);
    let heldout_codes = session.codes_full(kind, &heldout_items);
    let knn5 = knn_accuracy(
        &train_codes,
        &dataset.labels[..dataset.train_len],
        &heldout_codes,
        &dataset.labels[dataset.train_len..],
        5,
    );
    let saved_to = match &flags.out {
        Some(path) => Some(session.save(kind, path)?.display().to_string()),
        None => None,
    };
    let steps = session.step_count();
    let config_observation = session.config().observation;
    Ok(TrainReport {
        model: if iwae_k > 1 { format!("IWAE (K={iwae_k})") } else { kind.short().into() },
        device: info.label,
        dataset: dataset.name.clone(),
        steps,
        epochs: session.epoch(),
        seconds: seconds_taken,
        images_per_second: steps as f64 * args.batch_size as f64 / seconds_taken.max(1e-9),
        train_recon: train_loss.recon,
        train_kl: train_loss.kl,
        heldout_recon: heldout_loss.recon,
        heldout_kl: heldout_loss.kl,
        knn5_accuracy: knn5,
        observation: config_observation.describe(),
        sigma2: session.gaussian_sigma2(kind),
        saved_to,
    })
}

/// Human-readable report.
pub fn print_report(r: &TrainReport) {
    println!(
        "{} on {} ({}), {} steps, {:.2} epochs in {:.1} s ({:.0} images/s)",
        r.model, r.dataset, r.device, r.steps, r.epochs, r.seconds, r.images_per_second
    );
    println!("  train    recon {:8.2}  KL {:6.2}  (nats per image)", r.train_recon, r.train_kl);
    println!("  held-out recon {:8.2}  KL {:6.2}", r.heldout_recon, r.heldout_kl);
    println!("  held-out 5-NN accuracy of the codes: {:.3}", r.knn5_accuracy);
    println!("  observation model: {}", r.observation);
    if let Some(s2) = r.sigma2 {
        println!("  σ² at the end: {s2:.5}");
    }
    if let Some(p) = &r.saved_to {
        println!(
            "  saved to {p} (model description in {})",
            crate::runtime::files::pair_paths(std::path::Path::new(p)).1.display()
        );
    }
}

/// `latent-lab bench train …`: prints ms/step and images/s (images through all models together).
pub fn bench_train(
    model: BenchModel,
    steps: usize,
    batch_size: usize,
    split: Option<usize>,
    device_pref: DevicePref,
    verbose: bool,
) -> anyhow::Result<f64> {
    let say = |line: String| {
        if verbose {
            println!("{line}");
        }
    };
    let dataset = Arc::new(Dataset::builtin_mnist()?);
    let (device, info) = device::select(device_pref);
    let kinds = model.kinds();
    let names: Vec<&str> = kinds.iter().map(|k| k.short()).collect();
    let config = TrainConfig { batch_size, models: kinds.clone(), ..TrainConfig::default() };
    let threads = split.unwrap_or_else(|| info.cpu_threads());
    let mut session = TrainSession::new(config, dataset, &device)?.with_cpu_threads(threads);
    say(format!("device: {} ({}); a lone model splits its batch over {threads} thread(s)", info.label, info.reason));
    let warm = Instant::now();
    for _ in 0..5 {
        session.step();
    }
    let _ = device.sync();
    say(format!("warm-up (5 steps): {:.2} s", warm.elapsed().as_secs_f64()));
    let steps = steps.max(1);
    let start = Instant::now();
    let mut block = Instant::now();
    for i in 1..=steps {
        session.step();
        if i % 250 == 0 && i < steps {
            let _ = device.sync();
            say(format!("  steps {:>5}–{i:<5} {:.2} ms/step", i - 249, block.elapsed().as_secs_f64() * 1000.0 / 250.0));
            block = Instant::now();
        }
    }
    let _ = device.sync();
    let per_step = start.elapsed().as_secs_f64() * 1000.0 / steps as f64;
    say(format!("{}: {steps} steps, batch {batch_size}: {per_step:.2} ms/step", names.join("+")));
    let images_per_second = (batch_size * kinds.len()) as f64 * 1000.0 / per_step;
    say(format!("throughput: {images_per_second:.0} images/s"));
    Ok(images_per_second)
}

/// `latent-lab bench estimators`: median time for 1,000 estimates of each estimator (the lesson's cloud) and for a
/// whole lesson update, per objective.
pub fn bench_estimators(k: usize, repeats: usize) -> anyhow::Result<()> {
    use crate::estimators::{Estimator, Gauss2, LabRequest, Objective, run_lab};
    if k == 0 {
        bail!("K must be at least 1");
    }
    let pi = Gauss2::new([-1.5, -1.0], [0.8, 0.3, 0.6]).map_err(anyhow::Error::msg)?;
    let repeats = repeats.max(1);
    println!("K = {k}, median of {repeats} runs, one thread");
    for g in Objective::ALL {
        let mut cloud = Vec::with_capacity(repeats);
        let mut total = Vec::with_capacity(repeats);
        for seed in 0..repeats as u64 {
            let req = LabRequest { g, pi, k, estimates: 1000, seed, lr: 0.05, steps: 200 };
            let r = run_lab(&req);
            cloud.push(r.cloud_ms);
            total.push(r.total_ms);
        }
        cloud.sort_by(f64::total_cmp);
        total.sort_by(f64::total_cmp);
        println!(
            "{:<30} 1,000 estimates × {} estimators: {:6.2} ms   whole lesson update: {:6.1} ms",
            g.label(),
            Estimator::ALL.len(),
            cloud[repeats / 2],
            total[repeats / 2]
        );
    }
    Ok(())
}

/// `latent-lab dsep GRAPH_FILE`: answers the queries on stdin, one `true`/`false` line each.
pub fn dsep(graph_file: &std::path::Path) -> anyhow::Result<()> {
    let shown = graph_file.display();
    let bytes = crate::runtime::files::read_limited(graph_file, crate::runtime::files::limit::DOCUMENT)
        .with_context(|| format!("cannot read the graph file {shown}"))?;
    let bytes = crate::runtime::files::strip_bom(&bytes);
    let source = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let (line, column) = text::utf8_error_position(bytes, &e);
            bail!("{shown}: line {line}, column {column}: invalid UTF-8");
        }
    };
    let graph = text::parse_graph(source).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    query::answer_queries(&graph, stdin, stdout)?;
    Ok(())
}

/// Random DAG for the benchmark: node `i` gets edges to `i + 1 ..= i + window` (about `edges / nodes` each), so
/// directed paths are tens of thousands of nodes long; names are a random permutation. Returns the `DAGitty` text,
/// the names and the longest directed path (in nodes).
pub fn random_dagitty(nodes: usize, edges: usize, window: usize, seed: u64) -> (String, Vec<String>, usize) {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let nodes = nodes.max(2);
    let mut perm: Vec<usize> = (0..nodes).collect();
    perm.shuffle(&mut rng);
    let names: Vec<String> = perm.iter().map(|p| format!("n{p}")).collect();
    let mut text = String::with_capacity(edges * 21 + nodes * 10 + 16);
    text.push_str("dag {\n");
    let mut depth = vec![1usize; nodes];
    let mut written = 0usize;
    for u in 0..nodes - 1 {
        // Spread the edges evenly: node u gets floor((u+1)·m/n) − floor(u·m/n) of them.
        let quota = ((u + 1) * edges / nodes).saturating_sub(written);
        for _ in 0..quota {
            let hi = if window == 0 { nodes - 1 } else { (u + window).min(nodes - 1) };
            let v = rng.random_range(u + 1..=hi);
            depth[v] = depth[v].max(depth[u] + 1);
            let _ = writeln!(text, "  {} -> {}", names[u], names[v]);
            written += 1;
        }
        if quota == 0 && u % 64 == 0 {
            let _ = writeln!(text, "  {}", names[u]);
        }
    }
    let _ = writeln!(text, "  {}", names[nodes - 1]);
    text.push_str("}\n");
    let longest = depth.iter().copied().max().unwrap_or(1);
    (text, names, longest)
}

/// Peak resident memory of this process in MiB (Linux), if known.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Options of `latent-lab bench dsep`.
#[derive(Debug, Clone)]
pub struct DsepBench {
    pub nodes: usize,
    pub edges: usize,
    pub window: usize,
    pub queries: usize,
    pub seed: u64,
    pub write: Option<PathBuf>,
    pub each: bool,
}

/// `latent-lab bench dsep`: parse + queries on a random DAG, timed like the `dsep` command runs them.
pub fn bench_dsep(opts: &DsepBench) -> anyhow::Result<()> {
    let DsepBench { nodes, edges, window, queries, seed, ref write, each } = *opts;
    let generating = Instant::now();
    let (source, names, longest) = random_dagitty(nodes, edges, window, seed);
    println!(
        "generated {} nodes, {} edges, longest directed path {longest} nodes: {:.1} MB of DAGitty in {:.2} s",
        names.len(),
        edges,
        source.len() as f64 / 1e6,
        generating.elapsed().as_secs_f64()
    );
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed ^ 0x5eed);
    let mut lines = Vec::with_capacity(queries);
    for _ in 0..queries {
        let first = rng.random_range(0..names.len());
        let mut second = rng.random_range(0..names.len());
        while second == first {
            second = rng.random_range(0..names.len());
        }
        let given_count = rng.random_range(0..=4);
        let given: Vec<&str> = (0..given_count).map(|_| names[rng.random_range(0..names.len())].as_str()).collect();
        let mut line = format!("{} _||_ {}", names[first], names[second]);
        if !given.is_empty() {
            line.push_str(" | ");
            line.push_str(&given.join(", "));
        }
        lines.push(line);
    }
    if let Some(path) = write {
        std::fs::write(path, &source).with_context(|| format!("cannot write {}", path.display()))?;
        let qpath = path.with_extension("queries");
        std::fs::write(&qpath, lines.join("\n") + "\n").with_context(|| format!("cannot write {}", qpath.display()))?;
        println!("wrote {} and {}", path.display(), qpath.display());
    }
    let start = Instant::now();
    let graph = text::parse_graph(&source).map_err(|e| anyhow::anyhow!("generated graph: {e}"))?;
    let parsed = start.elapsed().as_secs_f64();
    let mut separator = Separator::new(&graph.dag);
    let mut times = Vec::with_capacity(queries);
    let mut separated = 0;
    for line in &lines {
        let t = Instant::now();
        let q = query::parse_query(&graph, line).map_err(|e| anyhow::anyhow!("generated query: {e}"))?;
        let sep = separator.d_separated(&graph.dag, &q.x, &q.y, &q.z);
        if sep {
            separated += 1;
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if each {
            println!("{line}: {sep} {:?} {:.1} ms", separator.last_work, times.last().copied().unwrap_or(0.0));
        }
    }
    let total = start.elapsed().as_secs_f64();
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!("parse + acyclicity check: {parsed:.2} s");
    println!(
        "{queries} queries ({separated} true = d-separated, {} false): {:.1} ms total, per query mean {:.2} ms, \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        queries - separated,
        times.iter().sum::<f64>(),
        times.iter().sum::<f64>() / times.len().max(1) as f64,
        crate::numeric::percentile(&sorted, 50.0),
        crate::numeric::percentile(&sorted, 99.0),
        sorted.last().copied().unwrap_or(0.0)
    );
    println!("parse + {queries} queries: {total:.2} s");
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory (including the generated text): {mib:.0} MiB");
    }
    Ok(())
}

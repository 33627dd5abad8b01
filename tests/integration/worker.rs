//! The worker protocol end to end on the CPU: events arrive, pause/stop work, divergence and panics are reported.

use std::sync::Arc;
use std::time::{Duration, Instant};

use latent_lab::data::Dataset;
use latent_lab::models::device::DevicePref;
use latent_lab::train::{
    ModelKind, Purpose, StepOutcome, TrainCommand, TrainConfig, TrainEvent, TrainSession, TrainerHandle, WorkerOptions,
    WorkerState,
};

/// Small and fast settings for tests.
fn quick_config() -> TrainConfig {
    TrainConfig { hidden: vec![32], batch_size: 32, ..TrainConfig::default() }
}

fn dataset() -> Arc<Dataset> {
    Arc::new(Dataset::builtin_mnist().unwrap())
}

fn spawn() -> TrainerHandle {
    TrainerHandle::spawn(WorkerOptions { device: DevicePref::Cpu }, Arc::new(|| {}))
}

/// Waits for the first event matching `pred`, failing after `secs`.
fn wait_for(h: &TrainerHandle, secs: u64, what: &str, mut pred: impl FnMut(&TrainEvent) -> bool) -> TrainEvent {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(e) = h.recv_timeout(Duration::from_millis(50))
            && pred(&e)
        {
            return e;
        }
    }
    panic!("timed out waiting for {what}");
}

/// A worker holding a briefly trained VAE, paused.
fn paused_vae_worker() -> TrainerHandle {
    let h = spawn();
    wait_state(&h, WorkerState::Idle);
    let config = TrainConfig { models: vec![ModelKind::Vae], ..quick_config() };
    h.send(TrainCommand::Start { config, dataset: dataset() });
    wait_for(&h, 30, "loss", |e| matches!(e, TrainEvent::Loss { .. }));
    h.send(TrainCommand::Pause);
    wait_state(&h, WorkerState::Paused);
    h
}

fn wait_state(h: &TrainerHandle, state: WorkerState) {
    wait_for(h, 30, &format!("{state:?}"), |e| matches!(e, TrainEvent::State(s) if *s == state));
}

#[test]
fn events_flow_and_pause_resume_stop_work() {
    let h = spawn();
    let ready = wait_for(&h, 30, "DeviceReady", |e| matches!(e, TrainEvent::DeviceReady(_)));
    let TrainEvent::DeviceReady(info) = ready else { unreachable!() };
    assert!(info.label.starts_with("CPU (flex"), "{}", info.label);
    wait_state(&h, WorkerState::Idle);

    assert!(h.send(TrainCommand::Start { config: quick_config(), dataset: dataset() }));
    let codes = wait_for(&h, 30, "codes", |e| matches!(e, TrainEvent::Codes { .. }));
    if let TrainEvent::Codes { codes, .. } = codes {
        assert_eq!(codes.points.len(), 1000, "the held-out digits");
        assert_eq!(codes.labels.len(), 1000);
    }
    for kind in ModelKind::ALL {
        let e = wait_for(&h, 30, "loss", |e| matches!(e, TrainEvent::Loss { model, .. } if *model == kind));
        let TrainEvent::Loss { point, .. } = e else { unreachable!() };
        assert!(point.recon.is_finite() && point.recon > 0.0);
        assert_eq!(point.kl == 0.0, kind == ModelKind::Autoencoder, "only the VAE pays KL");
    }

    h.send(TrainCommand::Pause);
    wait_state(&h, WorkerState::Paused);
    // Drain whatever was in flight, then no more losses while paused.
    while h.recv_timeout(Duration::from_millis(100)).is_some() {}
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_millis(400) {
        if let Some(e) = h.recv_timeout(Duration::from_millis(50)) {
            assert!(!matches!(e, TrainEvent::Loss { .. }), "no training while paused: {e:?}");
        }
    }
    h.send(TrainCommand::Resume);
    wait_state(&h, WorkerState::Training);
    wait_for(&h, 30, "loss after resume", |e| matches!(e, TrainEvent::Loss { .. }));
    h.send(TrainCommand::Stop);
    wait_state(&h, WorkerState::Idle);
}

#[test]
fn forced_nan_stops_training_and_keeps_the_last_good_weights() {
    let data = dataset();
    let config = TrainConfig { inject_nan_at_step: Some(4), ..quick_config() };
    let device = burn::tensor::Device::flex();
    let mut session = TrainSession::new(config, data.clone(), &device).unwrap();
    for _ in 0..3 {
        assert!(session.step().iter().all(|(_, o)| matches!(o, StepOutcome::Trained(_))));
    }
    let items: Vec<usize> = data.heldout_range().take(50).collect();
    let before: Vec<_> = ModelKind::ALL.iter().map(|&k| session.codes(k, &items)).collect();
    let outcomes = session.step();
    assert_eq!(outcomes.len(), 2);
    for (_, o) in &outcomes {
        let StepOutcome::Diverged { step, message } = o else { panic!("expected divergence, got {o:?}") };
        assert_eq!(*step, 4);
        assert!(message.contains("diverged at step 4") && message.contains("learning rate too high"), "{message}");
    }
    assert!(!session.any_live());
    let after: Vec<_> = ModelKind::ALL.iter().map(|&k| session.codes(k, &items)).collect();
    assert_eq!(before, after, "the weights from before the NaN step are kept");
    assert!(after.iter().flatten().all(|p| p[0].is_finite() && p[1].is_finite()));
    assert!(session.step().is_empty(), "diverged models do not train on");
}

#[test]
fn worker_reports_divergence_and_panics_and_keeps_running() {
    let h = spawn();
    wait_state(&h, WorkerState::Idle);
    let config = TrainConfig { inject_nan_at_step: Some(3), ..quick_config() };
    h.send(TrainCommand::Start { config, dataset: dataset() });
    let e = wait_for(&h, 30, "divergence", |e| matches!(e, TrainEvent::Diverged { .. }));
    let TrainEvent::Diverged { step, message, .. } = e else { unreachable!() };
    assert_eq!(step, 3);
    assert!(message.contains("diverged at step 3"), "{message}");
    wait_state(&h, WorkerState::Paused);

    let config = TrainConfig { inject_panic_at_step: Some(2), ..quick_config() };
    h.send(TrainCommand::Start { config, dataset: dataset() });
    let e = wait_for(&h, 30, "failure", |e| matches!(e, TrainEvent::Failed(_)));
    let TrainEvent::Failed(msg) = e else { unreachable!() };
    assert!(msg.contains("training crashed") && msg.contains("injected test panic"), "{msg}");
    wait_state(&h, WorkerState::Idle);

    // The same worker trains again.
    h.send(TrainCommand::Start { config: quick_config(), dataset: dataset() });
    wait_for(&h, 30, "loss after a panic", |e| matches!(e, TrainEvent::Loss { .. }));
}

#[test]
fn invalid_settings_are_refused_with_a_message() {
    let h = spawn();
    wait_state(&h, WorkerState::Idle);
    let config = TrainConfig { batch_size: 0, ..quick_config() };
    h.send(TrainCommand::Start { config, dataset: dataset() });
    let e = wait_for(&h, 30, "failure", |e| matches!(e, TrainEvent::Failed(_)));
    let TrainEvent::Failed(msg) = e else { unreachable!() };
    assert!(msg.contains("batch size"), "{msg}");
}

#[test]
fn training_lowers_the_vae_loss_and_separates_digits() {
    let data = dataset();
    let config =
        TrainConfig { hidden: vec![128], batch_size: 64, models: vec![ModelKind::Vae], ..TrainConfig::default() };
    let mut session = TrainSession::new(config, data.clone(), &burn::tensor::Device::flex()).unwrap();
    let items: Vec<usize> = data.heldout_range().collect();
    let first = session.evaluate(ModelKind::Vae, &items).unwrap();
    for _ in 0..300 {
        session.step();
    }
    let later = session.evaluate(ModelKind::Vae, &items).unwrap();
    assert!(later.recon + later.kl < first.recon + first.kl - 100.0, "{first:?} → {later:?}");
    let train: Vec<usize> = (0..2000).collect();
    let acc = latent_lab::train::knn::knn_accuracy(
        &session.codes_full(ModelKind::Vae, &train),
        &data.labels[..2000],
        &session.codes_full(ModelKind::Vae, &items),
        &data.labels[data.train_len..],
        5,
    );
    assert!(acc > 0.3, "2-D VAE codes should beat chance (0.1) clearly after 300 steps, got {acc}");
}

#[test]
fn decode_requests_are_answered_without_a_backlog() {
    let h = spawn();
    wait_state(&h, WorkerState::Idle);
    h.send(TrainCommand::Decode { model: ModelKind::Vae, purpose: Purpose::Probe, zs: vec![vec![0.0, 0.0]] });
    wait_for(&h, 30, "no model yet", |e| matches!(e, TrainEvent::NoModel { purpose: Purpose::Probe, .. }));
    h.send(TrainCommand::Start { config: quick_config(), dataset: dataset() });
    wait_for(&h, 30, "training", |e| matches!(e, TrainEvent::Loss { .. }));
    h.send(TrainCommand::Pause);
    wait_state(&h, WorkerState::Paused);
    // A burst of drags arrives while the worker is busy; it serves the newest and drops the rest.
    for i in 0..200 {
        h.send(TrainCommand::Decode {
            model: ModelKind::Vae,
            purpose: Purpose::Probe,
            zs: vec![vec![i as f32 * 0.01, 0.0]],
        });
    }
    let mut answers = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(TrainEvent::Decoded { images, rows, cols, purpose, .. }) = h.recv_timeout(Duration::from_millis(50))
        {
            assert_eq!(purpose, Purpose::Probe);
            assert_eq!((rows, cols, images.len(), images[0].len()), (28, 28, 1, 784));
            assert!(images[0].iter().all(|p| (0.0..=1.0).contains(p)));
            answers += 1;
        }
    }
    assert!((1..200).contains(&answers), "coalesced: {answers} answers to 200 requests");
    let digit = dataset().image(9000).to_vec();
    h.send(TrainCommand::Encode { model: ModelKind::Vae, purpose: Purpose::Clicked, images: vec![digit] });
    let e = wait_for(&h, 30, "encoded", |e| matches!(e, TrainEvent::Encoded { .. }));
    let TrainEvent::Encoded { means, log_vars, reconstructions, .. } = e else { unreachable!() };
    assert_eq!((means[0].len(), reconstructions[0].len()), (2, 784));
    assert!(log_vars.is_some_and(|lv| lv[0].len() == 2), "the VAE reports its posterior variance");
}

#[test]
fn reinforce_training_lowers_the_vae_loss_and_reports_encoder_gradients() {
    let data = dataset();
    let config = TrainConfig {
        hidden: vec![64],
        batch_size: 64,
        models: vec![ModelKind::VaeReinforce],
        track_encoder_grad: true,
        // The score-function gradient is noisy: a calm learning rate keeps this test about the estimator.
        learning_rate: 1e-3,
        ..TrainConfig::default()
    };
    let mut session = TrainSession::new(config, data.clone(), &burn::tensor::Device::flex()).unwrap();
    let items: Vec<usize> = data.heldout_range().take(500).collect();
    let first = session.evaluate(ModelKind::VaeReinforce, &items).unwrap();
    let mut norms = Vec::new();
    for _ in 0..300 {
        for (_, outcome) in session.step() {
            let StepOutcome::Trained(p) = outcome else { panic!("{outcome:?}") };
            assert!((p.grad_norm * p.grad_norm - p.grad_norm_sq).abs() < 1e-6 * p.grad_norm_sq.max(1.0));
            norms.push(p.grad_norm);
        }
    }
    let later = session.evaluate(ModelKind::VaeReinforce, &items).unwrap();
    assert!(later.recon + later.kl < first.recon + first.kl - 100.0, "{first:?} → {later:?}");
    assert!(
        norms.iter().all(|n| n.is_finite()) && norms.iter().any(|&n| n > 0.0),
        "encoder gradient norms are measured"
    );
}

/// The evaluate command runs in chunks with progress events, gives bounds that climb with K (within their errors)
/// under the quadrature log p(x), and can be cancelled.
#[test]
fn evaluation_reports_progress_climbs_in_k_and_can_be_cancelled() {
    use latent_lab::train::evaluation::EvalRequest;
    let h = paused_vae_worker();

    // Cancel: a long evaluation stops soon after the command.
    let long = EvalRequest { ks: vec![5000], grid: None, half_width: 6.0 };
    h.send(TrainCommand::Evaluate { model: ModelKind::Vae, request: long });
    wait_for(&h, 30, "first progress", |e| matches!(e, TrainEvent::EvalProgress { .. }));
    h.send(TrainCommand::CancelEvaluation);
    let cancelled = Instant::now();
    wait_for(&h, 30, "cancelled", |e| {
        assert!(!matches!(e, TrainEvent::Evaluated { .. }), "a cancelled evaluation must not finish");
        matches!(e, TrainEvent::EvalCancelled { model: ModelKind::Vae })
    });
    assert!(cancelled.elapsed() < Duration::from_secs(5), "cancel took {:?}", cancelled.elapsed());

    let request = EvalRequest { ks: vec![1, 10, 100], grid: Some(100), half_width: 6.0 };
    h.send(TrainCommand::Evaluate { model: ModelKind::Vae, request });
    let mut fractions = Vec::new();
    let done = wait_for(&h, 120, "evaluated", |e| {
        if let TrainEvent::EvalProgress { fraction, .. } = e {
            fractions.push(*fraction);
        }
        matches!(e, TrainEvent::Evaluated { .. })
    });
    assert!(fractions.len() > 3, "progress in chunks: {fractions:?}");
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    let TrainEvent::Evaluated { result, .. } = done else { unreachable!() };
    assert_eq!(result.bounds.iter().map(|r| r.k).collect::<Vec<_>>(), vec![1, 10, 100]);
    for w in result.bounds.windows(2) {
        let (a, b) = (w[0].estimate, w[1].estimate);
        assert!(a.mean <= b.mean + 3.0 * (a.stderr.powi(2) + b.stderr.powi(2)).sqrt(), "{a:?} then {b:?}");
    }
    let log_px = result.log_px.expect("a 2-D latent gets the quadrature");
    let last = result.bounds[2].estimate;
    assert!(last.mean <= log_px.mean + 3.0 * last.stderr, "{last:?} vs {log_px:?}");
    assert_eq!(result.elbo_gap_per_digit().map(|g| g.len()), Some(1000));
}

#[test]
fn evaluating_without_a_model_is_refused_with_a_message() {
    use latent_lab::train::evaluation::EvalRequest;
    let h = spawn();
    wait_state(&h, WorkerState::Idle);
    h.send(TrainCommand::Evaluate { model: ModelKind::Vae, request: EvalRequest::default() });
    let e = wait_for(&h, 30, "failure", |e| matches!(e, TrainEvent::Failed(_)));
    let TrainEvent::Failed(message) = e else { unreachable!() };
    assert!(message.contains("train one first"), "{message}");
}

/// Save then Load through the worker gives back a model that evaluates; a corrupt or wrong-size file is refused
/// with a message naming the file, and the current model stays.
#[test]
fn save_and_load_through_the_worker_keep_the_model_on_bad_files() {
    use latent_lab::train::evaluation::EvalRequest;
    let dir = tempfile::tempdir().unwrap();
    let h = paused_vae_worker();
    let base = dir.path().join("vae");
    h.send(TrainCommand::Save { model: ModelKind::Vae, path: base.clone() });
    wait_for(&h, 30, "saved", |e| matches!(e, TrainEvent::Saved { .. }));

    std::fs::write(dir.path().join("bad.json"), "{ not json").unwrap();
    std::fs::write(dir.path().join("bad.bpk"), b"junk").unwrap();
    h.send(TrainCommand::Load { path: dir.path().join("bad"), dataset: dataset() });
    let e = wait_for(&h, 30, "refusal", |e| matches!(e, TrainEvent::Failed(_)));
    let TrainEvent::Failed(message) = e else { unreachable!() };
    assert!(message.contains("bad.json"), "{message}");
    // The trained model is still there: it evaluates.
    let request = EvalRequest { ks: vec![1], grid: None, half_width: 6.0 };
    h.send(TrainCommand::Evaluate { model: ModelKind::Vae, request: request.clone() });
    wait_for(&h, 60, "evaluated", |e| matches!(e, TrainEvent::Evaluated { .. }));

    h.send(TrainCommand::Load { path: base, dataset: dataset() });
    let e = wait_for(&h, 30, "loaded", |e| matches!(e, TrainEvent::Loaded { .. }));
    assert!(matches!(e, TrainEvent::Loaded { model: ModelKind::Vae, .. }));
    h.send(TrainCommand::Evaluate { model: ModelKind::Vae, request });
    wait_for(&h, 60, "evaluated after loading", |e| matches!(e, TrainEvent::Evaluated { .. }));
}

#[test]
fn the_posterior_of_a_digit_is_a_density_with_a_nonnegative_gap() {
    let h = paused_vae_worker();
    h.send(TrainCommand::Posterior { model: ModelKind::Vae, item: 7 });
    let event = wait_for(&h, 60, "posterior", |e| matches!(e, TrainEvent::Posterior { .. } | TrainEvent::Failed(_)));
    let TrainEvent::Posterior { item, pixels, view, .. } = event else { panic!("{event:?}") };
    assert_eq!(item, 7);
    let data = dataset();
    assert_eq!(pixels, data.image(data.heldout_range().start + 7), "the held-out digit #7");
    let [x0, x1, y0, y1] = view.extent;
    let cell = (x1 - x0) * (y1 - y0) / (view.grid * view.grid) as f64;
    let mass: f64 = view.log_density.iter().map(|v| f64::from(*v).exp() * cell).sum();
    assert!(mass > 0.9 && mass < 1.001, "p(z|x) over the window holds {mass}");
    assert!(view.log_px.is_finite() && view.log_px < 0.0);
    assert!(view.kl_gap() > -3.0 * view.elbo.stderr, "KL(q‖p) = {} ± {}", view.kl_gap(), view.elbo.stderr);
    // The window holds q's mean.
    assert!((x0..x1).contains(&view.q_mean[0]) && (y0..y1).contains(&view.q_mean[1]));

    h.send(TrainCommand::Posterior { model: ModelKind::Vae, item: 1_000_000 });
    let refused = wait_for(&h, 30, "refusal", |e| matches!(e, TrainEvent::Failed(_)));
    assert!(matches!(&refused, TrainEvent::Failed(m) if m.contains("no held-out digit number 1000000")), "{refused:?}");
}

#[test]
fn wide_latents_are_plotted_on_principal_components_and_decoded_from_the_plane() {
    let h = spawn();
    wait_state(&h, WorkerState::Idle);
    let config = TrainConfig { models: vec![ModelKind::Vae], latent_dim: 8, ..quick_config() };
    h.send(TrainCommand::Start { config, dataset: dataset() });
    let event = wait_for(&h, 60, "codes", |e| matches!(e, TrainEvent::Codes { .. }));
    let TrainEvent::Codes { codes, .. } = event else { unreachable!() };
    let projection = codes.projection.expect("an 8-D latent is projected");
    assert_eq!(projection.mean.len(), 8);
    assert!(projection.explained[0] >= projection.explained[1] && projection.explained[0] > 0.0);
    // The plotted points have mean ≈ 0 on both axes (they are centred principal-component scores).
    let n = codes.points.len() as f32;
    let mean0: f32 = codes.points.iter().map(|p| p[0]).sum::<f32>() / n;
    assert!(mean0.abs() < 1e-2, "{mean0}");
    h.send(TrainCommand::Pause);
    h.send(TrainCommand::Decode {
        model: ModelKind::Vae,
        purpose: Purpose::Probe,
        zs: vec![projection.lift([1.0, 0.5])],
    });
    let decoded = wait_for(&h, 30, "decoded", |e| matches!(e, TrainEvent::Decoded { .. }));
    let TrainEvent::Decoded { images, .. } = decoded else { unreachable!() };
    assert_eq!(images.len(), 1);
    assert!(images[0].iter().all(|p| (0.0..=1.0).contains(p)));
}

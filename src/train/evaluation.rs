//! Evaluating the bounds L_K (and, for a 2-D latent, the quadrature log p(x)) on held-out digits in small chunks,
//! so the worker can report progress and notice a cancel between chunks.

use burn::tensor::Device;

use crate::models::Autoencoder;
use crate::models::bounds::{self, BoundsError, LogSumExp};

/// Decoder rows per chunk and thread: a chunk takes about a tenth of a second on the CPU.
const ROWS_PER_CHUNK: usize = 8192;
/// Grid points per quadrature chunk.
const POINTS_PER_CHUNK: usize = 8192;

/// What to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRequest {
    /// Numbers of importance samples, evaluated in this order.
    pub ks: Vec<usize>,
    /// Cells per side of the quadrature grid on [−`half_width`, `half_width`]² (2-D latents only); `None` skips it.
    pub grid: Option<usize>,
    pub half_width: f64,
}

impl Default for EvalRequest {
    fn default() -> Self {
        Self { ks: vec![1, 2, 5, 10, 50, 100, 1000, 5000], grid: Some(400), half_width: 6.0 }
    }
}

/// One row of the result: L_K over the digits, mean ± standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundRow {
    pub k: usize,
    pub estimate: bounds::Estimate,
}

/// The finished evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalResult {
    pub bounds: Vec<BoundRow>,
    /// L_K per digit, in the order of `bounds`.
    pub per_digit: Vec<Vec<f64>>,
    /// Quadrature log p(x), mean ± s.e., and per digit (2-D latents with a grid only).
    pub log_px: Option<bounds::Estimate>,
    pub log_px_per_digit: Option<Vec<f64>>,
}

impl EvalResult {
    /// log p(x) − L_1 per digit, when both were evaluated: an unbiased but noisy (L_1 is a one-sample estimate)
    /// estimate of KL(q(z|x) ‖ p(z|x)).
    pub fn elbo_gap_per_digit(&self) -> Option<Vec<f64>> {
        let index = self.bounds.iter().position(|r| r.k == 1)?;
        let log_px = self.log_px_per_digit.as_ref()?;
        Some(log_px.iter().zip(&self.per_digit[index]).map(|(p, l1)| p - l1).collect())
    }
}

/// An evaluation in progress: call [`EvalJob::step`] until it returns `true`.
pub struct EvalJob {
    model: Autoencoder,
    pixels: Vec<f32>,
    dim: usize,
    request: EvalRequest,
    threads: usize,
    device: Device,
    /// Index into `request.ks` (== its length: the quadrature stage).
    stage: usize,
    /// Digits (bound stages) or grid points (quadrature) done in the current stage.
    done: usize,
    current: Vec<f64>,
    per_digit: Vec<Vec<f64>>,
    grid_points: Vec<[f32; 2]>,
    cell_area: f64,
    quadrature: Vec<LogSumExp>,
}

impl EvalJob {
    /// Checks the request against the model (K in range, a VAE, a 2-D latent for the quadrature).
    pub fn new(
        model: Autoencoder,
        pixels: Vec<f32>,
        dim: usize,
        request: EvalRequest,
        threads: usize,
        device: Device,
    ) -> Result<Self, BoundsError> {
        if !model.is_variational() {
            return Err(BoundsError::NotVariational);
        }
        for &k in &request.ks {
            if k == 0 {
                return Err(BoundsError::ZeroK);
            }
            if k > bounds::MAX_K {
                return Err(BoundsError::KTooLarge(k));
            }
        }
        let (grid_points, cell_area) = match request.grid {
            Some(grid) => {
                if model.latent_dim() != 2 {
                    return Err(BoundsError::NotTwoDimensional(model.latent_dim()));
                }
                if !((2..=2000).contains(&grid) && request.half_width.is_finite() && request.half_width > 0.0) {
                    return Err(BoundsError::BadGrid);
                }
                bounds::grid_points(grid, request.half_width)
            }
            None => (Vec::new(), 1.0),
        };
        let n = pixels.len() / dim.max(1);
        Ok(Self {
            model,
            pixels,
            dim,
            request,
            threads: threads.max(1),
            device,
            stage: 0,
            done: 0,
            current: Vec::with_capacity(n),
            per_digit: Vec::new(),
            grid_points,
            cell_area,
            quadrature: vec![LogSumExp::default(); n],
        })
    }

    fn digits(&self) -> usize {
        self.pixels.len() / self.dim.max(1)
    }

    /// Fraction of the work done, weighting each stage by its decoder passes.
    pub fn progress(&self) -> f64 {
        let n = self.digits() as f64;
        let bound_cost: Vec<f64> = self.request.ks.iter().map(|&k| n * k as f64).collect();
        let quad_cost = self.grid_points.len() as f64;
        let total: f64 = bound_cost.iter().sum::<f64>() + quad_cost;
        if total <= 0.0 {
            return 1.0;
        }
        let finished: f64 = bound_cost.iter().take(self.stage).sum();
        let partial = match self.request.ks.get(self.stage) {
            Some(&k) => self.done as f64 * k as f64,
            None => self.done as f64,
        };
        ((finished + partial) / total).clamp(0.0, 1.0)
    }

    /// What is being computed now ("L_50", "log p(x)").
    pub fn stage_label(&self) -> String {
        match self.request.ks.get(self.stage) {
            Some(k) => format!("L_{k}"),
            None => "log p(x) by quadrature".into(),
        }
    }

    /// Does one chunk of work; `true` when everything is done.
    pub fn step(&mut self) -> bool {
        let n = self.digits();
        if let Some(&k) = self.request.ks.get(self.stage) {
            let items = (self.threads * ROWS_PER_CHUNK / k).clamp(self.threads, n.max(1));
            let end = (self.done + items).min(n);
            let chunk = &self.pixels[self.done * self.dim..end * self.dim];
            let values = bounds::iwae_bounds(&self.model, chunk, self.dim, k, self.threads, &self.device)
                .unwrap_or_else(|_| vec![f64::NAN; end - self.done]);
            self.current.extend(values);
            self.done = end;
            if self.done >= n {
                self.per_digit.push(std::mem::take(&mut self.current));
                self.stage += 1;
                self.done = 0;
            }
            return false;
        }
        if self.done < self.grid_points.len() {
            let end = (self.done + POINTS_PER_CHUNK).min(self.grid_points.len());
            let sums = bounds::log_joint_sums_threaded(
                &self.model,
                &self.pixels,
                self.dim,
                &self.grid_points[self.done..end],
                self.threads,
                &self.device,
            );
            for (acc, s) in self.quadrature.iter_mut().zip(sums) {
                acc.add(s.value());
            }
            self.done = end;
        }
        self.done >= self.grid_points.len()
    }

    /// The result once [`EvalJob::step`] has returned `true`.
    pub fn result(&self) -> EvalResult {
        let bounds = self
            .request
            .ks
            .iter()
            .zip(&self.per_digit)
            .map(|(&k, values)| BoundRow { k, estimate: bounds::estimate(values) })
            .collect();
        let log_px_per_digit: Option<Vec<f64>> = (!self.grid_points.is_empty())
            .then(|| self.quadrature.iter().map(|a| a.value() + self.cell_area.ln()).collect());
        EvalResult {
            bounds,
            per_digit: self.per_digit.clone(),
            log_px: log_px_per_digit.as_deref().map(bounds::estimate),
            log_px_per_digit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::AutoencoderConfig;

    fn pixels(n: usize, dim: usize) -> Vec<f32> {
        (0..n * dim).map(|i| if (i * 7) % 5 < 2 { 1.0 } else { 0.0 }).collect()
    }

    #[test]
    fn chunked_evaluation_matches_the_one_shot_quadrature_and_climbs_in_k() {
        let device = Device::flex();
        device.seed(9);
        let model = AutoencoderConfig::new(12, vec![16], 2, true).init(&device);
        let x = pixels(40, 12);
        let request = EvalRequest { ks: vec![1, 10, 200], grid: Some(300), half_width: 6.0 };
        let mut job = EvalJob::new(model.clone(), x.clone(), 12, request, 2, device.clone()).unwrap();
        let mut last = 0.0;
        let mut steps = 0;
        while !job.step() {
            let p = job.progress();
            assert!(p >= last, "progress goes forward: {last} then {p}");
            last = p;
            steps += 1;
        }
        assert!(steps > 3, "the work is split into chunks ({steps})");
        assert!((job.progress() - 1.0).abs() < 1e-9);
        let result = job.result();
        let one_shot = bounds::quadrature_log_px(&model, &x, 12, 300, 6.0, 2, &device).unwrap();
        for (a, b) in result.log_px_per_digit.as_ref().unwrap().iter().zip(&one_shot) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        let means: Vec<f64> = result.bounds.iter().map(|r| r.estimate.mean).collect();
        assert!(means[0] <= means[1] + 0.05 && means[1] <= means[2] + 0.05, "{means:?}");
        let gap = result.elbo_gap_per_digit().unwrap();
        assert_eq!(gap.len(), 40);
        // Per digit L_1 is a one-sample estimate, so single gaps can be negative; their mean is a KL, ≥ 0.
        let mean_gap = bounds::estimate(&gap);
        assert!(mean_gap.mean > -3.0 * mean_gap.stderr, "{mean_gap:?}");
    }

    #[test]
    fn bad_requests_are_refused() {
        let device = Device::flex();
        let vae3 = AutoencoderConfig::new(4, vec![4], 3, true).init(&device);
        let ae = AutoencoderConfig::new(4, vec![4], 2, false).init(&device);
        let req = |ks: Vec<usize>, grid| EvalRequest { ks, grid, half_width: 6.0 };
        let job = |m: &Autoencoder, r| EvalJob::new(m.clone(), vec![0.0; 4], 4, r, 1, device.clone()).err();
        assert_eq!(job(&ae, req(vec![1], None)), Some(BoundsError::NotVariational));
        assert_eq!(job(&vae3, req(vec![0], None)), Some(BoundsError::ZeroK));
        assert_eq!(job(&vae3, req(vec![1], Some(100))), Some(BoundsError::NotTwoDimensional(3)));
        assert!(job(&vae3, req(vec![1, 5], None)).is_none());
    }
}

//! An exponential moving average of a burn module's weights (Polyak averaging), kept as plain `f32` vectors.
//!
//! Diffusion models sample far better from averaged weights than from the last step's: the ε-prediction
//! loss is noisy, and the average smooths the weights' random walk. The decay warms up as
//! min(decay, (1 + n)/(10 + n)) after n updates, so early averages are not dominated by the random start.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

/// The running average of every float parameter, in the order burn visits them.
#[derive(Debug, Clone)]
pub struct WeightAverage {
    decay: f64,
    values: Vec<Vec<f32>>,
    updates: usize,
}

struct Collect(Vec<Vec<f32>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default());
    }
}

struct Replace<'a> {
    values: std::slice::Iter<'a, Vec<f32>>,
}

impl ModuleMapper for Replace<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(values) = self.values.next() else { return param };
        param.map(|tensor| {
            let dims = tensor.dims();
            if values.len() == dims.iter().product::<usize>() {
                Tensor::from_data(TensorData::new(values.clone(), dims), &tensor.device())
            } else {
                tensor
            }
        })
    }
}

fn collect<M: Module>(model: &M) -> Vec<Vec<f32>> {
    let mut visitor = Collect(Vec::new());
    model.visit(&mut visitor);
    visitor.0
}

impl WeightAverage {
    /// Starts the average at `model`'s current weights; `decay` is the long-run weight of the old average.
    #[must_use]
    pub fn new<M: Module>(model: &M, decay: f64) -> Self {
        Self { decay: decay.clamp(0.0, 1.0), values: collect(model), updates: 0 }
    }

    /// Number of updates so far.
    #[must_use]
    pub fn updates(&self) -> usize {
        self.updates
    }

    /// The decay the next update uses (warmed up).
    #[must_use]
    pub fn current_decay(&self) -> f64 {
        let n = self.updates as f64;
        self.decay.min((1.0 + n) / (10.0 + n))
    }

    /// Moves the average towards `model`'s weights. A model with other parameter shapes restarts the average.
    pub fn update<M: Module>(&mut self, model: &M) {
        let fresh = collect(model);
        let same_shape =
            fresh.len() == self.values.len() && fresh.iter().zip(&self.values).all(|(a, b)| a.len() == b.len());
        if !same_shape {
            self.values = fresh;
            self.updates = 0;
            return;
        }
        let d = self.current_decay() as f32;
        for (avg, new) in self.values.iter_mut().zip(&fresh) {
            for (a, w) in avg.iter_mut().zip(new) {
                *a = d * *a + (1.0 - d) * w;
            }
        }
        self.updates += 1;
    }

    /// The equal-weight mean of `models`' weights (a "model soup": runs that continued from one checkpoint can be
    /// averaged into one model). `None` when there are no models or their parameter shapes differ.
    #[must_use]
    pub fn mean_of<M: Module>(models: &[M]) -> Option<Self> {
        let (first, rest) = models.split_first()?;
        let mut values = collect(first);
        for model in rest {
            let other = collect(model);
            if other.len() != values.len() || other.iter().zip(&values).any(|(a, b)| a.len() != b.len()) {
                return None;
            }
            for (sum, new) in values.iter_mut().zip(&other) {
                sum.iter_mut().zip(new).for_each(|(s, w)| *s += w);
            }
        }
        let n = models.len() as f32;
        values.iter_mut().flatten().for_each(|v| *v /= n);
        Some(Self { decay: 0.0, values, updates: models.len() })
    }

    /// `model` with its float parameters replaced by the average (parameters whose shape differs are kept).
    #[must_use]
    pub fn apply<M: Module>(&self, model: M) -> M {
        model.map(&mut Replace { values: self.values.iter() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    fn weights(model: &Linear) -> Vec<f32> {
        collect(model).concat()
    }

    #[test]
    fn the_average_follows_the_warmed_up_recurrence() {
        let device = Device::flex();
        let a = LinearConfig::new(3, 2).init(&device);
        let b = LinearConfig::new(3, 2).init(&device);
        let (wa, wb) = (weights(&a), weights(&b));
        let mut average = WeightAverage::new(&a, 0.99);
        // First update: decay min(0.99, 1/10) = 0.1.
        average.update(&b);
        let expected: Vec<f32> = wa.iter().zip(&wb).map(|(x, y)| 0.1 * x + 0.9 * y).collect();
        let got = weights(&average.apply(a.clone()));
        for (g, e) in got.iter().zip(&expected) {
            assert!((g - e).abs() < 1e-6, "{g} vs {e}");
        }
        assert!((average.current_decay() - 2.0 / 11.0).abs() < 1e-12);
        // Many updates towards b converge to b.
        for _ in 0..2000 {
            average.update(&b);
        }
        let got = weights(&average.apply(a));
        assert!(got.iter().zip(&wb).all(|(g, e)| (g - e).abs() < 1e-5));
        assert_eq!(average.updates(), 2001);
    }

    #[test]
    fn the_mean_of_models_is_their_parameterwise_mean() {
        let device = Device::flex();
        let models: Vec<Linear> = (0..3).map(|_| LinearConfig::new(3, 2).init(&device)).collect();
        let all: Vec<Vec<f32>> = models.iter().map(weights).collect();
        let mean = WeightAverage::mean_of(&models).unwrap();
        let got = weights(&mean.apply(models[0].clone()));
        for (i, g) in got.iter().enumerate() {
            let expected = (all[0][i] + all[1][i] + all[2][i]) / 3.0;
            assert!((g - expected).abs() < 1e-6);
        }
        let other = LinearConfig::new(4, 2).init(&device);
        assert!(WeightAverage::mean_of(&[models[0].clone(), other]).is_none());
        assert!(WeightAverage::mean_of::<Linear>(&[]).is_none());
    }

    #[test]
    fn another_shape_restarts_the_average() {
        let device = Device::flex();
        let a = LinearConfig::new(3, 2).init(&device);
        let c = LinearConfig::new(4, 2).init(&device);
        let mut average = WeightAverage::new(&a, 0.9);
        average.update(&c);
        assert_eq!(average.updates(), 0);
        assert_eq!(weights(&average.apply(c.clone())), weights(&c));
    }
}

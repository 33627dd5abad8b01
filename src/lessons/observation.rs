//! The observation-model chooser shared by the lessons that train VAEs: Bernoulli or Gaussian p(x|z), the
//! log-likelihood formula of each as on the slides, and σ² (a slider, or learned from it).

use eframe::egui;

use crate::models::Observation;

/// What the user picked for the next run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ObservationChoice {
    pub gaussian: bool,
    pub sigma2: f64,
    pub learn_sigma: bool,
}

impl Default for ObservationChoice {
    fn default() -> Self {
        Self { gaussian: false, sigma2: 0.1, learn_sigma: false }
    }
}

impl ObservationChoice {
    /// The observation model to train with.
    #[must_use]
    pub fn observation(&self) -> Observation {
        if self.gaussian {
            Observation::Gaussian { sigma2: self.sigma2, learn_sigma: self.learn_sigma }
        } else {
            Observation::Bernoulli
        }
    }

    /// Radio buttons, the formula, and the σ² controls for the Gaussian.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("p(x|z):");
            ui.radio_value(&mut self.gaussian, false, "Bernoulli");
            ui.radio_value(&mut self.gaussian, true, "Gaussian");
        });
        if self.gaussian {
            let formula = concat!(
                r"\log p(x \mid z) = -\frac{1}{2} \sum_d \left[\frac{(x_d - \mu_d)^2}{\sigma^2} + \log 2\pi\sigma^2\right]",
                "\n",
                r"\mu = \operatorname{sigmoid}(\text{decoder output})",
            );
            crate::viz::math::formula_lines(ui, formula, 15.0);
            ui.add(egui::Slider::new(&mut self.sigma2, 0.001..=1.0).logarithmic(true).text("σ²"));
            ui.checkbox(&mut self.learn_sigma, "Learn σ² (starting from the slider's value)");
        } else {
            let formula = concat!(
                r"\log p(x \mid z) = \sum_d x_d \log \mu_d + (1 - x_d) \log(1 - \mu_d)",
                "\n",
                r"\mu = \operatorname{sigmoid}(\text{decoder output})",
            );
            crate::viz::math::formula_lines(ui, formula, 15.0);
        }
    }
}

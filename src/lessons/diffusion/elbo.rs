//! Page 4: diffusion as a hierarchical VAE — its DAG and the ELBO's per-step terms L_t for the trained 2-D model.

use eframe::egui::{self, Align2, Color32, FontId, Pos2, RichText, Shape, Stroke, vec2};
use egui_plot::{Corner, Legend, Line, Plot, Points};

use super::DiffusionLesson;

/// Draws x_T → … → x_0 (generative p_θ, solid) with the fixed inference chain q (dashed, the other way).
fn dag(ui: &mut egui::Ui, width: f32) {
    let height = 150.0;
    let (rect, _) = ui.allocate_exact_size(vec2(width, height), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let names = ["x_T", "x_{T−1}", "…", "x_t", "x_{t−1}", "…", "x_1", "x_0"];
    let n = names.len();
    let y = rect.center().y;
    let step = rect.width() / n as f32;
    let r = (step * 0.28).min(26.0);
    let fg = ui.visuals().text_color();
    let p_color = Color32::from_rgb(120, 200, 120);
    let q_color = Color32::from_rgb(235, 170, 40);
    let centers: Vec<Pos2> = (0..n).map(|i| Pos2::new(rect.left() + step * (i as f32 + 0.5), y)).collect();
    for (i, c) in centers.iter().enumerate() {
        if names[i] == "…" {
            painter.text(*c, Align2::CENTER_CENTER, "…", FontId::proportional(20.0), fg);
            continue;
        }
        let fill = if i == n - 1 { Color32::from_gray(90) } else { Color32::TRANSPARENT };
        painter.circle(*c, r, fill, Stroke::new(1.5, fg));
        painter.text(*c, Align2::CENTER_CENTER, names[i], FontId::proportional(13.0), fg);
    }
    for w in centers.windows(2) {
        let (a, b) = (w[0], w[1]);
        // p_θ(x_{t−1} | x_t): left to right, above the centre line.
        let from = Pos2::new(a.x + r * 0.9, a.y - r * 0.45);
        let to = Pos2::new(b.x - r * 0.9, b.y - r * 0.45);
        painter.arrow(from, to - from, Stroke::new(1.8, p_color));
        // q(x_t | x_{t−1}): right to left, below, dashed, with a solid head.
        let from = Pos2::new(b.x - r * 0.9, b.y + r * 0.45);
        let head = Pos2::new(a.x + r * 0.9 + 16.0, a.y + r * 0.45);
        painter.extend(Shape::dashed_line(&[from, head], Stroke::new(1.4, q_color), 5.0, 3.0));
        painter.arrow(head, vec2(-16.0, 0.0), Stroke::new(1.4, q_color));
    }
    painter.text(
        Pos2::new(rect.left() + 4.0, rect.top() + 4.0),
        Align2::LEFT_TOP,
        "solid: generative p_θ(x_{t−1} | x_t), learned       dashed: inference q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t I), fixed",
        FontId::proportional(13.0),
        fg,
    );
    painter.text(
        Pos2::new(rect.left() + 4.0, rect.bottom() - 4.0),
        Align2::LEFT_BOTTOM,
        "x_0 (shaded) is observed; x_1 … x_T are latents with the data's dimension. p(x_T) = N(0, I).",
        FontId::proportional(13.0),
        fg,
    );
}

pub fn show(lesson: &mut DiffusionLesson, ui: &mut egui::Ui) {
    let width = ui.available_width();
    ui.label(RichText::new("A diffusion model is a hierarchical VAE with a fixed encoder").strong());
    dag(ui, width);
    ui.label(
        "ELBO: log p(x_0) ≥ E_q[log p_θ(x_0 | x_1)] − Σ_{t=2}^{T} L_t − L_T, with \
         L_t = E_q KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) and the prior term L_T = KL(q(x_T | x_0) ‖ N(0, I)). \
         Both Gaussians in L_t share the variance β̃_t, so L_t = c₀² (1 − ᾱ_t)/ᾱ_t · E‖ε − ε_θ‖² / (2β̃_t): the \
         ε-loss, reweighted per step. Dropping the weights gives DDPM's simple loss. (The d-separation tab has this \
         chain as the preset \"Diffusion chain\".)",
    );
    let Some((terms, prior)) = &lesson.toy.elbo else {
        ui.label(if lesson.toy.training {
            "Training… L_t appears when the 2-D model is trained."
        } else {
            "Train the 2-D model (left panel) to see its L_t."
        });
        return;
    };
    let total: f64 = terms.iter().map(|(_, l)| l).sum();
    ui.label(
        RichText::new(format!(
            "L_t for t = 2 … {} on the 2-D data (Monte Carlo over the {} data points, one draw each): Σ L_t = {total:.3} nats, L_T = {prior:.2e} nats",
            terms.len() + 1,
            lesson.data.len()
        ))
        .strong(),
    );
    let h = (ui.available_height() - 10.0).max(160.0);
    crate::viz::export::plot(
        Plot::new("diffusion-elbo-terms")
            .legend(Legend::default().position(Corner::RightTop))
            .height(h)
            .x_axis_label("t")
            .y_axis_label("log₁₀ L_t (nats)")
            .show(ui, |p| {
                let pts: Vec<[f64; 2]> =
                    terms.iter().filter(|(_, l)| *l > 0.0).map(|&(t, l)| [t as f64, l.log10()]).collect();
                p.line(Line::new("L_t (trained model)", pts.clone()).color(Color32::from_rgb(80, 150, 240)).width(1.5));
                p.points(Points::new("L_t (trained model)", pts).color(Color32::from_rgb(80, 150, 240)).radius(1.5));
            }),
        "diffusion-elbo-terms",
        None,
    );
}

#!/usr/bin/env python3
"""Writes assets/lecture/lecture.json, the shipped lecture (issue #20), from a fresh app's scene.

    python3 scripts/make_lecture.py FRESH_SCENE.json > assets/lecture/lecture.json

FRESH_SCENE.json is File > Save scene of a freshly started latent-lab (every tab's default settings); each stop
takes a tab's defaults from it and changes only what the stop is about, so the lecture stays valid as the
settings grow. The model files the stops name are made by the commands in assets/lecture/README.md.
"""
import copy
import json
import sys

LATENT_HIDDEN = "256, 128"
# Classroom stops that show a trained model hide what would retrain it (lessons::classroom::Control keys).
CLASSROOM = ["training", "seed", "files"]


def dag(nodes, edges):
    """DAGitty text: nodes (name, x, y) in pixels, edges (from, to)."""
    lines = ["dag {"]
    lines += [f'  {n} [pos="{x / 100:.2f},{y / 100:.2f}"]' for n, x, y in nodes]
    lines += [f"  {u} -> {v}" for u, v in edges]
    return "\n".join(lines + ["}"]) + "\n"


CHAIN = dag([("x1", 90, 160), ("x2", 250, 160), ("x3", 410, 160)], [("x1", "x2"), ("x2", "x3")])
FORK = dag([("m", 250, 80), ("x", 120, 230), ("y", 380, 230)], [("m", "x"), ("m", "y")])
COLLIDER_DESC = dag(
    [("x", 120, 80), ("y", 380, 80), ("m", 250, 210), ("d", 250, 340)], [("x", "m"), ("y", "m"), ("m", "d")]
)
BISHOP = dag(
    [("a", 110, 80), ("f", 330, 80), ("e", 110, 210), ("b", 330, 210), ("c", 110, 340)],
    [("a", "e"), ("f", "e"), ("f", "b"), ("e", "c")],
)
VAE_TWO = dag([("z", 200, 90), ("x", 200, 240)], [("z", "x")])
HVAE = dag([("z2", 200, 70), ("z1", 200, 190), ("x", 200, 310)], [("z2", "z1"), ("z1", "x")])
DIFFUSION = dag(
    [("x_T", 70, 160), ("x_3", 180, 160), ("x_2", 290, 160), ("x_1", 400, 160), ("x_0", 510, 160)],
    [("x_T", "x_3"), ("x_3", "x_2"), ("x_2", "x_1"), ("x_1", "x_0")],
)


def math(formula, statement):
    """A stop's typeset formula (TeX, one formula per line) and its statement in words."""
    return (formula, statement)


def main():
    fresh = json.load(open(sys.argv[1]))["lessons"]

    def part(lesson, **changes):
        p = copy.deepcopy(fresh[lesson])
        for k, v in changes.items():
            if k not in p and k not in ("models", "model", "made", "do_a", "wavenet", "toy_model"):
                raise SystemExit(f"{lesson} has no setting {k}: {sorted(p)}")
            p[k] = v
        return {lesson: p}

    latent = part("Latent space", hidden=LATENT_HIDDEN, models=["latent-ae.bpk", "latent-vae.bpk"])
    latent["Latent space"]["config"]["hidden"] = [256, 128]
    bounds = part("Bounds", iwae_k=5, model="iwae-k5.bpk")
    hvae = part("Hierarchical VAE", model="hvae.bpk")
    flows = part("Flows", data="Two moons", models=["flow-realnvp.json", "flow-resflow.json"])
    made = part("Autoregressive", page="Digits", hidden_units=100, made="made.json")
    wavenet = part("Autoregressive", page="Signals", hidden_units=100, made="made.json", wavenet="wavenet.json")

    def dsep(graph, a, b, c, **more):
        return part("d-separation", graph=graph, a=a, b=b, c=c, **more)

    def diffusion(page, **more):
        return part("Diffusion", page=page, **more)

    stops = []

    def stop(part_name, title, lesson, statement, show, lessons=None, **flags):
        s = {"part": part_name, "title": title}
        if isinstance(statement, tuple):
            s["formula"], statement = statement
        s.update({"statement": statement, "show": show, "lesson": lesson})
        if lessons:
            s["lessons"] = lessons
        s.update(flags)
        stops.append(s)

    p1 = "1 · Recap: VAEs and IWAEs"
    stop(p1, "Deep latent variable models", "Latent space",
         math("p_\\theta(x) = \\int p_\\theta(x \\mid z)\\, p(z)\\, dz",
         "A neural decoder turns a simple code z ∼ N(0, I) into an image."),
         "The codes of 1,000 held-out digits, coloured by label: an autoencoder's (left) and a VAE's (right), "
         "both 2-D so the whole code space fits on the screen.", latent, hide_settings=True)
    stop(p1, "An autoencoder's codes and a VAE's", "Latent space",
         math("\\text{AE: } z = f(x) \\qquad \\text{VAE: } q(z \\mid x) = \\mathcal{N}\\left(\\mu(x), \\sigma^2(x)\\right)",
         "The AE is trained on reconstruction alone; the VAE on the ELBO, whose KL term pulls the codes towards N(0, I)."),
         "Click a digit to see its reconstruction; drag the probe into the gaps between the AE's clusters: it "
         "decodes to smudges, the VAE's space has no such holes.", latent, explain=True)
    stop(p1, "Observation models p(x | z)", "Latent space",
         math("\\text{Bernoulli: } \\log p(x \\mid z) = \\sum_i x_i \\log p_i + (1 - x_i) \\log(1 - p_i)\n\\text{Gaussian: } \\log p(x \\mid z) = -\\frac{\\|x - \\mu\\|^2}{2\\sigma^2} + \\text{const}",
         "Bernoulli pixels or a Gaussian: σ² weighs reconstruction against the KL."),
         "Switch the observation model to Gaussian in the settings and press Train from scratch: the VAE's "
         "codes spread or collapse with σ².", latent)
    stop(p1, "Sampling: z ∼ N(0, I) through the decoder", "Samples",
         math("z \\sim \\mathcal{N}(0, I), \\quad x \\sim p_\\theta(x \\mid z)",
         "A VAE is a generative model: draw z from the prior and decode. An AE has no prior to draw from."),
         "The grid of decoded samples and the manifold of the 2-D code space; lower the temperature τ for "
         "cleaner, less varied digits, or press Resample.", {**latent, **part("Samples")})
    stop(p1, "The ELBO is a lower bound", "Bounds",
         math("\\log p(x) \\geq \\mathbb{E}_q\\left[\\log p(x \\mid z)\\right] - \\mathrm{KL}\\left(q(z \\mid x) \\,\\|\\, p(z)\\right) = L_1",
         "Equality holds when q(z | x) = p(z | x)."),
         "L_1 for every held-out digit of the VAE trained with K = 5, next to the tighter bounds.", bounds,
         explain=True)
    stop(p1, "Importance-weighted bounds L_1 ≤ L_5 ≤ … ≤ log p(x)", "Bounds",
         math("L_K = \\mathbb{E}\\left[\\log \\frac{1}{K} \\sum_{k=1}^K \\frac{p(x, z_k)}{q(z_k \\mid x)}\\right], \\quad z_k \\sim q(z \\mid x)\nL_1 \\leq L_5 \\leq \\ldots \\leq \\log p(x)",
         "More samples, a tighter bound (Burda et al. 2016)."),
         "The bounds rise with K towards log p(x) (estimated by quadrature over the 2-D code space).", bounds)
    stop(p1, "Score function vs reparametrisation", "Gradient estimators",
         math("\\nabla_\\mu \\mathbb{E}_q\\left[f(z)\\right] = \\mathbb{E}_q\\left[f(z)\\, \\nabla_\\mu \\log q(z)\\right]\n= \\mathbb{E}_\\epsilon\\left[\\nabla_\\mu f(\\mu + L \\epsilon)\\right], \\quad \\epsilon \\sim \\mathcal{N}(0, I)",
         "Score function (top) and reparametrisation (bottom): z = μ + Lε with L the Cholesky factor of Σ = L Lᵀ."),
         "1,000 estimates of ∇_μ from each estimator (middle) and gradient ascent with each (right): the "
         "reparametrised cloud is far tighter. Press Redraw for new draws.",
         part("Gradient estimators"), explain=True)
    stop(p1, "The same on a real encoder", "Encoder gradients",
         "The ELBO's gradient with respect to the encoder's weights, by both estimators, on MNIST.",
         "Press Train both: the same VAE trained with each estimator; the score-function run's gradient-norm "
         "spread is orders of magnitude larger and its ELBO lags.", part("Encoder gradients"))

    p2 = "2 · d-separation"
    stop(p2, "A chain: x3 ⊥⊥ x1 | x2", "d-separation",
         math("x_1 \\to x_2 \\to x_3 \\text{:} \\quad x_3 \\indep x_1 \\mid x_2",
         "Observing the middle node blocks the path."),
         "Click x2 out of C and ask again: the path opens.", dsep(CHAIN, ["x1"], ["x3"], ["x2"]))
    stop(p2, "A fork: a common cause", "d-separation",
         math("x \\gets m \\to y \\text{:} \\quad x \\indep y \\mid m",
         "x and y are dependent, and independent given m."),
         "The path is blocked at the observed tail-to-tail node m.", dsep(FORK, ["x"], ["y"], ["m"]))
    stop(p2, "A collider and its descendant", "d-separation",
         math("x \\to m \\gets y \\text{:} \\quad x \\indep y, \\quad \\text{but not given } m \\text{ or } d",
         "Independent causes become dependent once m, or a descendant d of m, is observed."),
         "With d in C the collider opens; take d out and the answer becomes 'independent'.",
         dsep(COLLIDER_DESC, ["x"], ["y"], ["d"]))
    stop(p2, "The recipe", "d-separation",
         math("A \\indep B \\mid C \\iff \\text{every path between } A \\text{ and } B \\text{ is blocked by } C",
         "A path is blocked by C when it has a chain or fork whose middle node is in C, or a collider that is not in C and has no descendant in C."),
         "Every path is listed with the node and the rule that blocks it (or why it is open).",
         dsep(COLLIDER_DESC, ["x"], ["y"], []), explain=True)
    stop(p2, "Bishop, Fig. 8.22", "d-separation",
         "a ⊥⊥ b | c? No: c is a descendant of the collider e. a ⊥⊥ b | f? Yes: f blocks the fork.",
         "Swap c for f in C and ask again.", dsep(BISHOP, ["a"], ["b"], ["c"]))
    stop(p2, "Soundness and completeness", "d-separation",
         "Sound: if A and B are d-separated by C, A ⊥⊥ B | C in every distribution that factorises over the DAG. "
         "Complete: if not, they are dependent in some such distribution.",
         "Draw your own graph (double-click to add a node, drag between nodes for an arrow) and ask.",
         dsep(BISHOP, ["a"], ["b"], ["f"]))
    stop(p2, "Seeing is not doing: do(x)", "d-separation",
         math("p\\left(y \\mid \\mathrm{do}(x)\\right) = p(y) \\neq p(y \\mid x)",
         "An intervention do(x) sets x from outside, cutting the arrows into x. In x ← m → y, observing x tells us about y; setting x does not: x ⊥⊥ y in the graph after do(x)."),
         "Untick do(A) to compare with merely observing x: the chain through m opens again.",
         dsep(FORK, ["x"], ["y"], [], do_a=True))

    p3 = "3 · From VAEs to hierarchical VAEs to diffusion"
    stop(p3, "The DAG of a VAE", "d-separation",
         math("p(x, z) = p(z)\\, p(x \\mid z), \\qquad q(z \\mid x)",
         "Generative: z → x. Inference: x → z."),
         "One latent layer; the next stops stack them.", dsep(VAE_TWO, ["z"], ["x"], []))
    stop(p3, "A hierarchical VAE", "Hierarchical VAE",
         math("p(x, z_1, z_2) = p(z_2)\\, p(z_1 \\mid z_2)\\, p(x \\mid z_1)\n\\mathrm{ELBO} = \\mathbb{E}_q\\left[\\log p(x \\mid z_1)\\right] - \\mathrm{KL}_{z_1} - \\mathrm{KL}_{z_2}",
         "Two layers of latents; the ELBO splits into a reconstruction and one KL term per layer."),
         "The two code spaces of a trained two-layer VAE, its ELBO split into three terms, and samples drawn "
         "top to bottom.", hvae, explain=True)
    stop(p3, "The HVAE's DAG: z₂ ⊥⊥ x | z₁", "d-separation",
         math("z_2 \\indep x \\mid z_1",
         "Given z₁, the image does not depend on z₂: the chain z₂ → z₁ → x is blocked at z₁."),
         "The same recipe as in part 2.", dsep(HVAE, ["z2"], ["x"], ["z1"]))
    stop(p3, "Diffusion: a hierarchical VAE with fixed noising", "Diffusion",
         math("q(x_t \\mid x_{t-1}) = \\mathcal{N}\\left(\\sqrt{1 - \\beta_t}\\, x_{t-1}, \\beta_t I\\right)\nq(x_t \\mid x_0) = \\mathcal{N}\\left(\\sqrt{\\bar\\alpha_t}\\, x_0, (1 - \\bar\\alpha_t) I\\right), \\quad \\bar\\alpha_t = \\prod_{s \\leq t} (1 - \\beta_s)",
         "The encoder is fixed, T layers of latents, q(x_t | x_0) in closed form."),
         "Drag t: the data dissolve into N(0, I).", diffusion(0), explain=True)
    stop(p3, "Diffusion as a chain", "d-separation",
         "x_T → … → x_1 → x_0: each step depends only on the one before.",
         "x_T ⊥⊥ x_0 | x_2: the chain is blocked at any observed step.",
         dsep(DIFFUSION, ["x_T"], ["x_0"], ["x_2"]))
    stop(p3, "Learning the reverse", "Diffusion",
         math("p_\\theta(x_{t-1} \\mid x_t) = \\mathcal{N}\\left(\\mu_\\theta(x_t, t), \\sigma_t^2 I\\right)",
         "μ_θ comes from a network ε_θ(x_t, t) trained to predict the noise."), "Run the reverse chain step by step from pure noise back to the data.",
         diffusion(1, toy_model="ddpm-2d.json"), hide=CLASSROOM)
    stop(p3, "The diffusion ELBO", "Diffusion",
         math("-\\mathrm{ELBO} = \\sum_t \\mathrm{KL}\\left(q(x_{t-1} \\mid x_t, x_0) \\,\\|\\, p_\\theta(x_{t-1} \\mid x_t)\\right) + \\ldots",
         "One KL term per layer, as in the HVAE."),
         "The terms per step t: most of the bound is spent near the data.", diffusion(3))
    stop(p3, "Diffusion on digits", "Diffusion",
         "The same chain with a small U-Net for ε_θ on 28 × 28 images.", "Sample digits from noise.",
         diffusion(2))

    p4 = "4 · Exact likelihood: flows and autoregressive models"
    stop(p4, "Normalising flows: change of variables", "Flows",
         math("x = f(z), \\; z \\sim \\mathcal{N}(0, I) \\text{:} \\quad \\log p(x) = \\log p\\left(f^{-1}(x)\\right) + \\log \\left|\\det \\frac{\\partial f^{-1}}{\\partial x}\\right|",
         "An invertible map of a simple density: the likelihood is exact."),
         "Two flows trained on two moons: the density each one learned.", flows, hide_settings=True)
    stop(p4, "Coupling layers and their inverse", "Flows",
         math("y_1 = x_1, \\quad y_2 = x_2 \\odot \\exp\\left(s(x_1)\\right) + t(x_1)\nx_1 = y_1, \\quad x_2 = \\left(y_2 - t(y_1)\\right) \\odot \\exp\\left(-s(y_1)\\right)\n\\log \\left|\\det \\frac{\\partial y}{\\partial x}\\right| = \\sum s(x_1)",
         "RealNVP: the layer (top), its inverse (middle) and its log-determinant (bottom), each one pass of s and t."), "Step through the layers: each moves one coordinate given the other.", flows,
         explain=True, hide=CLASSROOM)
    stop(p4, "Residual flows: Lipschitz < 1", "Flows",
         math("f(x) = x + g(x), \\quad \\operatorname{Lip}(g) < 1\n\\log \\left|\\det \\frac{\\partial f}{\\partial x}\\right| = \\sum_{k \\geq 1} \\frac{(-1)^{k+1}}{k} \\operatorname{tr}\\left(J_g^k\\right)",
         "Invertible by fixed-point iteration when Lip(g) < 1; the log-determinant by a power series."),
         "Lower the Lipschitz bound and train from scratch: the density becomes smoother, less sharp.", flows)
    stop(p4, "Autoregressive models: the chain rule", "Autoregressive",
         math("p(x) = \\prod_i p(x_i \\mid x_{<i})",
         "Exact likelihood, pixel by pixel (MADE masks one network to do it)."),
         "Sampling a digit one pixel at a time.", made, explain=True)
    stop(p4, "Completions", "Autoregressive",
         "Hide the bottom of a held-out digit and sample the rest from p(x_i | x_<i).",
         "Several completions of the same top half.",
         part("Autoregressive", page="Digits", hidden_units=100, hide_bottom=True, made="made.json"),
         hide=CLASSROOM)
    stop(p4, "WaveNet: dilated causal convolutions", "Autoregressive",
         math("R = 1 + \\sum_l (k - 1)\\, d_l",
         "Each output sees only the past; dilations 1, 2, 4, … grow the receptive field exponentially."),
         "Train on a signal and sample it forwards; change the dilations.", wavenet)

    stop("Wrap-up", "Which model fits the digits best?", "Leaderboard",
         "Held-out negative log-likelihood of each family on the same binarised digits, for the same training "
         "time (bounds for the latent-variable models, exact values for MADE).",
         "Press Run the leaderboard to train every family for the same time (about four minutes).", part("Leaderboard"))

    lecture = {"format": "latent-lab lecture", "version": 1,
               "title": "Deep generative models: VAEs and beyond", "stops": stops}
    print(json.dumps(lecture, indent=2, ensure_ascii=False))


main()

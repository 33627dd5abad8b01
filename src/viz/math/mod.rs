//! Typeset formulas: a TeX subset ([`parse`]) laid out in boxes as TeX does ([`layout`], both pure) and drawn
//! with egui's painter in DejaVu Serif ([`paint`]).
//!
//! Why hand-written: the formulas of the lecture need fractions, scripts, big operators, radicals, stretched
//! brackets and accents, nothing more. The pure-Rust alternatives either build far more than that (typst: a
//! whole document compiler, several minutes on CI's two cores on top of burn) or are unmaintained and need
//! OpenType MATH fonts (ReX); KaTeX and MathJax need a JavaScript engine. A few hundred lines on egui's painter
//! build offline in seconds, draw in both themes with the UI's own text colour, and scale with the UI.

pub mod layout;
pub mod paint;
pub mod parse;

pub use layout::{Item, Layout, Measure, layout};
pub use paint::{formula_lines, plain_lines};
pub use parse::{Face, MathError, Node, parse};

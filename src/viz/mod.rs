//! Visual helpers shared by the lessons: colours and fonts.

pub mod fonts;
pub mod heatmap;
pub mod palette;
pub mod scatter;
pub mod widgets;

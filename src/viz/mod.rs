//! Visual helpers shared by the lessons: colours and fonts.

pub mod colormap;
pub mod export;
pub mod fonts;
pub mod gpu_heatmap;
pub mod palette;
pub mod scatter;
pub mod widgets;

//! Visual helpers shared by the lessons: colours, fonts, textures and tiles, exports, and pure shapes (brush, ellipses).

pub mod colormap;
pub mod export;
pub mod fonts;
pub mod gpu_heatmap;
pub mod hover;
pub mod math;
pub mod palette;
pub mod scatter;
pub mod shapes;
pub mod widgets;

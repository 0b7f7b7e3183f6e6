//! Drawing blocks the views share, free of `App`: they take exactly what they draw.

pub mod chart;
pub mod editor;
pub mod layout;
pub mod log;
pub mod sparkline;

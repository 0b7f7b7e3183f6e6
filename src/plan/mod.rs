//! The study plan: curriculum parsing (Markdown → [`Plan`]), sync into SQLite by
//! stable id, schedule arithmetic and progress queries.

pub mod embedded;
pub mod model;
pub mod parse;
pub mod progress;
pub mod schedule;
pub mod sync;

pub use model::{Item, ItemKind, Plan, Step, NOMINAL_WEEKS};
pub use parse::{load_dir, parse_step, ParseError};
pub use schedule::Schedule;

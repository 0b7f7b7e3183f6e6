//! labbook: a terminal lab notebook for a 10–12 week research-role preparation plan.
//!
//! Domain modules (`store`, `plan`, `papers`, `notes`, `deliverables`) know nothing of
//! the terminal; `tui` renders their state and `cli` exposes them for scripting.

pub mod app;
pub mod audio;
pub mod cards;
pub mod cli;
pub mod config;
pub mod deliverables;
pub mod eval;
pub mod exp;
pub mod export;
pub mod models;
pub mod nn;
pub mod notes;
pub mod overview;
pub mod papers;
pub mod plan;
pub mod protocol;
pub mod rt;
pub mod runs;
pub mod store;
pub mod tui;
pub mod turn;
pub mod util;
pub mod vad;

//! The terminal UI, laid out by what each part holds. Dependencies point one way,
//! from the top of this list down:
//!
//! - `runner/`: the event loop and all I/O — carries out effects, reports back as messages
//! - `views/`, `widgets/`: rendering, a pure function of the state
//! - `state/`: `App` and its update function `App::handle(msg) -> Vec<Effect>`
//! - `model/`: the Runs and Cards tabs' state, the editor, a run's log
//! - `keymap/`, `action`: every key as an action, by scope; the help and hint bar
//! - `theme`: styles by meaning
//!
//! Beside them: `turn_view` and `audio_view`, the live views of `labbook demo
//! turn-taking` and `labbook audio view`, and `bench`, the TUI's own benchmarks.

pub mod action;
pub mod audio_view;
pub mod bench;
pub mod keymap;
pub mod model;
pub mod runner;
pub mod state;
pub mod theme;
pub mod turn_view;
pub mod views;
pub mod widgets;

pub use runner::load::{load_cards, refresh_runs_view};
pub use runner::{restore_terminal, run, setup_terminal, Term};

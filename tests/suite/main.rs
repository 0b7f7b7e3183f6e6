//! The integration tests, as one test binary: each module was a file of its own under
//! `tests/`, and each file was a binary that linked Candle and the whole library again.
//! `cargo test --test suite runs::` runs one module; `tests/cuda.rs` stays a binary of
//! its own, built only with `--features cuda`.
//!
//! All modules run as threads of one process: a test never changes process-wide state
//! (environment variables, the working directory); what a `labbook` child needs goes to
//! that child's command (see `common`).

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod audio;
mod cards;
mod cli;
mod curriculum;
mod encodings;
mod eval;
mod export;
mod lm;
mod papers;
mod rt;
mod runs;
mod silero;
mod slurm;
mod store;
mod tui;
mod turn;
mod vad;

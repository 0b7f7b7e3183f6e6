//! The default curriculum, compiled into the binary so `labbook` works from any
//! directory. `--curriculum DIR` (or `curriculum_dir` in the config) replaces it.

use super::model::Plan;
use super::parse::{parse_sources, ParseError};

pub const FILES: &[(&str, &str)] = &[
    (
        "01-foundations.md",
        include_str!("../../curriculum/01-foundations.md"),
    ),
    (
        "02-speech-basics.md",
        include_str!("../../curriculum/02-speech-basics.md"),
    ),
    (
        "03-turn-taking-realtime.md",
        include_str!("../../curriculum/03-turn-taking-realtime.md"),
    ),
    (
        "04-multimodal.md",
        include_str!("../../curriculum/04-multimodal.md"),
    ),
    (
        "05-agents-rl.md",
        include_str!("../../curriculum/05-agents-rl.md"),
    ),
    (
        "06-datasets-evaluation.md",
        include_str!("../../curriculum/06-datasets-evaluation.md"),
    ),
    (
        "07-writing-portfolio.md",
        include_str!("../../curriculum/07-writing-portfolio.md"),
    ),
    (
        "08-interview-prep.md",
        include_str!("../../curriculum/08-interview-prep.md"),
    ),
];

pub fn plan() -> Result<Plan, ParseError> {
    parse_sources(FILES.iter().map(|(n, t)| (*n, *t)))
}

/// The reading list, imported on first start.
pub const CATALOG: &str = include_str!("../../papers/catalog.bib");

//! The default question bank, compiled into the binary so `labbook` works from any
//! directory. `--questions DIR` (or `questions_dir` in the config) replaces it.

use super::bank::{parse_sources, Bank, ParseError};

/// (file name, text) of every built-in question file.
pub const FILES: &[(&str, &str)] = &[
    (
        "agents-memory.md",
        include_str!("../../data/questions/agents-memory.md"),
    ),
    (
        "asr-architectures.md",
        include_str!("../../data/questions/asr-architectures.md"),
    ),
    ("coding.md", include_str!("../../data/questions/coding.md")),
    (
        "contrastive.md",
        include_str!("../../data/questions/contrastive.md"),
    ),
    ("design.md", include_str!("../../data/questions/design.md")),
    (
        "latency.md",
        include_str!("../../data/questions/latency.md"),
    ),
    (
        "mm-embeddings.md",
        include_str!("../../data/questions/mm-embeddings.md"),
    ),
    (
        "research.md",
        include_str!("../../data/questions/research.md"),
    ),
    (
        "transformers.md",
        include_str!("../../data/questions/transformers.md"),
    ),
    (
        "tts-architectures.md",
        include_str!("../../data/questions/tts-architectures.md"),
    ),
    (
        "vad-turn-taking.md",
        include_str!("../../data/questions/vad-turn-taking.md"),
    ),
];

/// How errors name a built-in file.
pub fn shown(name: &str) -> String {
    format!("data/questions/{name}")
}

pub fn bank() -> Result<Bank, ParseError> {
    let shown: Vec<(String, &str, &str)> = FILES.iter().map(|(n, t)| (shown(n), *n, *t)).collect();
    parse_sources(shown.iter().map(|(s, n, t)| (*n, s.as_str(), *t)))
}

//! The Candle experiments, each runnable as `labbook exp NAME --param k=v …`.
//! Each one lands with its own issue; until then it is listed here as not built, and
//! running it says so instead of pretending.

pub mod encodings;
pub mod lm;
pub mod params;
pub mod turn;
pub mod vad;

/// (name, what it is, built?)
pub const EXPERIMENTS: &[(&str, &str, bool)] = &[
    (
        "lm",
        "decoder-only transformer language model with attention variants",
        true,
    ),
    (
        "vad",
        "voice activity detector trained on the synthetic speech set",
        true,
    ),
    ("turn", "end-of-turn detector from VAD and prosody", true),
    (
        "latency",
        "real-time turn-taking loop: end of speech → end-of-turn decision → first answer sample",
        true,
    ),
    ("asr", "tiny CTC speech recogniser", false),
    ("retrieval", "contrastive audio-text retrieval", false),
    (
        "encodings",
        "three audio encodings compared on one task",
        true,
    ),
];

/// Whether an experiment exists and is built.
pub fn status(name: &str) -> Option<bool> {
    EXPERIMENTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, b)| *b)
}

/// `labbook exp NAME`: run an experiment in the foreground.
pub fn run(name: &str, params: &[String]) -> anyhow::Result<()> {
    if name == "lm" {
        return lm::run(params);
    }
    if name == "latency" {
        return crate::rt::demo::run(params);
    }
    if name == "encodings" || name == "audio-embed" {
        return encodings::run(params);
    }
    if name == "vad" {
        return vad::run(params);
    }
    if name == "turn" {
        return turn::run(params);
    }
    match status(name) {
        None => anyhow::bail!(
            "no experiment `{name}` (experiments: {})",
            EXPERIMENTS
                .iter()
                .map(|(n, _, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(false) => anyhow::bail!("the `{name}` experiment is not built yet; nothing was run"),
        Some(true) => anyhow::bail!("the `{name}` experiment has no runner in this build"),
    }
}

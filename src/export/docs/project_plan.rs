//! The project plan of the end-to-end real-time speech-to-speech pipeline: its
//! stages, milestones, latency targets and what the runs show so far.

use rusqlite::Connection;

use super::proposal::to_write;
use super::Sources;
use crate::export::{cell, code, code_block, Citations, NoteText};
use crate::runs::query::{self, RunRow};

/// The pipeline's stages: name, plan items, labbook projects.
pub const S2S_STAGES: &[(&str, &[&str], &[&str])] = &[
    (
        "Audio in and voice activity detection",
        &["s3.vad", "s3.silero-vad", "s3.vad-demo"],
        &["vad"],
    ),
    (
        "Turn-taking (end of turn, barge-in)",
        &["s3.turn-prediction", "s3.barge-in", "s3.turn-detector"],
        &["turn"],
    ),
    (
        "Streaming ASR",
        &["s2.ctc", "s2.whisper", "s2.whisper-ft"],
        &["asr-ctc", "whisper-finetune"],
    ),
    (
        "Dialogue LLM with memory",
        &["s5.simple-agent", "s5.agent-memory", "s5.rag-memory"],
        &["agent", "agent-memory"],
    ),
    (
        "Expressive TTS",
        &["s2.tts-build", "s4.expressive-tts"],
        &["tts", "expressive-tts"],
    ),
    (
        "Latency instrumentation",
        &["s3.latency", "s3.latency-pipeline", "s6.s2s-latency"],
        &["latency"],
    ),
    ("Data and evaluation", &["s6.s2s-dataset"], &["s2s-dataset"]),
];

/// Milestones of the pipeline, in order.
pub const S2S_MILESTONES: &[&str] = &[
    "s7.s2s-skeleton",
    "d.turn-taking-demo",
    "s7.s2s-integrate",
    "d.s2s-pipeline",
];

/// Latency targets of a real-time voice agent: the end-of-turn decision within 300 ms of
/// the end of speech (against the 500 ms silence windows of OpenAI's server VAD and
/// LiveKit's endpointing) and voice-to-voice p95 under 800 ms.
const LATENCY_TARGETS: &[(&str, &str, f64)] = &[
    (
        "end-of-turn decision after speech ends",
        "eot_decision_ms",
        300.0,
    ),
    ("voice-to-voice p50", "v2v_p50_ms", f64::NAN),
    ("voice-to-voice p95", "v2v_p95_ms", 800.0),
    ("voice-to-voice p99", "v2v_p99_ms", f64::NAN),
];

pub fn project_plan(conn: &Connection, src: &Sources) -> anyhow::Result<String> {
    let mut cites = Citations::default();
    let mut s = format!(
        "# Project plan: a real-time conversational speech-to-speech pipeline\n\n*Exported by labbook on {} · from the plan items {} and your notes and runs*\n\n",
        src.today,
        S2S_MILESTONES.iter().map(|m| code(m)).collect::<Vec<_>>().join(", ")
    );
    let all_items: Vec<&str> = S2S_MILESTONES
        .iter()
        .copied()
        .chain(S2S_STAGES.iter().flat_map(|s| s.1.iter().copied()))
        .collect();
    let notes = src.notes_on(&all_items);
    let how = "Write it in a note attached to one of the milestone items (`labbook note add --item d.s2s-pipeline --title \"S2S plan\" --edit`) under a heading with this name.";
    // Goal.
    s.push_str("## Goal\n\n");
    if let Some((_, i)) = src.item("d.s2s-pipeline") {
        s.push_str(&format!(
            "{} (the plan's deliverable {}).\n\n",
            i.title,
            code(&i.id)
        ));
        if !i.detail.trim().is_empty() {
            for l in i.detail.lines().filter(|l| !l.trim().is_empty()) {
                s.push_str(&format!("- {}\n", l.trim().trim_start_matches("- ")));
            }
            s.push('\n');
        }
    }
    let goals: Vec<String> = notes
        .iter()
        .flat_map(|n| n.matching(&["goal", "scope", "motivation"]))
        .collect();
    if goals.is_empty() {
        s.push_str(&to_write(
            "your own scope: the conversation it should hold, the hardware it runs on, and what \"real time\" means for you in numbers",
            how,
        ));
    } else {
        for g in goals {
            s.push_str(&cites.render(&g));
            s.push_str("\n\n");
        }
    }
    // Architecture.
    s.push_str("## Architecture\n\n");
    s.push_str(&code_block(
        "text",
        "microphone / WAV at real-time pace\n  → VAD (speech / non-speech per 32 ms)\n  → turn detector (hold or shift at each pause; barge-in)\n  → streaming ASR (partial and final transcripts)\n  → dialogue LLM + memory (streamed tokens)\n  → expressive TTS (streamed audio chunks)\n  → speaker\n  (every stage timestamps its events for the latency table)",
    ));
    s.push_str("\n| stage | plan items | projects | best result so far |\n|---|---|---|---|\n");
    for (stage, items, projects) in S2S_STAGES {
        let its: Vec<String> = items
            .iter()
            .filter(|i| src.item(i).is_some())
            .map(|i| format!("{} {}", src.mark(i), code(i)))
            .collect();
        let mut best = Vec::new();
        for p in projects.iter() {
            if let Some((r, key, v, _)) = src.best_run(conn, p)? {
                best.push(format!(
                    "{p}: {key} {} ({})",
                    crate::util::fmt::value(Some(v)),
                    code(&r.id)
                ));
            }
        }
        s.push_str(&format!(
            "| {stage} | {} | {} | {} |\n",
            its.join(", "),
            projects
                .iter()
                .map(|p| code(p))
                .collect::<Vec<_>>()
                .join(", "),
            if best.is_empty() {
                "no completed run yet".to_string()
            } else {
                best.join("; ")
            }
        ));
    }
    s.push('\n');
    let arch: Vec<String> = notes
        .iter()
        .flat_map(|n| n.matching(&["architecture", "design"]))
        .collect();
    for a in arch {
        s.push_str(&cites.render(&a));
        s.push_str("\n\n");
    }
    // Milestones.
    s.push_str("## Milestones\n\n| item | title | due | status |\n|---|---|---|---|\n");
    for m in S2S_MILESTONES {
        let Some((st, i)) = src.item(m) else { continue };
        let due = src.sched.due(st, i);
        let status = match src.done.get(*m) {
            Some(d) => format!("done {d}"),
            None if due < src.today => {
                format!("**overdue** ({} days)", (src.today - due).num_days())
            }
            None => "open".to_string(),
        };
        s.push_str(&format!(
            "| {} | {} | {due} | {status} |\n",
            code(m),
            cell(&i.title)
        ));
    }
    s.push('\n');
    // Latency budget.
    s.push_str("## Latency budget\n\nTargets from voice agents in production (500 ms endpointing; a voice-to-voice p95 under 800 ms); report p50/p95/p99 per stage.\n\n| measure | target | best measured |\n|---|---:|---:|\n");
    let latency_runs: Vec<&RunRow> = src
        .runs
        .iter()
        .filter(|r| r.status == crate::runs::Status::Completed)
        .collect();
    for (label, key, target) in LATENCY_TARGETS {
        let mut best: Option<(f64, String)> = None;
        for r in &latency_runs {
            if let Some(v) = query::summaries(conn, r.rowid)?
                .into_iter()
                .find(|m| m.key == *key)
                .and_then(|m| m.last)
                .filter(|v| v.is_finite())
            {
                if best.as_ref().is_none_or(|(b, _)| v < *b) {
                    best = Some((v, r.id.clone()));
                }
            }
        }
        s.push_str(&format!(
            "| {label} (`{key}`) | {} | {} |\n",
            if target.is_nan() {
                "report".to_string()
            } else {
                format!("≤ {target:.0} ms")
            },
            match best {
                Some((v, id)) => format!("{v:.0} ms ({})", code(&id)),
                None => "not measured yet".into(),
            }
        ));
    }
    s.push_str("\nMeasure with `labbook run start latency` (the latency project) once the loop runs end to end.\n\n");
    // Risks.
    s.push_str("## Risks and failure cases\n\n");
    let risks: Vec<String> = notes
        .iter()
        .flat_map(|n| n.matching(&["risk", "failure"]))
        .collect();
    if risks.is_empty() {
        s.push_str(&to_write(
            "the failure cases you expect or saw (talking over the user, missed turns, slow replies) and what caused each",
            how,
        ));
    } else {
        for r in risks {
            s.push_str(&cites.render(&r));
            s.push_str("\n\n");
        }
    }
    // Other notes on these items.
    let other: Vec<&NoteText> = notes
        .iter()
        .filter(|n| {
            n.matching(&[
                "goal",
                "scope",
                "motivation",
                "architecture",
                "design",
                "risk",
                "failure",
            ])
            .is_empty()
        })
        .collect();
    if !other.is_empty() {
        s.push_str("## Notes\n\n");
        for n in other {
            s.push_str(&format!(
                "### {}\n\n{}\n\n",
                n.title.trim(),
                cites.render(&n.whole())
            ));
        }
    }
    let bib = cites.bibliography(conn)?;
    if !bib.is_empty() {
        s.push_str("## References\n\n");
        s.push_str(&bib);
    }
    Ok(s)
}

//! The curriculum: the built-in plan's coverage, the parser's errors (file and line),
//! and sync by stable id (progress survives edits; removed items are archived).

use std::collections::HashSet;

use labbook::plan::{self, embedded, parse_step, ItemKind};
use labbook::store::Store;

#[test]
fn built_in_plan_has_eight_steps_with_their_weeks() {
    let plan = embedded::plan().unwrap();
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"]);
    let weeks: Vec<(u32, u32)> = plan
        .steps
        .iter()
        .map(|s| (s.week_from, s.week_to))
        .collect();
    assert_eq!(
        weeks,
        [
            (1, 2),
            (3, 4),
            (5, 6),
            (7, 8),
            (9, 9),
            (10, 10),
            (1, 12),
            (11, 12)
        ]
    );
    for s in &plan.steps {
        assert!(!s.title.is_empty() && !s.summary.is_empty(), "{}", s.id);
        assert!(s.items.len() >= 8, "{} has {} items", s.id, s.items.len());
    }
}

#[test]
fn built_in_plan_covers_the_study_plan() {
    let plan = embedded::plan().unwrap();
    let text = |id: &str| {
        plan.steps
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .items
            .iter()
            .map(|i| format!("{} {} {}", i.kind.as_str(), i.title, i.detail).to_lowercase())
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Every topic, resource, paper, hands-on item and deliverable the seed plan names.
    let expect: &[(&str, &[&str])] = &[
        (
            "s1",
            &[
                "numpy",
                "scipy",
                "pandas",
                "jupyterhub",
                "gpu",
                "pytorch",
                "linear algebra",
                "probability",
                "optimi",
                "multi-head attention",
                "positional encoding",
                "decoder",
                "encoder",
                "fine-tuning",
                "pretraining",
                "dive into deep learning",
                "cs224n",
                "hugging face",
                "from scratch",
                "small language model",
                "rotary",
            ],
        ),
        (
            "s2",
            &[
                "spectrogram",
                "mel",
                "ctc",
                "seq2seq",
                "rnn-t",
                "tacotron",
                "fastspeech",
                "vits",
                "speech-to-speech",
                "pitch",
                "energy",
                "rhythm",
                "whisper",
                "hubert",
                "wav2vec",
                "glow-tts",
                "fine-tune a whisper",
                "embeddings",
            ],
        ),
        (
            "s3",
            &[
                "silero",
                "webrtc",
                "latency",
                "turn-taking",
                "barge-in",
                "emotion",
                "style",
                "voice cloning",
                "turn-taking detector",
                "latency measurement",
                "silence",
            ],
        ),
        (
            "s4",
            &[
                "omni",
                "gpt-4o",
                "direct",
                "clap",
                "audioclip",
                "memory",
                "fine-tuning multimodal",
                "seamlessm4t",
                "retrieval",
                "contrastive",
                "audio conditioning",
                "speaker identity",
            ],
        ),
        (
            "s5",
            &[
                "rlhf",
                "dpo",
                "orpo",
                "art",
                "retrieval-augmented memory",
                "next-action",
                "tool",
                "self-correction",
                "react",
                "voyager",
                "autogen",
                "llama-agents",
                "langchain",
                "pipecat",
                "vector",
                "reward",
            ],
        ),
        (
            "s6",
            &[
                "dataset",
                "noise",
                "reverb",
                "speed",
                "emotional-tone",
                "controlled experiment",
                "wer",
                "cer",
                "mos",
                "pesq",
                "stoi",
                "latency",
                "embedding quality",
                "speech-to-speech dataset",
                "baseline",
                "encoding methods",
            ],
        ),
        (
            "s7",
            &[
                "research-style report",
                "end-to-end",
                "github",
                "notebook",
                "blog",
            ],
        ),
        (
            "s8",
            &[
                "transformers",
                "asr",
                "tts",
                "vad",
                "latency",
                "agentic",
                "memory",
                "contrastive",
                "multimodal embeddings",
                "mock interview",
                "research language",
                "case stud",
            ],
        ),
    ];
    for (step, words) in expect {
        let t = text(step);
        for w in *words {
            assert!(t.contains(w), "step {step} does not mention `{w}`");
        }
    }
    let delivs: Vec<&str> = plan
        .items()
        .filter(|(_, i)| i.kind == ItemKind::Deliverable)
        .map(|(_, i)| i.id.as_str())
        .collect();
    for d in [
        "d.whisper-finetune",
        "d.expressive-tts",
        "d.turn-taking-demo",
        "d.audio-language",
        "d.memory-agent",
        "d.reports",
        "d.portfolio",
        "d.s2s-pipeline",
    ] {
        assert!(delivs.contains(&d), "deliverable {d} missing");
    }
}

#[test]
fn every_catalog_paper_is_cited_and_every_citation_resolves() {
    let plan = embedded::plan().unwrap();
    let entries = labbook::papers::bib::parse("catalog.bib", embedded::CATALOG).unwrap();
    let keys: HashSet<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    let cited: HashSet<&str> = plan
        .items()
        .flat_map(|(_, i)| i.refs.iter().map(String::as_str))
        .collect();
    for k in &cited {
        assert!(
            keys.contains(k),
            "curriculum cites `{k}`, which is not in papers/catalog.bib"
        );
    }
    for k in &keys {
        assert!(
            cited.contains(k),
            "catalog entry `{k}` is not cited by any plan step"
        );
    }
}

fn err_of(name: &str) -> labbook::plan::ParseError {
    let path = format!(
        "{}/tests/fixtures/curriculum/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    parse_step(name, &text).unwrap_err()
}

#[test]
fn malformed_files_name_file_and_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("no-heading.md", 1, "step heading"),
        ("no-weeks.md", 1, "weeks"),
        ("bad-weeks.md", 1, "weeks=3-14"),
        ("unknown-section.md", 5, "unknown section `Homework`"),
        ("missing-id.md", 7, "no id"),
        ("duplicate-id.md", 6, "duplicate id `s9.a`"),
        ("week-outside.md", 5, "outside the step's weeks"),
        ("bad-attr.md", 5, "unknown item attribute `due`"),
        ("list-outside.md", 3, "list outside a section"),
        ("checkbox.md", 5, "checkboxes"),
        ("two-steps.md", 6, "second level-1 heading"),
        ("duplicate-section.md", 7, "appears twice"),
        ("numbered.md", 5, "numbered lists"),
        ("prose-in-section.md", 5, "text outside a list item"),
        ("stray-attrs.md", 5, "must end the item's first paragraph"),
        ("heading-class.md", 1, "heading classes"),
    ];
    for (file, line, msg) in cases {
        let e = err_of(file);
        assert_eq!(e.file, *file);
        assert_eq!(e.line, *line, "{file}: {e}");
        assert!(
            e.message.contains(msg),
            "{file}: `{}` lacks `{msg}`",
            e.message
        );
        assert!(
            e.to_string().starts_with(&format!("{file}:{line}: ")),
            "{e}"
        );
    }
}

#[test]
fn items_carry_groups_attributes_citations_and_detail() {
    let src = "# Test step {#t weeks=2-3}\n\nSummary line.\n\n## Topics\n\n### Group A\n- `t.a` First item [@k1] — note {week=2 hours=1.5}\n  - sub point\n\n  A paragraph.\n- `t.b` Second [@k2; @k3] {project=lm}\n\n## Notes\n\nProse only.\n";
    let s = parse_step("t.md", src).unwrap();
    assert_eq!(s.summary, "Summary line.");
    assert_eq!(s.items.len(), 2);
    let a = &s.items[0];
    assert_eq!(a.title, "First item — note");
    assert_eq!(a.group.as_deref(), Some("Group A"));
    assert_eq!(a.week, Some(2));
    assert_eq!(a.hours, Some(1.5));
    assert_eq!(a.refs, vec!["k1"]);
    assert_eq!(a.detail, "- sub point\nA paragraph.");
    assert_eq!(a.line, 8);
    let b = &s.items[1];
    assert_eq!(b.refs, vec!["k2", "k3"]);
    assert_eq!(b.project.as_deref(), Some("lm"));
    assert_eq!(b.title, "Second");
}

#[test]
fn duplicate_ids_across_files_are_reported() {
    let a = "# A {#a weeks=1-1}\n\n## Topics\n- `x.same` one\n";
    let b = "# B {#b weeks=2-2}\n\n## Topics\n\n- `x.same` two\n";
    let e = plan::parse::parse_sources([("a.md", a), ("b.md", b)]).unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("b.md", 5));
    assert!(e.message.contains("a.md:4"), "{e}");
}

#[test]
fn sync_keeps_progress_archives_removed_and_restores_returning_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db")).unwrap();
    let v1 = "# S {#s weeks=1-2}\n\n## Topics\n- `s.a` Alpha\n- `s.b` Beta\n- `s.c` Gamma\n";
    let p1 = plan::parse::parse_sources([("s.md", v1)]).unwrap();
    let r = plan::sync::sync(&mut store.conn, &p1).unwrap();
    assert_eq!(r.added, ["s.a", "s.b", "s.c"]);
    plan::progress::set_done(&store.conn, "s.a", true).unwrap();
    plan::progress::set_done(&store.conn, "s.c", true).unwrap();
    // Edit: retitle a, drop c, add d, reorder.
    let v2 = "# S {#s weeks=1-2}\n\nNew summary.\n\n## Topics\n- `s.d` Delta\n- `s.a` Alpha, rewritten\n- `s.b` Beta\n";
    let p2 = plan::parse::parse_sources([("s.md", v2)]).unwrap();
    let r = plan::sync::sync(&mut store.conn, &p2).unwrap();
    assert_eq!(r.added, ["s.d"]);
    assert_eq!(r.archived, ["s.c"]);
    assert!(r.updated.contains(&"s.a".to_string()));
    let done = plan::progress::done_map(&store.conn).unwrap();
    assert!(
        done.contains_key("s.a"),
        "editing the text never loses a checked box"
    );
    let loaded = plan::progress::load_plan(&store.conn).unwrap();
    let titles: Vec<&str> = loaded.steps[0]
        .items
        .iter()
        .map(|i| i.title.as_str())
        .collect();
    assert_eq!(titles, ["Delta", "Alpha, rewritten", "Beta"]);
    let archived: Option<String> = store
        .conn
        .query_row("SELECT archived_at FROM items WHERE id = 's.c'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        archived.is_some(),
        "removed items are archived, not deleted"
    );
    assert!(plan::progress::set_done(&store.conn, "s.c", false)
        .unwrap_err()
        .to_string()
        .contains("archived"));
    // c comes back: restored with its progress.
    let p3 = plan::parse::parse_sources([("s.md", v1)]).unwrap();
    let r = plan::sync::sync(&mut store.conn, &p3).unwrap();
    assert_eq!(r.restored, ["s.c"]);
    assert!(plan::progress::done_map(&store.conn)
        .unwrap()
        .contains_key("s.c"));
    // A no-op sync changes nothing.
    let r = plan::sync::sync(&mut store.conn, &p3).unwrap();
    assert_eq!(
        (
            r.added.len(),
            r.updated.len(),
            r.archived.len(),
            r.unchanged
        ),
        (0, 0, 0, 3)
    );
}

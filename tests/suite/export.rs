//! Exports on a fixture database with three weeks of realistic use (plan progress,
//! papers read and summarised, notes citing papers, runs with metric series, a run
//! that left audio): every document is exported through the CLI with a pinned date,
//! snapshotted (insta), parsed back with pulldown-cmark, and its images, tables, best
//! marks and baseline deltas are checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use labbook::app::Context;
use labbook::runs::{self, Exit, GitInfo, RunMeta, SupervisorRecord};
use pulldown_cmark::{Event, Options as MdOptions, Parser, Tag, TagEnd};

use crate::common::{context, date, lb_on};

const TODAY: &str = "2026-12-17";

/// `labbook` on the fixture's day, a week after the other tests' (`common::TODAY`).
fn lb(dir: &Path) -> assert_cmd::Command {
    lb_on(dir, TODAY)
}

struct RunFx {
    id: &'static str,
    project: &'static str,
    params: &'static [(&'static str, &'static str)],
    created: &'static str,
    code: i32,
    /// Final validation loss the curve decays to.
    floor: f64,
    wav: bool,
    tags: &'static [&'static str],
    extra: &'static [(&'static str, f64)],
}

const RUNS: &[RunFx] = &[
    RunFx {
        id: "20261209-100000-attn-learned-a1b2",
        project: "attention-compare",
        params: &[("position", "learned"), ("seed", "1337"), ("steps", "300")],
        created: "2026-12-09T10:00:00Z",
        code: 0,
        floor: 1.50,
        wav: false,
        tags: &[],
        extra: &[],
    },
    RunFx {
        id: "20261214-110000-attn-rope-c3d4",
        project: "attention-compare",
        params: &[("position", "rope"), ("seed", "1337"), ("steps", "300")],
        created: "2026-12-14T11:00:00Z",
        code: 0,
        floor: 1.35,
        wav: true,
        tags: &["best"],
        extra: &[],
    },
    RunFx {
        id: "20261215-120000-attn-alibi-e5f6",
        project: "attention-compare",
        params: &[("position", "alibi"), ("seed", "1337"), ("steps", "300")],
        created: "2026-12-15T12:00:00Z",
        code: 0,
        floor: 1.40,
        wav: false,
        tags: &[],
        extra: &[],
    },
    RunFx {
        id: "20261216-090000-latency-loop-0a0b",
        project: "latency",
        params: &[("chunk_ms", "32")],
        created: "2026-12-16T09:00:00Z",
        code: 0,
        floor: 0.0,
        wav: false,
        tags: &[],
        extra: &[
            ("eot_decision_ms", 280.0),
            ("v2v_p50_ms", 610.0),
            ("v2v_p95_ms", 870.0),
            ("v2v_p99_ms", 1120.0),
        ],
    },
    RunFx {
        id: "20261216-150000-lm-crash-9f9f",
        project: "lm",
        params: &[("lr", "0.01")],
        created: "2026-12-16T15:00:00Z",
        code: 1,
        floor: 2.5,
        wav: false,
        tags: &[],
        extra: &[],
    },
];

fn write_run(root: &Path, f: &RunFx) {
    let dir = root.join(f.id);
    std::fs::create_dir_all(&dir).unwrap();
    let params: BTreeMap<String, serde_json::Value> = f
        .params
        .iter()
        .map(|(k, v)| {
            let j = v
                .parse::<i64>()
                .map(serde_json::Value::from)
                .or_else(|_| v.parse::<f64>().map(serde_json::Value::from))
                .unwrap_or_else(|_| serde_json::Value::from(*v));
            (k.to_string(), j)
        })
        .collect();
    let command = if f.project == "latency" {
        "labbook exp latency --param chunk_ms=32".to_string()
    } else {
        format!(
            "labbook exp lm {}",
            f.params
                .iter()
                .map(|(k, v)| format!("--param {k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let meta = RunMeta {
        id: f.id.into(),
        name: f.project.into(),
        project: Some(f.project.into()),
        argv: command.split(' ').map(String::from).collect(),
        command,
        cwd: PathBuf::from("/home/me/lab"),
        params,
        seed: Some(1337),
        git: Some(GitInfo {
            commit: "4f1c2a9e0b7d5c3a1f2e4d6c8b0a9f7e5d3c1b2a".into(),
            branch: Some("main".into()),
            dirty: false,
        }),
        host: "lab-box".into(),
        cpu: "AMD EPYC 7B13 (2 cores)".into(),
        gpu: None,
        labbook_version: "0.1.0".into(),
        created_at: f.created.into(),
        backend: "local".into(),
        ..Default::default()
    };
    runs::write_json(&dir.join(runs::META), &meta).unwrap();
    let t0 = chrono::DateTime::parse_from_rfc3339(f.created)
        .unwrap()
        .timestamp() as f64;
    runs::write_json(
        &dir.join(runs::SUPERVISOR),
        &SupervisorRecord {
            supervisor_pid: 1,
            pid: 2,
            pgid: 2,
            start_ticks: 1,
            supervisor_ticks: 1,
            boot_id: "x".into(),
            started_at: t0,
        },
    )
    .unwrap();
    let mut out = String::from("starting\n");
    if f.project == "latency" {
        let rec: serde_json::Map<String, serde_json::Value> = f
            .extra
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
        out.push_str(&format!("{}\n", serde_json::Value::Object(rec)));
    } else {
        let last = if f.code == 0 { 300 } else { 120 };
        for step in (0..=last).step_by(10) {
            let s = step as f64;
            let loss = f.floor + 2.7 * (-s / 60.0).exp();
            let mut rec = serde_json::json!({"step": step, "loss": loss - 0.05, "tokens_per_s": 9000.0 + f.floor * 100.0, "time": t0 + s});
            if step % 50 == 0 {
                rec["val_loss"] = serde_json::json!(loss);
                rec["val_loss_long"] = serde_json::json!(loss + 0.3 * f.floor);
            }
            out.push_str(&format!("{rec}\n"));
        }
    }
    out.push_str("done\n");
    std::fs::write(dir.join(runs::STDOUT), out).unwrap();
    std::fs::write(
        dir.join(runs::STDERR),
        if f.code == 0 {
            ""
        } else {
            "Traceback: NaN loss\n"
        },
    )
    .unwrap();
    runs::write_json(
        &dir.join(runs::EXIT),
        &Exit {
            code: Some(f.code),
            at: t0 + 600.0,
            ..Default::default()
        },
    )
    .unwrap();
    if f.wav {
        let sr = 16_000u32;
        let x: Vec<f32> = (0..sr as usize / 2)
            .map(|i| {
                let t = i as f64 / sr as f64;
                (0.3 * (2.0 * std::f64::consts::PI * 180.0 * t).sin()) as f32
            })
            .collect();
        std::fs::create_dir_all(dir.join("samples")).unwrap();
        labbook::audio::write_wav_f32(dir.join("samples").join("sample.wav"), &x, 1, sr).unwrap();
    }
}

fn note(
    ctx: &Context,
    title: &str,
    body: &str,
    item: Option<&str>,
    run: Option<&str>,
    paper: Option<&str>,
    at: &str,
) {
    let n = labbook::notes::create(
        &ctx.store.conn,
        &ctx.notes_dir,
        &labbook::notes::NewNote {
            title: title.into(),
            body: body.into(),
            item: item.map(String::from),
            run: run.map(String::from),
            paper: paper.map(String::from),
        },
    )
    .unwrap();
    ctx.store
        .conn
        .execute(
            "UPDATE notes SET created_at = ?2, updated_at = ?2 WHERE id = ?1",
            rusqlite::params![n.id, at],
        )
        .unwrap();
}

/// A data directory after three weeks of the plan.
fn fixture() -> (tempfile::TempDir, Context) {
    let d = tempfile::tempdir().unwrap();
    let mut ctx = context(d.path(), TODAY);
    labbook::plan::progress::save_schedule(
        &ctx.store.conn,
        &labbook::plan::Schedule::new(date("2026-11-30"), 12).unwrap(),
    )
    .unwrap();
    for (id, at) in [
        ("s1.numpy", "2026-12-01T09:00:00Z"),
        ("s1.scipy", "2026-12-02T09:00:00Z"),
        ("s1.pytorch", "2026-12-04T09:00:00Z"),
        ("s1.attention", "2026-12-08T09:00:00Z"),
        ("s1.attention-compare", "2026-12-15T18:00:00Z"),
        ("s7.repo-setup", "2026-12-14T10:00:00Z"),
        ("s2.spectrogram", "2026-12-16T10:00:00Z"),
    ] {
        labbook::plan::progress::set_done(&ctx.store.conn, id, true).unwrap();
        ctx.store
            .conn
            .execute(
                "UPDATE items SET done_at = ?2 WHERE id = ?1",
                rusqlite::params![id, at],
            )
            .unwrap();
    }
    for (key, status, rating, notes, at) in [
        (
            "vaswani2017attention",
            labbook::papers::Status::Summarised,
            Some(5),
            Some("Self-attention alone, with positions added to the input, matches recurrent models at a fraction of the training cost. Sinusoids were meant to extrapolate."),
            "2026-12-15T20:00:00Z",
        ),
        ("su2021roformer", labbook::papers::Status::Read, Some(4), None, "2026-12-14T21:00:00Z"),
        ("press2022alibi", labbook::papers::Status::Read, None, None, "2026-12-10T21:00:00Z"),
        ("radford2023whisper", labbook::papers::Status::Reading, None, None, "2026-12-16T21:00:00Z"),
    ] {
        labbook::papers::update(
            &mut ctx.store.conn,
            key,
            &labbook::papers::PaperUpdate {
                status: Some(status),
                rating: rating.map(Some),
                notes: notes.map(String::from),
                ..Default::default()
            },
        )
        .unwrap();
        ctx.store
            .conn
            .execute(
                "UPDATE papers SET status_changed_at = ?2 WHERE key = ?1",
                rusqlite::params![key, at],
            )
            .unwrap();
    }
    labbook::deliverables::set_status(
        &ctx.store.conn,
        "d.reports",
        labbook::deliverables::DStatus::InProgress,
    )
    .unwrap();
    labbook::deliverables::link(
        &ctx.store.conn,
        "d.reports",
        "url",
        "https://example.org/report-1",
    )
    .unwrap();
    let root = runs::runs_dir(&ctx.data_dir);
    for f in RUNS {
        write_run(&root, f);
    }
    let mut ing = labbook::runs::ingest::Ingester::new(&root);
    ing.cycle(&mut ctx.store.conn).unwrap();
    for f in RUNS {
        if !f.tags.is_empty() {
            let r = labbook::runs::query::find(&ctx.store.conn, f.id).unwrap();
            let tags: Vec<String> = f.tags.iter().map(|t| t.to_string()).collect();
            labbook::runs::query::set_tags(&ctx.store.conn, &r, &tags, &[]).unwrap();
        }
    }
    note(
        &ctx,
        "Position schemes: write-up",
        "## Abstract\n\nDoes the way position enters a small character-level transformer change how well it models text and how it extrapolates? Rotary embeddings [@su2021roformer] beat learned absolute positions [@vaswani2017attention] on validation loss at equal cost.\n\n## Discussion\n\nRoPE and ALiBi [@press2022alibi] both generalise to twice the training context far better than learned positions. One seed per scheme only: the ranking between RoPE and ALiBi is within what seeds could change.\n",
        Some("s1.attention-compare"),
        None,
        None,
        "2026-12-15T19:00:00Z",
    );
    note(
        &ctx,
        "RoPE run observations",
        "The RoPE run's validation loss kept falling after the others flattened; see [[Position schemes: write-up]].\n\n## Throughput\n\nNo measurable cost in tokens per second.",
        None,
        Some("20261214-110000-attn-rope-c3d4"),
        None,
        "2026-12-14T18:00:00Z",
    );
    note(
        &ctx,
        "Whisper reading notes",
        "Weak supervision at 680k hours buys robustness rather than in-domain accuracy.",
        None,
        None,
        Some("radford2023whisper"),
        "2026-12-16T21:30:00Z",
    );
    note(
        &ctx,
        "Research proposal: prosody-aware turn-taking",
        "## Title\n\nDo prosodic cues cut false interruptions in a streaming turn detector?\n\n## Motivation\n\nSilence thresholds cut users off mid-thought; voice agents wait 500 ms and still interrupt.\n\n## Research question\n\nDoes adding F0 and energy to a VAP-style model [@ekstedt2022vap] lower false cut-offs at a fixed 300 ms latency?\n\n## Method\n\nTrain the turn detector with and without prosodic features on the same data and seeds.\n",
        None,
        None,
        None,
        "2026-12-16T20:00:00Z",
    );
    note(
        &ctx,
        "S2S pipeline plan",
        "## Goal\n\nA voice loop that holds a five-minute conversation on a laptop CPU with a voice-to-voice p95 under 800 ms.\n\n## Risks\n\nThe LLM's first token dominates latency; talking over the user when the turn detector fires early.\n",
        Some("d.s2s-pipeline"),
        None,
        None,
        "2026-12-16T22:00:00Z",
    );
    (d, ctx)
}

/// The exported text with the temporary directory replaced (stable snapshots).
fn stable(text: &str, d: &Path) -> String {
    text.replace(&d.display().to_string(), "[DATA]")
}

fn md_opts() -> MdOptions {
    MdOptions::ENABLE_TABLES
}

/// Every image the Markdown links, as written.
fn images(md: &str) -> Vec<String> {
    Parser::new_ext(md, md_opts())
        .filter_map(|e| match e {
            Event::Start(Tag::Image { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

/// A parsed table cell: its text and whether it holds bold text.
#[derive(Debug, Clone, Default)]
struct Cell {
    text: String,
    bold: bool,
}

/// Tables under the `## heading` section, each as rows of cells (header first).
fn tables_after(md: &str, heading: &str) -> Vec<Vec<Vec<Cell>>> {
    let mut out = Vec::new();
    let mut in_section = false;
    let mut in_heading = false;
    let mut head_text = String::new();
    let mut table: Option<Vec<Vec<Cell>>> = None;
    let mut bold = 0;
    for e in Parser::new_ext(md, md_opts()) {
        match e {
            Event::Start(Tag::Heading {
                level: pulldown_cmark::HeadingLevel::H2,
                ..
            }) => {
                in_heading = true;
                head_text.clear();
            }
            Event::End(TagEnd::Heading(pulldown_cmark::HeadingLevel::H2)) => {
                in_heading = false;
                in_section = head_text == heading;
            }
            Event::Start(Tag::Table(_)) if in_section => table = Some(Vec::new()),
            Event::End(TagEnd::Table) => {
                if let Some(t) = table.take() {
                    out.push(t);
                }
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                if let Some(t) = table.as_mut() {
                    t.push(Vec::new());
                }
            }
            Event::Start(Tag::TableCell) => {
                if let Some(t) = table.as_mut() {
                    t.last_mut().unwrap().push(Cell::default());
                }
            }
            Event::Start(Tag::Strong) => bold += 1,
            Event::End(TagEnd::Strong) => bold -= 1,
            Event::Text(s) | Event::Code(s) => {
                if in_heading {
                    head_text.push_str(&s);
                }
                if let Some(c) = table
                    .as_mut()
                    .and_then(|t| t.last_mut())
                    .and_then(|r| r.last_mut())
                {
                    c.text.push_str(&s);
                    if bold > 0 {
                        c.bold = true;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn assert_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        text.starts_with("<svg"),
        "{} does not start with <svg",
        path.display()
    );
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not well-formed XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
}

#[test]
fn research_report_with_figures_table_best_and_deltas() {
    let (d, _ctx) = fixture();
    let out = d.path().join("report-attn");
    lb(d.path())
        .args([
            "export",
            "report",
            "--project",
            "attention-compare",
            "--baseline",
            "a1b2",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    insta::assert_snapshot!("report_attention_compare", stable(&md, d.path()));
    // Every linked image exists and is an SVG document.
    let imgs = images(&md);
    assert!(
        imgs.iter().any(|i| i.starts_with("figures/curves-")),
        "{imgs:?}"
    );
    assert!(
        imgs.iter().any(|i| i == "figures/compare-val-loss.svg"),
        "{imgs:?}"
    );
    assert!(
        imgs.iter().any(|i| i == "figures/final-val-loss.svg"),
        "{imgs:?}"
    );
    assert!(
        imgs.iter()
            .any(|i| i.starts_with("figures/spectrogram-r2-")),
        "{imgs:?}"
    );
    for i in &imgs {
        assert!(!i.starts_with('/'), "relative links only: {i}");
        assert_svg(&out.join(i));
    }
    // The results table: the three runs, RoPE (R2) best on val_loss, deltas vs R1.
    let tables = tables_after(&md, "Results");
    let t = &tables[0];
    let header: Vec<&str> = t[0].iter().map(|c| c.text.as_str()).collect();
    assert_eq!(header[0], "run");
    let col = header
        .iter()
        .position(|h| h.starts_with("val_loss "))
        .unwrap();
    let rows: Vec<&str> = t[1..].iter().map(|r| r[0].text.as_str()).collect();
    assert_eq!(rows, ["R1 (baseline)", "R2", "R3"]);
    assert!(
        t[2][col].bold,
        "RoPE has the lowest final val_loss: {:?}",
        t[2][col]
    );
    assert!(!t[1][col].bold && !t[3][col].bold);
    // Final val_loss = floor + 2.7 e^{-300/60}: deltas are the floors' differences.
    let decay = 2.7 * (-5.0f64).exp();
    assert!(
        t[1][col].text.starts_with(&format!("{:.4}", 1.50 + decay)),
        "{:?}",
        t[1][col]
    );
    assert!(
        t[2][col].text.contains("(-0.1500, -") && t[3][col].text.contains("(-0.1000, -"),
        "{:?} {:?}",
        t[2][col],
        t[3][col]
    );
    // tokens_per_s is higher-is-better: the learned run (largest floor) has it.
    let tps = header
        .iter()
        .position(|h| h.starts_with("tokens_per_s"))
        .unwrap();
    assert!(t[1][tps].bold && !t[2][tps].bold);
    // The differing parameter is listed, the crashed lm run is not in the report.
    let setup = tables_after(&md, "Setup");
    assert!(setup
        .iter()
        .any(|t| t[0].iter().any(|c| c.text == "position")));
    assert!(!md.contains("lm-crash"));
    // Notes: abstract and discussion from the note on the plan item; observations
    // from the run's note; citations numbered and resolved in the bibliography.
    assert!(md.contains("Does the way position enters"));
    assert!(
        md.contains("[1] beat learned absolute positions [2]"),
        "{md}"
    );
    assert!(md.contains("RoPE run observations"));
    assert!(
        md.contains("1. Jianlin Su, et al. (2024). *RoFormer"),
        "{md}"
    );
    // Reproducibility: each command exactly as stored, with its commit.
    assert!(md.contains("labbook exp lm --param position=rope --param seed=1337 --param steps=300"));
    assert!(md.contains("git checkout 4f1c2a9e0b7d5c3a1f2e4d6c8b0a9f7e5d3c1b2a"));
}

#[test]
fn report_refuses_to_overwrite_and_names_bad_input() {
    let (d, _ctx) = fixture();
    let out = d.path().join("mine");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("thesis.md"), "my own text").unwrap();
    lb(d.path())
        .args([
            "export",
            "report",
            "--project",
            "attention-compare",
            "--out",
        ])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicates::str::contains("is not empty"));
    assert!(!out.join("report.md").exists());
    // --force writes the report's files and leaves the user's alone.
    lb(d.path())
        .args([
            "export",
            "report",
            "--project",
            "attention-compare",
            "--force",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(out.join("thesis.md")).unwrap(),
        "my own text"
    );
    // With no --baseline, the default is the oldest run (none is tagged `baseline`).
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| R1 (baseline) |"));
    let fresh = |name: &str| d.path().join(name);
    lb(d.path())
        .args(["export", "report", "--project", "nope", "--out"])
        .arg(fresh("a"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("no project `nope`"));
    lb(d.path())
        .args(["export", "report", "--project", "vad", "--out"])
        .arg(fresh("b"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("no finished runs"));
    lb(d.path())
        .args([
            "export",
            "report",
            "--project",
            "attention-compare",
            "--runs",
            "a1b2,c3d4",
            "--baseline",
            "e5f6",
            "--out",
        ])
        .arg(fresh("c"))
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "not one of the runs given with --runs",
        ));
    lb(d.path())
        .args([
            "export",
            "report",
            "--project",
            "attention-compare",
            "--runs",
            "a1b2,0a0b",
            "--out",
        ])
        .arg(fresh("d"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("belongs to project `latency`"));
    // Two runs chosen explicitly: only those in the table.
    lb(d.path())
        .args([
            "export",
            "report",
            "--project",
            "attention-compare",
            "--runs",
            "c3d4,e5f6",
            "--out",
        ])
        .arg(fresh("e"))
        .assert()
        .success();
    let md = std::fs::read_to_string(fresh("e").join("report.md")).unwrap();
    let t = &tables_after(&md, "Results")[0];
    assert_eq!(t.len(), 3, "{md}");
    assert!(md.contains("20261214-110000-attn-rope-c3d4") && !md.contains("attn-learned"));
}

#[test]
fn progress_report_for_the_current_and_a_past_week() {
    let (d, _ctx) = fixture();
    let out = lb(d.path())
        .args(["export", "progress", "--out", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("progress_week3", md);
    let done = &tables_after(&md, "Done this week")[0];
    let ids: Vec<&str> = done[1..].iter().map(|r| r[0].text.as_str()).collect();
    assert_eq!(
        ids,
        ["s7.repo-setup", "s1.attention-compare", "s2.spectrogram"]
    );
    let papers = &tables_after(&md, "Papers read and summarised")[0];
    let keys: Vec<&str> = papers[1..].iter().map(|r| r[0].text.as_str()).collect();
    assert_eq!(keys, ["su2021roformer", "vaswani2017attention"]);
    let runs = &tables_after(&md, "Runs")[0];
    assert_eq!(runs.len(), 1 + 4, "the week's four runs");
    assert!(runs.iter().any(|r| r[2].text.starts_with("failed")));
    // Week 2, as of its last day: the learned run, ALiBi paper, s1.attention done.
    let f = d.path().join("progress-w2.md");
    lb(d.path())
        .args(["export", "progress", "--week", "2", "--out"])
        .arg(&f)
        .assert()
        .success();
    let md2 = std::fs::read_to_string(&f).unwrap();
    assert!(md2.contains("as of 2026-12-13"));
    assert!(md2.contains("`s1.attention`") && md2.contains("`press2022alibi`"));
    assert!(md2.contains("attn-learned") && !md2.contains("attn-rope"));
    // An existing file is not replaced without --force; a bad week is named.
    lb(d.path())
        .args(["export", "progress", "--week", "2", "--out"])
        .arg(&f)
        .assert()
        .failure()
        .stderr(predicates::str::contains("already exists; pass --force"));
    lb(d.path())
        .args(["export", "progress", "--week", "13", "--out", "-"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "week 13 is outside the plan (1–12",
        ));
}

#[test]
fn schedule_roadmap_proposal_and_project_plan() {
    let (d, _ctx) = fixture();
    let get = |args: &[&str]| {
        let out = lb(d.path())
            .args(args)
            .args(["--out", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let sched = get(&["export", "schedule", "--week", "3"]);
    insta::assert_snapshot!("schedule_week3", sched);
    assert!(sched.contains("### Thu 2026-12-17") && sched.contains("· today"));
    let full = get(&["export", "schedule"]);
    for w in 1..=12 {
        assert!(full.contains(&format!("## Week {w} —")), "week {w}");
    }
    assert!(full.contains("[x] `s1.numpy`"));

    let road = get(&["export", "roadmap"]);
    insta::assert_snapshot!("roadmap", road);
    assert!(road.contains("<https://arxiv.org/abs/1706.03762>"));
    assert!(road.contains("labbook run sweep attention-compare"));
    assert!(road.contains("Best so far: val_loss"));
    // Every step of the plan has its section.
    for s in 1..=8 {
        assert!(road.contains(&format!("## s{s} — ")), "step s{s}");
    }

    let prop = get(&["export", "proposal"]);
    insta::assert_snapshot!("proposal", prop);
    assert!(prop.starts_with("# Do prosodic cues cut false interruptions"));
    assert!(prop.contains("Silence thresholds cut users off"));
    // Sections without notes say what to write instead of inventing it.
    let eval = prop.split("## Evaluation").nth(1).unwrap();
    assert!(eval.trim_start().starts_with("*To write:"), "{eval}");
    assert!(
        prop.contains("| `attention-compare` |"),
        "preliminary results from runs"
    );

    let plan = get(&["export", "project-plan"]);
    insta::assert_snapshot!("project_plan", plan);
    assert!(plan.contains("five-minute conversation"));
    assert!(plan.contains("| voice-to-voice p95 (`v2v_p95_ms`) | ≤ 800 ms | 870 ms"));
    // Every stage and milestone names items that exist in the built-in plan.
    let ctx = context(d.path(), TODAY);
    let p = ctx.plan().unwrap();
    for id in labbook::export::docs::S2S_STAGES
        .iter()
        .flat_map(|s| s.1.iter())
        .chain(labbook::export::docs::S2S_MILESTONES)
    {
        assert!(
            p.items().any(|(_, i)| i.id == *id),
            "{id} is not in the plan"
        );
    }
    // An empty data directory: the proposal is all "To write", nothing invented.
    let e = tempfile::tempdir().unwrap();
    let out = lb(e.path())
        .args(["export", "proposal", "--out", "-"])
        .output()
        .unwrap();
    let empty = String::from_utf8(out.stdout).unwrap();
    assert_eq!(empty.matches("*To write:").count(), 9, "{empty}");
    // Markdown of every document parses and links nothing missing.
    for md in [&sched, &road, &prop, &plan] {
        assert!(images(md).is_empty());
        assert!(Parser::new_ext(md, md_opts()).count() > 10);
    }
}

#[test]
fn tui_compare_view_exports_a_report() {
    use labbook::tui::action::Action;
    use labbook::tui::keymap::Keymap;
    use labbook::tui::state::{App, Data, Effect};
    let (d, ctx) = fixture();
    let mut a = App::new(Data::load(&ctx).unwrap(), Keymap::default_map());
    labbook::tui::refresh_runs_view(&mut a, &ctx).unwrap();
    a.handle(Action::Tab(4));
    // Not in the compare view: the key explains itself and does nothing.
    assert_eq!(a.handle(Action::ExportReport), vec![]);
    assert!(
        a.status.as_deref().unwrap_or("").contains("compare"),
        "{:?}",
        a.status
    );
    let ids: Vec<String> = [
        "20261209-100000-attn-learned-a1b2",
        "20261215-120000-attn-alibi-e5f6",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for id in &ids {
        a.runs.marked.insert(id.clone());
    }
    assert!(matches!(
        &a.handle(Action::Compare)[..],
        [Effect::LoadCompare(_)]
    ));
    let fx = a.handle(Action::ExportReport);
    assert_eq!(fx, vec![Effect::ExportReport(ids.clone())]);
    // The runner's work: a fresh directory under <data dir>/reports/.
    let w = labbook::export::report::write_comparison(
        &ctx.store.conn,
        &ctx.data_dir,
        date(TODAY),
        &ids,
    )
    .unwrap();
    assert_eq!(
        w.markdown,
        d.path()
            .join("reports/2026-12-17-attention-compare/report.md")
    );
    let w2 = labbook::export::report::write_comparison(
        &ctx.store.conn,
        &ctx.data_dir,
        date(TODAY),
        &ids,
    )
    .unwrap();
    assert_eq!(
        w2.markdown,
        d.path()
            .join("reports/2026-12-17-attention-compare-2/report.md"),
        "a second export never overwrites the first"
    );
    let md = std::fs::read_to_string(&w.markdown).unwrap();
    for i in images(&md) {
        assert_svg(&w.markdown.parent().unwrap().join(i));
    }
}

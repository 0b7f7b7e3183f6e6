//! The research report of a project's runs: `report.md` with title, abstract and
//! discussion from the user's notes, the set-up (parameters that differ, code version,
//! hardware), a results table (runs × final metric values, best marked, deltas against
//! a baseline run), SVG figures in `figures/`, a bibliography of the cited papers and
//! the exact commands that reproduce each run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::NaiveDate;
use rusqlite::Connection;

mod figures;
mod markdown;

use super::{goal_of, NoteText};
use crate::runs::project::{Goal, Project};
use crate::runs::query::{self, Comparison, RunRow};
use crate::runs::{self, RunMeta};

/// What to report on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportSpec {
    /// The project; `None` only for a comparison of runs from the TUI that share none.
    pub project: Option<String>,
    /// Run ids (or unique parts of ids); empty: every finished run of the project.
    pub runs: Vec<String>,
    /// The run deltas are measured against (default: the run tagged `baseline`,
    /// else the oldest).
    pub baseline: Option<String>,
    pub title: Option<String>,
}

/// One column of the results table.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricCol {
    pub key: String,
    pub goal: Option<Goal>,
    /// Indices of the runs with the best final value (ties share it).
    pub best: Vec<usize>,
}

/// A WAV file found in a run directory, analysed for a spectrogram figure.
pub struct Spectrogram {
    pub run: usize,
    pub wav: PathBuf,
    pub file: String,
    pub analysis: crate::audio::view::Analysis,
}

/// Everything the report shows, gathered from the store and the run directories.
pub struct Report {
    pub title: String,
    pub today: NaiveDate,
    pub project: Option<Project>,
    pub cmp: Comparison,
    pub baseline: usize,
    pub metrics: Vec<MetricCol>,
    pub metas: Vec<Option<RunMeta>>,
    pub notes: Vec<NoteText>,
    pub spectrograms: Vec<Spectrogram>,
    /// Things the reader should know that are not errors (an unreadable WAV file).
    pub warnings: Vec<String>,
    /// Metric series per run, for the figures: `series[run][key]`.
    pub series: Vec<BTreeMap<String, Vec<(f64, f64)>>>,
}

/// A figure to write beside the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Path relative to the report directory (`figures/…svg`).
    pub file: String,
    pub caption: String,
    pub svg: String,
}

/// What `write` produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub markdown: PathBuf,
    pub figures: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

/// Most figures of each kind (a report with 40 plots is not read).
const MAX_COMPARE_FIGS: usize = 4;
const MAX_BAR_FIGS: usize = 4;
const MAX_SPECTROGRAMS: usize = 6;

fn pick_runs(
    conn: &Connection,
    spec: &ReportSpec,
    project: Option<&Project>,
) -> anyhow::Result<Vec<RunRow>> {
    let name = project.map(|p| p.manifest.name.as_str());
    let mut list: Vec<RunRow> = if spec.runs.is_empty() {
        let Some(name) = name else {
            bail!("give the runs to report on, or a project");
        };
        let mut v: Vec<RunRow> = query::list(conn)?
            .into_iter()
            .filter(|r| r.project.as_deref() == Some(name) && !r.status.is_active())
            .collect();
        if v.is_empty() {
            bail!("project `{name}` has no finished runs to report on (see `labbook run list --project {name}`)");
        }
        v.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.rowid.cmp(&b.rowid)));
        v
    } else {
        let mut v = Vec::new();
        for id in &spec.runs {
            let r = query::find(conn, id.trim())?;
            if let (Some(want), Some(has)) = (name, r.project.as_deref()) {
                if want != has {
                    bail!(
                        "run {} belongs to project `{has}`, not `{want}`; leave it out or report on `{has}`",
                        r.id
                    );
                }
            }
            if v.iter().any(|x: &RunRow| x.id == r.id) {
                bail!("run {} is listed twice", r.id);
            }
            v.push(r);
        }
        v
    };
    if let Some(b) = &spec.baseline {
        let r = query::find(conn, b.trim())?;
        if !list.iter().any(|x| x.id == r.id) {
            if spec.runs.is_empty() {
                bail!(
                    "baseline {} is not a finished run of project `{}`",
                    r.id,
                    name.unwrap_or("-")
                );
            }
            bail!(
                "baseline {} is not one of the runs given with --runs; add it there",
                r.id
            );
        }
    }
    list.dedup_by(|a, b| a.id == b.id);
    Ok(list)
}

/// Gather a report. `today` dates it (the hidden `--today` pins it in tests).
pub fn build(
    conn: &Connection,
    data_dir: &Path,
    today: NaiveDate,
    spec: &ReportSpec,
) -> anyhow::Result<Report> {
    let project = spec
        .project
        .as_deref()
        .map(|p| crate::runs::project::find(data_dir, p))
        .transpose()?;
    let list = pick_runs(conn, spec, project.as_ref())?;
    let cmp = Comparison::load(conn, list)?;
    let baseline = match &spec.baseline {
        Some(b) => {
            let r = query::find(conn, b.trim())?;
            cmp.runs.iter().position(|x| x.id == r.id).unwrap_or(0)
        }
        None => {
            let tagged: Vec<usize> = (0..cmp.runs.len())
                .filter(|&i| cmp.runs[i].tags.iter().any(|t| t == "baseline"))
                .collect();
            if tagged.len() == 1 {
                tagged[0]
            } else {
                0
            }
        }
    };
    let manifest = project.as_ref().map(|p| &p.manifest);
    // Columns: the primary metric, the project's metrics, then the rest as found.
    let mut keys: Vec<String> = Vec::new();
    if let Some(m) = manifest {
        for k in m.primary_metric.iter().chain(m.metrics.iter()) {
            if cmp.keys.contains(k) && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    for k in &cmp.keys {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    let metrics = keys
        .into_iter()
        .map(|key| {
            let goal = goal_of(&key, manifest);
            let best = best_runs(&cmp, &key, goal);
            MetricCol { key, goal, best }
        })
        .collect();
    let metas = cmp
        .runs
        .iter()
        .map(|r| runs::read_json::<RunMeta>(&r.dir.join(runs::META)).unwrap_or(None))
        .collect();
    let notes = project_notes(conn, &cmp, project.as_ref())?;
    let mut series = Vec::with_capacity(cmp.runs.len());
    for r in &cmp.runs {
        let mut m = BTreeMap::new();
        for s in cmp.summaries[series.len()].iter().filter(|s| s.count > 1) {
            let pts = query::series(conn, r.rowid, &s.key)?
                .into_iter()
                .map(|(step, _, v)| (step as f64, v))
                .collect();
            m.insert(s.key.clone(), pts);
        }
        series.push(m);
    }
    let mut warnings = Vec::new();
    let spectrograms = figures::spectrograms(&cmp, &mut warnings);
    let title = spec.title.clone().unwrap_or_else(|| match &project {
        Some(p) => p.manifest.title.clone(),
        None => format!("Comparison of {} runs", cmp.runs.len()),
    });
    Ok(Report {
        title,
        today,
        project,
        cmp,
        baseline,
        metrics,
        metas,
        notes,
        spectrograms,
        warnings,
        series,
    })
}

/// Final value of a metric for run `i` (the last point reported; NaN stays NaN).
fn final_value(cmp: &Comparison, i: usize, key: &str) -> Option<f64> {
    cmp.summary(i, key).map(|s| s.last.unwrap_or(f64::NAN))
}

fn best_runs(cmp: &Comparison, key: &str, goal: Option<Goal>) -> Vec<usize> {
    let Some(goal) = goal else {
        return Vec::new();
    };
    let vals: Vec<(usize, f64)> = (0..cmp.runs.len())
        .filter_map(|i| final_value(cmp, i, key).map(|v| (i, v)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    let best = vals.iter().map(|(_, v)| *v).reduce(|a, b| match goal {
        Goal::Min => a.min(b),
        Goal::Max => a.max(b),
    });
    match best {
        Some(b) => vals
            .iter()
            .filter(|(_, v)| *v == b)
            .map(|(i, _)| *i)
            .collect(),
        None => Vec::new(),
    }
}

/// Notes attached to the report's runs or to the project's plan items, oldest first.
fn project_notes(
    conn: &Connection,
    cmp: &Comparison,
    project: Option<&Project>,
) -> anyhow::Result<Vec<NoteText>> {
    let run_ids: BTreeSet<&str> = cmp.runs.iter().map(|r| r.id.as_str()).collect();
    let mut items: BTreeSet<String> = BTreeSet::new();
    if let Some(p) = project {
        items.extend(p.manifest.items.iter().cloned());
        let mut stmt = conn.prepare("SELECT id FROM items WHERE project = ?1")?;
        for id in stmt.query_map([&p.manifest.name], |r| r.get::<_, String>(0))? {
            items.insert(id?);
        }
    }
    let mut list: Vec<_> = crate::notes::list(conn)?
        .into_iter()
        .filter(|n| {
            n.run.as_deref().is_some_and(|r| run_ids.contains(r))
                || n.item.as_ref().is_some_and(|i| items.contains(i))
        })
        .collect();
    list.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    list.iter()
        .map(|n| crate::notes::get(conn, n.id).map(|n| NoteText::from_note(&n)))
        .collect()
}

/// `R1`, `R2`, … — how the report names its runs (the table maps them to ids).
pub fn run_label(i: usize) -> String {
    format!("R{}", i + 1)
}

/// `-0.0500 (-12.5%)` style difference from the baseline value.
pub fn delta(x: f64, base: f64) -> String {
    let d = x - base;
    let abs = if d != 0.0 && (d.abs() < 1e-3 || d.abs() >= 1e5) {
        format!("{d:+.3e}")
    } else {
        format!("{d:+.4}")
    };
    if base != 0.0 {
        format!("{abs}, {:+.1}%", d / base.abs() * 100.0)
    } else {
        abs
    }
}

fn fmt_epoch(t: f64) -> String {
    chrono::DateTime::from_timestamp(t as i64, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Build the report and write `report.md` and its figures into `out`.
pub fn write(
    conn: &Connection,
    data_dir: &Path,
    today: NaiveDate,
    spec: &ReportSpec,
    out: &Path,
    force: bool,
) -> anyhow::Result<Written> {
    // Check the target before the work, so a refusal is quick and touches nothing.
    if out.exists() && !force {
        super::prepare_dir(out, false)?;
    }
    let report = build(conn, data_dir, today, spec)?;
    let figures = report.figures();
    let md = report.markdown(&figures, conn)?;
    super::prepare_dir(out, force)?;
    let fig_dir = out.join("figures");
    if !figures.is_empty() || !report.spectrograms.is_empty() {
        std::fs::create_dir_all(&fig_dir)
            .with_context(|| format!("creating {}", fig_dir.display()))?;
    }
    let mut written = Vec::new();
    for f in &figures {
        let p = out.join(&f.file);
        crate::util::write_atomic(&p, f.svg.as_bytes())?;
        written.push(p);
    }
    for sp in &report.spectrograms {
        let p = out.join(&sp.file);
        let title = format!(
            "{}: {}",
            run_label(sp.run),
            sp.wav
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default()
        );
        crate::audio::view::write_svg(&sp.analysis, &p, &title)?;
        written.push(p);
    }
    let md_path = out.join("report.md");
    crate::util::write_atomic(&md_path, md.as_bytes())?;
    Ok(Written {
        markdown: md_path,
        figures: written,
        warnings: report.warnings,
    })
}

/// The report of a comparison made in the TUI: the runs' project when they share
/// one, the first run as baseline, into a fresh directory under `<data dir>/reports/`.
pub fn write_comparison(
    conn: &Connection,
    data_dir: &Path,
    today: NaiveDate,
    ids: &[String],
) -> anyhow::Result<Written> {
    if ids.is_empty() {
        bail!("no runs to report on");
    }
    let rows: Vec<RunRow> = ids
        .iter()
        .map(|i| query::find(conn, i))
        .collect::<anyhow::Result<_>>()?;
    let projects: BTreeSet<Option<&str>> = rows.iter().map(|r| r.project.as_deref()).collect();
    let project = match projects.iter().next() {
        Some(Some(p)) if projects.len() == 1 => Some(p.to_string()),
        _ => None,
    };
    let spec = ReportSpec {
        project: project.clone(),
        runs: rows.iter().map(|r| r.id.clone()).collect(),
        baseline: rows.first().map(|r| r.id.clone()),
        title: None,
    };
    let base = data_dir.join("reports");
    let stem = format!(
        "{}-{}",
        today.format("%Y-%m-%d"),
        project.as_deref().unwrap_or("compare")
    );
    let mut dir = base.join(&stem);
    let mut k = 2;
    while dir.exists() {
        dir = base.join(format!("{stem}-{k}"));
        k += 1;
    }
    write(conn, data_dir, today, &spec, &dir, false)
}

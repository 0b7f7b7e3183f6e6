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

use super::svg::{self, Bar, LineChart, Series};
use super::{cell, code, code_block, goal_of, goal_text, Citations, NoteText};
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
    let spectrograms = spectrograms(&cmp, &mut warnings);
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

/// WAV files a run left in its directory (or one level below), a few per run.
fn spectrograms(cmp: &Comparison, warnings: &mut Vec<String>) -> Vec<Spectrogram> {
    let mut out = Vec::new();
    for (i, r) in cmp.runs.iter().enumerate() {
        let mut wavs = Vec::new();
        collect_wavs(&r.dir, 0, &mut wavs);
        wavs.sort();
        for wav in wavs.into_iter().take(2) {
            if out.len() >= MAX_SPECTROGRAMS {
                return out;
            }
            match crate::audio::view::Analysis::from_wav(&wav, 80) {
                Ok(analysis) => {
                    let stem = wav
                        .file_stem()
                        .map(|s| crate::util::slug(&s.to_string_lossy()))
                        .unwrap_or_else(|| "audio".into());
                    out.push(Spectrogram {
                        run: i,
                        file: format!("figures/spectrogram-r{}-{stem}.svg", i + 1),
                        wav,
                        analysis,
                    });
                }
                Err(e) => warnings.push(format!(
                    "{}: no spectrogram ({e:#})",
                    wav.strip_prefix(&r.dir).unwrap_or(&wav).display()
                )),
            }
        }
    }
    out
}

fn collect_wavs(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && depth < 1 && !e.file_name().to_string_lossy().starts_with('.') {
            collect_wavs(&p, depth + 1, out);
        } else if ft.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")) {
            out.push(p);
        }
    }
}

/// `R1`, `R2`, … — how the report names its runs (the table maps them to ids).
pub fn run_label(i: usize) -> String {
    format!("R{}", i + 1)
}

impl Report {
    /// Figure label of a run: `R2 · lr=0.003` (the parameters that differ).
    fn legend(&self, i: usize) -> String {
        let r = &self.cmp.runs[i];
        let p: Vec<String> = self
            .cmp
            .differing
            .iter()
            .filter_map(|k| r.params.get(k).map(|v| format!("{k}={}", runs::plain(v))))
            .collect();
        if p.is_empty() {
            run_label(i)
        } else {
            format!("{} · {}", run_label(i), p.join(" "))
        }
    }

    /// The figures, in the order the report shows them.
    pub fn figures(&self) -> Vec<Figure> {
        let mut figs = Vec::new();
        // Training curves of each run: its losses, else its primary metric.
        let primary = self
            .project
            .as_ref()
            .and_then(|p| p.manifest.primary_metric.clone());
        for (i, r) in self.cmp.runs.iter().enumerate() {
            let s = &self.series[i];
            let mut keys: Vec<&String> = s.keys().filter(|k| k.contains("loss")).collect();
            if keys.is_empty() {
                keys = primary
                    .iter()
                    .filter(|k| s.contains_key(*k))
                    .chain(s.keys().take(1))
                    .take(1)
                    .collect();
            }
            if keys.is_empty() {
                continue;
            }
            let chart = LineChart {
                title: format!("{}: {}", run_label(i), r.id),
                x_label: "step".into(),
                y_label: if keys.len() == 1 {
                    keys[0].clone()
                } else {
                    "value".into()
                },
                series: keys
                    .iter()
                    .map(|k| Series {
                        label: (*k).clone(),
                        points: s[*k].clone(),
                    })
                    .collect(),
            };
            figs.push(Figure {
                file: format!("figures/curves-r{}.svg", i + 1),
                caption: format!(
                    "{} ({}): {} against step.",
                    run_label(i),
                    code(&r.id),
                    keys.iter().map(|k| code(k)).collect::<Vec<_>>().join(", ")
                ),
                svg: svg::line_chart(&chart),
            });
        }
        if self.cmp.runs.len() > 1 {
            // One metric, every run: the metrics with a curve, primary first.
            let mut n = 0;
            // Metrics with a direction first: a learning-rate schedule says less.
            let ordered = self
                .metrics
                .iter()
                .filter(|m| m.goal.is_some())
                .chain(self.metrics.iter().filter(|m| m.goal.is_none()));
            for m in ordered {
                if n >= MAX_COMPARE_FIGS {
                    break;
                }
                let with_curve = self
                    .series
                    .iter()
                    .filter(|s| s.contains_key(&m.key))
                    .count();
                if with_curve < 2 {
                    continue;
                }
                n += 1;
                let chart = LineChart {
                    title: format!("{} across runs", m.key),
                    x_label: "step".into(),
                    y_label: m.key.clone(),
                    series: (0..self.cmp.runs.len())
                        .filter_map(|i| {
                            self.series[i].get(&m.key).map(|p| Series {
                                label: self.legend(i),
                                points: p.clone(),
                            })
                        })
                        .collect(),
                };
                figs.push(Figure {
                    file: format!("figures/compare-{}.svg", crate::util::slug(&m.key)),
                    caption: format!(
                        "{} of every run against step ({}).",
                        code(&m.key),
                        goal_text(m.goal)
                    ),
                    svg: svg::line_chart(&chart),
                });
            }
            // Final values as bars: the primary metric, and the metrics with a known
            // direction that have no curve to compare (evaluated once per run).
            let primary_key = self
                .project
                .as_ref()
                .and_then(|p| p.manifest.primary_metric.as_deref())
                .or_else(|| {
                    self.metrics
                        .iter()
                        .find(|m| m.goal.is_some())
                        .map(|m| m.key.as_str())
                });
            let bar_metrics = self.metrics.iter().filter(|m| {
                m.goal.is_some()
                    && (Some(m.key.as_str()) == primary_key
                        || self.series.iter().all(|s| !s.contains_key(&m.key)))
            });
            for m in bar_metrics.take(MAX_BAR_FIGS) {
                let bars: Vec<Bar> = (0..self.cmp.runs.len())
                    .filter_map(|i| {
                        final_value(&self.cmp, i, &m.key).map(|v| Bar {
                            label: self.legend(i),
                            value: v,
                            best: m.best.contains(&i),
                        })
                    })
                    .collect();
                if bars.len() < 2 {
                    continue;
                }
                figs.push(Figure {
                    file: format!("figures/final-{}.svg", crate::util::slug(&m.key)),
                    caption: format!(
                        "Final {} of each run ({}; the best in red).",
                        code(&m.key),
                        goal_text(m.goal)
                    ),
                    svg: svg::bar_chart(
                        &format!("final {} ({})", m.key, goal_text(m.goal)),
                        &m.key,
                        &bars,
                    ),
                });
            }
        }
        figs
    }

    /// The Markdown, with `figures` linked by relative path.
    pub fn markdown(&self, figures: &[Figure], conn: &Connection) -> anyhow::Result<String> {
        let mut cites = Citations::default();
        let mut s = String::new();
        let runs = &self.cmp.runs;
        s.push_str(&format!("# {}\n\n", self.title.trim()));
        let proj = self
            .project
            .as_ref()
            .map(|p| format!("project {} · ", code(&p.manifest.name)))
            .unwrap_or_default();
        s.push_str(&format!(
            "*Research report · {proj}{} run{} · exported by labbook on {}*\n\n",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" },
            self.today
        ));
        // Abstract.
        s.push_str("## Abstract\n\n");
        let abs: Vec<String> = self
            .notes
            .iter()
            .flat_map(|n| n.matching(&["abstract", "summary", "tl;dr", "tldr"]))
            .collect();
        if abs.is_empty() {
            s.push_str(&missing(
                "abstract",
                "the question, what you did, and the main number with its baseline",
                self,
            ));
        } else {
            for a in &abs {
                s.push_str(&cites.render(a));
                s.push_str("\n\n");
            }
        }
        // Set-up.
        s.push_str("## Setup\n\n");
        if let Some(p) = &self.project {
            let m = &p.manifest;
            if !m.demonstrates.is_empty() {
                s.push_str(&format!("{}\n\n", m.demonstrates.trim()));
            }
            match (&m.exp, &m.command) {
                (Some(e), _) => s.push_str(&format!(
                    "The runs are the built-in Candle experiment {} (`labbook exp {e}`).\n\n",
                    code(e)
                )),
                (_, Some(c)) => s.push_str(&format!(
                    "The runs execute the project command {}.\n\n",
                    code(c)
                )),
                _ => {}
            }
        }
        s.push_str(
            "| run | id | status | started (UTC) | duration | last step | seed |\n|---|---|---|---|---|---|---|\n",
        );
        for (i, r) in runs.iter().enumerate() {
            s.push_str(&format!(
                "| {}{} | {} | {} | {} | {} | {} | {} |\n",
                run_label(i),
                if i == self.baseline {
                    " (baseline)"
                } else {
                    ""
                },
                code(&r.id),
                r.status.as_str(),
                r.started_at.map(fmt_epoch).unwrap_or_else(|| "-".into()),
                crate::util::fmt::duration(r.ended_at.and_then(|e| r.started_at.map(|s| e - s))),
                self.cmp.summaries[i]
                    .iter()
                    .filter_map(|m| m.last_step)
                    .max()
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.seed
                    .map(|x| x.to_string())
                    .or_else(|| r.params.get("seed").map(runs::plain))
                    .unwrap_or_else(|| "-".into()),
            ));
        }
        s.push('\n');
        if !self.cmp.differing.is_empty() {
            s.push_str("Parameters that differ between the runs:\n\n| run |");
            for k in &self.cmp.differing {
                s.push_str(&format!(" {} |", cell(k)));
            }
            s.push_str("\n|---|");
            s.push_str(&"---|".repeat(self.cmp.differing.len()));
            s.push('\n');
            for (i, r) in runs.iter().enumerate() {
                s.push_str(&format!("| {} |", run_label(i)));
                for k in &self.cmp.differing {
                    let v = r
                        .params
                        .get(k)
                        .map(runs::plain)
                        .unwrap_or_else(|| "-".into());
                    s.push_str(&format!(" {} |", cell(&v)));
                }
                s.push('\n');
            }
            s.push('\n');
        }
        let commands: BTreeSet<&str> = runs.iter().map(|r| r.command.as_str()).collect();
        if self.cmp.differing.is_empty() && commands.len() > 1 {
            s.push_str("The runs differ in their command lines:\n\n| run | command |\n|---|---|\n");
            for (i, r) in runs.iter().enumerate() {
                s.push_str(&format!(
                    "| {} | {} |\n",
                    run_label(i),
                    code(&cell(&r.command))
                ));
            }
            s.push('\n');
        }
        let shared: Vec<String> = runs
            .first()
            .map(|r| {
                r.params
                    .iter()
                    .filter(|(k, _)| !self.cmp.differing.contains(k))
                    .map(|(k, v)| code(&format!("{k}={}", runs::plain(v))))
                    .collect()
            })
            .unwrap_or_default();
        if !shared.is_empty() {
            s.push_str(&format!(
                "Parameters shared by every run: {}.\n\n",
                shared.join(", ")
            ));
        }
        s.push_str(&self.code_version());
        s.push_str(&self.hardware());
        // Results.
        s.push_str("## Results\n\n");
        s.push_str(&self.results_table());
        for f in figures {
            s.push_str(&format!(
                "![{}]({})\n\n*{}*\n\n",
                f.caption.replace(['[', ']', '`'], ""),
                f.file,
                f.caption
            ));
        }
        if !self.spectrograms.is_empty() {
            s.push_str("### Audio\n\n");
            for sp in &self.spectrograms {
                let rel = sp
                    .wav
                    .strip_prefix(&runs[sp.run].dir)
                    .unwrap_or(&sp.wav)
                    .display()
                    .to_string();
                s.push_str(&format!(
                    "![spectrogram of {rel}]({})\n\n*{}: {} ({:.2} s): log-mel spectrogram with F0 and energy.*\n\n",
                    sp.file,
                    run_label(sp.run),
                    code(&rel),
                    sp.analysis.seconds
                ));
            }
        }
        for w in &self.warnings {
            s.push_str(&format!("> Note: {w}\n\n"));
        }
        // Observations and discussion from the notes.
        let used = [
            "abstract",
            "summary",
            "tl;dr",
            "tldr",
            "discussion",
            "conclusion",
            "limitation",
            "next step",
            "future work",
        ];
        let mut obs = String::new();
        for n in &self.notes {
            let rest: Vec<(String, String)> = n
                .sections
                .iter()
                .filter(|(h, _)| {
                    let h = h.to_lowercase();
                    !used.iter().any(|w| h.contains(w))
                })
                .cloned()
                .collect();
            let title_used = used.iter().any(|w| n.title.to_lowercase().contains(w));
            if title_used || (n.intro.trim().is_empty() && rest.is_empty()) {
                continue;
            }
            obs.push_str(&format!(
                "### {}\n\n*note {}, {}*\n\n",
                n.title.trim(),
                n.id,
                super::date_of(&n.created_at)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ));
            if !n.intro.trim().is_empty() {
                obs.push_str(&cites.render(n.intro.trim()));
                obs.push_str("\n\n");
            }
            for (h, t) in rest {
                obs.push_str(&format!("#### {h}\n\n{}\n\n", cites.render(t.trim())));
            }
        }
        if !obs.is_empty() {
            s.push_str(
                "## Observations\n\nFrom the notes on these runs and the project's plan items.\n\n",
            );
            s.push_str(&obs);
        }
        s.push_str("## Discussion\n\n");
        let disc: Vec<String> = self
            .notes
            .iter()
            .flat_map(|n| {
                n.matching(&[
                    "discussion",
                    "conclusion",
                    "limitation",
                    "next step",
                    "future work",
                ])
            })
            .collect();
        if disc.is_empty() {
            s.push_str(&missing(
                "discussion",
                "what the evidence shows, what you believe beyond it, the limitations, and what you would try next",
                self,
            ));
        } else {
            for d in &disc {
                s.push_str(&cites.render(d));
                s.push_str("\n\n");
            }
        }
        // Reproducibility.
        s.push_str("## Reproducibility\n\nEach run's command exactly as it was executed, from its working directory:\n\n");
        for (i, r) in runs.iter().enumerate() {
            let meta = self.metas[i].as_ref();
            let mut block = format!("# {} {} ({})\n", run_label(i), r.id, r.status.as_str());
            if let Some(m) = meta {
                block.push_str(&format!(
                    "cd {}\n",
                    crate::runs::project::shell_quote(&m.cwd.display().to_string())
                ));
            }
            if let Some(c) = &r.git_commit {
                let dirty = if r.git_dirty == Some(true) {
                    format!(
                        "  # plus the uncommitted changes saved in {}",
                        r.dir.join(runs::GIT_DIFF).display()
                    )
                } else {
                    String::new()
                };
                block.push_str(&format!("git checkout {c}{dirty}\n"));
            }
            block.push_str(&r.command);
            s.push_str(&code_block("sh", &block));
            s.push('\n');
        }
        s.push_str(&format!(
            "Or start any of them again with labbook: {}.\n\n",
            code("labbook run rerun RUN-ID [--param K=V]")
        ));
        // Bibliography.
        s.push_str("## References\n\n");
        let bib = cites.bibliography(conn)?;
        if bib.is_empty() {
            s.push_str("*No papers are cited yet: cite them in the notes as `[@key]` (keys from `labbook paper list`).*\n");
        } else {
            s.push_str(&bib);
        }
        Ok(s)
    }

    fn results_table(&self) -> String {
        let runs = &self.cmp.runs;
        if self.metrics.is_empty() {
            return "*The runs reported no metrics.*\n\n".into();
        }
        let mut s = format!(
            "Final value of each metric (the last point reported). **Bold**: the best run for that metric; \
             in brackets: the difference from the baseline {} (absolute, relative).\n\n| run |",
            run_label(self.baseline)
        );
        for m in &self.metrics {
            let arrow = match m.goal {
                Some(Goal::Min) => " ↓",
                Some(Goal::Max) => " ↑",
                None => "",
            };
            s.push_str(&format!(" {}{arrow} |", cell(&m.key)));
        }
        s.push_str("\n|---|");
        s.push_str(&"---:|".repeat(self.metrics.len()));
        s.push('\n');
        for i in 0..runs.len() {
            s.push_str(&format!(
                "| {}{} |",
                run_label(i),
                if i == self.baseline {
                    " (baseline)"
                } else {
                    ""
                }
            ));
            for m in &self.metrics {
                let v = final_value(&self.cmp, i, &m.key);
                let mut c = match v {
                    None => "-".to_string(),
                    Some(x) => crate::util::fmt::value(if x.is_nan() { None } else { Some(x) }),
                };
                if m.best.contains(&i) {
                    c = format!("**{c}**");
                }
                if i != self.baseline {
                    if let (Some(x), Some(b)) = (v, final_value(&self.cmp, self.baseline, &m.key)) {
                        if x.is_finite() && b.is_finite() {
                            c.push_str(&format!(" ({})", delta(x, b)));
                        }
                    }
                }
                s.push_str(&format!(" {c} |"));
            }
            s.push('\n');
        }
        s.push_str("\n↓ lower is better, ↑ higher is better (the project's goal for its primary metric, otherwise judged from the name); no arrow: no best is marked.\n\n");
        s
    }

    fn code_version(&self) -> String {
        let commits: BTreeSet<(Option<&str>, bool)> = self
            .cmp
            .runs
            .iter()
            .map(|r| (r.git_commit.as_deref(), r.git_dirty == Some(true)))
            .collect();
        let desc = |c: Option<&str>, dirty: bool| match c {
            Some(c) => format!(
                "commit {}{}",
                code(crate::util::prefix(c, 12)),
                if dirty {
                    " with uncommitted changes (saved as `git.diff` in the run directory)"
                } else {
                    ""
                }
            ),
            None => "no git commit recorded (not started inside a git repository)".into(),
        };
        let v = env!("CARGO_PKG_VERSION");
        if commits.len() == 1 {
            match commits.iter().next().copied().unwrap_or((None, false)) {
                (None, _) => format!(
                    "Code version: no git commit recorded (the runs were not started inside a git repository); labbook {v}.\n\n"
                ),
                (c, d) => format!("Code version: every run used {}; labbook {v}.\n\n", desc(c, d)),
            }
        } else {
            let mut s = String::from("Code version:\n\n");
            for (i, r) in self.cmp.runs.iter().enumerate() {
                s.push_str(&format!(
                    "- {}: {}\n",
                    run_label(i),
                    desc(r.git_commit.as_deref(), r.git_dirty == Some(true))
                ));
            }
            s.push('\n');
            s
        }
    }

    fn hardware(&self) -> String {
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, r) in self.cmp.runs.iter().enumerate() {
            let d = match &self.metas[i] {
                Some(m) => {
                    let mut parts = vec![];
                    if !m.host.is_empty() {
                        parts.push(format!("host {}", code(&m.host)));
                    }
                    if !m.cpu.is_empty() {
                        parts.push(m.cpu.clone());
                    }
                    parts.push(m.gpu.clone().unwrap_or_else(|| "no GPU".into()));
                    parts.push(format!("{} backend", r.backend));
                    parts.join(", ")
                }
                None => format!(
                    "{}{} backend (no meta.json in the run directory)",
                    r.host
                        .as_ref()
                        .map(|h| format!("host {}, ", code(h)))
                        .unwrap_or_default(),
                    r.backend
                ),
            };
            seen.entry(d).or_default().push(run_label(i));
        }
        if seen.len() == 1 {
            let d = seen.keys().next().cloned().unwrap_or_default();
            return format!("Hardware: {d} (every run).\n\n");
        }
        let mut s = String::from("Hardware:\n\n");
        for (d, rs) in seen {
            s.push_str(&format!("- {}: {d}\n", rs.join(", ")));
        }
        s.push('\n');
        s
    }
}

/// What to write where a section has no content yet (never a made-up text).
fn missing(what: &str, content: &str, r: &Report) -> String {
    let attach = match &r.project {
        Some(p) => {
            let item = p
                .manifest
                .items
                .first()
                .cloned()
                .unwrap_or_else(|| "ITEM".into());
            format!(
                "`labbook run note RUN-ID --body …` on one of these runs, or `labbook note add --item {item} --title …`"
            )
        }
        None => "`labbook run note RUN-ID --body …` on one of these runs".to_string(),
    };
    format!(
        "*To write: no note on these runs or the project has a section headed \"{}\" yet. \
         Add one ({attach}) with a `## {}` section: {content}.*\n\n",
        capitalise(what),
        capitalise(what)
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
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

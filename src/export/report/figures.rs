//! The report's figures: each run's training curves, every run on one metric, final
//! values as bars, and spectrograms of the audio the runs wrote.

use std::path::{Path, PathBuf};

use super::*;
use crate::export::svg::{self, Bar, LineChart, Series};
use crate::export::{code, goal_text};

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
}

/// WAV files a run left in its directory (or one level below), a few per run.
pub(super) fn spectrograms(cmp: &Comparison, warnings: &mut Vec<String>) -> Vec<Spectrogram> {
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

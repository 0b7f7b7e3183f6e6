//! The Runs tab's state: the runs table, a run's view (live log and charts), the
//! compare view and the launch form. Pure: the runner loads the data (effects) and
//! hands it over in messages.

use std::collections::{BTreeSet, HashMap};

use crate::runs::project::{Project, Readiness};
use crate::runs::query::{MetricSummary, Point, RunRow};

use super::logbuf::LogBuf;

/// What the Runs tab shows, loaded from the index.
#[derive(Debug, Clone, Default)]
pub struct RunsData {
    pub runs: Vec<RunRow>,
    pub summaries: HashMap<i64, Vec<MetricSummary>>,
    /// The last values of each run's first charted metric (for sparklines).
    pub sparks: HashMap<i64, Vec<f64>>,
    pub projects: Vec<Project>,
    /// Wall clock at load (durations of running runs).
    pub now: f64,
}

impl RunsData {
    /// Metric names across all runs, most common first.
    pub fn metric_names(&self) -> Vec<String> {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for s in self.summaries.values().flatten() {
            *count.entry(s.key.as_str()).or_default() += 1;
        }
        let mut names: Vec<(&str, usize)> = count.into_iter().collect();
        // `loss` first when there is one (the metric most runs are judged by), then
        // the most common.
        names.sort_by(|a, b| {
            (b.0 == "loss")
                .cmp(&(a.0 == "loss"))
                .then(b.1.cmp(&a.1))
                .then(a.0.cmp(b.0))
        });
        names.into_iter().map(|(n, _)| n.to_string()).collect()
    }
}

/// The metric a run's sparkline follows: `loss` if it has one, else its first.
pub fn pick_metric(s: &[MetricSummary]) -> Option<String> {
    s.iter()
        .find(|m| m.key == "loss")
        .or_else(|| s.first())
        .map(|m| m.key.clone())
}

/// Order of the runs table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunSort {
    Newest,
    Status,
    Duration,
    /// By the chosen metric's last value (best first when the project says how).
    Metric,
}

impl RunSort {
    pub fn next(self) -> RunSort {
        match self {
            RunSort::Newest => RunSort::Status,
            RunSort::Status => RunSort::Duration,
            RunSort::Duration => RunSort::Metric,
            RunSort::Metric => RunSort::Newest,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunSort::Newest => "newest",
            RunSort::Status => "status",
            RunSort::Duration => "duration",
            RunSort::Metric => "metric",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunsView {
    Table,
    Run(String),
    Compare(Vec<String>),
    /// Choosing a project to launch.
    Projects,
    Launch(LaunchForm),
}

/// The launch form's backend field (not a project parameter).
pub const ON_FIELD: &str = "@on";

/// Split the launch form's backend choice from the project parameters: `local`, `slurm`
/// or `slurm:PROFILE`.
pub fn split_on(params: &[(String, String)]) -> (Vec<(String, String)>, Option<Option<String>>) {
    let mut on = None;
    let rest = params
        .iter()
        .filter(|(k, v)| {
            if k == ON_FIELD {
                on = match v.trim() {
                    "" | "local" => None,
                    "slurm" => Some(None),
                    other => Some(Some(
                        other.strip_prefix("slurm:").unwrap_or(other).to_string(),
                    )),
                };
                false
            } else {
                true
            }
        })
        .cloned()
        .collect();
    (rest, on)
}

#[derive(Debug, Clone, PartialEq)]
pub struct LaunchForm {
    pub project: String,
    /// (name, value as typed, type, help)
    pub fields: Vec<(String, String, String, String)>,
    pub selected: usize,
}

impl LaunchForm {
    pub fn new(
        p: &Project,
        values: Option<&std::collections::BTreeMap<String, serde_json::Value>>,
    ) -> LaunchForm {
        let fields = p
            .manifest
            .params
            .iter()
            .map(|(k, s)| {
                let v = values
                    .and_then(|v| v.get(k))
                    .map(crate::runs::plain)
                    .or_else(|| {
                        s.default.as_ref().map(|d| match d {
                            toml::Value::String(s) => s.clone(),
                            o => o.to_string(),
                        })
                    })
                    .unwrap_or_default();
                let mut kind = format!("{:?}", s.kind).to_lowercase();
                if !s.choices.is_empty() {
                    kind = s
                        .choices
                        .iter()
                        .map(|c| c.to_string().trim_matches('"').to_string())
                        .collect::<Vec<_>>()
                        .join("|");
                }
                (k.clone(), v, kind, s.help.clone())
            })
            .collect::<Vec<_>>();
        let mut fields = fields;
        fields.push((
            ON_FIELD.into(),
            "local".into(),
            "local|slurm[:PROFILE]".into(),
            "where it runs: this machine, or Slurm (profiles: [slurm.profiles] in the config)"
                .into(),
        ));
        LaunchForm {
            project: p.manifest.name.clone(),
            fields,
            selected: 0,
        }
    }

    /// `k=v` pairs for every field with a value.
    pub fn params(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|f| !f.1.is_empty())
            .map(|f| (f.0.clone(), f.1.clone()))
            .collect()
    }
}

/// Everything the Runs tab remembers between frames.
#[derive(Debug, Clone)]
pub struct RunsUi {
    pub view: RunsView,
    pub marked: BTreeSet<String>,
    pub metric: usize,
    pub log: Option<LogBuf>,
    /// Lines scrolled up from the bottom; `None` follows the end.
    pub scroll: Option<usize>,
    pub search: String,
    pub wrap: bool,
    pub log_y: bool,
    pub x_time: bool,
    pub smoothing: f64,
    /// Series of the open run: (metric, points).
    pub series: Vec<(String, Vec<Point>)>,
    /// Compare view: (run id, points of the chosen metric).
    pub compare: Vec<(String, Vec<Point>)>,
    /// The metric `compare` holds.
    pub compare_metric: Option<String>,
    pub project_sel: usize,
    pub sort: RunSort,
    /// Chart data ready to draw (smoothed, downsampled), rebuilt when data, size or
    /// chart options change — never while drawing.
    pub prepared: Vec<Prepared>,
}

/// One line of a chart: (label, colour index, raw points, smoothed points).
pub type ChartLine = (String, usize, Vec<(f64, f64)>, Vec<(f64, f64)>);

/// One chart's lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prepared {
    pub title: String,
    pub lines: Vec<ChartLine>,
    pub x: [f64; 2],
    pub y: [f64; 2],
}

impl Default for RunsUi {
    fn default() -> Self {
        RunsUi {
            view: RunsView::Table,
            marked: BTreeSet::new(),
            metric: 0,
            log: None,
            scroll: None,
            search: String::new(),
            wrap: true,
            log_y: false,
            x_time: false,
            smoothing: 0.6,
            series: Vec::new(),
            compare: Vec::new(),
            compare_metric: None,
            project_sel: 0,
            sort: RunSort::Newest,
            prepared: Vec::new(),
        }
    }
}

pub const PALETTE: usize = 8;

impl RunsUi {
    fn line(
        &self,
        label: String,
        colour: usize,
        pts: &[Point],
        t0: f64,
        width: usize,
    ) -> ChartLine {
        let x_time = self.x_time;
        let log_y = self.log_y;
        let it = pts.iter().filter_map(move |&(step, wall, v)| {
            let x = if x_time { wall - t0 } else { step as f64 };
            if log_y {
                (v > 0.0).then(|| (x, v.log10()))
            } else {
                Some((x, v))
            }
        });
        let (raw, smooth) =
            crate::runs::series::smooth_and_downsample(it, self.smoothing, (width * 2).max(16));
        (label, colour, raw, smooth)
    }

    /// Rebuild the chart data for a chart area `width` columns wide.
    pub fn prepare(&mut self, width: usize) {
        let mut charts = Vec::new();
        if !self.compare.is_empty() {
            let t0 = self
                .compare
                .iter()
                .filter_map(|(_, p)| p.first().map(|x| x.1))
                .fold(f64::INFINITY, f64::min);
            let lines: Vec<_> = self
                .compare
                .iter()
                .map(|(id, pts)| {
                    let t = pts.first().map(|x| x.1).unwrap_or(t0);
                    self.line(
                        id.clone(),
                        crate::runs::series::colour_index(id, PALETTE),
                        pts,
                        t,
                        width,
                    )
                })
                .collect();
            charts.push(lines);
        } else {
            let t0 = self
                .series
                .iter()
                .filter_map(|(_, p)| p.first().map(|x| x.1))
                .fold(f64::INFINITY, f64::min);
            for (i, (key, pts)) in self.series.iter().enumerate() {
                charts.push(vec![self.line(key.clone(), i % PALETTE, pts, t0, width)]);
            }
        }
        self.prepared = charts
            .into_iter()
            .map(|lines| {
                let all: Vec<&[(f64, f64)]> = lines
                    .iter()
                    .flat_map(|l| [l.2.as_slice(), l.3.as_slice()])
                    .collect();
                let (x, y) = crate::runs::series::bounds(&all);
                let title = if lines.len() == 1 {
                    lines[0].0.clone()
                } else {
                    String::new()
                };
                Prepared { title, lines, x, y }
            })
            .collect();
    }

    /// Projects in launch order: runnable first.
    pub fn project_order(data: &RunsData) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..data.projects.len()).collect();
        idx.sort_by_key(|&i| {
            (
                data.projects[i].readiness() != Readiness::Ready,
                data.projects[i].manifest.name.clone(),
            )
        });
        idx
    }
}

#[cfg(test)]
mod on_tests {
    use super::*;

    #[test]
    fn the_backend_field_is_split_from_the_parameters() {
        let p = |v: &str| {
            vec![
                ("lr".to_string(), "1e-3".to_string()),
                (ON_FIELD.to_string(), v.to_string()),
            ]
        };
        assert_eq!(split_on(&p("local")).1, None);
        assert_eq!(split_on(&p("slurm")).1, Some(None));
        assert_eq!(split_on(&p("slurm:a100")).1, Some(Some("a100".into())));
        assert_eq!(
            split_on(&p("slurm")).0,
            [("lr".to_string(), "1e-3".to_string())]
        );
    }
}

//! The Candle experiments, each runnable as `labbook exp NAME --param KEY=VALUE …` and
//! launched by the projects that name it (`exp = "NAME"` in a `project.toml`).
//!
//! An experiment is one module here implementing [`Experiment`]: a name, a one-line
//! summary, a typed parameter struct ([`params::Parameters`]: serde names the fields,
//! `Default` holds the defaults, doc comments are the help) and `run`, which gets the
//! parsed parameters and a [`Context`]: the metrics sink, the output directory, the
//! device and a seeded random generator. Listing it in [`REGISTRY`] makes it appear in
//! `labbook exp`, in `labbook exp NAME --help`, in the project launcher's built /
//! not-built status and in the README's table (`runs::project::experiments_table`); a
//! test checks every project manifest against its experiment's parameters, so the two
//! cannot drift.
//!
//! Adding one: write `src/exp/NAME.rs` (copy the shape of [`encodings`]), add it to
//! [`REGISTRY`], and give it a project folder `projects/NAME/` with a `project.toml`
//! whose `[params]` defaults are the struct's.

pub mod encodings;
pub mod latency;
pub mod lm;
pub mod params;
pub mod turn;
pub mod vad;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use candle_core::Device;
use serde_json::Value;

pub use params::{ParamDoc, Parameters};

use crate::util::rng::Rng;

/// One experiment.
pub trait Experiment: Sync + 'static {
    /// Its parameters; the struct's `Default` holds every default.
    type Params: Parameters;

    /// The name `labbook exp NAME` and a manifest's `exp = "NAME"` use.
    const NAME: &'static str;

    /// One line: what it trains or measures.
    const SUMMARY: &'static str;

    /// A training loop: it runs on a worker of the thread pool its kernels use
    /// ([`crate::nn::on_pool`]). A real-time loop does not.
    const TRAINS: bool = true;

    /// Run in the foreground, reporting through `cx` (metrics records and log lines on
    /// stdout, files under [`Context::out_dir`]).
    fn run(&self, params: Self::Params, cx: &mut Context) -> anyhow::Result<()>;
}

/// What an experiment gets to run with.
///
/// Three parameter names are understood by the context itself when a parameter struct
/// has them: `seed` seeds [`Context::rng`], `device` (`cpu`, `cuda`, `cuda:N`) names
/// [`Context::device`], and `out` overrides the output directory.
pub struct Context<'w> {
    out: &'w mut (dyn Write + Send),
    run_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    device_spec: String,
    /// Opened on first use (an experiment that opens its own never pays for a second).
    device: std::sync::OnceLock<Device>,
    seed: u64,
}

impl<'w> Context<'w> {
    /// A context writing to `out`, set up from an experiment's parsed parameters (as
    /// JSON) and the run directory the supervisor gives (`$LABBOOK_RUN_DIR`).
    pub fn new(
        out: &'w mut (dyn Write + Send),
        params: &Value,
        run_dir: Option<PathBuf>,
    ) -> anyhow::Result<Context<'w>> {
        let seed = params.get("seed").and_then(Value::as_u64).unwrap_or(0);
        let device_spec = params
            .get("device")
            .and_then(Value::as_str)
            .unwrap_or("cpu")
            .to_string();
        crate::nn::parse_device_spec(&device_spec)?;
        let out_dir = params
            .get("out")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .or_else(|| run_dir.clone());
        Ok(Context {
            out,
            run_dir,
            out_dir,
            device_spec,
            device: std::sync::OnceLock::new(),
            seed,
        })
    }

    /// Write one metrics record (a JSON object) through the one metrics protocol.
    pub fn emit(&mut self, record: &Value) -> anyhow::Result<()> {
        crate::protocol::emit(&mut self.out, record).context("writing a metrics record")
    }

    /// Where files go: the `out` parameter, else the run's directory (`None` when run
    /// by hand without `out`).
    pub fn out_dir(&self) -> Option<&Path> {
        self.out_dir.as_deref()
    }

    /// Write a small model (`FILE.safetensors` and its `FILE.json`) into the output
    /// directory with `save(path)` and say where; without an output directory, say how
    /// to get one. Returns the path written.
    pub fn save_model(
        &mut self,
        file: &str,
        save: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<Option<PathBuf>> {
        let Some(dir) = self.out_dir.clone() else {
            writeln!(
                self,
                "weights not saved (give --param out=DIR, or run it as a project run)"
            )?;
            return Ok(None);
        };
        let path = dir.join(file);
        save(&path)?;
        writeln!(
            self,
            "saved {} and {}",
            path.display(),
            path.with_extension("json").display()
        )?;
        Ok(Some(path))
    }

    /// The run's own directory when labbook's supervisor started it.
    pub fn run_dir(&self) -> Option<&Path> {
        self.run_dir.as_deref()
    }

    /// The device the `device` parameter names (the CPU without one); a CUDA device on
    /// a build without CUDA is an error saying how to get one.
    pub fn device(&self) -> anyhow::Result<&Device> {
        if let Some(d) = self.device.get() {
            return Ok(d);
        }
        let d = crate::nn::device(&self.device_spec)?;
        Ok(self.device.get_or_init(|| d))
    }

    /// The `seed` parameter (0 without one).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The generator of random stream `stream` of this run (SplitMix64 seeded with
    /// `seed ^ stream`): the same seed and stream give the same numbers, so a run is
    /// repeated exactly; different streams (data order, augmentation, dropout) give
    /// different ones.
    pub fn rng(&self, stream: u64) -> Rng {
        Rng::new(self.seed ^ stream)
    }
}

/// Log lines: `writeln!(cx, …)` writes to the run's output like any other line.
impl Write for Context<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// An experiment as the registry holds it (object-safe; every [`Experiment`] is one).
pub trait Registered: Sync {
    fn name(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    /// Its parameters, in declaration order.
    fn docs(&self) -> Vec<ParamDoc>;
    /// Parse and validate `KEY=VALUE` pairs; the parameters as JSON.
    fn check(&self, pairs: &[String]) -> anyhow::Result<Value>;
    /// Parse the pairs and run, writing to `out`.
    fn run_with(
        &self,
        pairs: &[String],
        out: &mut (dyn Write + Send),
        run_dir: Option<PathBuf>,
    ) -> anyhow::Result<()>;
}

impl<E: Experiment> Registered for E {
    fn name(&self) -> &'static str {
        E::NAME
    }

    fn summary(&self) -> &'static str {
        E::SUMMARY
    }

    fn docs(&self) -> Vec<ParamDoc> {
        params::docs::<E::Params>()
    }

    fn check(&self, pairs: &[String]) -> anyhow::Result<Value> {
        let p = E::Params::from_pairs(pairs)?;
        Ok(serde_json::to_value(&p)?)
    }

    fn run_with(
        &self,
        pairs: &[String],
        out: &mut (dyn Write + Send),
        run_dir: Option<PathBuf>,
    ) -> anyhow::Result<()> {
        let p = E::Params::from_pairs(pairs)?;
        let json = serde_json::to_value(&p)?;
        let mut cx = Context::new(out, &json, run_dir)?;
        if E::TRAINS {
            crate::nn::on_pool(|| Experiment::run(self, p, &mut cx))
        } else {
            Experiment::run(self, p, &mut cx)
        }
    }
}

/// An entry of the registry: an experiment labbook has, or one a project already
/// names that is not built yet (launching it says so instead of pretending).
#[derive(Clone, Copy)]
pub enum Entry {
    Built(&'static dyn Registered),
    Planned {
        name: &'static str,
        summary: &'static str,
    },
}

impl Entry {
    pub fn name(&self) -> &'static str {
        match self {
            Entry::Built(e) => e.name(),
            Entry::Planned { name, .. } => name,
        }
    }

    pub fn summary(&self) -> &'static str {
        match self {
            Entry::Built(e) => e.summary(),
            Entry::Planned { summary, .. } => summary,
        }
    }

    pub fn built(&self) -> Option<&'static dyn Registered> {
        match self {
            Entry::Built(e) => Some(*e),
            Entry::Planned { .. } => None,
        }
    }
}

/// Every experiment, in the order of the plan.
pub static REGISTRY: &[Entry] = &[
    Entry::Built(&lm::Lm),
    Entry::Planned {
        name: "asr",
        summary: "tiny CTC speech recogniser",
    },
    Entry::Built(&vad::VadExp),
    Entry::Built(&turn::TurnExp),
    Entry::Built(&latency::Latency),
    Entry::Planned {
        name: "retrieval",
        summary: "contrastive audio-text retrieval",
    },
    Entry::Built(&encodings::Encodings),
];

/// Other names an experiment answers to.
const ALIASES: &[(&str, &str)] = &[("audio-embed", "encodings")];

/// The registry entry for `name` (or one of its aliases).
pub fn find(name: &str) -> Option<&'static Entry> {
    let name = ALIASES
        .iter()
        .find(|(a, _)| *a == name)
        .map_or(name, |(_, n)| n);
    REGISTRY.iter().find(|e| e.name() == name)
}

/// Whether an experiment exists and is built.
pub fn status(name: &str) -> Option<bool> {
    find(name).map(|e| e.built().is_some())
}

fn names() -> String {
    REGISTRY
        .iter()
        .map(Entry::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The built experiment `name`, or an error saying why there is none.
pub fn get(name: &str) -> anyhow::Result<&'static dyn Registered> {
    match find(name) {
        None => bail!("no experiment `{name}` (experiments: {})", names()),
        Some(Entry::Planned { .. }) => {
            bail!("the `{name}` experiment is not built yet; nothing was run")
        }
        Some(Entry::Built(e)) => Ok(*e),
    }
}

/// `labbook exp NAME`: run an experiment in the foreground on stdout.
pub fn run(name: &str, pairs: &[String]) -> anyhow::Result<()> {
    let e = get(name)?;
    let run_dir = std::env::var_os("LABBOOK_RUN_DIR").map(PathBuf::from);
    // The handle, not a lock: experiments run their loop on a worker thread.
    e.run_with(pairs, &mut std::io::stdout(), run_dir)
}

/// `labbook exp NAME --help`: what it does and every parameter with its type, default
/// and help, from the parameter struct itself.
pub fn help(name: &str) -> anyhow::Result<String> {
    let e = get(name)?;
    let docs = e.docs();
    let mut s = format!(
        "labbook exp {} — {}\n\nUsage: labbook exp {} [--param KEY=VALUE]…\n\nParameters:\n",
        e.name(),
        e.summary(),
        e.name()
    );
    let width = docs.iter().map(|d| d.name.len()).max().unwrap_or(0);
    for d in &docs {
        let kind = match &d.kind {
            params::Kind::Choice(c) => c.join("|"),
            k => k.to_string(),
        };
        let default = if d.default.is_empty() {
            "(none)".to_string()
        } else {
            d.default.clone()
        };
        s.push_str(&format!(
            "  {:<width$}  {kind}{}, default {default}\n",
            d.name,
            if d.optional { ", may be empty" } else { "" },
        ));
        if !d.help.is_empty() {
            for line in crate::util::wrap(&d.help, 72) {
                s.push_str(&format!("  {:<width$}    {line}\n", ""));
            }
        }
    }
    Ok(s)
}

/// `labbook exp`: one line per experiment.
pub fn list() -> String {
    let width = REGISTRY.iter().map(|e| e.name().len()).max().unwrap_or(0);
    let mut s = String::new();
    for e in REGISTRY {
        s.push_str(&format!(
            "{:<width$}  {:<13}  {}\n",
            e.name(),
            if e.built().is_some() {
                "built"
            } else {
                "not built yet"
            },
            e.summary()
        ));
    }
    s.push_str("\n`labbook exp NAME --help` lists an experiment's parameters.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    /// A newcomer's experiment: one struct of parameters, one `run`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct CountParams {
        /// How many steps to count.
        steps: usize,
        /// Seed of the noise.
        seed: u64,
        /// Where `count.safetensors` goes.
        out: Option<PathBuf>,
    }

    impl Default for CountParams {
        fn default() -> Self {
            CountParams {
                steps: 3,
                seed: 7,
                out: None,
            }
        }
    }

    impl Parameters for CountParams {
        fn validate(&mut self) -> anyhow::Result<()> {
            params::positive_steps(self.steps)
        }
    }

    struct Count;

    impl Experiment for Count {
        type Params = CountParams;
        const NAME: &'static str = "count";
        const SUMMARY: &'static str = "counts and adds noise";

        fn run(&self, p: CountParams, cx: &mut Context) -> anyhow::Result<()> {
            writeln!(cx, "counting to {}", p.steps)?;
            let mut rng = cx.rng(1);
            for step in 0..p.steps {
                cx.emit(&serde_json::json!({"step": step, "noise": rng.unit()}))?;
            }
            cx.save_model("count.safetensors", |path| {
                std::fs::write(path, b"weights")?;
                Ok(())
            })?;
            Ok(())
        }
    }

    fn run(pairs: &[&str], run_dir: Option<PathBuf>) -> anyhow::Result<String> {
        let mut out = Vec::new();
        let pairs: Vec<String> = pairs.iter().map(|s| s.to_string()).collect();
        (&Count as &dyn Registered).run_with(&pairs, &mut out, run_dir)?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn an_experiment_runs_through_its_context() {
        let d = tempfile::tempdir().unwrap();
        let text = run(&["steps=2"], Some(d.path().to_path_buf())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "counting to 2");
        let records: Vec<crate::protocol::Record> = lines
            .iter()
            .filter_map(|l| match crate::protocol::parse_line(l) {
                crate::protocol::Line::Record(r) => Some(r),
                crate::protocol::Line::Log(_) => None,
            })
            .collect();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].step, Some(1));
        // The run directory is the output directory; the same seed gives the same noise.
        assert!(d.path().join("count.safetensors").is_file());
        assert!(text.contains("saved "), "{text}");
        assert_eq!(
            text,
            run(&["steps=2"], Some(d.path().to_path_buf())).unwrap()
        );
        assert_ne!(
            text,
            run(&["steps=2", "seed=8"], Some(d.path().to_path_buf())).unwrap()
        );
        // `out` wins over the run directory; without either nothing is written.
        let o = d.path().join("elsewhere");
        std::fs::create_dir_all(&o).unwrap();
        run(&[&format!("out={}", o.display())], None).unwrap();
        assert!(o.join("count.safetensors").is_file());
        assert!(run(&[], None).unwrap().contains("weights not saved"));
    }

    #[test]
    fn bad_parameters_stop_it_before_it_runs() {
        let e = run(&["stpes=2"], None).unwrap_err().to_string();
        assert!(
            e.contains("unknown parameter `stpes` (parameters: steps, seed, out)"),
            "{e}"
        );
        assert_eq!(
            run(&["steps=0"], None).unwrap_err().to_string(),
            "steps must be positive"
        );
        let docs = (&Count as &dyn Registered).docs();
        assert_eq!(docs[0].help, "How many steps to count.");
        assert_eq!(docs[1].default, "7");
    }

    #[test]
    fn the_registry_answers_by_name_and_alias() {
        assert_eq!(status("lm"), Some(true));
        assert_eq!(status("asr"), Some(false));
        assert_eq!(status("audio-embed"), Some(true));
        assert_eq!(status("nope"), None);
        assert!(get("asr")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("not built yet"));
        assert!(get("nope")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("experiments: lm, asr"));
        let h = help("vad").unwrap();
        assert!(
            h.contains("labbook exp vad") && h.contains("snrs") && h.contains("clean,20,10,5,0,-5"),
            "{h}"
        );
        let names: Vec<&str> = REGISTRY.iter().map(Entry::name).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
    }
}

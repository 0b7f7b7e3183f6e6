//! Projects: `projects/<name>/project.toml` (the manifest) and `README.md` (the brief).
//! Built-in projects are compiled in; the user's own live in `<data dir>/projects/`
//! and replace a built-in one of the same name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};

use super::launch::Spec;

include!(concat!(env!("OUT_DIR"), "/projects_embedded.rs"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    Int,
    Float,
    String,
    Bool,
    Choice,
    Path,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    #[serde(rename = "type")]
    pub kind: ParamType,
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub choices: Vec<toml::Value>,
    #[serde(default)]
    pub help: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    Min,
    Max,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub title: String,
    pub step: Option<String>,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub demonstrates: String,
    pub deliverable: Option<String>,
    pub exp: Option<String>,
    pub command: Option<String>,
    #[serde(default)]
    pub metrics: Vec<String>,
    pub primary_metric: Option<String>,
    pub goal: Option<Goal>,
    #[serde(default)]
    pub params: BTreeMap<String, ParamSpec>,
    #[serde(default)]
    pub sweep: BTreeMap<String, Vec<toml::Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    #[serde(flatten)]
    pub manifest: Manifest,
    pub readme: String,
    /// "built-in" or the folder it was read from.
    pub source: String,
}

/// Whether a project can run now, and why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Readiness {
    Ready,
    NotBuilt(String),
}

impl Project {
    pub fn readiness(&self) -> Readiness {
        match &self.manifest.exp {
            Some(e) => match crate::exp::status(e) {
                Some(true) => Readiness::Ready,
                Some(false) => Readiness::NotBuilt(format!("`labbook exp {e}` is not built yet")),
                None => Readiness::NotBuilt(format!("there is no experiment `{e}`")),
            },
            None => Readiness::Ready,
        }
    }

    pub fn kind(&self) -> &'static str {
        if self.manifest.exp.is_some() {
            "exp"
        } else {
            "command"
        }
    }
}

fn value_ok(kind: ParamType, v: &toml::Value) -> bool {
    matches!(
        (kind, v),
        (ParamType::Int, toml::Value::Integer(_))
            | (
                ParamType::Float,
                toml::Value::Float(_) | toml::Value::Integer(_)
            )
            | (ParamType::String | ParamType::Path, toml::Value::String(_))
            | (ParamType::Bool, toml::Value::Boolean(_))
            | (ParamType::Choice, _)
    )
}

/// Parse and check one manifest; `file` names it in errors.
pub fn parse_manifest(file: &str, text: &str) -> anyhow::Result<Manifest> {
    let m: Manifest = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| crate::util::line_of(text, s.start))
            .unwrap_or(0);
        anyhow!("{file}:{line}: invalid project manifest: {}", e.message())
    })?;
    let bad = |msg: String| anyhow!("{file}: {msg}");
    if m.name.is_empty()
        || !m
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(bad(format!(
            "project name `{}` must use a-z, 0-9 and -",
            m.name
        )));
    }
    match (&m.exp, &m.command) {
        (Some(_), Some(_)) => return Err(bad("give either `exp` or `command`, not both".into())),
        (None, None) => return Err(bad("give `exp = \"NAME\"` or `command = \"…\"`".into())),
        _ => {}
    }
    for (name, p) in &m.params {
        if let Some(d) = &p.default {
            if !value_ok(p.kind, d) {
                return Err(bad(format!(
                    "parameter `{name}`: default {d} is not a {:?}",
                    p.kind
                )));
            }
            if p.kind == ParamType::Choice && !p.choices.contains(d) {
                return Err(bad(format!(
                    "parameter `{name}`: default {d} is not one of its choices"
                )));
            }
        }
        if p.kind == ParamType::Choice && p.choices.is_empty() {
            return Err(bad(format!(
                "parameter `{name}` is a choice without `choices`"
            )));
        }
    }
    if let Some(cmd) = &m.command {
        for ph in placeholders(cmd) {
            if !m.params.contains_key(&ph) {
                return Err(bad(format!(
                    "the command uses `{{{ph}}}` but declares no parameter `{ph}`"
                )));
            }
        }
    }
    for k in m.sweep.keys() {
        if !m.params.contains_key(k) {
            return Err(bad(format!(
                "the sweep varies `{k}`, which is not a parameter"
            )));
        }
    }
    if let Some(p) = &m.primary_metric {
        if !m.metrics.contains(p) {
            return Err(bad(format!("primary_metric `{p}` is not in `metrics`")));
        }
    }
    Ok(m)
}

/// `{name}` placeholders in a command template.
pub fn placeholders(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = cmd;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !out.iter().any(|o| o == name)
                {
                    out.push(name.to_string());
                }
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

/// The user's own projects folder.
pub fn user_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("projects")
}

/// The projects compiled into labbook (`projects/` of its source tree).
pub fn built_in() -> anyhow::Result<Vec<Project>> {
    PROJECTS
        .iter()
        .map(|(name, toml, readme)| {
            Ok(Project {
                manifest: parse_manifest(&format!("projects/{name}/project.toml"), toml)?,
                readme: readme.to_string(),
                source: "built-in".into(),
            })
        })
        .collect()
}

/// Built-in projects, then the user's (which replace built-ins of the same name).
pub fn load_all(data_dir: &Path) -> anyhow::Result<Vec<Project>> {
    let mut by_name: BTreeMap<String, Project> = BTreeMap::new();
    for p in built_in()? {
        by_name.insert(p.manifest.name.clone(), p);
    }
    let dir = user_dir(data_dir);
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut paths: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("project.toml").is_file())
            .collect();
        paths.sort();
        for p in paths {
            let file = p.join("project.toml");
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let manifest = parse_manifest(&file.display().to_string(), &text)?;
            let readme = std::fs::read_to_string(p.join("README.md")).unwrap_or_default();
            by_name.insert(
                manifest.name.clone(),
                Project {
                    manifest,
                    readme,
                    source: p.display().to_string(),
                },
            );
        }
    }
    Ok(by_name.into_values().collect())
}

pub fn find(data_dir: &Path, name: &str) -> anyhow::Result<Project> {
    let all = load_all(data_dir)?;
    let names: Vec<String> = all.iter().map(|p| p.manifest.name.clone()).collect();
    all.into_iter()
        .find(|p| p.manifest.name == name)
        .ok_or_else(|| anyhow!("no project `{name}` (projects: {})", names.join(", ")))
}

/// Where a project's manifest disagrees with its experiment's parameter struct: a
/// parameter the experiment does not have, a default that is not the struct's, a
/// type that does not match, a choice or sweep value the experiment refuses. Empty
/// when they agree (or the project runs a command, or its experiment is not built).
pub fn check_against_experiment(m: &Manifest) -> Vec<String> {
    let Some(name) = &m.exp else {
        return Vec::new();
    };
    let Some(exp) = crate::exp::find(name).and_then(|e| e.built()) else {
        return Vec::new();
    };
    let docs = exp.docs();
    let mut problems = Vec::new();
    let defaults = exp.check(&[]);
    for (k, spec) in &m.params {
        let Some(doc) = docs.iter().find(|d| &d.name == k) else {
            problems.push(format!(
                "{}: parameter `{k}` is not a parameter of `labbook exp {name}`",
                m.name
            ));
            continue;
        };
        use crate::exp::params::Kind;
        let fits = match (spec.kind, &doc.kind) {
            (ParamType::Int, Kind::Int) | (ParamType::Bool, Kind::Bool) => true,
            (ParamType::Float, Kind::Float | Kind::Int) => true,
            (ParamType::String | ParamType::Path, Kind::String | Kind::List) => true,
            (ParamType::Choice, Kind::Choice(_) | Kind::String | Kind::Int | Kind::Float) => true,
            (ParamType::String, Kind::Choice(_)) => true,
            // An optional number has no manifest type of its own: a string whose
            // empty default means "none".
            (ParamType::String, _) => doc.optional,
            _ => false,
        };
        if !fits {
            problems.push(format!(
                "{}: parameter `{k}` is {:?} in the manifest but {} in the experiment",
                m.name, spec.kind, doc.kind
            ));
        }
        if let Some(d) = &spec.default {
            let given = format!("{k}={}", super::plain(&to_json(d)));
            match (exp.check(std::slice::from_ref(&given)), &defaults) {
                (Ok(v), Ok(def)) if v == *def => {}
                (Ok(_), _) => problems.push(format!(
                    "{}: the default of `{k}` is {d} in the manifest but {} in the experiment",
                    m.name,
                    if doc.default.is_empty() {
                        "empty".to_string()
                    } else {
                        doc.default.clone()
                    }
                )),
                (Err(e), _) => problems.push(format!("{}: default of `{k}`: {e:#}", m.name)),
            }
        }
        let values = spec
            .choices
            .iter()
            .chain(m.sweep.get(k).into_iter().flatten());
        for v in values {
            let given = format!("{k}={}", super::plain(&to_json(v)));
            if let Err(e) = exp.check(std::slice::from_ref(&given)) {
                problems.push(format!("{}: value {v} of `{k}`: {e:#}", m.name));
            }
        }
    }
    problems
}

/// The experiments as a Markdown table: the README's, kept true by a test.
pub fn experiments_table() -> anyhow::Result<String> {
    let projects = built_in()?;
    let mut s =
        String::from("| experiment | what it does | status | projects |\n|---|---|---|---|\n");
    for e in crate::exp::REGISTRY {
        let used: Vec<String> = projects
            .iter()
            .filter(|p| p.manifest.exp.as_deref() == Some(e.name()))
            .map(|p| format!("[`{0}`](projects/{0}/)", p.manifest.name))
            .collect();
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            e.name(),
            e.summary(),
            if e.built().is_some() {
                "built"
            } else {
                "not built yet"
            },
            if used.is_empty() {
                "–".to_string()
            } else {
                used.join(", ")
            }
        ));
    }
    Ok(s)
}

/// The built-in projects as a Markdown table (projects/README.md's and the README's,
/// kept true by a test); links are relative to `base` (`""` or `"projects/"`).
pub fn projects_table(base: &str) -> anyhow::Result<String> {
    let mut s = String::from("| project | step | kind | runs | status |\n|---|---|---|---|---|\n");
    let mut projects = built_in()?;
    projects.sort_by(|a, b| {
        (&a.manifest.step, &a.manifest.name).cmp(&(&b.manifest.step, &b.manifest.name))
    });
    for p in projects {
        let m = &p.manifest;
        let runs = match (&m.exp, &m.command) {
            (Some(e), _) if !m.sweep.is_empty() => format!(
                "`labbook exp {e}`; sweeps {}",
                m.sweep
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (Some(e), _) => format!("`labbook exp {e}`"),
            (None, _) => "your script".to_string(),
        };
        let status = match (p.readiness(), &m.command) {
            (Readiness::Ready, Some(_)) => "needs your script".to_string(),
            (Readiness::Ready, None) => "ready".to_string(),
            (Readiness::NotBuilt(_), _) => "not built yet".to_string(),
        };
        s.push_str(&format!(
            "| [`{0}`]({base}{0}/) | {1} | {2} | {runs} | {status} |\n",
            m.name,
            m.step.clone().unwrap_or_default(),
            p.kind()
        ));
    }
    Ok(s)
}

fn to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::json!(i),
        toml::Value::Float(f) => serde_json::json!(f),
        toml::Value::Boolean(b) => serde_json::json!(b),
        other => serde_json::Value::String(other.to_string()),
    }
}

/// Parse a `--param` value by the parameter's type.
pub fn parse_value(name: &str, spec: &ParamSpec, raw: &str) -> anyhow::Result<serde_json::Value> {
    let v = match spec.kind {
        ParamType::Int => serde_json::json!(raw
            .trim()
            .parse::<i64>()
            .map_err(|_| anyhow!("parameter `{name}` is an integer, not `{raw}`"))?),
        ParamType::Float => {
            let f: f64 = raw
                .trim()
                .parse()
                .map_err(|_| anyhow!("parameter `{name}` is a number, not `{raw}`"))?;
            serde_json::json!(f)
        }
        ParamType::Bool => match raw.trim() {
            "true" | "1" | "yes" => serde_json::json!(true),
            "false" | "0" | "no" => serde_json::json!(false),
            _ => bail!("parameter `{name}` is true or false, not `{raw}`"),
        },
        ParamType::String | ParamType::Path => serde_json::Value::String(raw.to_string()),
        ParamType::Choice => {
            let hit = spec.choices.iter().find(|c| match c {
                toml::Value::String(s) => s == raw,
                other => other.to_string() == raw,
            });
            match hit {
                Some(c) => to_json(c),
                None => bail!(
                    "parameter `{name}` is one of {}, not `{raw}`",
                    spec.choices
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    };
    Ok(v)
}

/// Defaults overridden by `k=v` pairs; every required parameter must be given.
pub fn resolve_params(
    m: &Manifest,
    overrides: &[(String, String)],
) -> anyhow::Result<BTreeMap<String, serde_json::Value>> {
    let mut out = BTreeMap::new();
    for (k, raw) in overrides {
        let spec = m.params.get(k).ok_or_else(|| {
            anyhow!(
                "project `{}` has no parameter `{k}` (parameters: {})",
                m.name,
                m.params.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        out.insert(k.clone(), parse_value(k, spec, raw)?);
    }
    for (k, spec) in &m.params {
        if out.contains_key(k) {
            continue;
        }
        match &spec.default {
            Some(d) => {
                out.insert(k.clone(), to_json(d));
            }
            None => bail!(
                "project `{}` needs --param {k}=… ({})",
                m.name,
                if spec.help.is_empty() {
                    format!("{:?}", spec.kind).to_lowercase()
                } else {
                    spec.help.clone()
                }
            ),
        }
    }
    Ok(out)
}

/// Quote a value for `sh -c`.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// What to run for a project with resolved parameters.
pub fn spec(
    p: &Project,
    params: &BTreeMap<String, serde_json::Value>,
    exe: &Path,
    cwd: &Path,
) -> anyhow::Result<Spec> {
    let m = &p.manifest;
    let (argv, command) = match (&m.exp, &m.command) {
        (Some(e), _) => {
            let mut argv = vec![exe.display().to_string(), "exp".into(), e.clone()];
            for (k, v) in params {
                argv.push("--param".into());
                argv.push(format!("{k}={}", super::plain(v)));
            }
            let shown = format!("labbook {}", argv[1..].join(" "));
            (argv, shown)
        }
        (None, Some(t)) => {
            let mut line = t.clone();
            for (k, v) in params {
                line = line.replace(&format!("{{{k}}}"), &shell_quote(&super::plain(v)));
            }
            (vec!["sh".into(), "-c".into(), line.clone()], line)
        }
        (None, None) => bail!("project `{}` has neither `exp` nor `command`", m.name),
    };
    Ok(Spec {
        name: m.name.clone(),
        project: Some(m.name.clone()),
        argv,
        command,
        cwd: cwd.to_path_buf(),
        params: params.clone(),
        sweep: None,
        backend: String::new(),
    })
}

/// `labbook project add`: write a project folder for any command of the user's.
pub fn add(
    data_dir: &Path,
    name: &str,
    command: &str,
    title: Option<&str>,
    defaults: &[(String, String)],
    metrics: &[String],
) -> anyhow::Result<PathBuf> {
    let dir = user_dir(data_dir).join(name);
    if dir.exists() {
        bail!("{} exists already", dir.display());
    }
    let mut params = BTreeMap::new();
    for ph in placeholders(command) {
        let default = defaults
            .iter()
            .find(|(k, _)| *k == ph)
            .map(|(_, v)| v.clone());
        let (kind, default) = match default {
            None => (ParamType::String, None),
            Some(v) => {
                if let Ok(i) = v.parse::<i64>() {
                    (ParamType::Int, Some(toml::Value::Integer(i)))
                } else if let Ok(f) = v.parse::<f64>() {
                    (ParamType::Float, Some(toml::Value::Float(f)))
                } else if v == "true" || v == "false" {
                    (ParamType::Bool, Some(toml::Value::Boolean(v == "true")))
                } else {
                    (ParamType::String, Some(toml::Value::String(v)))
                }
            }
        };
        params.insert(
            ph,
            ParamSpec {
                kind,
                default,
                choices: vec![],
                help: String::new(),
            },
        );
    }
    for (k, _) in defaults {
        if !params.contains_key(k) {
            bail!("--default {k}=…: the command has no `{{{k}}}` placeholder");
        }
    }
    let m = Manifest {
        name: name.to_string(),
        title: title.unwrap_or(name).to_string(),
        step: None,
        items: vec![],
        demonstrates: String::new(),
        deliverable: None,
        exp: None,
        command: Some(command.to_string()),
        metrics: metrics.to_vec(),
        primary_metric: None,
        goal: None,
        params,
        sweep: BTreeMap::new(),
    };
    let text = toml::to_string_pretty(&m).context("writing the manifest")?;
    parse_manifest(&format!("{name}/project.toml"), &text)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("project.toml"), text)?;
    std::fs::write(
        dir.join("README.md"),
        format!("# {}\n\nYour own project. It runs:\n\n```sh\n{command}\n```\n\nWrite the goal, what to observe and the questions to answer here.\n", m.title),
    )?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_project_parses() {
        assert!(!PROJECTS.is_empty());
        for (name, toml, readme) in PROJECTS {
            let m = parse_manifest(name, toml).unwrap_or_else(|e| panic!("{e:#}"));
            assert_eq!(&m.name, name);
            assert!(!readme.is_empty(), "{name} has a README");
        }
    }

    #[test]
    fn placeholders_and_quoting() {
        assert_eq!(
            placeholders("python {script} --lr {lr} {lr} {not valid} {}"),
            ["script", "lr"]
        );
        assert_eq!(shell_quote("3e-4"), "3e-4");
        assert_eq!(shell_quote("it's here"), "'it'\\''s here'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn manifests_are_checked() {
        let ok = "name = \"x\"\ntitle = \"X\"\ncommand = \"python t.py --lr {lr}\"\n[params.lr]\ntype = \"float\"\ndefault = 0.1\n";
        assert!(parse_manifest("x", ok).is_ok());
        let cases = [
            ("name = \"x\"\ntitle = \"X\"\ncommand = \"t {lr}\"\n", "declares no parameter `lr`"),
            ("name = \"x\"\ntitle = \"X\"\n", "give `exp"),
            ("name = \"X Y\"\ntitle = \"X\"\nexp = \"lm\"\n", "must use a-z"),
            ("name = \"x\"\ntitle = \"X\"\nexp = \"lm\"\n[params.a]\ntype = \"int\"\ndefault = \"no\"\n", "is not a Int"),
            ("name = \"x\"\ntitle = \"X\"\nexp = \"lm\"\n[params.a]\ntype = \"choice\"\nchoices = [1, 2]\ndefault = 3\n", "not one of its choices"),
            ("name = \"x\"\ntitle = \"X\"\nexp = \"lm\"\nbogus = 1\n", "invalid project manifest"),
        ];
        for (text, msg) in cases {
            let e = parse_manifest("p.toml", text).unwrap_err().to_string();
            assert!(e.contains(msg), "{e} / {msg}");
        }
    }

    #[test]
    fn params_resolve_with_types() {
        let m = parse_manifest(
            "x",
            "name = \"x\"\ntitle = \"X\"\ncommand = \"t {lr} {n} {v} {s}\"\n[params.lr]\ntype = \"float\"\ndefault = 0.1\n[params.n]\ntype = \"int\"\ndefault = 2\n[params.v]\ntype = \"choice\"\nchoices = [\"a\", \"b\"]\ndefault = \"a\"\n[params.s]\ntype = \"path\"\n",
        )
        .unwrap();
        let e = resolve_params(&m, &[]).unwrap_err().to_string();
        assert!(e.contains("needs --param s="), "{e}");
        let p = resolve_params(
            &m,
            &[("s".into(), "my file.py".into()), ("n".into(), "5".into())],
        )
        .unwrap();
        assert_eq!(p["n"], serde_json::json!(5));
        assert_eq!(p["lr"], serde_json::json!(0.1));
        for (k, v, msg) in [
            ("n", "x", "integer"),
            ("v", "c", "one of"),
            ("zz", "1", "no parameter `zz`"),
        ] {
            let e = resolve_params(&m, &[("s".into(), "f".into()), (k.into(), v.into())])
                .unwrap_err()
                .to_string();
            assert!(e.contains(msg), "{e}");
        }
        let proj = Project {
            manifest: m,
            readme: String::new(),
            source: "t".into(),
        };
        let s = spec(&proj, &p, Path::new("/bin/labbook"), Path::new("/tmp")).unwrap();
        assert_eq!(s.argv[2], "t 0.1 5 a 'my file.py'");
    }
}

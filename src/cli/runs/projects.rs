//! `labbook project …`: the built-in projects and the user's own.

use clap::Subcommand;
use serde_json::json;

use crate::app::Context;
use crate::cli::print_json;
use crate::runs::project;

#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Built-in projects and your own.
    List {
        #[arg(long)]
        json: bool,
        /// The built-in projects as projects/README.md's Markdown table.
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
        /// With --markdown: what the project links start with (`projects/` from the
        /// repository's root, empty from projects/).
        #[arg(long, default_value = "projects/", requires = "markdown")]
        base: String,
    },
    /// A project's manifest and brief.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a project of your own for any command, e.g. 'python train.py --lr {lr}'.
    Add {
        name: String,
        #[arg(long)]
        command: String,
        #[arg(long)]
        title: Option<String>,
        /// Default for a {placeholder}: K=V (its type is inferred).
        #[arg(long = "default", value_name = "K=V")]
        defaults: Vec<String>,
        /// Metric keys to chart.
        #[arg(long = "metric")]
        metrics: Vec<String>,
    },
}

pub fn project_cmd(ctx: &Context, cmd: &ProjectCmd) -> anyhow::Result<()> {
    match cmd {
        ProjectCmd::List {
            markdown: true,
            base,
            ..
        } => {
            print!("{}", project::projects_table(base)?);
        }
        ProjectCmd::List { json, .. } => {
            let all = project::load_all(&ctx.data_dir)?;
            if *json {
                let v: Vec<_> = all
                    .iter()
                    .map(|p| json!({"name": p.manifest.name, "title": p.manifest.title, "step": p.manifest.step, "kind": p.kind(),
                        "exp": p.manifest.exp, "command": p.manifest.command, "ready": p.readiness() == project::Readiness::Ready,
                        "status": match p.readiness() { project::Readiness::Ready => "ready".to_string(), project::Readiness::NotBuilt(w) => w },
                        "source": p.source, "metrics": p.manifest.metrics}))
                    .collect();
                return print_json(&v);
            }
            for p in &all {
                let st = match p.readiness() {
                    project::Readiness::Ready => "ready".to_string(),
                    project::Readiness::NotBuilt(w) => format!("not built yet ({w})"),
                };
                println!(
                    "{:<22} {:<4} {:<8} {:<42} {}",
                    p.manifest.name,
                    p.manifest.step.clone().unwrap_or_default(),
                    p.kind(),
                    crate::util::truncate(&p.manifest.title, 42),
                    st
                );
            }
        }
        ProjectCmd::Show { name, json } => {
            let p = project::find(&ctx.data_dir, name)?;
            if *json {
                return print_json(&p);
            }
            println!("{} — {}  ({})", p.manifest.name, p.manifest.title, p.source);
            if let project::Readiness::NotBuilt(w) = p.readiness() {
                println!("status: not built yet: {w}");
            }
            match (&p.manifest.exp, &p.manifest.command) {
                (Some(e), _) => println!("runs:   labbook exp {e} --param k=v …"),
                (_, Some(c)) => println!("runs:   {c}"),
                _ => {}
            }
            for (k, s) in &p.manifest.params {
                println!(
                    "  --param {k}={:<14} {:?}  {}",
                    s.default
                        .as_ref()
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "(required)".into()),
                    s.kind,
                    s.help
                );
            }
            println!("\n{}", p.readme);
        }
        ProjectCmd::Add {
            name,
            command,
            title,
            defaults,
            metrics,
        } => {
            let kv = defaults
                .iter()
                .map(|s| crate::util::split_kv(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let dir = project::add(&ctx.data_dir, name, command, title.as_deref(), &kv, metrics)?;
            println!("added project {name} ({})", dir.display());
        }
    }
    Ok(())
}

//! Start-up shared by the CLI and the TUI: resolve directories, open the store,
//! import the catalog, sync the curriculum and rescan notes.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;

use crate::config::Config;
use crate::plan::{self, Plan, Schedule};
use crate::store::Store;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub data_dir: Option<PathBuf>,
    pub curriculum: Option<PathBuf>,
    /// A question bank directory (else the config's, else the built-in bank).
    pub questions: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub today: Option<NaiveDate>,
    /// Skip the notes rescan at open (the TUI runs it after its first frame).
    pub defer_notes_scan: bool,
}

pub struct Context {
    pub store: Store,
    pub data_dir: PathBuf,
    pub notes_dir: PathBuf,
    pub config: Config,
    pub config_path: PathBuf,
    pub today: NaiveDate,
    /// Where the curriculum came from ("built-in" or a directory).
    pub curriculum_source: String,
    /// The curriculum directory in use (`None`: built-in).
    pub curriculum_dir: Option<PathBuf>,
    /// The question bank directory in use (`None`: built-in).
    pub questions_dir: Option<PathBuf>,
    pub sync: Option<plan::sync::SyncReport>,
}

/// `--data-dir`, else `$LABBOOK_HOME`, else the XDG data directory.
pub fn resolve_data_dir(opt: Option<&Path>) -> anyhow::Result<PathBuf> {
    // Absolute, so paths stored in the index (run directories) stay valid from any
    // working directory.
    let absolute =
        |p: PathBuf| std::path::absolute(&p).with_context(|| format!("resolving {}", p.display()));
    if let Some(d) = opt {
        return absolute(d.to_path_buf());
    }
    if let Some(h) = std::env::var_os("LABBOOK_HOME").filter(|h| !h.is_empty()) {
        return absolute(PathBuf::from(h));
    }
    dirs::data_dir()
        .map(|d| d.join("labbook"))
        .context("no XDG data directory (set HOME, LABBOOK_HOME or pass --data-dir)")
}

/// Where logs go: the XDG state directory, else `<data dir>/logs`.
pub fn state_dir(data_dir: &Path) -> PathBuf {
    if std::env::var_os("LABBOOK_HOME").is_some() {
        return data_dir.join("logs");
    }
    dirs::state_dir()
        .map(|d| d.join("labbook"))
        .unwrap_or_else(|| data_dir.join("logs"))
}

fn default_config_path(data_dir: &Path, explicit_data_dir: bool) -> PathBuf {
    if explicit_data_dir {
        return data_dir.join("config.toml");
    }
    dirs::config_dir()
        .map(|d| d.join("labbook").join("config.toml"))
        .unwrap_or_else(|| data_dir.join("config.toml"))
}

/// The config file the options name: `--config`, else the default for the data
/// directory they resolve to.
pub fn config_path(opts: &Options) -> anyhow::Result<PathBuf> {
    if let Some(p) = &opts.config {
        return Ok(p.clone());
    }
    let explicit =
        opts.data_dir.is_some() || std::env::var_os("LABBOOK_HOME").is_some_and(|h| !h.is_empty());
    Ok(default_config_path(
        &resolve_data_dir(opts.data_dir.as_deref())?,
        explicit,
    ))
}

impl Context {
    pub fn open(opts: &Options) -> anyhow::Result<Context> {
        let data_dir = resolve_data_dir(opts.data_dir.as_deref())?;
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating data directory {}", data_dir.display()))?;
        let config_path = config_path(opts)?;
        let config = Config::load(&config_path)?;
        let mut store = Store::open(&data_dir.join("labbook.db"))?;
        let today = opts
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        crate::papers::seed_catalog(&mut store.conn, plan::embedded::CATALOG)
            .context("importing the built-in reading list")?;
        let curriculum_dir = opts
            .curriculum
            .clone()
            .or_else(|| config.curriculum_dir.clone());
        let (plan, source) = load_curriculum(curriculum_dir.as_deref())?;
        let sync = sync_if_changed(&mut store, &plan, &source)?;
        let questions_dir = opts
            .questions
            .clone()
            .or_else(|| config.questions_dir.clone());
        let notes_dir = data_dir.join("notes");
        if !opts.defer_notes_scan {
            let scan = crate::notes::scan(&store.conn, &notes_dir)?;
            for e in &scan.errors {
                tracing::warn!("note not indexed: {e}");
            }
        }
        plan::progress::load_schedule(&store.conn, today)?;
        Ok(Context {
            store,
            data_dir,
            notes_dir,
            config,
            config_path,
            today,
            curriculum_source: source,
            curriculum_dir,
            questions_dir,
            sync,
        })
    }

    pub fn schedule(&self) -> anyhow::Result<Schedule> {
        plan::progress::load_schedule(&self.store.conn, self.today)
    }

    pub fn plan(&self) -> anyhow::Result<Plan> {
        Ok(plan::progress::load_plan(&self.store.conn)?)
    }
}

/// The curriculum from a directory, or the built-in one.
pub fn load_curriculum(dir: Option<&Path>) -> anyhow::Result<(Plan, String)> {
    match dir {
        Some(d) => Ok((plan::load_dir(d)?, d.display().to_string())),
        None => Ok((plan::embedded::plan()?, "built-in".to_string())),
    }
}

fn plan_hash(plan: &Plan) -> String {
    crate::util::content_hash(serde_json::to_string(plan).unwrap_or_default().as_bytes())
}

/// Sync the plan into the store unless it is the one synced last time.
pub fn sync_if_changed(
    store: &mut Store,
    plan: &Plan,
    source: &str,
) -> anyhow::Result<Option<plan::sync::SyncReport>> {
    let hash = plan_hash(plan);
    if store.meta_get("curriculum.hash")?.as_deref() == Some(hash.as_str()) {
        return Ok(None);
    }
    let report = plan::sync::sync(&mut store.conn, plan)
        .context("syncing the curriculum into the database")?;
    store.meta_set("curriculum.hash", &hash)?;
    store.meta_set("curriculum.source", source)?;
    if !report.archived.is_empty() {
        tracing::info!(
            "archived {} items removed from the curriculum",
            report.archived.len()
        );
    }
    Ok(Some(report))
}

/// Fill a data directory with `papers` synthetic papers and `notes` synthetic notes
/// (marked as such: source `bench`, "Synthetic paper …", "Bench note …") for the
/// start-up benchmark (`labbook bench startup`).
pub fn fill_synthetic(dir: &std::path::Path, papers: usize, notes: usize) -> anyhow::Result<()> {
    let ctx = Context::open(&Options {
        data_dir: Some(dir.to_path_buf()),
        ..Default::default()
    })?;
    let notes_dir = ctx.notes_dir.clone();
    std::fs::create_dir_all(&notes_dir)?;
    let conn = &ctx.store.conn;
    let tx = conn.unchecked_transaction()?;
    let now = crate::store::now_ts();
    let words = [
        "attention",
        "speech",
        "latency",
        "turn",
        "contrastive",
        "agent",
        "memory",
        "prosody",
        "vocoder",
        "alignment",
    ];
    for i in 0..papers {
        let w = words[i % words.len()];
        let w2 = words[(i / 7) % words.len()];
        tx.execute(
            "INSERT INTO papers(key, entry_type, title, authors, year, arxiv, fields, source, added_at, updated_at)
             VALUES (?1, 'misc', ?2, 'Synthetic Author', '2024', ?3, '{}', 'bench', ?4, ?4)",
            rusqlite::params![format!("bench{i}"), format!("Synthetic paper {i} on {w} and {w2}"), format!("9{:03}.{:05}", i / 100000, i % 100000), now],
        )?;
    }
    for i in 0..notes {
        let rel = format!("bench-{i}.md");
        let body = format!(
            "# Bench note {i}\n\nSynthetic note about {} for the start-up benchmark.\n",
            words[i % words.len()]
        );
        std::fs::write(notes_dir.join(&rel), &body)?;
        tx.execute(
            "INSERT INTO notes(path, title, body, created_at, updated_at, mtime_ns, size) VALUES (?1, ?2, ?3, ?4, ?4, 0, 0)",
            rusqlite::params![rel, format!("Bench note {i}"), body, now],
        )?;
    }
    tx.commit()?;
    // Index the files' real stamps so start-up does not reindex them.
    crate::notes::scan(conn, &notes_dir)?;
    Ok(())
}

//! SQLite store: connection setup (WAL, busy_timeout, foreign keys), versioned
//! migrations by `PRAGMA user_version`, and a clear refusal to touch files that are
//! corrupt, foreign, or written by a newer labbook.

mod migrations;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use migrations::MIGRATIONS;

/// `PRAGMA application_id` of a labbook database ("LBK1").
pub const APPLICATION_ID: i32 = 0x4C42_4B31;

/// Schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a labbook database ({reason}); the file was left untouched")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: written by a newer labbook (schema version {found}, this build knows up to {known}); upgrade labbook — the file was left untouched")]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{path}: an SQLite database that does not belong to labbook (application_id {app_id:#x}); the file was left untouched")]
    Foreign { path: PathBuf, app_id: i32 },
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An open labbook database.
pub struct Store {
    pub conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// Open (creating if needed) the database at `path`, migrating it to the latest
    /// schema. An existing file is checked before anything is written to it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::open_to(path, latest_version())
    }

    /// Open and migrate up to `target` (tests build databases at earlier versions).
    pub fn open_to(path: &Path, target: i64) -> Result<Store, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        let sql = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let existing = match std::fs::metadata(path) {
            Ok(m) => m.len() > 0,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(io(e)),
        };
        let mut version = 0;
        if existing {
            check_header(path)?;
            version = probe(path, target)?;
        } else if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(sql)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        if existing && version > 0 && version < target {
            store.backup(version)?;
        }
        store.migrate(version, target)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copy the database aside before a migration: `labbook.db.bak-vN`.
    fn backup(&self, version: i64) -> Result<(), StoreError> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".bak-v{version}"));
        let bak = PathBuf::from(name);
        if bak.exists() {
            return Ok(());
        }
        self.conn
            .execute("VACUUM INTO ?1", [bak.to_string_lossy().as_ref()])
            .map_err(|source| StoreError::Sqlite {
                path: bak.clone(),
                source,
            })?;
        Ok(())
    }

    fn migrate(&mut self, from: i64, to: i64) -> Result<(), StoreError> {
        let path = self.path.clone();
        for v in from..to {
            let sql = MIGRATIONS[v as usize];
            let tx = self
                .conn
                .transaction()
                .map_err(|source| StoreError::Sqlite {
                    path: path.clone(),
                    source,
                })?;
            tx.execute_batch(sql)
                .and_then(|_| {
                    tx.execute_batch(&format!(
                        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
                        v + 1
                    ))
                })
                .and_then(|_| tx.commit())
                .map_err(|source| StoreError::Sqlite {
                    path: path.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> rusqlite::Result<i64> {
        self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))
    }

    pub fn meta_get(&self, key: &str) -> rusqlite::Result<Option<String>> {
        meta_get(&self.conn, key)
    }

    pub fn meta_set(&self, key: &str, value: &str) -> rusqlite::Result<()> {
        meta_set(&self.conn, key, value)
    }
}

/// Errors that mean "this file is damaged", as opposed to locked or unreadable.
fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Look at an existing file through a read-only connection (so nothing, not even a
/// WAL checkpoint, is written to a file we refuse) and return its schema version.
fn probe(path: &Path, target: i64) -> Result<i64, StoreError> {
    let fail = |e: rusqlite::Error| {
        if is_corruption(&e) {
            StoreError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        } else {
            StoreError::Sqlite {
                path: path.to_path_buf(),
                source: e,
            }
        }
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(fail)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(fail)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(fail)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(fail)?;
    if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
            app_id,
        });
    }
    if version > latest_version() {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found: version,
            known: latest_version(),
        });
    }
    if version < target {
        // About to migrate: make sure the file is sound first.
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(fail)?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("integrity check failed: {check}"),
            });
        }
    }
    Ok(version)
}

fn check_header(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut head = [0u8; 16];
    let n = f.read(&mut head).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if n < 16 || &head != SQLITE_MAGIC {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: "the file does not start with the SQLite header".into(),
        });
    }
    Ok(())
}

/// A setting from the `meta` table.
pub fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// Current time as stored in the database (RFC 3339, UTC, seconds).
pub fn now_ts() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

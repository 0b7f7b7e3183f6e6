//! Store: migrations from every earlier schema version, and refusal to touch
//! corrupt, foreign or newer databases.

use labbook::store::{latest_version, Store, StoreError, APPLICATION_ID};
use rusqlite::Connection;

/// Rows that are valid at schema version `v`, so upgrades are tested with data.
fn seed_at(conn: &Connection, v: i64) {
    if v >= 1 {
        conn.execute_batch(
            "INSERT INTO meta(key, value) VALUES ('plan.start', '2026-01-05');
             INSERT INTO steps(id, ord, title, week_from, week_to, source) VALUES ('s1', 0, 'Foundations', 1, 2, 'x.md');
             INSERT INTO items(id, step_id, kind, title, ord, done_at, created_at, updated_at)
               VALUES ('s1.a', 's1', 'topic', 'A', 1, '2026-01-06T10:00:00Z', 'now', 'now');
             INSERT INTO papers(key, entry_type, title, status, added_at, updated_at)
               VALUES ('k1', 'misc', 'T', 'read', 'now', 'now');",
        )
        .unwrap();
    }
    if v >= 2 {
        conn.execute_batch(
            "INSERT INTO notes(path, title, body, created_at, updated_at) VALUES ('n.md', 'N', 'rotary body', 'now', 'now');",
        )
        .unwrap();
    }
    if v >= 3 {
        conn.execute_batch(
            "INSERT INTO runs(uid, name, command, dir, status, created_at) VALUES ('r1', 'demo', 'true', '/tmp/r1', 'completed', 'now');
             INSERT INTO metric_keys(name) VALUES ('loss');
             INSERT INTO metrics(run_id, key_id, seq, step, wall, value) VALUES (1, 1, 0, 0, 1.0, 2.5);",
        )
        .unwrap();
    }
}

#[test]
fn opens_a_database_created_at_every_earlier_version() {
    assert!(latest_version() >= 3);
    for v in 0..latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labbook.db");
        {
            let store = Store::open_to(&path, v).unwrap();
            assert_eq!(store.schema_version().unwrap(), v);
            seed_at(&store.conn, v);
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            latest_version(),
            "from v{v}"
        );
        let app_id: i32 = store
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(app_id, APPLICATION_ID);
        if v >= 1 {
            let done: Option<String> = store
                .conn
                .query_row("SELECT done_at FROM items WHERE id = 's1.a'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(
                done.as_deref(),
                Some("2026-01-06T10:00:00Z"),
                "progress survives the v{v} upgrade"
            );
            let status: String = store
                .conn
                .query_row("SELECT status FROM papers WHERE key = 'k1'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(status, "read");
            let bak = dir.path().join(format!("labbook.db.bak-v{v}"));
            assert!(bak.exists(), "a backup is taken before migrating from v{v}");
        }
        if v >= 2 {
            let hits: i64 = store
                .conn
                .query_row(
                    "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'rotary'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(hits, 1);
        }
        // Every table the latest schema defines exists.
        for t in [
            "meta",
            "steps",
            "items",
            "item_refs",
            "papers",
            "paper_tags",
            "paper_steps",
            "notes",
            "notes_fts",
            "note_links",
            "deliverables",
            "evidence",
        ] {
            let n: i64 = store
                .conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                    [t],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "table {t} after upgrade from v{v}");
        }
    }
}

#[test]
fn connection_settings() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("x.db")).unwrap();
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = store
        .conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let bt: i64 = store
        .conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert!(bt >= 1000);
}

#[test]
fn corrupt_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labbook.db");
    let garbage = b"this is not a database, just some text that happens to be here\n".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("labbook.db"), "{err}");
    assert!(err.to_string().contains("left untouched"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    assert!(!dir.path().join("labbook.db-wal").exists());
}

#[test]
fn truncated_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labbook.db");
    {
        let s = Store::open(&path).unwrap();
        s.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    // Keep the header but destroy every page after the first.
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { .. } | StoreError::Sqlite { .. }),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labbook.db");
    drop(Store::open(&path).unwrap());
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(&format!("PRAGMA user_version = {}", latest_version() + 3))
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::Newer { found, known, .. } => {
            assert_eq!(*found, latest_version() + 3);
            assert_eq!(*known, latest_version());
        }
        other => panic!("expected Newer, got {other}"),
    }
    assert!(err.to_string().contains("newer labbook"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn foreign_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers(name) VALUES ('x');").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

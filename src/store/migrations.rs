//! Schema migrations. Each entry takes the database from version `i` to `i + 1`;
//! never edit a released entry, append a new one.

pub const MIGRATIONS: &[&str] = &[
    // v1: settings, the plan (steps, items, progress) and papers.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE steps (
    id          TEXT PRIMARY KEY,
    ord         INTEGER NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    week_from   INTEGER NOT NULL,
    week_to     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    archived_at TEXT
);
CREATE TABLE items (
    id          TEXT PRIMARY KEY,
    step_id     TEXT NOT NULL REFERENCES steps(id),
    kind        TEXT NOT NULL,
    grp         TEXT,
    title       TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    ord         INTEGER NOT NULL,
    week        INTEGER,
    hours       REAL,
    project     TEXT,
    source_line INTEGER,
    done_at     TEXT,
    archived_at TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX items_step ON items(step_id, ord);
CREATE TABLE item_refs (
    item_id   TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    paper_key TEXT NOT NULL,
    PRIMARY KEY (item_id, paper_key)
);
CREATE TABLE papers (
    id                INTEGER PRIMARY KEY,
    key               TEXT NOT NULL UNIQUE,
    entry_type        TEXT NOT NULL,
    title             TEXT NOT NULL,
    authors           TEXT NOT NULL DEFAULT '',
    year              TEXT,
    venue             TEXT,
    arxiv             TEXT,
    doi               TEXT,
    url               TEXT,
    fields            TEXT NOT NULL DEFAULT '{}',
    status            TEXT NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'reading', 'read', 'summarised')),
    priority          INTEGER NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 3),
    rating            INTEGER CHECK (rating BETWEEN 1 AND 5),
    notes             TEXT NOT NULL DEFAULT '',
    source            TEXT NOT NULL DEFAULT 'catalog',
    added_at          TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    status_changed_at TEXT
);
CREATE INDEX papers_arxiv ON papers(arxiv);
CREATE INDEX papers_doi ON papers(doi);
CREATE TABLE paper_tags (
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (paper_id, tag)
);
CREATE TABLE paper_steps (
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    step_id  TEXT NOT NULL,
    origin   TEXT NOT NULL DEFAULT 'user',
    PRIMARY KEY (paper_id, step_id)
);
"#,
    // v2: notes (files on disk, indexed here, full-text search) and deliverables.
    r#"
CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    path       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    paper_key  TEXT,
    item_id    TEXT,
    run_id     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    mtime_ns   INTEGER NOT NULL DEFAULT 0,
    size       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notes_paper ON notes(paper_key);
CREATE INDEX notes_item ON notes(item_id);
CREATE VIRTUAL TABLE notes_fts USING fts5(
    title, body, content = 'notes', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts(notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER notes_au AFTER UPDATE ON notes BEGIN
    INSERT INTO notes_fts(notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO notes_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TABLE note_links (
    note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    target  TEXT NOT NULL,
    PRIMARY KEY (note_id, kind, target)
);
CREATE TABLE deliverables (
    item_id    TEXT PRIMARY KEY REFERENCES items(id),
    status     TEXT NOT NULL DEFAULT 'not-started'
               CHECK (status IN ('not-started', 'in-progress', 'done')),
    updated_at TEXT NOT NULL
);
CREATE TABLE evidence (
    id       INTEGER PRIMARY KEY,
    item_id  TEXT NOT NULL REFERENCES items(id),
    kind     TEXT NOT NULL CHECK (kind IN ('note', 'paper', 'url', 'run', 'report')),
    target   TEXT NOT NULL,
    added_at TEXT NOT NULL,
    UNIQUE (item_id, kind, target)
);
"#,
    // v3: experiment runs, their metrics (long format) and ingest offsets.
    r#"
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    uid          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    project      TEXT,
    command      TEXT NOT NULL,
    params       TEXT NOT NULL DEFAULT '{}',
    dir          TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'completed', 'failed', 'killed', 'lost')),
    reason       TEXT,
    stalled      INTEGER NOT NULL DEFAULT 0,
    exit_code    INTEGER,
    signal       INTEGER,
    pid          INTEGER,
    created_at   TEXT NOT NULL,
    started_at   REAL,
    ended_at     REAL,
    last_output  REAL,
    interval     REAL,
    sweep        TEXT,
    seed         INTEGER,
    git_commit   TEXT,
    git_dirty    INTEGER,
    host         TEXT,
    backend      TEXT NOT NULL DEFAULT 'local',
    note         TEXT NOT NULL DEFAULT '',
    records      INTEGER NOT NULL DEFAULT 0,
    last_step    INTEGER,
    finished     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_status ON runs(status);
CREATE INDEX runs_project ON runs(project);
CREATE TABLE run_tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag    TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
);
CREATE TABLE run_info (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE run_offsets (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    stream TEXT NOT NULL,
    offset INTEGER NOT NULL,
    lines  INTEGER NOT NULL,
    PRIMARY KEY (run_id, stream)
);
CREATE TABLE metric_keys (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
-- Long format, one row per point; `seq` keeps repeated and out-of-order steps apart.
-- A NULL value is NaN (SQLite stores NaN as NULL); ±Inf are stored as they are.
CREATE TABLE metrics (
    run_id INTEGER NOT NULL,
    key_id INTEGER NOT NULL,
    seq    INTEGER NOT NULL,
    step   INTEGER NOT NULL,
    wall   REAL NOT NULL,
    value  REAL,
    PRIMARY KEY (run_id, key_id, seq)
) WITHOUT ROWID;
CREATE TABLE metric_summary (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key_id    INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    last      REAL,
    last_step INTEGER,
    min       REAL,
    min_step  INTEGER,
    max       REAL,
    max_step  INTEGER,
    PRIMARY KEY (run_id, key_id)
);
"#,
];

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
    // v4: flashcards (FSRS state), their review log, and mock interviews.
    r#"
CREATE TABLE cards (
    id             INTEGER PRIMARY KEY,
    -- Stable identity: `bank:<question id>`, `note:<note path>:<hash>` or `user:<n>`.
    uid            TEXT NOT NULL UNIQUE,
    source         TEXT NOT NULL CHECK (source IN ('bank', 'note', 'user')),
    -- The plan item the card belongs to (a bank topic, a note's item), if any.
    topic          TEXT,
    front          TEXT NOT NULL,
    back           TEXT NOT NULL,
    -- FSRS memory state (rs-fsrs `Card`); state 0 new, 1 learning, 2 review, 3 relearning.
    state          INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
    due            TEXT NOT NULL,
    stability      REAL NOT NULL DEFAULT 0,
    difficulty     REAL NOT NULL DEFAULT 0,
    elapsed_days   INTEGER NOT NULL DEFAULT 0,
    scheduled_days INTEGER NOT NULL DEFAULT 0,
    reps           INTEGER NOT NULL DEFAULT 0,
    lapses         INTEGER NOT NULL DEFAULT 0,
    last_review    TEXT,
    suspended      INTEGER NOT NULL DEFAULT 0,
    -- Set while the source no longer holds the card (note edited or deleted); the
    -- schedule and the review log are kept, and the card comes back if the text does.
    orphaned_at    TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX cards_due ON cards(state, due);
CREATE INDEX cards_topic ON cards(topic);
CREATE TABLE card_reviews (
    id             INTEGER PRIMARY KEY,
    card_id        INTEGER NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    reviewed_at    TEXT NOT NULL,
    -- Local calendar day of the review (the new-cards-per-day cap counts by it).
    day            TEXT NOT NULL,
    rating         INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    -- State before the review, days since the previous one, and the interval it had.
    state          INTEGER NOT NULL,
    elapsed_days   INTEGER NOT NULL,
    scheduled_days INTEGER NOT NULL,
    -- The outcome: next due time, interval in days, memory state.
    due            TEXT NOT NULL,
    interval_days  INTEGER NOT NULL,
    stability      REAL NOT NULL,
    difficulty     REAL NOT NULL,
    duration_ms    INTEGER,
    origin         TEXT NOT NULL DEFAULT 'review' CHECK (origin IN ('review', 'mock'))
);
CREATE INDEX card_reviews_card ON card_reviews(card_id, reviewed_at);
CREATE INDEX card_reviews_day ON card_reviews(day);
CREATE TABLE mock_sessions (
    id         INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    -- The topic asked for (a plan item or a bank topic); NULL: weighted to weak topics.
    topic      TEXT,
    minutes    REAL NOT NULL
);
CREATE TABLE mock_answers (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES mock_sessions(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    topic       TEXT NOT NULL,
    item        TEXT NOT NULL,
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    rating      INTEGER CHECK (rating BETWEEN 1 AND 5),
    seconds     REAL NOT NULL,
    limit_secs  REAL NOT NULL,
    answered_at TEXT NOT NULL,
    card_id     INTEGER REFERENCES cards(id) ON DELETE SET NULL
);
CREATE INDEX mock_answers_question ON mock_answers(question_id, answered_at);
"#,
];

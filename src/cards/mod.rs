//! Flashcards scheduled with FSRS (the `rs-fsrs` crate): cards from the question bank
//! (its theory questions), from notes (`Q:`/`A:` pairs and `{{c1::…}}` clozes) and
//! added by hand; a review log; a new-cards-per-day cap. Mock interviews
//! ([`mock`]) turn low self-ratings into due cards.

pub mod bank;
pub mod embedded;
pub mod mock;
pub mod notes;
pub mod review;

use std::collections::HashSet;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use chrono::{DateTime, Duration, Local, NaiveDate, TimeZone, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::store::now_ts;
pub use bank::Bank;

/// `[cards]` in the config.
#[derive(Debug, Clone, Deserialize, PartialEq, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// New cards introduced per day (0: none).
    pub new_per_day: u32,
    /// Target probability of recall when a card comes due (FSRS `request_retention`).
    pub retention: f64,
    /// Longest interval in days.
    pub maximum_interval: i32,
    /// Default length of a mock-interview answer, in minutes.
    pub mock_minutes: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            new_per_day: 10,
            retention: 0.9,
            maximum_interval: 36500,
            mock_minutes: 3.0,
        }
    }
}

impl Settings {
    pub fn fsrs(&self) -> rs_fsrs::FSRS {
        rs_fsrs::FSRS::new(rs_fsrs::Parameters {
            request_retention: self.retention.clamp(0.7, 0.99),
            maximum_interval: self.maximum_interval.max(1),
            enable_fuzz: false,
            ..Default::default()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    Again = 1,
    Hard = 2,
    Good = 3,
    Easy = 4,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Again, Grade::Hard, Grade::Good, Grade::Easy];

    pub fn from_number(n: u8) -> Option<Grade> {
        Grade::ALL.get((n as usize).checked_sub(1)?).copied()
    }

    pub fn label(self) -> &'static str {
        match self {
            Grade::Again => "again",
            Grade::Hard => "hard",
            Grade::Good => "good",
            Grade::Easy => "easy",
        }
    }

    fn fsrs(self) -> rs_fsrs::Rating {
        match self {
            Grade::Again => rs_fsrs::Rating::Again,
            Grade::Hard => rs_fsrs::Rating::Hard,
            Grade::Good => rs_fsrs::Rating::Good,
            Grade::Easy => rs_fsrs::Rating::Easy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardState {
    New,
    Learning,
    Review,
    Relearning,
}

impl CardState {
    pub fn as_str(self) -> &'static str {
        match self {
            CardState::New => "new",
            CardState::Learning => "learning",
            CardState::Review => "review",
            CardState::Relearning => "relearning",
        }
    }

    fn from_i64(n: i64) -> CardState {
        match n {
            1 => CardState::Learning,
            2 => CardState::Review,
            3 => CardState::Relearning,
            _ => CardState::New,
        }
    }

    fn to_fsrs(self) -> rs_fsrs::State {
        match self {
            CardState::New => rs_fsrs::State::New,
            CardState::Learning => rs_fsrs::State::Learning,
            CardState::Review => rs_fsrs::State::Review,
            CardState::Relearning => rs_fsrs::State::Relearning,
        }
    }

    fn from_fsrs(s: rs_fsrs::State) -> CardState {
        match s {
            rs_fsrs::State::New => CardState::New,
            rs_fsrs::State::Learning => CardState::Learning,
            rs_fsrs::State::Review => CardState::Review,
            rs_fsrs::State::Relearning => CardState::Relearning,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub id: i64,
    pub uid: String,
    pub source: String,
    pub topic: Option<String>,
    pub front: String,
    pub back: String,
    pub state: CardState,
    pub due: DateTime<Utc>,
    pub stability: f64,
    pub difficulty: f64,
    pub elapsed_days: i64,
    pub scheduled_days: i64,
    pub reps: i64,
    pub lapses: i64,
    pub last_review: Option<DateTime<Utc>>,
    pub suspended: bool,
    pub orphaned: bool,
}

impl Card {
    fn to_fsrs(&self) -> rs_fsrs::Card {
        rs_fsrs::Card {
            due: self.due,
            stability: self.stability,
            difficulty: self.difficulty,
            elapsed_days: self.elapsed_days,
            scheduled_days: self.scheduled_days,
            reps: self.reps as i32,
            lapses: self.lapses as i32,
            state: self.state.to_fsrs(),
            last_review: self.last_review.unwrap_or(self.due),
        }
    }

    /// A card that has never been reviewed, due `now` (for previews and tests).
    pub fn blank(now: DateTime<Utc>) -> Card {
        Card {
            id: 0,
            uid: String::new(),
            source: "user".into(),
            topic: None,
            front: String::new(),
            back: String::new(),
            state: CardState::New,
            due: now,
            stability: 0.0,
            difficulty: 0.0,
            elapsed_days: 0,
            scheduled_days: 0,
            reps: 0,
            lapses: 0,
            last_review: None,
            suspended: false,
            orphaned: false,
        }
    }
}

/// What a grade would do: the card after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Next {
    pub grade: Grade,
    pub card: Card,
    /// Time from now to the next due date.
    pub interval: Duration,
}

/// The outcome of every grade for `card` at `now` (the intervals on the grade buttons).
pub fn preview(settings: &Settings, card: &Card, now: DateTime<Utc>) -> [Next; 4] {
    let log = settings.fsrs().repeat(card.to_fsrs(), now);
    Grade::ALL.map(|g| {
        let next = log
            .get(&g.fsrs())
            .map(|i| apply(card, &i.card))
            .unwrap_or_else(|| card.clone());
        Next {
            grade: g,
            interval: next.due - now,
            card: next,
        }
    })
}

/// The card after one grade (no I/O).
pub fn schedule(settings: &Settings, card: &Card, grade: Grade, now: DateTime<Utc>) -> Card {
    let info = settings.fsrs().next(card.to_fsrs(), now, grade.fsrs());
    apply(card, &info.card)
}

fn apply(card: &Card, f: &rs_fsrs::Card) -> Card {
    Card {
        state: CardState::from_fsrs(f.state),
        due: f.due,
        stability: f.stability,
        difficulty: f.difficulty,
        elapsed_days: f.elapsed_days,
        scheduled_days: f.scheduled_days,
        reps: f.reps as i64,
        lapses: f.lapses as i64,
        last_review: Some(f.last_review),
        ..card.clone()
    }
}

/// An interval as Anki shows it on a button: `1m`, `10m`, `3h`, `4d`, `2.1mo`, `1.3y`.
pub fn fmt_interval(d: Duration) -> String {
    let secs = d.num_seconds().max(0) as f64;
    let mins = secs / 60.0;
    let days = secs / 86_400.0;
    if mins < 1.0 {
        "<1m".into()
    } else if mins < 60.0 {
        format!("{}m", mins.round() as i64)
    } else if days < 1.0 {
        format!("{}h", (mins / 60.0).round() as i64)
    } else if days < 30.0 {
        format!("{}d", days.round() as i64)
    } else if days < 365.0 {
        format!("{:.1}mo", days / 30.0)
    } else {
        format!("{:.1}y", days / 365.0)
    }
}

/// "Now" for a given calendar day: the real clock when it is today, else noon of
/// that day (so `--today`/`LABBOOK_TODAY` gives reproducible sessions).
pub fn now_for(today: NaiveDate) -> DateTime<Utc> {
    if Local::now().date_naive() == today {
        return Utc::now();
    }
    let noon = today.and_hms_opt(12, 0, 0).unwrap_or_default();
    Local
        .from_local_datetime(&noon)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&noon))
}

/// The first instant of the day after `today`, local time.
pub fn end_of_day(today: NaiveDate) -> DateTime<Utc> {
    let next = (today + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    Local
        .from_local_datetime(&next)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&next))
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

const COLS: &str = "id, uid, source, topic, front, back, state, due, stability, difficulty, elapsed_days, scheduled_days, reps, lapses, last_review, suspended, orphaned_at IS NOT NULL";

fn row_card(r: &rusqlite::Row) -> rusqlite::Result<Card> {
    let last: Option<String> = r.get(14)?;
    Ok(Card {
        id: r.get(0)?,
        uid: r.get(1)?,
        source: r.get(2)?,
        topic: r.get(3)?,
        front: r.get(4)?,
        back: r.get(5)?,
        state: CardState::from_i64(r.get(6)?),
        due: parse_ts(&r.get::<_, String>(7)?)?,
        stability: r.get(8)?,
        difficulty: r.get(9)?,
        elapsed_days: r.get(10)?,
        scheduled_days: r.get(11)?,
        reps: r.get(12)?,
        lapses: r.get(13)?,
        last_review: last.as_deref().map(parse_ts).transpose()?,
        suspended: r.get(15)?,
        orphaned: r.get(16)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> anyhow::Result<Card> {
    conn.query_row(
        &format!("SELECT {COLS} FROM cards WHERE id = ?1"),
        [id],
        row_card,
    )
    .optional()?
    .ok_or_else(|| anyhow!("no card with id {id} (see `labbook cards list`)"))
}

pub fn by_uid(conn: &Connection, uid: &str) -> rusqlite::Result<Option<Card>> {
    conn.query_row(
        &format!("SELECT {COLS} FROM cards WHERE uid = ?1"),
        [uid],
        row_card,
    )
    .optional()
}

/// Which cards `list` returns.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub topic: Option<String>,
    pub source: Option<String>,
    /// Only cards due by this time (new cards excluded).
    pub due_by: Option<DateTime<Utc>>,
    /// Include suspended and orphaned cards.
    pub all: bool,
}

pub fn list(conn: &Connection, f: &Filter) -> anyhow::Result<Vec<Card>> {
    let mut sql = format!("SELECT {COLS} FROM cards WHERE 1 = 1");
    let mut args: Vec<String> = Vec::new();
    if !f.all {
        sql.push_str(" AND suspended = 0 AND orphaned_at IS NULL");
    }
    if let Some(t) = &f.topic {
        args.push(t.clone());
        sql.push_str(&format!(" AND topic = ?{}", args.len()));
    }
    if let Some(s) = &f.source {
        args.push(s.clone());
        sql.push_str(&format!(" AND source = ?{}", args.len()));
    }
    if let Some(t) = f.due_by {
        args.push(ts(t));
        sql.push_str(&format!(" AND state != 0 AND due <= ?{}", args.len()));
    }
    sql.push_str(" ORDER BY due, id");
    let cards = conn
        .prepare(&sql)?
        .query_map(rusqlite::params_from_iter(args.iter()), row_card)?
        .collect::<Result<_, _>>()
        .context("listing cards")?;
    Ok(cards)
}

/// Add a card by hand.
pub fn add(
    conn: &Connection,
    front: &str,
    back: &str,
    topic: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Card> {
    if front.trim().is_empty() || back.trim().is_empty() {
        bail!("a card needs a front and a back");
    }
    if let Some(t) = topic {
        let ok: bool =
            conn.query_row("SELECT count(*) > 0 FROM items WHERE id = ?1", [t], |r| {
                r.get(0)
            })?;
        if !ok {
            bail!("no plan item `{t}` (topics are plan items, e.g. s8.transformers)");
        }
    }
    let n: i64 = conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM cards", [], |r| {
        r.get(0)
    })?;
    let id = insert(
        conn,
        &format!("user:{n}"),
        "user",
        topic,
        front.trim(),
        back.trim(),
        now,
    )?;
    get(conn, id)
}

fn insert(
    conn: &Connection,
    uid: &str,
    source: &str,
    topic: Option<&str>,
    front: &str,
    back: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let stamp = now_ts();
    conn.execute(
        "INSERT INTO cards(uid, source, topic, front, back, due, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![uid, source, topic, front, back, ts(now), stamp],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_suspended(conn: &Connection, id: i64, suspended: bool) -> anyhow::Result<()> {
    let n = conn.execute(
        "UPDATE cards SET suspended = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, suspended, now_ts()],
    )?;
    if n == 0 {
        bail!("no card with id {id} (see `labbook cards list`)");
    }
    Ok(())
}

/// New cards first introduced by a review on `day` (a card a mock interview made due
/// does not use up the day's cap).
pub fn new_on(conn: &Connection, day: NaiveDate) -> rusqlite::Result<usize> {
    conn.query_row(
        "SELECT count(DISTINCT card_id) FROM card_reviews WHERE day = ?1 AND state = 0 AND origin = 'review'",
        [day.to_string()],
        |r| r.get::<_, i64>(0).map(|n| n as usize),
    )
}

/// The cards of today's review: learning and review cards due by `now` (earliest
/// first), then new cards up to what is left of the day's cap (your own cards before
/// the bank's, oldest first).
pub fn todays_queue(
    conn: &Connection,
    settings: &Settings,
    now: DateTime<Utc>,
    day: NaiveDate,
) -> anyhow::Result<(Vec<Card>, usize)> {
    let due = list(
        conn,
        &Filter {
            due_by: Some(now),
            ..Default::default()
        },
    )?;
    let left = (settings.new_per_day as usize).saturating_sub(new_on(conn, day)?);
    let new: Vec<Card> = conn
        .prepare(&format!(
            "SELECT {COLS} FROM cards WHERE state = 0 AND suspended = 0 AND orphaned_at IS NULL
             ORDER BY CASE source WHEN 'bank' THEN 1 ELSE 0 END, id LIMIT ?1"
        ))?
        .query_map([left as i64], row_card)?
        .collect::<Result<_, _>>()?;
    let n_new = new.len();
    let mut q = due;
    q.extend(new);
    Ok((q, n_new))
}

/// Where a review comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Review,
    Mock,
}

/// Grade a card: store its new schedule and append to the review log, in one
/// transaction. Returns the card after the review.
pub fn grade(
    conn: &Connection,
    settings: &Settings,
    id: i64,
    grade: Grade,
    now: DateTime<Utc>,
    duration_ms: Option<i64>,
    origin: Origin,
) -> anyhow::Result<Card> {
    let before = get(conn, id)?;
    let after = schedule(settings, &before, grade, now);
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE cards SET state = ?2, due = ?3, stability = ?4, difficulty = ?5, elapsed_days = ?6,
           scheduled_days = ?7, reps = ?8, lapses = ?9, last_review = ?10, updated_at = ?11
         WHERE id = ?1",
        params![
            id,
            after.state as i64,
            ts(after.due),
            after.stability,
            after.difficulty,
            after.elapsed_days,
            after.scheduled_days,
            after.reps,
            after.lapses,
            after.last_review.map(ts),
            now_ts()
        ],
    )?;
    let day = now.with_timezone(&Local).date_naive();
    tx.execute(
        "INSERT INTO card_reviews(card_id, reviewed_at, day, rating, state, elapsed_days, scheduled_days,
           due, interval_days, stability, difficulty, duration_ms, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            id,
            ts(now),
            day.to_string(),
            grade as i64,
            before.state as i64,
            after.elapsed_days,
            before.scheduled_days,
            ts(after.due),
            after.scheduled_days,
            after.stability,
            after.difficulty,
            duration_ms,
            match origin {
                Origin::Review => "review",
                Origin::Mock => "mock",
            }
        ],
    )?;
    tx.commit().context("saving the review")?;
    Ok(after)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewRow {
    pub card_id: i64,
    pub reviewed_at: String,
    pub rating: i64,
    pub state_before: CardState,
    pub interval_days: i64,
    pub due: String,
    pub origin: String,
}

/// The review log of one card, oldest first.
pub fn reviews(conn: &Connection, card: i64) -> rusqlite::Result<Vec<ReviewRow>> {
    conn.prepare(
        "SELECT card_id, reviewed_at, rating, state, interval_days, due, origin FROM card_reviews
         WHERE card_id = ?1 ORDER BY reviewed_at, id",
    )?
    .query_map([card], |r| {
        Ok(ReviewRow {
            card_id: r.get(0)?,
            reviewed_at: r.get(1)?,
            rating: r.get(2)?,
            state_before: CardState::from_i64(r.get(3)?),
            interval_days: r.get(4)?,
            due: r.get(5)?,
            origin: r.get(6)?,
        })
    })?
    .collect()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TopicStats {
    pub topic: String,
    pub cards: usize,
    pub new: usize,
    pub due: usize,
    pub lapses: i64,
    pub reviews_30d: usize,
    /// Share of the last 30 days' reviews of this topic graded Again.
    pub again_rate: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub total: usize,
    pub new: usize,
    pub learning: usize,
    pub review: usize,
    pub suspended: usize,
    pub orphaned: usize,
    /// Learning and review cards due now.
    pub due_now: usize,
    /// …and by the end of today.
    pub due_today: usize,
    pub new_today: usize,
    pub new_left_today: usize,
    pub reviews_today: usize,
    /// Share of reviews of already-learnt cards in the last 30 days not graded Again.
    pub retention_30d: Option<f64>,
    /// Cards coming due on each of the next 7 days (today first).
    pub forecast: Vec<(NaiveDate, usize)>,
    pub topics: Vec<TopicStats>,
}

pub fn stats(
    conn: &Connection,
    settings: &Settings,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> anyhow::Result<Stats> {
    let all = list(
        conn,
        &Filter {
            all: true,
            ..Default::default()
        },
    )?;
    let mut s = Stats::default();
    let eod = end_of_day(today);
    let mut forecast = [0usize; 7];
    let mut topics: std::collections::BTreeMap<String, TopicStats> = Default::default();
    for c in &all {
        s.total += 1;
        if c.suspended {
            s.suspended += 1;
            continue;
        }
        if c.orphaned {
            s.orphaned += 1;
            continue;
        }
        let t = topics
            .entry(c.topic.clone().unwrap_or_else(|| "(none)".into()))
            .or_default();
        t.cards += 1;
        t.lapses += c.lapses;
        match c.state {
            CardState::New => {
                s.new += 1;
                t.new += 1;
                continue;
            }
            CardState::Learning | CardState::Relearning => s.learning += 1,
            CardState::Review => s.review += 1,
        }
        if c.due <= now {
            s.due_now += 1;
            t.due += 1;
        }
        if c.due < eod {
            s.due_today += 1;
        }
        let local = c.due.with_timezone(&Local).date_naive();
        let k = (local - today).num_days().max(0);
        if (k as usize) < forecast.len() {
            forecast[k as usize] += 1;
        }
    }
    s.forecast = (0..7)
        .map(|k| (today + Duration::days(k as i64), forecast[k]))
        .collect();
    s.new_today = new_on(conn, today)?;
    s.new_left_today = (settings.new_per_day as usize).saturating_sub(s.new_today);
    s.reviews_today = conn.query_row(
        "SELECT count(*) FROM card_reviews WHERE day = ?1",
        [today.to_string()],
        |r| r.get::<_, i64>(0),
    )? as usize;
    let since = (today - Duration::days(30)).to_string();
    let (n, kept): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(sum(rating > 1), 0) FROM card_reviews WHERE day > ?1 AND state = 2",
        [&since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    s.retention_30d = (n > 0).then(|| kept as f64 / n as f64);
    let mut stmt = conn.prepare(
        "SELECT coalesce(c.topic, '(none)'), count(*), coalesce(sum(r.rating = 1), 0)
         FROM card_reviews r JOIN cards c ON c.id = r.card_id WHERE r.day > ?1 GROUP BY 1",
    )?;
    let rows = stmt.query_map([&since], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (topic, n, again) = row?;
        let t = topics.entry(topic).or_default();
        t.reviews_30d = n as usize;
        t.again_rate = (n > 0).then(|| again as f64 / n as f64);
    }
    s.topics = topics
        .into_iter()
        .map(|(k, mut v)| {
            v.topic = k;
            v
        })
        .collect();
    Ok(s)
}

/// Bring the bank's cards up to date: every theory question is a card
/// (`bank:<question id>`); cards of other questions (made by mock interviews) keep
/// their text current; cards whose question is gone are orphaned, not deleted.
pub fn sync_bank(conn: &Connection, bank: &Bank, now: DateTime<Utc>) -> anyhow::Result<SyncReport> {
    let mut report = SyncReport::default();
    let tx = conn.unchecked_transaction()?;
    let mut live = HashSet::new();
    // New cards are introduced in id order: insert core questions before deep ones,
    // round-robin over the topics, so a day's new cards span the topics.
    let mut order: Vec<(u8, usize, usize, &bank::Question)> = Vec::new();
    for (ti, t) in bank.topics.iter().enumerate() {
        for (k, q) in t.questions.iter().enumerate() {
            order.push((q.level as u8, k, ti, q));
        }
    }
    order.sort_by_key(|o| (o.0, o.1, o.2));
    for q in order.into_iter().map(|o| o.3) {
        let uid = format!("bank:{}", q.id);
        live.insert(uid.clone());
        match by_uid(&tx, &uid)? {
            Some(c)
                if c.front != q.text
                    || c.back != q.answer
                    || c.topic.as_deref() != Some(&q.item)
                    || c.orphaned =>
            {
                tx.execute(
                    "UPDATE cards SET front = ?2, back = ?3, topic = ?4, orphaned_at = NULL, updated_at = ?5 WHERE id = ?1",
                    params![c.id, q.text, q.answer, q.item, now_ts()],
                )?;
                report.updated += 1;
            }
            Some(_) => {}
            None if q.kind == bank::Kind::Theory => {
                insert(&tx, &uid, "bank", Some(&q.item), &q.text, &q.answer, now)?;
                report.added += 1;
            }
            None => {}
        }
    }
    report.orphaned += orphan_missing(&tx, "bank", &live)?;
    tx.commit()
        .context("syncing the question bank into the cards")?;
    Ok(report)
}

/// Mark the cards of `source` whose origin is gone (not in `live`) as orphaned — kept
/// with their review history, left out of reviews. Returns how many.
fn orphan_missing(
    tx: &rusqlite::Transaction,
    source: &str,
    live: &HashSet<String>,
) -> rusqlite::Result<usize> {
    let current: Vec<(i64, String)> = tx
        .prepare("SELECT id, uid FROM cards WHERE source = ?1 AND orphaned_at IS NULL")?
        .query_map([source], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut n = 0;
    for (id, uid) in current {
        if !live.contains(&uid) {
            tx.execute(
                "UPDATE cards SET orphaned_at = ?2 WHERE id = ?1",
                params![id, now_ts()],
            )?;
            n += 1;
        }
    }
    Ok(n)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub orphaned: usize,
}

/// The question bank in use: `dir`, else the built-in one.
pub fn load_bank(dir: Option<&Path>) -> anyhow::Result<(Bank, String)> {
    match dir {
        Some(d) => Ok((bank::load_dir(d)?, d.display().to_string())),
        None => Ok((
            embedded::bank().context("the built-in question bank")?,
            "built-in".to_string(),
        )),
    }
}

/// Load the bank, check its references, and sync the cards (bank and notes) unless
/// nothing changed since the last time. A malformed bank is an error naming the
/// file and line; nothing stored is touched then.
/// `questions_dir` is the user's own bank (`None`: the built-in one); `today` dates
/// the sync.
pub fn open(
    store: &crate::store::Store,
    questions_dir: Option<&Path>,
    today: NaiveDate,
) -> anyhow::Result<Bank> {
    let (bank, source) = load_bank(questions_dir)?;
    let conn = &store.conn;
    let items: HashSet<String> = conn
        .prepare("SELECT id FROM items WHERE archived_at IS NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let papers: HashSet<String> = conn
        .prepare("SELECT key FROM papers")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let problems = bank.check_refs(&items, &papers);
    if let Some(first) = problems.first() {
        if questions_dir.is_some() {
            bail!("{first}");
        }
        for p in &problems {
            tracing::warn!("question bank: {p}");
        }
    }
    let hash =
        crate::util::content_hash(serde_json::to_string(&bank).unwrap_or_default().as_bytes());
    let now = now_for(today);
    if store.meta_get("questions.hash")?.as_deref() != Some(hash.as_str()) {
        sync_bank(conn, &bank, now)?;
        store.meta_set("questions.hash", &hash)?;
        store.meta_set("questions.source", &source)?;
    }
    notes::sync(conn, now)?;
    Ok(bank)
}

//! Mock interviews: a question from the bank (of a topic, or weighted towards the
//! weakest topics), a timed answer, the model answer, a self-rating from 1 to 5.
//! Sessions and answers are logged; a rating of 2 or less turns the question into a
//! card that is due now (an Again review on its card).

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context as _};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::bank::{Bank, Question};
use super::{Grade, Origin, Settings};
use crate::store::now_ts;
use crate::util::rng::Rng;

/// Ratings at or below this become due cards.
pub const CARD_AT_OR_BELOW: u8 = 2;

/// What the five ratings mean (shown next to the prompt).
pub const RATING_SCALE: [&str; 5] = [
    "1 blank or wrong",
    "2 major gaps",
    "3 main idea, some gaps",
    "4 good, small omissions",
    "5 as good as the model answer",
];

/// How the user's past answers and reviews rate a topic (a bank topic file).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicScore {
    pub topic: String,
    pub item: String,
    pub title: String,
    pub questions: usize,
    /// Questions answered in mock interviews at least once.
    pub answered: usize,
    /// Mean of the latest rating of every answered question.
    pub mean_rating: Option<f64>,
    /// Share of the topic's card reviews graded Again.
    pub again_rate: Option<f64>,
    /// Higher is weaker; unpractised topics sit in the middle.
    pub weakness: f64,
}

/// The latest rated answer of every question.
pub fn latest(conn: &Connection) -> rusqlite::Result<HashMap<String, AnswerRow>> {
    let rows: Vec<AnswerRow> = conn
        .prepare(&format!(
            "SELECT {ANSWER_COLS} FROM mock_answers a
             WHERE a.id = (SELECT b.id FROM mock_answers b WHERE b.question_id = a.question_id
                           ORDER BY (b.rating IS NULL), b.answered_at DESC, b.id DESC LIMIT 1)"
        ))?
        .query_map([], row_answer)?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .map(|a| (a.question_id.clone(), a))
        .collect())
}

/// Every topic of the bank, weakest first.
pub fn topic_scores(conn: &Connection, bank: &Bank) -> anyhow::Result<Vec<TopicScore>> {
    let latest = latest(conn)?;
    let again: HashMap<String, (i64, i64)> = conn
        .prepare(
            "SELECT c.uid, count(*), coalesce(sum(r.rating = 1), 0) FROM card_reviews r
             JOIN cards c ON c.id = r.card_id WHERE c.source = 'bank' AND r.origin = 'review'
             GROUP BY c.uid",
        )?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for t in &bank.topics {
        let ratings: Vec<f64> = t
            .questions
            .iter()
            .filter_map(|q| latest.get(&q.id).and_then(|a| a.rating))
            .map(f64::from)
            .collect();
        let (n, a) = t
            .questions
            .iter()
            .filter_map(|q| again.get(&format!("bank:{}", q.id)))
            .fold((0, 0), |acc, x| (acc.0 + x.0, acc.1 + x.1));
        let mean =
            (!ratings.is_empty()).then(|| ratings.iter().sum::<f64>() / ratings.len() as f64);
        let again_rate = (n > 0).then(|| a as f64 / n as f64);
        // 1 (all fives) … 5 (all ones); unpractised: 3.
        let weakness = 6.0 - mean.unwrap_or(3.0) + 2.0 * again_rate.unwrap_or(0.0);
        out.push(TopicScore {
            topic: t.name.clone(),
            item: t.item.clone(),
            title: t.title.clone(),
            questions: t.questions.len(),
            answered: t
                .questions
                .iter()
                .filter(|q| latest.contains_key(&q.id))
                .count(),
            mean_rating: mean,
            again_rate,
            weakness,
        });
    }
    out.sort_by(|a, b| b.weakness.total_cmp(&a.weakness));
    Ok(out)
}

/// The bank topics a filter names: a topic file (`transformers`), a plan item
/// (`s8.transformers`) or a question kind (`coding`).
pub fn topics_for<'a>(bank: &'a Bank, filter: &str) -> anyhow::Result<Vec<&'a super::bank::Topic>> {
    let f = filter.trim();
    let hits: Vec<_> = bank
        .topics
        .iter()
        .filter(|t| t.name == f || t.item == f)
        .collect();
    if !hits.is_empty() {
        return Ok(hits);
    }
    if super::bank::Kind::parse(f).is_some() {
        let hits: Vec<_> = bank
            .topics
            .iter()
            .filter(|t| t.questions.iter().any(|q| q.kind.as_str() == f))
            .collect();
        if !hits.is_empty() {
            return Ok(hits);
        }
    }
    let names: Vec<&str> = bank.topics.iter().map(|t| t.name.as_str()).collect();
    bail!(
        "no question topic `{f}` (topics: {}; a plan item like s8.transformers works too)",
        names.join(", ")
    )
}

/// Pick the next question: within `filter` if given, else from a topic drawn with
/// probability proportional to its weakness squared. Within the topic, questions never
/// answered come first, then the lowest latest rating, then the longest ago.
/// `exclude` holds questions already asked in this session.
pub fn pick<'a>(
    conn: &Connection,
    bank: &'a Bank,
    filter: Option<&str>,
    exclude: &[String],
    rng: &mut Rng,
) -> anyhow::Result<&'a Question> {
    let latest = latest(conn)?;
    let kind = filter.and_then(super::bank::Kind::parse);
    let topics: Vec<&super::bank::Topic> = match filter {
        Some(f) => topics_for(bank, f)?,
        None => {
            let scores = topic_scores(conn, bank)?;
            let weights: Vec<(String, f64)> = scores
                .iter()
                .map(|s| (s.topic.clone(), s.weakness.max(0.1).powi(2)))
                .collect();
            let total: f64 = weights.iter().map(|w| w.1).sum();
            let mut x = rng.unit() * total;
            let mut chosen = weights.first().map(|w| w.0.clone()).unwrap_or_default();
            for (t, w) in &weights {
                if x < *w {
                    chosen = t.clone();
                    break;
                }
                x -= w;
            }
            bank.topic(&chosen).into_iter().collect()
        }
    };
    let mut candidates: Vec<&Question> = topics
        .iter()
        .flat_map(|t| t.questions.iter())
        .filter(|q| kind.is_none_or(|k| q.kind == k))
        .filter(|q| !exclude.contains(&q.id))
        .collect();
    if candidates.is_empty() {
        bail!("every question of that topic was asked in this session");
    }
    // Never answered first (in random order), then weakest and oldest.
    let mut jitter: HashMap<&str, f64> = HashMap::new();
    for q in &candidates {
        jitter.insert(&q.id, rng.unit());
    }
    candidates.sort_by(|a, b| {
        let key = |q: &Question| match latest.get(&q.id) {
            None => (0, 0, String::new()),
            Some(r) => (1, r.rating.unwrap_or(0), r.answered_at.clone()),
        };
        key(a)
            .cmp(&key(b))
            .then(jitter[a.id.as_str()].total_cmp(&jitter[b.id.as_str()]))
    });
    candidates
        .first()
        .copied()
        .ok_or_else(|| anyhow!("no question to ask"))
}

pub fn start(
    conn: &Connection,
    topic: Option<&str>,
    minutes: f64,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    if !(minutes > 0.0 && minutes <= 120.0) {
        bail!("--minutes must be between 0 and 120 (got {minutes})");
    }
    conn.execute(
        "INSERT INTO mock_sessions(started_at, topic, minutes) VALUES (?1, ?2, ?3)",
        params![super::ts(now), topic, minutes],
    )
    .context("starting a mock interview session")?;
    Ok(conn.last_insert_rowid())
}

pub fn finish(conn: &Connection, session: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE mock_sessions SET ended_at = ?2 WHERE id = ?1",
        params![session, super::ts(now)],
    )?;
    Ok(())
}

/// What recording an answer did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recorded {
    pub answer_id: i64,
    /// The card the rating made due (ratings ≤ 2): its id and next due time.
    pub card: Option<(i64, DateTime<Utc>)>,
}

/// Log an answer and, for a low rating, make the question's card due now (created
/// if the question had none).
#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &Connection,
    settings: &Settings,
    session: i64,
    q: &Question,
    answer: &str,
    seconds: f64,
    limit_secs: f64,
    rating: Option<u8>,
    now: DateTime<Utc>,
) -> anyhow::Result<Recorded> {
    if let Some(r) = rating {
        if !(1..=5).contains(&r) {
            bail!("a rating is 1 to 5 (got {r})");
        }
    }
    let mut card = None;
    let mut card_id: Option<i64> = None;
    if rating.is_some_and(|r| r <= CARD_AT_OR_BELOW) {
        let uid = format!("bank:{}", q.id);
        let id = match super::by_uid(conn, &uid)? {
            Some(c) => {
                if c.suspended || c.orphaned {
                    conn.execute(
                        "UPDATE cards SET suspended = 0, orphaned_at = NULL, updated_at = ?2 WHERE id = ?1",
                        params![c.id, now_ts()],
                    )?;
                }
                c.id
            }
            None => super::insert(conn, &uid, "bank", Some(&q.item), &q.text, &q.answer, now)?,
        };
        let after = super::grade(conn, settings, id, Grade::Again, now, None, Origin::Mock)?;
        card = Some((id, after.due));
        card_id = Some(id);
    }
    conn.execute(
        "INSERT INTO mock_answers(session_id, question_id, topic, item, question, answer, rating, seconds,
           limit_secs, answered_at, card_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            session,
            q.id,
            q.topic,
            q.item,
            q.text,
            answer,
            rating,
            seconds,
            limit_secs,
            super::ts(now),
            card_id
        ],
    )
    .context("saving the answer")?;
    Ok(Recorded {
        answer_id: conn.last_insert_rowid(),
        card,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerRow {
    pub id: i64,
    pub session_id: i64,
    pub question_id: String,
    pub topic: String,
    pub item: String,
    pub question: String,
    pub answer: String,
    pub rating: Option<u8>,
    pub seconds: f64,
    pub limit_secs: f64,
    pub answered_at: String,
    pub card_id: Option<i64>,
}

const ANSWER_COLS: &str = "a.id, a.session_id, a.question_id, a.topic, a.item, a.question, a.answer, a.rating, a.seconds, a.limit_secs, a.answered_at, a.card_id";

fn row_answer(r: &rusqlite::Row) -> rusqlite::Result<AnswerRow> {
    Ok(AnswerRow {
        id: r.get(0)?,
        session_id: r.get(1)?,
        question_id: r.get(2)?,
        topic: r.get(3)?,
        item: r.get(4)?,
        question: r.get(5)?,
        answer: r.get(6)?,
        rating: r.get(7)?,
        seconds: r.get(8)?,
        limit_secs: r.get(9)?,
        answered_at: r.get(10)?,
        card_id: r.get(11)?,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    pub id: i64,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub topic: Option<String>,
    pub minutes: f64,
    pub answers: Vec<AnswerRow>,
}

/// Sessions, newest first (at most `limit`), with their answers; `topic` keeps the
/// answers of one bank topic or plan item.
pub fn history(
    conn: &Connection,
    topic: Option<&str>,
    limit: usize,
) -> anyhow::Result<Vec<SessionRow>> {
    let sessions: Vec<SessionRow> = conn
        .prepare(
            "SELECT id, started_at, ended_at, topic, minutes FROM mock_sessions s
             WHERE EXISTS (SELECT 1 FROM mock_answers a WHERE a.session_id = s.id
                           AND (?1 IS NULL OR a.topic = ?1 OR a.item = ?1))
             ORDER BY started_at DESC, id DESC LIMIT ?2",
        )?
        .query_map(params![topic, limit as i64], |r| {
            Ok(SessionRow {
                id: r.get(0)?,
                started_at: r.get(1)?,
                ended_at: r.get(2)?,
                topic: r.get(3)?,
                minutes: r.get(4)?,
                answers: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for mut s in sessions {
        s.answers = conn
            .prepare(&format!(
                "SELECT {ANSWER_COLS} FROM mock_answers a WHERE a.session_id = ?1
                 AND (?2 IS NULL OR a.topic = ?2 OR a.item = ?2) ORDER BY a.answered_at, a.id"
            ))?
            .query_map(params![s.id, topic], row_answer)?
            .collect::<Result<_, _>>()?;
        out.push(s);
    }
    Ok(out)
}

/// One answer by id.
pub fn answer(conn: &Connection, id: i64) -> anyhow::Result<AnswerRow> {
    conn.query_row(
        &format!("SELECT {ANSWER_COLS} FROM mock_answers a WHERE a.id = ?1"),
        [id],
        row_answer,
    )
    .optional()?
    .ok_or_else(|| anyhow!("no mock answer with id {id}"))
}

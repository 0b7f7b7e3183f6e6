//! Schedule arithmetic: the nominal 12-week curriculum scaled to a 10, 11 or 12 week
//! plan starting on a given date. Pure functions of (start, length, today).

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::model::{Item, Plan, Step, NOMINAL_WEEKS};

pub const ALLOWED_WEEKS: [u32; 3] = [10, 11, 12];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub start: NaiveDate,
    pub weeks: u32,
}

/// Where `today` falls relative to the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum Position {
    NotStarted { days_to_start: i64 },
    Week { week: u32, day: u32 },
    Finished { days_since_end: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayEntry {
    pub date: NaiveDate,
    pub week: u32,
    pub items: Vec<String>,
}

impl Schedule {
    pub fn new(start: NaiveDate, weeks: u32) -> Result<Schedule, String> {
        if !ALLOWED_WEEKS.contains(&weeks) {
            return Err(format!(
                "plan length must be 10, 11 or 12 weeks, not {weeks}"
            ));
        }
        Ok(Schedule { start, weeks })
    }

    pub fn total_days(&self) -> u32 {
        self.weeks * 7
    }

    /// Map a nominal day offset (0..=84) onto this plan's days.
    fn scale(&self, nominal_day: u32) -> u32 {
        nominal_day * self.weeks / NOMINAL_WEEKS
    }

    fn date(&self, offset: u32) -> NaiveDate {
        self.start
            .checked_add_days(Days::new(offset as u64))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Last day of the plan (inclusive).
    pub fn end(&self) -> NaiveDate {
        self.date(self.total_days().saturating_sub(1))
    }

    /// Day offsets `[from, to)` a step occupies.
    pub fn step_days(&self, step: &Step) -> (u32, u32) {
        let from = self.scale((step.week_from - 1) * 7);
        let to = self.scale(step.week_to * 7).max(from + 1);
        (from, to)
    }

    /// First and last date of a step (inclusive).
    pub fn step_span(&self, step: &Step) -> (NaiveDate, NaiveDate) {
        let (a, b) = self.step_days(step);
        (self.date(a), self.date(b - 1))
    }

    /// Day offset (exclusive end) of a nominal week.
    fn nominal_week_end(&self, week: u32) -> u32 {
        self.scale(week * 7)
    }

    /// The date an item is due: the end of its `week` attribute, else of its step.
    pub fn due(&self, step: &Step, item: &Item) -> NaiveDate {
        let w = item.week.unwrap_or(step.week_to);
        let (from, _) = self.step_days(step);
        let end = self.nominal_week_end(w).max(from + 1);
        self.date(end - 1)
    }

    /// Plan week (1-based) that contains `date`; may be <= 0 or past the end.
    pub fn week_of(&self, date: NaiveDate) -> i64 {
        (date - self.start).num_days().div_euclid(7) + 1
    }

    pub fn position(&self, today: NaiveDate) -> Position {
        let d = (today - self.start).num_days();
        if d < 0 {
            Position::NotStarted { days_to_start: -d }
        } else if d >= self.total_days() as i64 {
            Position::Finished {
                days_since_end: d - self.total_days() as i64 + 1,
            }
        } else {
            Position::Week {
                week: (d / 7 + 1) as u32,
                day: (d % 7 + 1) as u32,
            }
        }
    }

    /// Week to show as "current": clamped into 1..=weeks.
    pub fn current_week(&self, today: NaiveDate) -> u32 {
        self.week_of(today).clamp(1, self.weeks as i64) as u32
    }

    /// First and last date of plan week `week` (1-based).
    pub fn week_span(&self, week: u32) -> (NaiveDate, NaiveDate) {
        let a = (week.max(1) - 1) * 7;
        (self.date(a), self.date(a + 6))
    }

    /// Steps active in plan week `week` (their span overlaps it).
    pub fn steps_in_week<'p>(&self, plan: &'p Plan, week: u32) -> Vec<&'p Step> {
        let (a, b) = self.week_span(week);
        plan.steps
            .iter()
            .filter(|s| {
                let (sa, sb) = self.step_span(s);
                sa <= b && sb >= a
            })
            .collect()
    }

    /// Items due within plan week `week`.
    pub fn due_in_week<'p>(&self, plan: &'p Plan, week: u32) -> Vec<(&'p Step, &'p Item)> {
        let (a, b) = self.week_span(week);
        plan.items()
            .filter(|(s, i)| {
                let d = self.due(s, i);
                d >= a && d <= b
            })
            .collect()
    }

    /// Items due before `today` that `is_done` says are not done, oldest first.
    pub fn overdue<'p>(
        &self,
        plan: &'p Plan,
        today: NaiveDate,
        is_done: impl Fn(&str) -> bool,
    ) -> Vec<(&'p Step, &'p Item, NaiveDate)> {
        let mut v: Vec<_> = plan
            .items()
            .filter(|(_, i)| !is_done(&i.id))
            .map(|(s, i)| (s, i, self.due(s, i)))
            .filter(|(_, _, d)| *d < today)
            .collect();
        v.sort_by_key(|(_, _, d)| *d);
        v
    }

    /// Day-wise schedule: each step's items spread over its days in proportion to
    /// their effort (hours), never past their due date.
    pub fn days(&self, plan: &Plan) -> Vec<DayEntry> {
        let mut days: Vec<DayEntry> = (0..self.total_days())
            .map(|d| {
                let date = self.date(d);
                DayEntry {
                    date,
                    week: d / 7 + 1,
                    items: Vec::new(),
                }
            })
            .collect();
        for step in &plan.steps {
            let (from, to) = self.step_days(step);
            let span = (to - from) as f64;
            let mut items: Vec<&Item> = step.items.iter().collect();
            items.sort_by_key(|i| self.due(step, i));
            let total: f64 = items
                .iter()
                .map(|i| i.effort())
                .sum::<f64>()
                .max(f64::EPSILON);
            let mut cum = 0.0;
            for item in items {
                let mut day = from + ((cum / total) * span).floor() as u32;
                let due = (self.due(step, item) - self.start).num_days().max(0) as u32;
                if let Some(w) = item.week {
                    let wk_start = self.scale((w - 1) * 7);
                    day = day.max(wk_start);
                }
                day = day.min(due).min(to - 1);
                cum += item.effort();
                if let Some(entry) = days.get_mut(day as usize) {
                    entry.items.push(item.id.clone());
                }
            }
        }
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::ItemKind;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn step(id: &str, from: u32, to: u32, items: Vec<Item>) -> Step {
        Step {
            id: id.into(),
            title: id.into(),
            summary: String::new(),
            week_from: from,
            week_to: to,
            source: "t.md".into(),
            items,
        }
    }

    fn item(id: &str, week: Option<u32>, hours: f64) -> Item {
        Item {
            id: id.into(),
            kind: ItemKind::Topic,
            group: None,
            title: id.into(),
            detail: String::new(),
            week,
            hours: Some(hours),
            project: None,
            refs: vec![],
            line: 1,
        }
    }

    fn plan() -> Plan {
        Plan {
            steps: vec![
                step(
                    "s1",
                    1,
                    2,
                    vec![item("a", Some(1), 2.0), item("b", None, 2.0)],
                ),
                step("s2", 3, 4, vec![item("c", None, 4.0)]),
                step("s5", 9, 9, vec![item("e", None, 1.0)]),
                step("s6", 10, 10, vec![item("f", None, 1.0)]),
                step("s8", 11, 12, vec![item("g", None, 1.0)]),
            ],
        }
    }

    #[test]
    fn rejects_other_lengths() {
        assert!(Schedule::new(d("2026-01-05"), 9).is_err());
        assert!(Schedule::new(d("2026-01-05"), 13).is_err());
        assert!(Schedule::new(d("2026-01-05"), 10).is_ok());
    }

    #[test]
    fn twelve_weeks_is_the_nominal_plan() {
        let s = Schedule::new(d("2026-01-05"), 12).unwrap();
        let p = plan();
        assert_eq!(s.step_span(&p.steps[0]), (d("2026-01-05"), d("2026-01-18")));
        assert_eq!(s.step_span(&p.steps[1]), (d("2026-01-19"), d("2026-02-01")));
        assert_eq!(s.step_span(&p.steps[4]), (d("2026-03-16"), d("2026-03-29")));
        assert_eq!(s.end(), d("2026-03-29"));
        assert_eq!(s.due(&p.steps[0], &p.steps[0].items[0]), d("2026-01-11"));
        assert_eq!(s.due(&p.steps[0], &p.steps[0].items[1]), d("2026-01-18"));
    }

    #[test]
    fn shorter_plans_scale_steps_proportionally_and_stay_contiguous() {
        for weeks in [10, 11] {
            let s = Schedule::new(d("2026-01-05"), weeks).unwrap();
            let p = plan();
            let mut prev_end: Option<NaiveDate> = None;
            for st in &p.steps {
                let (a, b) = s.step_span(st);
                assert!(a <= b);
                if let Some(pe) = prev_end {
                    if st.week_from > 2 && st.id != "s5" {
                        assert_eq!(a, pe.succ_opt().unwrap(), "{} in {weeks}", st.id);
                    }
                }
                prev_end = Some(b);
            }
            assert_eq!(s.step_span(p.steps.last().unwrap()).1, s.end());
        }
        // 10 weeks: nominal day 14 (end of week 2) maps to day 11.
        let s = Schedule::new(d("2026-01-05"), 10).unwrap();
        assert_eq!(
            s.step_span(&plan().steps[0]),
            (d("2026-01-05"), d("2026-01-15"))
        );
        assert_eq!(s.end(), d("2026-03-15"));
    }

    #[test]
    fn position_and_current_week() {
        let s = Schedule::new(d("2026-01-05"), 12).unwrap();
        assert_eq!(
            s.position(d("2026-01-01")),
            Position::NotStarted { days_to_start: 4 }
        );
        assert_eq!(
            s.position(d("2026-01-05")),
            Position::Week { week: 1, day: 1 }
        );
        assert_eq!(
            s.position(d("2026-01-18")),
            Position::Week { week: 2, day: 7 }
        );
        assert_eq!(
            s.position(d("2026-03-29")),
            Position::Week { week: 12, day: 7 }
        );
        assert_eq!(
            s.position(d("2026-03-30")),
            Position::Finished { days_since_end: 1 }
        );
        assert_eq!(s.current_week(d("2025-12-01")), 1);
        assert_eq!(s.current_week(d("2027-01-01")), 12);
        assert_eq!(s.week_span(3), (d("2026-01-19"), d("2026-01-25")));
    }

    #[test]
    fn due_this_week_and_overdue() {
        let s = Schedule::new(d("2026-01-05"), 12).unwrap();
        let p = plan();
        let due: Vec<_> = s
            .due_in_week(&p, 1)
            .iter()
            .map(|(_, i)| i.id.clone())
            .collect();
        assert_eq!(due, vec!["a"]);
        let due: Vec<_> = s
            .due_in_week(&p, 2)
            .iter()
            .map(|(_, i)| i.id.clone())
            .collect();
        assert_eq!(due, vec!["b"]);
        let over: Vec<_> = s
            .overdue(&p, d("2026-01-20"), |id| id == "b")
            .iter()
            .map(|(_, i, _)| i.id.clone())
            .collect();
        assert_eq!(over, vec!["a"]);
        assert!(s.overdue(&p, d("2026-01-11"), |_| false).is_empty());
        assert_eq!(s.overdue(&p, d("2026-01-12"), |_| false).len(), 1);
    }

    #[test]
    fn day_wise_schedule_covers_every_item_once_within_its_step() {
        for weeks in ALLOWED_WEEKS {
            let s = Schedule::new(d("2026-01-05"), weeks).unwrap();
            let p = plan();
            let days = s.days(&p);
            assert_eq!(days.len() as u32, weeks * 7);
            let mut seen = vec![];
            for day in &days {
                for id in &day.items {
                    let (st, it) = p.items().find(|(_, i)| &i.id == id).unwrap();
                    let (a, b) = s.step_span(st);
                    assert!(
                        day.date >= a && day.date <= b,
                        "{id} on {} outside step",
                        day.date
                    );
                    assert!(day.date <= s.due(st, it));
                    seen.push(id.clone());
                }
            }
            seen.sort();
            assert_eq!(seen, vec!["a", "b", "c", "e", "f", "g"]);
        }
        // Effort-weighted: "a" (2h) first day of s1, "b" after a's share of the span.
        let s = Schedule::new(d("2026-01-05"), 12).unwrap();
        let days = s.days(&plan());
        assert_eq!(days[0].items, vec!["a"]);
        assert_eq!(days[7].items, vec!["b"]);
    }
}

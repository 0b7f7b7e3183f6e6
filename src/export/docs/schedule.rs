//! The day-wise schedule: every day of the plan with its items and hours.

use std::collections::HashMap;

use anyhow::bail;

use super::Sources;
use crate::export::code;

pub fn schedule(src: &Sources, week: Option<u32>) -> anyhow::Result<String> {
    let sched = &src.sched;
    if let Some(w) = week {
        if w == 0 || w > sched.weeks {
            bail!("week {w} is outside the plan (1–{})", sched.weeks);
        }
    }
    let items: HashMap<&str, (&crate::plan::Step, &crate::plan::Item)> = src
        .plan
        .items()
        .map(|(s, i)| (i.id.as_str(), (s, i)))
        .collect();
    let mut s = format!(
        "# Day-wise schedule\n\n*Plan {} → {} ({} weeks) · exported by labbook on {} · [x] done, [ ] open; hours are effort estimates*\n\n",
        sched.start,
        sched.end(),
        sched.weeks,
        src.today
    );
    let days = sched.days(&src.plan);
    let mut cur_week = 0;
    for d in days.iter().filter(|d| week.is_none_or(|w| d.week == w)) {
        if d.week != cur_week {
            cur_week = d.week;
            let (a, b) = sched.week_span(d.week);
            s.push_str(&format!(
                "## Week {} — {} to {}\n\n",
                d.week,
                a.format("%a %Y-%m-%d"),
                b.format("%a %Y-%m-%d")
            ));
            let steps: Vec<String> = sched
                .steps_in_week(&src.plan, d.week)
                .iter()
                .map(|st| format!("{} {}", st.id, st.title))
                .collect();
            s.push_str(&format!("Steps: {}.\n\n", steps.join("; ")));
        }
        let hours: f64 = d
            .items
            .iter()
            .filter_map(|id| items.get(id.as_str()))
            .map(|(_, i)| i.effort())
            .sum();
        s.push_str(&format!(
            "### {}{}{}\n\n",
            d.date.format("%a %Y-%m-%d"),
            if hours > 0.0 {
                format!(" · {} h", fmt_hours(hours))
            } else {
                String::new()
            },
            if d.date == src.today { " · today" } else { "" }
        ));
        if d.items.is_empty() {
            s.push_str("- catch-up and review\n\n");
            continue;
        }
        for id in &d.items {
            if let Some((_, i)) = items.get(id.as_str()) {
                s.push_str(&format!(
                    "- {} {} {} *({}, {} h)*\n",
                    src.mark(id),
                    code(id),
                    i.title,
                    i.kind.as_str(),
                    fmt_hours(i.effort())
                ));
            }
        }
        s.push('\n');
    }
    Ok(s)
}

fn fmt_hours(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.1}")
    }
}

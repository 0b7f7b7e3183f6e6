//! The lists' actions: tabs, moving, filters, plan items, papers, deliverables and
//! notes (the Runs and Cards tabs add their own first), and the help overlay.

use super::super::action::Action;
use super::{App, Attach, Effect, Mode, PlanRow, Purpose, Tab, TABS};

/// How the help overlay lays out `lines` lines on a `size` (columns, rows) screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelpGrid {
    pub columns: usize,
    /// Lines per column.
    pub rows: usize,
    /// How far it can scroll (0: everything fits).
    pub max_scroll: usize,
}

/// One column when it fits, else two side by side; what does not fit scrolls.
pub fn help_grid(lines: usize, size: (u16, u16)) -> HelpGrid {
    let height = (size.1 as usize).saturating_sub(2).max(1);
    let columns = if lines + 2 <= size.1 as usize { 1 } else { 2 };
    let rows = lines.div_ceil(columns).min(height);
    HelpGrid {
        columns,
        rows,
        max_scroll: lines.saturating_sub(columns * rows),
    }
}

impl App {
    /// An action of the lists' scope (and of the help overlay).
    pub(super) fn normal(&mut self, action: Action) -> Vec<Effect> {
        self.status = None;
        if self.mode == Mode::Help {
            self.help_action(action);
            return vec![];
        }
        if self.tab == Tab::Runs {
            if let Some(fx) = self.runs_action(action) {
                return fx;
            }
        }
        if self.tab == Tab::Cards {
            if let Some(fx) = self.cards_overview_action(action) {
                return fx;
            }
        }
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::NextTab => self.tab = Tab::from_index(self.tab as usize + 1),
            Action::PrevTab => self.tab = Tab::from_index(self.tab as usize + TABS.len() - 1),
            Action::Tab(i) => self.tab = Tab::from_index(i),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.page as isize)),
            Action::PageDown => self.move_by(self.page as isize),
            Action::Top => self.selected[self.tab as usize] = 0,
            Action::Bottom => self.selected[self.tab as usize] = self.row_count().saturating_sub(1),
            Action::Help => self.mode = Mode::Help,
            Action::Filter if self.tab != Tab::Today => self.mode = Mode::Filter,
            Action::ClearFilter => {
                self.filters[self.tab as usize].clear();
                self.note_hits = None;
            }
            Action::ToggleDayView if self.tab == Tab::Plan => {
                self.day_view = !self.day_view;
                self.selected[Tab::Plan as usize] = 0;
                if self.day_view {
                    let days = self.data.schedule.days(&self.data.plan);
                    if let Some(k) = days.iter().position(|d| d.date == self.data.today) {
                        if let Some(row) =
                            self.plan_rows().iter().position(|r| *r == PlanRow::Day(k))
                        {
                            self.selected[Tab::Plan as usize] = row;
                        }
                    }
                }
            }
            Action::ToggleDone => {
                if let Some((_, item)) = self.selected_item() {
                    let done = self.data.done.contains_key(&item.id);
                    return vec![Effect::SetDone(item.id.clone(), !done)];
                }
            }
            Action::CycleStatus => {
                if let Some(p) = self.selected_paper() {
                    return vec![Effect::SetPaperStatus(p.key.clone(), p.status.next())];
                }
                if let Some(d) = self.selected_deliverable() {
                    return vec![Effect::SetDeliverable(d.id.clone(), d.status.next())];
                }
            }
            Action::CyclePriority => {
                if let Some(p) = self.selected_paper() {
                    return vec![Effect::SetPaperPriority(p.key.clone(), p.priority % 3 + 1)];
                }
            }
            Action::CycleRating => {
                if let Some(p) = self.selected_paper() {
                    let next = match p.rating {
                        None => Some(1),
                        Some(5) => None,
                        Some(r) => Some(r + 1),
                    };
                    return vec![Effect::SetPaperRating(p.key.clone(), next)];
                }
            }
            Action::NewNote => {
                let mut attach = Attach::default();
                if let Some(p) = self.selected_paper() {
                    attach.paper = Some(p.key.clone());
                } else if let Some(d) = self.selected_deliverable() {
                    attach.item = Some(d.id.clone());
                    attach.deliverable = Some(d.id.clone());
                } else if let Some((_, i)) = self.selected_item() {
                    attach.item = Some(i.id.clone());
                } else if self.tab == Tab::Runs {
                    match self.focus_run() {
                        Some(r) => attach.run = Some(r.id),
                        None => return vec![],
                    }
                }
                self.mode = Mode::Input {
                    purpose: Purpose::NoteTitle(attach),
                    input: String::new(),
                };
            }
            Action::Open => {
                if let Some(n) = self.selected_note() {
                    return vec![Effect::EditNote(n.id)];
                }
                if let Some(p) = self.selected_paper() {
                    if let Some(n) = self
                        .data
                        .notes
                        .iter()
                        .find(|n| n.paper.as_deref() == Some(&p.key))
                    {
                        return vec![Effect::EditNote(n.id)];
                    }
                    self.status = Some(format!(
                        "no note on {} yet — press {} to write one",
                        p.key,
                        self.keymap.key(Action::NewNote)
                    ));
                    return vec![];
                }
                if let Some(d) = self.selected_deliverable() {
                    let note = d
                        .evidence
                        .iter()
                        .filter(|e| e.kind == "note")
                        .find_map(|e| e.target.parse::<i64>().ok())
                        .or_else(|| {
                            self.data
                                .notes
                                .iter()
                                .find(|n| n.item.as_deref() == Some(&d.id))
                                .map(|n| n.id)
                        });
                    if let Some(id) = note {
                        return vec![Effect::EditNote(id)];
                    }
                    self.status = Some(format!(
                        "no evidence note on {} yet — press {} to write one",
                        d.id,
                        self.keymap.key(Action::NewNote)
                    ));
                    return vec![];
                }
                if self.tab == Tab::Plan || self.tab == Tab::Today {
                    // Enter on an item opens its first note, if any.
                    if let Some((_, i)) = self.selected_item() {
                        if let Some(n) = self
                            .data
                            .notes
                            .iter()
                            .find(|n| n.item.as_deref() == Some(&i.id))
                        {
                            return vec![Effect::EditNote(n.id)];
                        }
                        self.status = Some(format!(
                            "no note on {} yet — press {} to write one",
                            i.id,
                            self.keymap.key(Action::NewNote)
                        ));
                    }
                }
            }
            Action::EditInternal => {
                if let Some(n) = self.selected_note() {
                    return vec![Effect::EditNoteInternal(n.id)];
                }
            }
            Action::Reload => return vec![Effect::Reload],
            Action::NewRun
            | Action::Compare
            | Action::CancelRun
            | Action::DeleteRun
            | Action::Rerun
            | Action::TagRun
            | Action::NextMetric
            | Action::PrevMetric
            | Action::ToggleLogY
            | Action::ToggleXAxis
            | Action::SmoothMore
            | Action::SmoothLess
            | Action::ToggleFollow
            | Action::ToggleWrap
            | Action::SortRuns
            | Action::ExportReport => {
                self.status = Some(format!(
                    "that key works on the Runs tab ({})",
                    self.keymap.key(Action::Tab(4))
                ));
            }
            Action::Mock => {
                self.status = Some(format!(
                    "mock interviews start on the Cards tab ({})",
                    self.keymap.key(Action::Tab(Tab::Cards as usize))
                ));
            }
            // The other scopes' actions mean nothing here.
            _ => {}
        }
        vec![]
    }

    /// The help overlay: its own key closes it (so do esc and quit); moving scrolls.
    fn help_action(&mut self, action: Action) {
        let lines = self.keymap.help_lines().len();
        let max = help_grid(lines, self.size).max_scroll;
        let page = help_grid(lines, self.size).rows.max(1);
        self.help_scroll = match action {
            Action::Help | Action::ClearFilter | Action::Quit => {
                self.mode = Mode::Normal;
                0
            }
            Action::Down => self.help_scroll + 1,
            Action::Up => self.help_scroll.saturating_sub(1),
            Action::PageDown => self.help_scroll + page,
            Action::PageUp => self.help_scroll.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => max,
            _ => self.help_scroll,
        }
        .min(max);
    }
}

//! What the runner reports back: news from the background and the outcome of effects.
//! Each is folded into the state here; some ask for more work (a reloaded runs table
//! asks for the open run's new points).

use super::super::model::cards::{CardsView, MockPhase, MockUi};
use super::super::model::logbuf::{LogBuf, LOG_CAP};
use super::super::model::runs::RunsView;
use super::{App, CardsLoaded, Effect, Mode, Msg, Tab};

impl App {
    pub(super) fn result(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            // Input is handled in `App::handle`.
            Msg::Key(_) | Msg::Action(_) | Msg::Text(_) | Msg::Resize(..) | Msg::Clock(_) => {}
            Msg::IngestRole(ours) => self.ingesting = ours,
            Msg::RunsChanged => {
                return vec![Effect::LoadRuns {
                    projects: self.runs_data.projects.is_empty(),
                }]
            }
            Msg::Cancelled { run, outcome } => {
                self.status = Some(format!("{run}: {outcome}"));
                return self.result(Msg::RunsChanged);
            }
            Msg::Status(s) => self.status = Some(s),
            Msg::Failed(e) => self.status = Some(format!("error: {e}")),
            Msg::Data(data) => {
                self.set_data(*data);
                self.preview = None;
            }
            Msg::NoteCreated(id) => return vec![Effect::EditNote(id)],
            Msg::NoteText { id, title, text } => self.open_editor(id, title, &text),
            Msg::NoteHits(ids) => self.note_hits = Some(ids),
            Msg::Preview(note) => self.preview = Some(*note),
            Msg::PreviewFailed { id, error } => {
                self.preview = None;
                self.status = Some(format!("error: loading note {id}: {error}"));
            }
            Msg::Runs { data, projects } => {
                let mut data = *data;
                if !projects {
                    data.projects = std::mem::take(&mut self.runs_data.projects);
                }
                self.runs_data = data;
                let n = self.row_count_of(Tab::Runs);
                let i = Tab::Runs as usize;
                self.selected[i] = self.selected[i].min(n.saturating_sub(1));
                return match self.runs.view.clone() {
                    RunsView::Run(_) => vec![Effect::LoadSeries],
                    RunsView::Compare(ids) => vec![Effect::LoadCompare(ids)],
                    _ => vec![],
                };
            }
            Msg::Log { run, lines, fresh } => {
                if self.runs.view != RunsView::Run(run) {
                    return vec![];
                }
                if fresh {
                    let mut log = LogBuf::new(LOG_CAP);
                    log.extend(lines);
                    self.runs.log = Some(log);
                    return vec![Effect::LoadSeries];
                }
                if let Some(log) = self.runs.log.as_mut() {
                    log.extend(lines);
                }
            }
            Msg::Series { run, points } => self.add_series(&run, points),
            Msg::ComparePoints {
                ids,
                metric,
                points,
            } => self.add_compare(&ids, metric, points),
            Msg::RunDeleted(id) => {
                self.runs.marked.remove(&id);
                if self.runs.view == RunsView::Run(id.clone()) {
                    self.runs.view = RunsView::Table;
                    self.runs.log = None;
                }
                self.status = Some(format!("deleted {id}"));
                return self.result(Msg::RunsChanged);
            }
            Msg::SweepPlanned {
                project,
                params,
                lines,
                slurm,
            } => {
                let mut prompt = format!(
                    "Sweep {project}: {} run(s), at most 2 at a time{}:\n",
                    lines.len(),
                    if slurm {
                        ", on Slurm (a job array)"
                    } else {
                        ""
                    }
                );
                for l in lines.iter().take(8) {
                    prompt.push_str(&format!("  {l}\n"));
                }
                if lines.len() > 8 {
                    prompt.push_str(&format!("  … and {} more\n", lines.len() - 8));
                }
                prompt.push_str(&format!("Start them? {}", self.yes_no()));
                self.mode = Mode::Confirm {
                    prompt,
                    effect: Effect::LaunchSweep { project, params },
                };
            }
            Msg::Cards(c) => self.cards_loaded(*c),
            Msg::ReviewQueue { cards, now } => {
                self.cards.now = now;
                self.cards.start_review(cards, now);
            }
            Msg::Graded { grade, after, now } => {
                self.cards.now = now;
                self.cards.graded(grade, *after, now);
                if !matches!(self.cards.view, CardsView::Review(_)) {
                    return vec![Effect::CardsReload];
                }
            }
            Msg::MockQuestion {
                filter,
                question,
                session,
                asked,
                now,
            } => {
                self.cards.now = now;
                self.cards.view = CardsView::Mock(Box::new(MockUi::new(
                    filter,
                    *question,
                    session,
                    asked,
                    now,
                    self.cards.settings.mock_minutes * 60.0,
                )));
            }
            Msg::MockUnavailable(why) => {
                self.cards.view = CardsView::Overview;
                self.status = Some(why);
                return vec![Effect::CardsReload];
            }
            Msg::MockRecorded {
                session,
                rating,
                card,
                now,
            } => {
                self.cards.now = now;
                if let CardsView::Mock(m) = &mut self.cards.view {
                    if matches!(m.phase, MockPhase::Rating { .. }) {
                        m.session = Some(session);
                        m.phase = MockPhase::Done { rating, card };
                    }
                }
                return vec![Effect::CardsReload];
            }
        }
        vec![]
    }

    fn cards_loaded(&mut self, c: CardsLoaded) {
        self.cards.settings = c.settings;
        match c.bank {
            Some(Ok(b)) => self.cards.data.bank = Some(b),
            Some(Err(e)) => self.cards.data.error = Some(e),
            None => {}
        }
        self.cards.data.stats = c.stats;
        self.cards.data.scores = c.scores;
        let n = self.cards.data.scores.len() + 1;
        let i = Tab::Cards as usize;
        self.selected[i] = self.selected[i].min(n - 1);
    }
}

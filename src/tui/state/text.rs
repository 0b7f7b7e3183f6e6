//! Text input: the filter line, one-line prompts, the built-in editor — what typed
//! keys do there, and the keymap's `submit`, `save` and `cancel` — and yes/no
//! questions.

use super::super::action::{Action, TextKey};
use super::super::model::editor::Editor;
use super::super::model::runs::RunsView;
use super::{App, Effect, Mode, Purpose, Tab};

impl App {
    /// Typed text in the filter, a prompt, the editor or a mock answer.
    pub(super) fn text(&mut self, key: TextKey) -> Vec<Effect> {
        if self.mode == Mode::Normal && self.tab == Tab::Cards {
            return self.mock_answer_text(key);
        }
        match &mut self.mode {
            Mode::Filter => {
                let tab = self.tab as usize;
                match key {
                    TextKey::Char(c) => self.filters[tab].push(c),
                    TextKey::Backspace => {
                        self.filters[tab].pop();
                    }
                    _ => {}
                }
                self.filter_changed()
            }
            Mode::Input { input, .. } => {
                match key {
                    TextKey::Char(c) => input.push(c),
                    TextKey::Backspace => {
                        input.pop();
                    }
                    _ => {}
                }
                vec![]
            }
            Mode::Editor(ed) => {
                ed.key(key);
                vec![]
            }
            Mode::Normal | Mode::Help | Mode::Confirm { .. } => vec![],
        }
    }

    /// The filter's text changed (or was kept): back to the first row; the Notes tab
    /// searches note bodies too.
    fn filter_changed(&mut self) -> Vec<Effect> {
        let tab = self.tab as usize;
        self.selected[tab] = 0;
        if self.tab == Tab::Notes && !self.filters[tab].trim().is_empty() {
            return vec![Effect::SearchNotes(self.filters[tab].clone())];
        }
        vec![]
    }

    /// `submit` and `cancel` in the filter line and prompts.
    pub(super) fn input_action(&mut self, action: Action) -> Vec<Effect> {
        match (&self.mode, action) {
            (Mode::Filter, Action::Submit) => {
                self.mode = Mode::Normal;
                self.filter_changed()
            }
            (Mode::Filter, Action::Cancel) => {
                self.filters[self.tab as usize].clear();
                self.note_hits = None;
                self.mode = Mode::Normal;
                self.filter_changed()
            }
            (Mode::Input { purpose, input }, Action::Submit) => {
                let text = input.trim().to_string();
                let purpose = purpose.clone();
                self.mode = Mode::Normal;
                self.submit_prompt(purpose, text)
            }
            (Mode::Input { .. }, Action::Cancel) => {
                self.mode = Mode::Normal;
                vec![]
            }
            _ => vec![],
        }
    }

    /// `save` and `cancel` in the built-in editor (and while writing a mock answer).
    pub(super) fn editor_action(&mut self, action: Action) -> Vec<Effect> {
        let Mode::Editor(ed) = &mut self.mode else {
            return self.mock_answer_action(action);
        };
        match action {
            Action::Save => {
                let effect = Effect::SaveNote(ed.note_id, ed.text());
                self.mode = Mode::Normal;
                vec![effect]
            }
            Action::Cancel => {
                if ed.dirty && !ed.confirm_discard {
                    ed.confirm_discard = true;
                } else {
                    self.mode = Mode::Normal;
                    self.status = Some("edit discarded".into());
                }
                vec![]
            }
            _ => vec![],
        }
    }

    /// A yes/no question: `yes` carries out its effect; anything else cancels.
    pub(super) fn confirm_action(&mut self, action: Action) -> Vec<Effect> {
        let Mode::Confirm { effect, .. } = &self.mode else {
            return vec![];
        };
        let effect = effect.clone();
        self.mode = Mode::Normal;
        if action == Action::Yes {
            return vec![effect];
        }
        self.status = Some("cancelled".into());
        vec![]
    }

    /// How a yes/no question ends: the keys that answer it (`y/n`).
    pub fn yes_no(&self) -> String {
        use super::super::keymap::Scope;
        format!(
            "{}/{}",
            self.keymap.key_in(Scope::Confirm, Action::Yes),
            self.keymap.key_in(Scope::Confirm, Action::No)
        )
    }

    pub fn open_editor(&mut self, note_id: i64, title: String, text: &str) {
        self.mode = Mode::Editor(Box::new(Editor::new(note_id, title, text)));
    }

    /// A finished text prompt.
    fn submit_prompt(&mut self, purpose: Purpose, text: String) -> Vec<Effect> {
        match purpose {
            Purpose::NoteTitle(attach) => {
                if text.is_empty() {
                    self.status = Some("a note needs a title".into());
                    return vec![];
                }
                vec![Effect::CreateNote {
                    title: text,
                    attach,
                }]
            }
            Purpose::Param(i) => {
                if let RunsView::Launch(form) = &mut self.runs.view {
                    if let Some(f) = form.fields.get_mut(i) {
                        f.1 = text;
                    }
                }
                vec![]
            }
            Purpose::Tag(run) => {
                let (remove, add): (Vec<String>, Vec<String>) = text
                    .split_whitespace()
                    .map(str::to_string)
                    .partition(|t| t.starts_with('-'));
                let remove = remove
                    .into_iter()
                    .map(|t| t.trim_start_matches('-').to_string())
                    .collect::<Vec<_>>();
                if add.is_empty() && remove.is_empty() {
                    return vec![];
                }
                vec![Effect::TagRun { run, add, remove }]
            }
            Purpose::LogSearch => {
                self.runs.search = text.clone();
                if let Some(log) = &self.runs.log {
                    let hits = log.search(&text);
                    match hits.last() {
                        Some(&last) => {
                            let from_end = log.lines.len() - 1 - last;
                            self.runs.scroll = if from_end == 0 { None } else { Some(from_end) };
                            self.status = Some(format!("{} matching line(s)", hits.len()));
                        }
                        None if !text.is_empty() => {
                            self.status = Some(format!("no line contains `{text}`"))
                        }
                        None => {}
                    }
                }
                vec![]
            }
        }
    }
}

//! The live view of a turn-taking run (`labbook demo turn-taking`): the run's stdout
//! is fed into the view as it grows; the keymap's `quit` leaves (the run goes on) and
//! `cancel_run` cancels it.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{self, Event, KeyEvent, KeyEventKind};

use super::{render, TurnData};
use crate::runs::tail::Tail;
use crate::tui::action::Action;
use crate::tui::keymap::{Keymap, Scope, Screen};
use crate::tui::runner::{restore_terminal, setup_terminal};

/// How a watch ended, for the caller to tell.
pub struct Watched {
    /// The session's summary line, once the run printed it.
    pub summary: Option<String>,
    /// What became of the run (left running, cancelled).
    pub note: Option<String>,
    /// Whether the view itself failed.
    pub outcome: anyhow::Result<()>,
}

/// What a key does in the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Stay,
    Leave,
    Cancel,
}

fn step(keymap: &Keymap, ev: &KeyEvent, ended: bool) -> Step {
    match keymap.action_in(Scope::Turn, ev) {
        Some(Action::Quit) => Step::Leave,
        Some(Action::CancelRun) if !ended => Step::Cancel,
        _ => Step::Stay,
    }
}

/// The view's title: the run, whether it ended, and its keys.
fn title(keymap: &Keymap, id: &str, ended: bool) -> String {
    let screen = if ended {
        Screen::TurnEnded
    } else {
        Screen::TurnLive
    };
    let keys: Vec<String> = keymap
        .hint_bar(screen, false)
        .into_iter()
        .map(|(k, label)| format!("{k} {label}"))
        .collect();
    format!(
        "Turn-taking · run {id}{} · {}",
        if ended { " (ended)" } else { "" },
        keys.join(" · ")
    )
}

/// Show the run in `dir` live until the keymap's `quit`.
pub fn watch(dir: &Path, id: &str, keymap: &Keymap) -> Watched {
    let mut data = TurnData::default();
    let mut note = None;
    let outcome = match setup_terminal() {
        Ok(mut term) => {
            let mut tail = Tail::new(&dir.join(crate::runs::STDOUT), 0);
            let r = (|| -> anyhow::Result<()> {
                loop {
                    if let Some(chunk) = tail
                        .read(8 << 20, false)
                        .with_context(|| format!("reading {}", tail.path().display()))?
                    {
                        data.feed(chunk.lines());
                    }
                    let ended = dir.join(crate::runs::EXIT).exists();
                    let title = title(keymap, id, ended);
                    term.draw(|f| render(f, f.area(), &data, &title))?;
                    if !event::poll(Duration::from_millis(50))? {
                        continue;
                    }
                    let Event::Key(k) = event::read()? else {
                        continue;
                    };
                    if k.kind != KeyEventKind::Press {
                        continue;
                    }
                    match step(keymap, &k, ended) {
                        Step::Leave => {
                            if !ended {
                                note = Some(format!(
                                    "run {id} goes on; `labbook run logs {id} -f` follows it, \
                                     the TUI's Runs tab shows it live"
                                ));
                            }
                            return Ok(());
                        }
                        Step::Cancel => {
                            note = Some(crate::runs::cancel_run(
                                dir,
                                "local",
                                Duration::from_secs(5),
                            )?);
                        }
                        Step::Stay => {}
                    }
                }
            })();
            restore_terminal();
            r
        }
        Err(e) => Err(e),
    };
    Watched {
        summary: data.done,
        note,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};
    use std::collections::BTreeMap;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn keys_come_from_the_keymap() {
        let k = Keymap::default_map();
        assert_eq!(step(&k, &key('q'), false), Step::Leave);
        assert_eq!(step(&k, &key('c'), false), Step::Cancel);
        assert_eq!(step(&k, &key('c'), true), Step::Stay, "nothing to cancel");
        assert_eq!(
            title(&k, "r1", false),
            "Turn-taking · run r1 · q leave · c cancel"
        );
        assert_eq!(
            title(&k, "r1", true),
            "Turn-taking · run r1 (ended) · q leave"
        );
        let mut o = BTreeMap::new();
        o.insert("cancel_run".to_string(), vec!["k".to_string()]);
        let k = Keymap::with_overrides(&o).unwrap();
        assert_eq!(step(&k, &key('k'), false), Step::Cancel);
        assert_eq!(step(&k, &key('c'), false), Step::Stay);
        assert!(title(&k, "r1", false).ends_with("k cancel"));
    }
}

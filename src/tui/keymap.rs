//! Keys → actions. One table drives dispatch, the help overlay and the hint bar;
//! the config's `[keys]` table overrides it.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// A key chord: a code plus modifiers (shift is folded into characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Chord {
    pub fn from_event(ev: &KeyEvent) -> Chord {
        Chord {
            code: ev.code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }

    pub fn parse(s: &str) -> anyhow::Result<Chord> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            s if s.chars().count() == 1 => KeyCode::Char(s.chars().next().unwrap_or(' ')),
            s if s.starts_with('f') && s[1..].parse::<u8>().is_ok() => {
                KeyCode::F(s[1..].parse().unwrap_or(1))
            }
            other => bail!("unknown key `{other}`"),
        };
        Ok(Chord { code, ctrl, alt })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "enter".to_string(),
            KeyCode::Esc => "esc".to_string(),
            KeyCode::Tab => "tab".to_string(),
            KeyCode::BackTab => "shift-tab".to_string(),
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "pgup".to_string(),
            KeyCode::PageDown => "pgdn".to_string(),
            KeyCode::Home => "home".to_string(),
            KeyCode::End => "end".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("f{n}"),
            _ => "?".to_string(),
        };
        match (self.ctrl, self.alt) {
            (true, _) => format!("ctrl-{base}"),
            (_, true) => format!("alt-{base}"),
            _ => base,
        }
    }
}

/// (action, default keys, help text). Order is the help overlay's order.
pub const DEFAULTS: &[(Action, &[&str], &str)] = &[
    (Action::Help, &["?"], "toggle this help"),
    (Action::Quit, &["q", "ctrl-c"], "quit"),
    (Action::NextTab, &["tab", "l", "right"], "next tab"),
    (Action::PrevTab, &["shift-tab", "h", "left"], "previous tab"),
    (Action::Tab(0), &["1"], "Today"),
    (Action::Tab(1), &["2"], "Plan"),
    (Action::Tab(2), &["3"], "Papers"),
    (Action::Tab(3), &["4"], "Notes"),
    (Action::Tab(4), &["5"], "Runs"),
    (Action::Tab(5), &["6"], "Deliverables"),
    (Action::Tab(6), &["7"], "Cards: review and mock interviews"),
    (Action::Down, &["j", "down"], "move down"),
    (Action::Up, &["k", "up"], "move up"),
    (Action::PageDown, &["ctrl-d", "pagedown"], "page down"),
    (Action::PageUp, &["ctrl-u", "pageup"], "page up"),
    (Action::Top, &["g", "home"], "first row"),
    (Action::Bottom, &["G", "end"], "last row"),
    (
        Action::ToggleDone,
        &["space", "x"],
        "done / not done; runs: mark",
    ),
    (
        Action::CycleStatus,
        &["s"],
        "cycle paper or deliverable status",
    ),
    (Action::CyclePriority, &["p"], "cycle paper priority"),
    (Action::CycleRating, &["r"], "cycle paper rating"),
    (
        Action::NewNote,
        &["n"],
        "new note (attached to the selection)",
    ),
    (
        Action::Open,
        &["enter", "e"],
        "open / edit note in $EDITOR; cards: review",
    ),
    (
        Action::EditInternal,
        &["E"],
        "edit note in the built-in editor",
    ),
    (Action::Filter, &["/"], "filter the list"),
    (Action::ClearFilter, &["esc"], "clear filter / close"),
    (Action::ToggleDayView, &["v"], "plan: by step / day by day"),
    (Action::Reload, &["ctrl-r"], "reload from disk"),
    (Action::NewRun, &["a"], "runs: launch a project"),
    (Action::Compare, &["c"], "runs: compare marked runs"),
    (Action::CancelRun, &["X"], "runs: cancel the run"),
    (Action::Rerun, &["R"], "runs: re-run, edit params"),
    (Action::DeleteRun, &["D"], "runs: delete (asks first)"),
    (Action::TagRun, &["t"], "runs: tag (-tag removes)"),
    (Action::NextMetric, &["]"], "runs: next metric"),
    (Action::PrevMetric, &["["], "runs: previous metric"),
    (Action::ToggleLogY, &["y"], "charts: log-scale y"),
    (Action::ToggleXAxis, &["T"], "charts: x = step / time"),
    (Action::SmoothMore, &["+"], "charts: more smoothing"),
    (Action::SmoothLess, &["-"], "charts: less smoothing"),
    (Action::ToggleFollow, &["f"], "log: follow the end"),
    (Action::ToggleWrap, &["w"], "log: wrap long lines"),
    (Action::SortRuns, &["o"], "runs: change the sort"),
    (
        Action::Mock,
        &["m"],
        "cards: mock interview (selected topic)",
    ),
    (
        Action::ExportReport,
        &["P"],
        "runs compare: export a report",
    ),
];

#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<(Action, Vec<Chord>, &'static str)>,
}

impl Keymap {
    pub fn default_map() -> Keymap {
        let bindings = DEFAULTS
            .iter()
            .map(|(a, keys, help)| {
                (
                    *a,
                    keys.iter().filter_map(|k| Chord::parse(k).ok()).collect(),
                    *help,
                )
            })
            .collect();
        Keymap { bindings }
    }

    /// Defaults with the config's `[keys]` overrides (action name → keys).
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> anyhow::Result<Keymap> {
        let mut map = Self::default_map();
        let mut claimed: Vec<(String, Vec<Chord>)> = Vec::new();
        for (name, keys) in overrides {
            let slot = map
                .bindings
                .iter_mut()
                .find(|(a, _, _)| a.name() == *name)
                .ok_or_else(|| {
                    let names: Vec<String> = DEFAULTS.iter().map(|(a, _, _)| a.name()).collect();
                    anyhow!(
                        "[keys] {name}: unknown action (actions: {})",
                        names.join(", ")
                    )
                })?;
            let chords: Vec<Chord> = keys
                .iter()
                .map(|k| Chord::parse(k).map_err(|e| anyhow!("[keys] {name}: {e}")))
                .collect::<anyhow::Result<_>>()?;
            slot.1 = chords.clone();
            claimed.push((name.clone(), chords));
        }
        // A key given to an action in the config is taken away from every other action
        // (two overrides claiming the same key is an error).
        for (i, (name, chords)) in claimed.iter().enumerate() {
            if let Some((other, c)) = claimed[i + 1..]
                .iter()
                .find_map(|(o, cs)| cs.iter().find(|c| chords.contains(c)).map(|c| (o, c)))
            {
                bail!("[keys] `{}` is given to both {name} and {other}", c.label());
            }
            for (a, keys, _) in map.bindings.iter_mut() {
                if a.name() != *name {
                    keys.retain(|k| !chords.contains(k));
                }
            }
        }
        Ok(map)
    }

    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let c = Chord::from_event(ev);
        self.bindings
            .iter()
            .find(|(_, keys, _)| keys.contains(&c))
            .map(|(a, _, _)| *a)
    }

    pub fn keys_label(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(a, _, _)| *a == action)
            .map(|(_, k, _)| k.iter().map(Chord::label).collect::<Vec<_>>().join("/"))
            .unwrap_or_default()
    }

    /// First key of an action, for the hint bar.
    pub fn key(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(a, _, _)| *a == action)
            .and_then(|(_, k, _)| k.first().map(Chord::label))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn default_table_dispatches() {
        let k = Keymap::default_map();
        let cases = [
            (ev(KeyCode::Char('q'), KeyModifiers::NONE), Action::Quit),
            (ev(KeyCode::Char('c'), KeyModifiers::CONTROL), Action::Quit),
            (ev(KeyCode::Char('j'), KeyModifiers::NONE), Action::Down),
            (ev(KeyCode::Down, KeyModifiers::NONE), Action::Down),
            (ev(KeyCode::Char('G'), KeyModifiers::SHIFT), Action::Bottom),
            (
                ev(KeyCode::Char(' '), KeyModifiers::NONE),
                Action::ToggleDone,
            ),
            (ev(KeyCode::BackTab, KeyModifiers::SHIFT), Action::PrevTab),
            (ev(KeyCode::Char('3'), KeyModifiers::NONE), Action::Tab(2)),
            (ev(KeyCode::Char('/'), KeyModifiers::NONE), Action::Filter),
            (ev(KeyCode::Char('?'), KeyModifiers::NONE), Action::Help),
        ];
        for (e, a) in cases {
            assert_eq!(k.action(&e), Some(a), "{e:?}");
        }
        assert_eq!(k.action(&ev(KeyCode::Char('z'), KeyModifiers::NONE)), None);
    }

    #[test]
    fn no_chord_is_bound_twice() {
        let k = Keymap::default_map();
        let mut seen = std::collections::HashSet::new();
        for (a, keys, _) in &k.bindings {
            for c in keys {
                assert!(seen.insert(*c), "{c:?} bound twice (second: {a:?})");
            }
        }
    }

    #[test]
    fn overrides_replace_keys_and_reject_unknowns() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["ctrl-q".to_string()]);
        o.insert("toggle_done".to_string(), vec!["d".to_string()]);
        let k = Keymap::with_overrides(&o).unwrap();
        assert_eq!(
            k.action(&ev(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(k.action(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(
            k.action(&ev(KeyCode::Char('d'), KeyModifiers::NONE)),
            Some(Action::ToggleDone)
        );
        // Taking `q` for `top` removes it from `quit`.
        let mut o = BTreeMap::new();
        o.insert("top".to_string(), vec!["q".to_string()]);
        let k = Keymap::with_overrides(&o).unwrap();
        assert_eq!(
            k.action(&ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Top)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        let mut both = BTreeMap::new();
        both.insert("top".to_string(), vec!["z".to_string()]);
        both.insert("bottom".to_string(), vec!["z".to_string()]);
        assert!(Keymap::with_overrides(&both)
            .unwrap_err()
            .to_string()
            .contains("given to both"));
        let mut bad = BTreeMap::new();
        bad.insert("fly".to_string(), vec!["f".to_string()]);
        assert!(Keymap::with_overrides(&bad)
            .unwrap_err()
            .to_string()
            .contains("unknown action"));
        let mut bad = BTreeMap::new();
        bad.insert("quit".to_string(), vec!["hyper-x".to_string()]);
        assert!(Keymap::with_overrides(&bad).is_err());
    }

    #[test]
    fn action_names() {
        assert_eq!(Action::ToggleDone.name(), "toggle_done");
        assert_eq!(Action::Tab(2).name(), "tab_3");
        assert_eq!(Action::Quit.name(), "quit");
    }
}

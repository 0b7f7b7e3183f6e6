//! Keys → actions. One table ([`DEFAULTS`]) drives dispatch in every scope, the help
//! overlay and the hint bar; the config's `[keys]` table overrides it by action name.
//! Keys that type text in the filter, prompts and the editor go through [`text_key`].

mod chord;
mod defaults;
mod hints;

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, TextKey};
pub use chord::Chord;
pub use defaults::{Scope, DEFAULTS};
pub use hints::{hints, HelpLine, Hint, Screen};

/// One row of the keymap: in `scope`, `keys` trigger `action`.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub scope: Scope,
    pub action: Action,
    pub keys: Vec<Chord>,
    pub help: &'static str,
}

impl Binding {
    /// All keys, `/`-separated (the help overlay).
    pub fn label(&self) -> String {
        self.keys
            .iter()
            .map(Chord::label)
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Keymap {
    pub fn default_map() -> Keymap {
        let bindings = DEFAULTS
            .iter()
            .map(|(scope, action, keys, help)| Binding {
                scope: *scope,
                action: *action,
                keys: keys.iter().filter_map(|k| Chord::parse(k).ok()).collect(),
                help,
            })
            .collect();
        Keymap { bindings }
    }

    /// The config names of every action, in table order.
    pub fn action_names() -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (_, a, _, _) in DEFAULTS {
            let n = a.name();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names
    }

    /// Defaults with the config's `[keys]` overrides (action name → keys). An action
    /// bound in several scopes gets the keys in each of them.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> anyhow::Result<Keymap> {
        let mut map = Self::default_map();
        let mut claimed: Vec<(Action, Vec<Chord>)> = Vec::new();
        for (name, keys) in overrides {
            let action = Action::from_name(name)
                .filter(|a| map.bindings.iter().any(|b| b.action == *a))
                .ok_or_else(|| {
                    anyhow!(
                        "[keys] {name}: unknown action `{name}` (actions: {})",
                        Self::action_names().join(", ")
                    )
                })?;
            let chords: Vec<Chord> = keys
                .iter()
                .map(|k| Chord::parse(k).map_err(|e| anyhow!("[keys] {name}: {e}")))
                .collect::<anyhow::Result<_>>()?;
            for b in map.bindings.iter_mut().filter(|b| b.action == action) {
                if let Some(c) = chords
                    .iter()
                    .find(|c| b.scope.takes_text() && c.types_text())
                {
                    bail!(
                        "[keys] {name}: `{}` types text in the {}; use a ctrl- or alt- key",
                        c.label(),
                        b.scope.title().to_lowercase()
                    );
                }
                b.keys = chords.clone();
            }
            claimed.push((action, chords));
        }
        // A key given to an action in the config is taken away from every other action
        // of the same scope (two overrides claiming the same key there is an error).
        for (i, (action, chords)) in claimed.iter().enumerate() {
            let scopes = map.scopes_of(*action);
            for (other, cs) in &claimed[i + 1..] {
                let shared = map.scopes_of(*other).iter().any(|s| scopes.contains(s));
                if let Some(c) = cs.iter().find(|c| chords.contains(c)).filter(|_| shared) {
                    bail!(
                        "[keys] `{}` is given to both {} and {}",
                        c.label(),
                        action.name(),
                        other.name()
                    );
                }
            }
            for b in map.bindings.iter_mut() {
                if b.action != *action && scopes.contains(&b.scope) {
                    b.keys.retain(|k| !chords.contains(k));
                }
            }
        }
        Ok(map)
    }

    fn scopes_of(&self, action: Action) -> Vec<Scope> {
        self.bindings
            .iter()
            .filter(|b| b.action == action)
            .map(|b| b.scope)
            .collect()
    }

    /// The action of a key in the lists (the [`Scope::Normal`] table).
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        self.action_in(Scope::Normal, ev)
    }

    /// The action of a key in `scope`.
    pub fn action_in(&self, scope: Scope, ev: &KeyEvent) -> Option<Action> {
        let c = Chord::from_event(ev);
        self.bindings
            .iter()
            .find(|b| b.scope == scope && b.keys.contains(&c))
            .map(|b| b.action)
    }

    fn binding(&self, scope: Scope, action: Action) -> Option<&Binding> {
        self.bindings
            .iter()
            .find(|b| b.scope == scope && b.action == action)
    }

    /// All keys of an action in the lists, `/`-separated.
    pub fn keys_label(&self, action: Action) -> String {
        self.binding(Scope::Normal, action)
            .map(Binding::label)
            .unwrap_or_default()
    }

    /// First key of an action in the lists (the hint bar, messages).
    pub fn key(&self, action: Action) -> String {
        self.key_in(Scope::Normal, action)
    }

    /// First key of an action in `scope`.
    pub fn key_in(&self, scope: Scope, action: Action) -> String {
        self.binding(scope, action)
            .and_then(|b| b.keys.first().map(Chord::label))
            .unwrap_or_default()
    }
}

/// A key as text input (the filter, prompts, the built-in editor), once the keymap has
/// had its say.
pub fn text_key(ev: &KeyEvent) -> Option<TextKey> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    Some(match ev.code {
        KeyCode::Char(c) if !ctrl => TextKey::Char(c),
        KeyCode::Backspace => TextKey::Backspace,
        KeyCode::Delete => TextKey::Delete,
        KeyCode::Left => TextKey::Left,
        KeyCode::Right => TextKey::Right,
        KeyCode::Up => TextKey::Up,
        KeyCode::Down => TextKey::Down,
        KeyCode::Home => TextKey::Home,
        KeyCode::End => TextKey::End,
        KeyCode::Enter => TextKey::Enter,
        KeyCode::Tab => TextKey::Char(' '),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;

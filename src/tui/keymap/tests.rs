use super::*;

fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

fn ch(c: char) -> KeyEvent {
    ev(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn default_table_dispatches() {
    let k = Keymap::default_map();
    let cases = [
        (ch('q'), Action::Quit),
        (ev(KeyCode::Char('c'), KeyModifiers::CONTROL), Action::Quit),
        (ch('j'), Action::Down),
        (ev(KeyCode::Down, KeyModifiers::NONE), Action::Down),
        (ev(KeyCode::Char('G'), KeyModifiers::SHIFT), Action::Bottom),
        (ch(' '), Action::ToggleDone),
        (ev(KeyCode::BackTab, KeyModifiers::SHIFT), Action::PrevTab),
        (ch('3'), Action::Tab(2)),
        (ch('/'), Action::Filter),
        (ch('?'), Action::Help),
    ];
    for (e, a) in cases {
        assert_eq!(k.action(&e), Some(a), "{e:?}");
    }
    assert_eq!(k.action(&ch('z')), None);
}

#[test]
fn the_same_key_means_different_things_in_different_scopes() {
    let k = Keymap::default_map();
    let cases = [
        (Scope::Normal, ch('3'), Some(Action::Tab(2))),
        (Scope::Review, ch('3'), Some(Action::GradeGood)),
        (Scope::Rating, ch('3'), Some(Action::Rate(3))),
        (Scope::Normal, ch(' '), Some(Action::ToggleDone)),
        (Scope::Review, ch(' '), Some(Action::Reveal)),
        (Scope::Review, ch('q'), Some(Action::EndReview)),
        (Scope::MockDone, ch('n'), Some(Action::NextQuestion)),
        (Scope::Confirm, ch('Y'), Some(Action::Yes)),
        (Scope::Confirm, ch('n'), Some(Action::No)),
        (
            Scope::Editor,
            ev(KeyCode::Char('s'), KeyModifiers::CONTROL),
            Some(Action::Save),
        ),
        (Scope::Editor, ch('s'), None),
        (
            Scope::Input,
            ev(KeyCode::Enter, KeyModifiers::NONE),
            Some(Action::Submit),
        ),
        (Scope::Editor, ev(KeyCode::Enter, KeyModifiers::NONE), None),
        (Scope::Audio, ch('+'), Some(Action::ZoomIn)),
        (Scope::Turn, ch('c'), Some(Action::CancelRun)),
        (Scope::Normal, ch('c'), Some(Action::Compare)),
    ];
    for (scope, e, a) in cases {
        assert_eq!(k.action_in(scope, &e), a, "{scope:?} {e:?}");
    }
}

#[test]
fn no_chord_is_bound_twice_in_a_scope() {
    let k = Keymap::default_map();
    let mut seen = std::collections::HashSet::new();
    for b in &k.bindings {
        assert!(!b.keys.is_empty(), "{:?} has no key", b.action);
        for c in &b.keys {
            assert!(
                seen.insert((b.scope, *c)),
                "{c:?} bound twice in {:?} (second: {:?})",
                b.scope,
                b.action
            );
            assert!(
                !(b.scope.takes_text() && c.types_text()),
                "{:?} would eat typed text",
                b.action
            );
        }
    }
}

#[test]
fn every_action_has_a_name_that_parses_back() {
    for (_, a, _, _) in DEFAULTS {
        let n = a.name();
        assert!(
            !n.is_empty() && !n.contains(char::is_uppercase),
            "{a:?}: {n}"
        );
        assert_eq!(Action::from_name(&n), Some(*a), "{n}");
    }
    let names = Keymap::action_names();
    for n in ["quit", "next_tab", "tab_1", "tab_7", "toggle_done", "mock"] {
        assert!(names.iter().any(|x| x == n), "{n}");
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
    assert_eq!(k.action(&ch('q')), None);
    assert_eq!(k.action(&ch('d')), Some(Action::ToggleDone));
    // Taking `q` for `top` removes it from `quit`.
    let mut o = BTreeMap::new();
    o.insert("top".to_string(), vec!["q".to_string()]);
    let k = Keymap::with_overrides(&o).unwrap();
    assert_eq!(k.action(&ch('q')), Some(Action::Top));
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
    let err = Keymap::with_overrides(&bad).unwrap_err().to_string();
    assert!(err.contains("unknown action `fly`"), "{err}");
    assert!(
        err.contains("toggle_done") && err.contains("grade_good"),
        "{err}"
    );
    let mut bad = BTreeMap::new();
    bad.insert("quit".to_string(), vec!["hyper-x".to_string()]);
    assert!(Keymap::with_overrides(&bad).is_err());
}

#[test]
fn review_mock_and_confirm_keys_are_rebindable() {
    let mut o = BTreeMap::new();
    o.insert("grade_good".to_string(), vec!["g".to_string()]);
    o.insert("rate_5".to_string(), vec!["f5".to_string()]);
    o.insert("yes".to_string(), vec!["enter".to_string()]);
    o.insert("save".to_string(), vec!["ctrl-w".to_string()]);
    let k = Keymap::with_overrides(&o).unwrap();
    assert_eq!(
        k.action_in(Scope::Review, &ch('g')),
        Some(Action::GradeGood)
    );
    assert_eq!(k.action_in(Scope::Review, &ch('3')), None);
    // `g` is still `top` in the lists: another scope.
    assert_eq!(k.action(&ch('g')), Some(Action::Top));
    assert_eq!(
        k.action_in(Scope::Rating, &ev(KeyCode::F(5), KeyModifiers::NONE)),
        Some(Action::Rate(5))
    );
    assert_eq!(
        k.action_in(Scope::Confirm, &ev(KeyCode::Enter, KeyModifiers::NONE)),
        Some(Action::Yes)
    );
    assert_eq!(
        k.action_in(
            Scope::Editor,
            &ev(KeyCode::Char('w'), KeyModifiers::CONTROL)
        ),
        Some(Action::Save)
    );
    assert_eq!(k.key_in(Scope::Review, Action::GradeGood), "g");
    // A plain letter for an editor action would eat typing.
    let mut o = BTreeMap::new();
    o.insert("save".to_string(), vec!["s".to_string()]);
    let err = Keymap::with_overrides(&o).unwrap_err().to_string();
    assert!(err.contains("types text"), "{err}");
}

#[test]
fn an_action_of_several_scopes_is_rebound_in_each() {
    let mut o = BTreeMap::new();
    o.insert("quit".to_string(), vec!["ctrl-q".to_string()]);
    let k = Keymap::with_overrides(&o).unwrap();
    for scope in [Scope::Normal, Scope::Audio, Scope::Turn] {
        assert_eq!(k.key_in(scope, Action::Quit), "ctrl-q", "{scope:?}");
    }
    assert_eq!(k.action_in(Scope::Audio, &ch('q')), None);
}

#[test]
fn the_hint_bar_and_help_come_from_the_same_table() {
    let mut o = BTreeMap::new();
    o.insert("grade_again".to_string(), vec!["a".to_string()]);
    o.insert("reveal".to_string(), vec!["v".to_string()]);
    let k = Keymap::with_overrides(&o).unwrap();
    let bar = k.hint_bar(Screen::ReviewAnswer, false);
    assert_eq!(bar[0], ("a".to_string(), "again"));
    assert_eq!(
        k.hint_bar(Screen::Review, false)[0],
        ("v".to_string(), "show answer")
    );
    assert_eq!(
        k.hint_bar(Screen::MockRating, false)[0],
        ("1-5".to_string(), "rate your answer")
    );
    // Every action any hint bar offers is in the help, with the same keys.
    let help = k.help_lines();
    let screens = [
        Screen::Today,
        Screen::Plan,
        Screen::Papers,
        Screen::Notes,
        Screen::RunsTable,
        Screen::RunsRun,
        Screen::RunsCompare,
        Screen::RunsLaunch,
        Screen::Deliverables,
        Screen::CardsOverview,
        Screen::Review,
        Screen::ReviewAnswer,
        Screen::ReviewSummary,
        Screen::MockAnswer,
        Screen::MockRating,
        Screen::MockDone,
        Screen::Filter,
        Screen::Editor,
        Screen::Audio,
        Screen::TurnLive,
        Screen::TurnEnded,
    ];
    for s in screens {
        for h in hints(s) {
            let b = k
                .bindings
                .iter()
                .find(|b| b.scope == s.scope() && b.action == h.action)
                .unwrap_or_else(|| panic!("{s:?}: {:?} is not bound there", h.action));
            assert!(
                help.iter()
                    .any(|l| matches!(l, HelpLine::Entry { keys, help }
                    if *help == b.help && keys.contains(&b.label()))),
                "{s:?}: {:?} missing from the help",
                h.action
            );
        }
    }
    // The filtered-only hint appears only when filtered.
    let plain = k.hint_bar(Screen::Plan, false);
    let filtered = k.hint_bar(Screen::Plan, true);
    assert_eq!(filtered.len(), plain.len() + 1);
    assert_eq!(plain.last().map(|p| p.1), Some("quit"));
}

#[test]
fn text_keys_exclude_what_the_keymap_takes() {
    assert_eq!(text_key(&ch('a')), Some(TextKey::Char('a')));
    assert_eq!(
        text_key(&ev(KeyCode::Tab, KeyModifiers::NONE)),
        Some(TextKey::Char(' '))
    );
    assert_eq!(
        text_key(&ev(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        None
    );
    assert_eq!(text_key(&ev(KeyCode::Esc, KeyModifiers::NONE)), None);
}

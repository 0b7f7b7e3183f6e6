//! `labbook audio view FILE`: the spectrogram (half-block heatmap, two bands per cell)
//! with the pitch and energy tracks under it; keys from the keymap's audio scope
//! (←/→ scroll, +/- zoom, q quits by default).

use std::path::Path;

use crossterm::event::{self, Event, KeyEvent, KeyEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use super::action::Action;
use super::keymap::{Keymap, Scope, Screen};
use super::runner::{restore_terminal, setup_terminal};
use super::theme::THEME;
use crate::audio::view::{Analysis, FRAME_RATE};

/// Which frames are on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    pub first: usize,
    pub frames: usize,
}

impl ViewState {
    pub fn whole(a: &Analysis) -> ViewState {
        ViewState {
            first: 0,
            frames: a.mel.n_frames.max(1),
        }
    }

    /// Apply a key through the keymap's audio scope; false when it quits.
    pub fn key(&mut self, keymap: &Keymap, ev: &KeyEvent, total: usize) -> bool {
        match keymap.action_in(Scope::Audio, ev) {
            Some(a) => self.act(a, total),
            None => true,
        }
    }

    /// Apply an action; false when it quits.
    pub fn act(&mut self, action: Action, total: usize) -> bool {
        let step = (self.frames / 10).max(1);
        match action {
            Action::Quit => return false,
            Action::ScrollLeft => self.first = self.first.saturating_sub(step),
            Action::ScrollRight => {
                self.first = (self.first + step).min(total.saturating_sub(self.frames))
            }
            Action::ZoomIn => {
                self.frames = (self.frames / 2).max(20);
            }
            Action::ZoomOut => {
                self.frames = (self.frames * 2).min(total.max(1));
                self.first = self.first.min(total.saturating_sub(self.frames));
            }
            Action::Top => self.first = 0,
            _ => {}
        }
        true
    }
}

/// The view's key line: `←/→ scroll · +/= zoom · …` from the keymap.
pub fn keys_line(keymap: &Keymap) -> String {
    keymap
        .hint_bar(Screen::Audio, false)
        .into_iter()
        .map(|(k, label)| format!("{k} {label}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Draw the view into `area`.
pub fn render(f: &mut Frame, area: Rect, a: &Analysis, v: &ViewState, name: &str, keys: &str) {
    let [head, spec, pitch, energy, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(1),
    ])
    .areas(area);
    let t0 = v.first as f64 / FRAME_RATE;
    let t1 = (v.first + v.frames).min(a.mel.n_frames) as f64 / FRAME_RATE;
    f.render_widget(
        Paragraph::new(format!(
            "{name} · {:.2}–{:.2} s of {:.2} s · log-mel {} bands",
            t0, t1, a.seconds, a.mel.n_mels
        )),
        head,
    );
    // Heatmap: each cell is two pixels, the upper one as foreground of '▀'.
    let block = Block::bordered().title(" spectrogram ");
    let inner = block.inner(spec);
    f.render_widget(block, spec);
    let (w, h) = (inner.width as usize, inner.height as usize);
    if w > 0 && h > 0 {
        let g = a.grid(v.first, v.frames, w, 2 * h);
        let buf = f.buffer_mut();
        for r in 0..h {
            for c in 0..w {
                let cell = &mut buf[(inner.x + c as u16, inner.y + r as u16)];
                cell.set_char('▀');
                cell.set_style(
                    Style::new()
                        .fg(THEME.heat(g[2 * r][c]))
                        .bg(THEME.heat(g[2 * r + 1][c])),
                );
            }
        }
    }
    let range = v.first..(v.first + v.frames).min(a.mel.n_frames);
    let f0: Vec<(f64, f64)> = range
        .clone()
        .filter_map(|i| a.f0[i].map(|p| (i as f64 / FRAME_RATE, p as f64)))
        .collect();
    let en: Vec<(f64, f64)> = range
        .map(|i| (i as f64 / FRAME_RATE, a.energy_db[i] as f64))
        .collect();
    let x_axis = || {
        Axis::default()
            .bounds([t0, t1.max(t0 + 0.01)])
            .labels([format!("{t0:.1}s"), format!("{t1:.1}s")])
    };
    f.render_widget(
        Chart::new(vec![Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Scatter)
            .style(THEME.pitch)
            .data(&f0)])
        .block(Block::bordered().title(" F0 (YIN, voiced frames) "))
        .x_axis(x_axis())
        .y_axis(
            Axis::default()
                .bounds([50.0, 500.0])
                .labels(["50 Hz", "500 Hz"]),
        ),
        pitch,
    );
    f.render_widget(
        Chart::new(vec![Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(THEME.energy)
            .data(&en)])
        .block(Block::bordered().title(" energy (RMS dBFS) "))
        .x_axis(x_axis())
        .y_axis(Axis::default().bounds([-80.0, 0.0]).labels(["-80", "0"])),
        energy,
    );
    f.render_widget(
        Paragraph::new(Line::styled(keys.to_string(), THEME.dim)),
        help,
    );
}

/// Open the view on a WAV file until the keymap's `quit`.
pub fn view(path: &Path, n_mels: usize, keymap: &Keymap) -> anyhow::Result<()> {
    let a = Analysis::from_wav(path, n_mels)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut v = ViewState::whole(&a);
    let keys = keys_line(keymap);
    let mut term = setup_terminal()?;
    let r = (|| -> anyhow::Result<()> {
        loop {
            term.draw(|f| render(f, f.area(), &a, &v, &name, &keys))?;
            if let Event::Key(k) = event::read()? {
                if k.kind == KeyEventKind::Press && !v.key(keymap, &k, a.mel.n_frames) {
                    return Ok(());
                }
            }
        }
    })();
    restore_terminal();
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    #[test]
    fn the_view_draws_the_heatmap_tracks_and_scrolls() {
        let x: Vec<f32> = (0..32_000)
            .map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 180.0 / 16_000.0).sin() * 0.3)
            .collect();
        let a = Analysis::new(&x, 16_000, 80).unwrap();
        let mut v = ViewState::whole(&a);
        let k = Keymap::default_map();
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        let keys = keys_line(&k);
        assert_eq!(keys, "←/→ scroll · +/- zoom · home start · q quit");
        t.draw(|f| render(f, f.area(), &a, &v, "tone.wav", &keys))
            .unwrap();
        let buf = t.backend().buffer().clone();
        let text: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(text.contains("tone.wav · 0.00–2.00 s of 2.00 s"), "{text}");
        assert!(text.contains('▀') && text.contains("F0 (YIN") && text.contains("q quit"));
        // Zoom in, scroll right, the window moves; q quits.
        let ev = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert!(v.key(&k, &ev(KeyCode::Char('+')), a.mel.n_frames));
        assert_eq!(v.frames, 100);
        assert!(v.key(&k, &ev(KeyCode::Right), a.mel.n_frames));
        assert_eq!(v.first, 10);
        assert!(!v.key(&k, &ev(KeyCode::Char('q')), a.mel.n_frames));
        // Rebound from the config's [keys].
        let mut o = std::collections::BTreeMap::new();
        o.insert("zoom_in".to_string(), vec!["i".to_string()]);
        let k = Keymap::with_overrides(&o).unwrap();
        assert!(v.key(&k, &ev(KeyCode::Char('i')), a.mel.n_frames));
        assert_eq!(v.frames, 50);
        assert!(keys_line(&k).contains("i/- zoom"));
    }
}

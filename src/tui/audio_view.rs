//! `labbook audio view FILE`: the spectrogram (half-block heatmap, two bands per cell)
//! with the pitch and energy tracks under it; ←/→ scroll, +/− zoom, q quits.

use std::path::Path;

use crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use crate::audio::view::{viridis, Analysis, FRAME_RATE};

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

    /// Apply a key; false when the key quits.
    pub fn key(&mut self, code: KeyCode, total: usize) -> bool {
        let step = (self.frames / 10).max(1);
        match code {
            KeyCode::Char('q') | KeyCode::Esc => return false,
            KeyCode::Left | KeyCode::Char('h') => self.first = self.first.saturating_sub(step),
            KeyCode::Right | KeyCode::Char('l') => {
                self.first = (self.first + step).min(total.saturating_sub(self.frames))
            }
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.frames = (self.frames / 2).max(20);
            }
            KeyCode::Char('-') => {
                self.frames = (self.frames * 2).min(total.max(1));
                self.first = self.first.min(total.saturating_sub(self.frames));
            }
            KeyCode::Home => self.first = 0,
            _ => {}
        }
        true
    }
}

fn rgb(t: f32) -> Color {
    let (r, g, b) = viridis(t);
    Color::Rgb(r, g, b)
}

/// Draw the view into `area`.
pub fn render(f: &mut Frame, area: Rect, a: &Analysis, v: &ViewState, name: &str) {
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
                cell.set_style(Style::new().fg(rgb(g[2 * r][c])).bg(rgb(g[2 * r + 1][c])));
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
            .style(Style::new().fg(Color::White))
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
            .style(Style::new().fg(Color::Rgb(255, 150, 40)))
            .data(&en)])
        .block(Block::bordered().title(" energy (RMS dBFS) "))
        .x_axis(x_axis())
        .y_axis(Axis::default().bounds([-80.0, 0.0]).labels(["-80", "0"])),
        energy,
    );
    f.render_widget(
        Paragraph::new(Line::styled(
            "←/→ scroll · +/− zoom · Home start · q quit",
            Style::new().fg(Color::DarkGray),
        )),
        help,
    );
}

/// Open the view on a WAV file until q.
pub fn run(path: &Path, n_mels: usize) -> anyhow::Result<()> {
    let a = Analysis::from_wav(path, n_mels)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut v = ViewState::whole(&a);
    let mut term = super::setup_terminal()?;
    let r = (|| -> anyhow::Result<()> {
        loop {
            term.draw(|f| render(f, f.area(), &a, &v, &name))?;
            if let Event::Key(k) = event::read()? {
                if k.kind == KeyEventKind::Press && !v.key(k.code, a.mel.n_frames) {
                    return Ok(());
                }
            }
        }
    })();
    super::restore_terminal();
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    #[test]
    fn the_view_draws_the_heatmap_tracks_and_scrolls() {
        let x: Vec<f32> = (0..32_000)
            .map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 180.0 / 16_000.0).sin() * 0.3)
            .collect();
        let a = Analysis::new(&x, 16_000, 80).unwrap();
        let mut v = ViewState::whole(&a);
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| render(f, f.area(), &a, &v, "tone.wav")).unwrap();
        let buf = t.backend().buffer().clone();
        let text: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(text.contains("tone.wav · 0.00–2.00 s of 2.00 s"), "{text}");
        assert!(text.contains('▀') && text.contains("F0 (YIN") && text.contains("q quit"));
        // Zoom in, scroll right, the window moves; q quits.
        assert!(v.key(KeyCode::Char('+'), a.mel.n_frames));
        assert_eq!(v.frames, 100);
        assert!(v.key(KeyCode::Right, a.mel.n_frames));
        assert_eq!(v.first, 10);
        assert!(!v.key(KeyCode::Char('q'), a.mel.n_frames));
    }
}

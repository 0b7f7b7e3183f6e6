//! A small built-in Markdown editor for notes (used when no $EDITOR is set, or on
//! request) and mock-interview answers. Saving and cancelling are keymap actions
//! (`save`, `cancel`); this is the text editing.

use crate::tui::action::TextKey;

#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    pub note_id: i64,
    pub title: String,
    pub lines: Vec<String>,
    /// Cursor row and column (in characters).
    pub row: usize,
    pub col: usize,
    pub dirty: bool,
    pub confirm_discard: bool,
}

fn byte_index(s: &str, col: usize) -> usize {
    s.char_indices().nth(col).map(|(i, _)| i).unwrap_or(s.len())
}

impl Editor {
    pub fn new(note_id: i64, title: String, text: &str) -> Editor {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        // Start at the end: new notes are written below their title.
        let row = lines.len() - 1;
        let col = lines[row].chars().count();
        Editor {
            note_id,
            title,
            lines,
            row,
            col,
            dirty: false,
            confirm_discard: false,
        }
    }

    pub fn text(&self) -> String {
        let mut t = self.lines.join("\n");
        t.push('\n');
        t
    }

    fn line_len(&self) -> usize {
        self.lines[self.row].chars().count()
    }

    pub fn key(&mut self, k: TextKey) {
        self.confirm_discard = false;
        match k {
            TextKey::Char(c) => {
                let line = &mut self.lines[self.row];
                let at = byte_index(line, self.col);
                line.insert(at, c);
                self.col += 1;
                self.dirty = true;
            }
            TextKey::Enter => {
                let line = &mut self.lines[self.row];
                let at = byte_index(line, self.col);
                let rest = line.split_off(at);
                self.lines.insert(self.row + 1, rest);
                self.row += 1;
                self.col = 0;
                self.dirty = true;
            }
            TextKey::Backspace => {
                if self.col > 0 {
                    let line = &mut self.lines[self.row];
                    let at = byte_index(line, self.col - 1);
                    line.remove(at);
                    self.col -= 1;
                    self.dirty = true;
                } else if self.row > 0 {
                    let cur = self.lines.remove(self.row);
                    self.row -= 1;
                    self.col = self.line_len();
                    self.lines[self.row].push_str(&cur);
                    self.dirty = true;
                }
            }
            TextKey::Delete => {
                if self.col < self.line_len() {
                    let line = &mut self.lines[self.row];
                    let at = byte_index(line, self.col);
                    line.remove(at);
                    self.dirty = true;
                } else if self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    self.lines[self.row].push_str(&next);
                    self.dirty = true;
                }
            }
            TextKey::Left => {
                if self.col > 0 {
                    self.col -= 1;
                } else if self.row > 0 {
                    self.row -= 1;
                    self.col = self.line_len();
                }
            }
            TextKey::Right => {
                if self.col < self.line_len() {
                    self.col += 1;
                } else if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = 0;
                }
            }
            TextKey::Up => {
                if self.row > 0 {
                    self.row -= 1;
                    self.col = self.col.min(self.line_len());
                }
            }
            TextKey::Down => {
                if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = self.col.min(self.line_len());
                }
            }
            TextKey::Home => self.col = 0,
            TextKey::End => self.col = self.line_len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(e: &mut Editor, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                e.key(TextKey::Enter);
            } else {
                e.key(TextKey::Char(c));
            }
        }
    }

    #[test]
    fn edits_lines_with_unicode() {
        let mut e = Editor::new(1, "t".into(), "# Title\n\n");
        assert_eq!((e.row, e.col), (1, 0));
        typed(&mut e, "naïve ✓\nsecond");
        assert_eq!(e.text(), "# Title\nnaïve ✓\nsecond\n");
        e.key(TextKey::Home);
        e.key(TextKey::Backspace);
        assert_eq!(e.text(), "# Title\nnaïve ✓second\n");
        e.key(TextKey::Left);
        e.key(TextKey::Delete);
        assert_eq!(e.text(), "# Title\nnaïve second\n");
        assert!(e.dirty);
    }
}

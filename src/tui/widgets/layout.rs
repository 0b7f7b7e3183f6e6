//! Small geometry helpers.

use ratatui::layout::Rect;

/// A `w`×`h` rectangle in the middle of `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The first row shown so that row `sel` is visible in `height` rows.
pub fn visible_window(sel: usize, height: usize) -> usize {
    sel.saturating_sub(height.saturating_sub(1))
}

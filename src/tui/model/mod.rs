//! State of the tabs that is more than a list: the Runs tab (table, run view, compare,
//! launch form), the Cards tab (review, mock interview), the built-in editor and a run's
//! log. Plain data with pure methods; `state` owns them inside `App`.

pub mod cards;
pub mod editor;
pub mod logbuf;
pub mod runs;

//! What is said: the word lists and the sentence templates of utterances and
//! dialogue phrases, expanded with an item's random stream.

use anyhow::{anyhow, Result};
use std::collections::BTreeSet;

use crate::util::rng::Rng;

const NOUNS: &[&str] = &[
    "time", "day", "week", "night", "morning", "house", "home", "room", "door", "window", "table",
    "chair", "book", "paper", "letter", "phone", "car", "train", "bus", "road", "street", "city",
    "water", "coffee", "tea", "food", "bread", "music", "movie", "game", "story", "picture",
    "friend", "family", "teacher", "doctor", "dog", "cat", "bird", "garden", "river", "kitchen",
    "office", "meeting", "report", "list", "key", "bag", "box", "light",
];
const VERBS: &[&str] = &[
    "open", "close", "find", "take", "bring", "make", "call", "read", "write", "watch", "play",
    "start", "stop", "move", "check", "send", "show", "keep", "need", "see", "help", "meet", "buy",
    "clean", "fix", "cook", "carry", "finish", "share", "plan",
];
const ADJS: &[&str] = &[
    "good", "new", "old", "big", "small", "long", "short", "early", "late", "quiet", "loud",
    "warm", "cold", "bright", "dark", "busy", "happy", "simple", "ready", "empty", "heavy", "free",
    "nice", "great",
];
const COLORS: &[&str] = &[
    "red", "blue", "green", "yellow", "white", "black", "brown", "orange",
];
const TIMES: &[&str] = &[
    "today",
    "tomorrow",
    "tonight",
    "yesterday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "later",
    "soon",
    "now",
];
const NAMES: &[&str] = &[
    "anna", "david", "maria", "james", "sarah", "peter", "lucy", "thomas", "emma", "daniel",
];
/// Digit / number words.
const NUMBERS: &[&str] = &[
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred",
];
/// Command words.
const COMMANDS: &[&str] = &[
    "yes", "no", "stop", "go", "left", "right", "up", "down", "on", "off", "start", "pause",
    "play", "next", "back", "louder", "quieter", "cancel", "confirm", "repeat",
];
const DIRECTIONS: &[&str] = &["left", "right", "up", "down"];
const ONOFF: &[&str] = &["on", "off"];

/// Slot `{x}` → its word list.
fn slot(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "n" => NOUNS,
        "v" => VERBS,
        "a" => ADJS,
        "c" => COLORS,
        "t" => TIMES,
        "name" => NAMES,
        "num" => NUMBERS,
        "cmd" => COMMANDS,
        "dir" => DIRECTIONS,
        "onoff" => ONOFF,
        _ => return None,
    })
}

/// Sentences for single-speaker utterances (slots in braces).
pub const UTTERANCE_TEMPLATES: &[&str] = &[
    "please {v} the {n}",
    "can you {v} the {n} {t}",
    "the {n} is {a}",
    "the {c} {n} is in the {n}",
    "i need to {v} the {n} {t}",
    "{name} will {v} the {n} {t}",
    "where is the {c} {n}",
    "what time is it",
    "we should {v} the {n} before {t}",
    "call {name} at {num} {num}",
    "my number is {num} {num} {num} {num}",
    "{num} {num} {num}",
    "{cmd}",
    "{cmd} {cmd}",
    "turn {dir}",
    "go {dir} at the {n}",
    "set the timer for {num} minutes",
    "play some {a} music",
    "{name} has the {c} {n}",
    "this {n} is very {a}",
    "is the {n} {a} or {a}",
    "do you want {n} or {n}",
    "let us {v} the {n} {t}",
    "there is one {n} in the {n}",
    "i think the {n} is {a}",
    "the {n} and the {n} are {a}",
    "my {n} is {c}",
    "your {n} is on the {n}",
    "we can meet at {num} {t}",
    "the train leaves at {num} {num}",
    "it is {a} and {a} {t}",
    "{name} and {name} will {v} it {t}",
    "please do not {v} the {n}",
    "how do i {v} the {n}",
    "when will you {v} the {n}",
    "put the {c} {n} on the {n}",
    "i will {v} it {t}",
    "the {n} was too {a}",
    "bring me the {n} please",
    "show me the {c} {n}",
    "room {num} {num} is {a}",
    "my code is {num} {num} {num}",
    "{cmd} the {n}",
    "volume {dir}",
    "turn the light {onoff}",
    "{name} is at the {n}",
    "we need more {n} for the {n}",
    "the {a} {n} is next to the {n}",
    "can we {v} it {t}",
    "i can not find my {n}",
    "what is in the {c} {n}",
    "{t} will be {a}",
    "they want to {v} the {n} with {name}",
    "switch {onoff} the {n}",
];

/// Extra, conversational phrases used (half the time) in dialogues.
pub const DIALOGUE_TEMPLATES: &[&str] = &[
    "yes",
    "no",
    "okay",
    "sure",
    "really",
    "i think so",
    "i do not think so",
    "that sounds good",
    "what do you mean",
    "let me check",
    "well maybe",
    "i am not sure",
    "thank you",
    "sure that is fine",
    "good idea",
    "why not",
    "of course",
    "hold on",
    "wait one second",
    "so what do you think",
    "and then what",
    "yes i can do that",
    "no not {t}",
    "how about {t}",
    "can we do it {t}",
    "i will call {name}",
    "that is too {a}",
    "ask {name} about the {n}",
    "what about the {n}",
];

/// Expand a template with the item's RNG.
pub(super) fn expand(template: &str, rng: &mut Rng) -> Result<Vec<String>> {
    template
        .split_whitespace()
        .map(
            |tok| match tok.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => {
                    let list =
                        slot(name).ok_or_else(|| anyhow!("unknown slot {tok} in {template:?}"))?;
                    Ok(list[rng.below(list.len())].to_string())
                }
                None => Ok(tok.to_string()),
            },
        )
        .collect()
}

/// Every word the templates can produce, sorted.
pub fn vocabulary() -> Vec<String> {
    let mut set = BTreeSet::new();
    for t in UTTERANCE_TEMPLATES.iter().chain(DIALOGUE_TEMPLATES) {
        for tok in t.split_whitespace() {
            match tok.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => {
                    if let Some(list) = slot(name) {
                        set.extend(list.iter().map(|w| w.to_string()));
                    }
                }
                None => {
                    set.insert(tok.to_string());
                }
            }
        }
    }
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_to_plain_words() {
        let mut rng = Rng::new(3);
        for t in UTTERANCE_TEMPLATES.iter().chain(DIALOGUE_TEMPLATES) {
            let w = expand(t, &mut rng).unwrap();
            assert!(!w.is_empty());
            for x in w {
                assert!(x.bytes().all(|b| b.is_ascii_lowercase()), "{x:?} in {t:?}");
            }
        }
        let v = vocabulary();
        assert!(v.len() >= 200, "vocabulary has {} words", v.len());
        assert!(UTTERANCE_TEMPLATES.len() + DIALOGUE_TEMPLATES.len() >= 80);
        assert!(expand("{nope}", &mut rng).is_err());
    }
}

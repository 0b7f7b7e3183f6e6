//! Dialogue planning: two voices taking turns, holds inside a turn, shift gaps and
//! overlaps between turns, and (with `turn_prosody`) the intonation cue of each phrase.

use anyhow::Result;

use super::config::{
    SpeechSetConfig, DIALOGUE_PHRASE_PROB, HOLD_MS, LEAD_MS, OVERLAP_MS, OVERLAP_PROB,
    PHRASES_PER_TURN, SHIFT_MS, SPM, TURNS, TURN_CUES_END, TURN_CUES_HOLD,
};
use super::espeak::Espeak;
use super::layout::{lay_phrase, long_hold, voice_at, Layout, Placed, Voice};
use super::manifest::{Pause, Turn};
use super::phrases::{expand, DIALOGUE_TEMPLATES, UTTERANCE_TEMPLATES};
use super::seeds::{draw_ms, item_seed, TAG_CUE};
use crate::util::rng::Rng;

/// Dialogue `j`: two voices taking turns of one to three phrases, with hold pauses
/// inside a turn and shift gaps or overlaps between turns (see [`generate`](super::generate)).
pub(super) fn lay_dialogue(
    cfg: &SpeechSetConfig,
    espeak: &Espeak,
    voice_offset: usize,
    j: usize,
    rng: &mut Rng,
    gaps: &mut Vec<usize>,
) -> Result<Layout> {
    let mut placed: Vec<Placed> = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    let mut pauses: Vec<Pause> = Vec::new();
    let n = cfg.voices.len();
    let a = voice_at(cfg, voice_offset, j).to_string();
    let b = voice_at(cfg, voice_offset, j + 1 + rng.below(n - 1)).to_string();
    let mut voices = [Voice::new(espeak, &a, rng), Voice::new(espeak, &b, rng)];
    let n_turns = rng.range_inclusive(TURNS.0, TURNS.1) as usize;
    let first_speaker = rng.below(2);
    let mut cursor_end = 0usize; // end of the previous turn's last word
    let mut last_phrase_start = 0usize; // start of the previous turn's last phrase
    let mut last_end: [Option<usize>; 2] = [None, None];
    let lead = draw_ms(rng, LEAD_MS);
    // Phrase-final cues come from their own stream, so the layout's random stream is
    // the same with and without them.
    let mut cue_rng = Rng::new(item_seed(cfg.seed, TAG_CUE, j as u64));
    let mut prev_cue: Option<char> = None;
    for t in 0..n_turns {
        let spk = (first_speaker + t) % 2;
        let u = rng.unit();
        let n_phrases = if u < PHRASES_PER_TURN[0] {
            1
        } else if u < PHRASES_PER_TURN[0] + PHRASES_PER_TURN[1] {
            2
        } else {
            3
        };
        // Lay the turn out from 0, then shift it to its start.
        let mut turn_words: Vec<Placed> = Vec::new();
        let mut phrase_bounds: Vec<(usize, usize)> = Vec::new();
        let mut cursor = 0usize;
        let mut texts = Vec::new();
        let mut cues: Vec<Option<char>> = Vec::new();
        for p in 0..n_phrases {
            let template = if rng.unit() < DIALOGUE_PHRASE_PROB {
                DIALOGUE_TEMPLATES[rng.below(DIALOGUE_TEMPLATES.len())]
            } else {
                UTTERANCE_TEMPLATES[rng.below(UTTERANCE_TEMPLATES.len())]
            };
            let words = expand(template, rng)?;
            if p > 0 {
                let h = draw_ms(rng, HOLD_MS);
                cursor += if cfg.long_holds { long_hold(h) } else { h };
            }
            let cue = cfg.turn_prosody.then(|| {
                let table: &[(char, f64)] = if p + 1 == n_phrases {
                    &TURN_CUES_END
                } else {
                    &TURN_CUES_HOLD
                };
                pick_cue(table, cue_rng.unit())
            });
            cues.push(cue);
            let ph = lay_phrase(&mut voices[spk], spk, &words, cursor, rng, gaps, cue)?;
            let ph_end = ph.last().map(|w| w.end()).unwrap_or(cursor);
            phrase_bounds.push((cursor, ph_end));
            cursor = ph_end;
            texts.push(words.join(" "));
            turn_words.extend(ph);
        }
        let first_dur = phrase_bounds[0].1 - phrase_bounds[0].0;
        // Draw everything so the random stream does not depend on the branch taken.
        let want_overlap = rng.unit() < OVERLAP_PROB;
        let overlap = draw_ms(rng, OVERLAP_MS);
        let shift = draw_ms(rng, SHIFT_MS);
        let start = if t == 0 {
            lead
        } else {
            let prev_last_dur = cursor_end - last_phrase_start;
            // An overlap never exceeds half of either phrase it touches.
            let overlap = overlap.min(first_dur / 2).min(prev_last_dur / 2);
            let cand = cursor_end.saturating_sub(overlap);
            let own_ok = last_end[spk].is_none_or(|e| cand >= e + (SHIFT_MS.0 * SPM) as usize);
            if want_overlap && overlap >= (OVERLAP_MS.0 * SPM) as usize && own_ok {
                pauses
                    .push(Pause::new("overlap", cand, cursor_end, 1 - spk, spk).with_cue(prev_cue));
                cand
            } else {
                pauses.push(
                    Pause::new("shift", cursor_end, cursor_end + shift, 1 - spk, spk)
                        .with_cue(prev_cue),
                );
                cursor_end + shift
            }
        };
        for w in &mut turn_words {
            w.start += start;
        }
        for k in 1..n_phrases {
            let (a, b) = (phrase_bounds[k - 1].1 + start, phrase_bounds[k].0 + start);
            pauses.push(Pause::new("hold", a, b, spk, spk).with_cue(cues[k - 1]));
        }
        let turn_end = start + cursor;
        turns.push(Turn::at(spk, start, turn_end, n_phrases, texts.join(" ")));
        last_phrase_start = start + phrase_bounds[n_phrases - 1].0;
        cursor_end = turn_end;
        last_end[spk] = Some(turn_end);
        prev_cue = cues[n_phrases - 1];
        placed.extend(turn_words);
    }
    let [va, vb] = voices;
    Ok(Layout {
        placed,
        speakers: vec![va.info, vb.info],
        turns,
        pauses,
        end_of_speech: cursor_end,
    })
}

/// The cue whose cumulative probability first exceeds `u` (in [0, 1)).
fn pick_cue(table: &[(char, f64)], u: f64) -> char {
    let mut acc = 0.0;
    for (c, p) in table {
        acc += p;
        if u < acc {
            return *c;
        }
    }
    table.last().map_or('.', |(c, _)| *c)
}

//! Tokenizers for the LM: one token per distinct byte of the corpus (the PyTorch
//! reference's vocabulary), or a small byte-level BPE trained on the corpus.
//!
//! BPE training, as in GPT-2 but kept small and readable:
//! 1. pre-tokenize: split the text into chunks (a run of letters/digits, or of other
//!    non-space bytes, each taking the spaces before it), so merges never cross a
//!    word boundary, and count each distinct chunk;
//! 2. start from the corpus's distinct bytes as tokens;
//! 3. repeatedly merge the most frequent adjacent pair (ties: the smallest pair of ids,
//!    so training is deterministic) into a new token, until the vocabulary is full or no
//!    pair occurs twice.
//!
//! Encoding applies the merges to each chunk in the order they were learned.

use std::collections::HashMap;

use anyhow::{bail, Context};

/// Which tokenizer a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Char,
    Bpe { vocab_size: usize },
}

/// A trained tokenizer: the bytes of every token and, for BPE, the merges in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tokenizer {
    /// `pieces[id]` is the byte string token `id` stands for.
    pub pieces: Vec<Vec<u8>>,
    /// Learned merges, in rank order: (left id, right id) → id `n_base + rank`.
    pub merges: Vec<(u32, u32)>,
}

/// Chunk boundaries for pre-tokenization: a new chunk starts where a space follows a
/// non-space, or where the byte class (alphanumeric / other) changes after the spaces.
fn chunks(text: &[u8]) -> Vec<&[u8]> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Space,
        Word,
        Other,
    }
    let class = |b: u8| {
        if b == b' ' {
            Class::Space
        } else if b.is_ascii_alphanumeric() || b >= 0x80 {
            Class::Word
        } else {
            Class::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<Class> = None;
    for (i, &b) in text.iter().enumerate() {
        let c = class(b);
        if let Some(p) = prev {
            let boundary = match (p, c) {
                (Class::Space, _) => false,
                (_, Class::Space) => true,
                (p, c) => p != c,
            };
            if boundary {
                out.push(&text[start..i]);
                start = i;
            }
        }
        prev = Some(c);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

impl Tokenizer {
    /// One token per distinct byte of `text`, sorted.
    pub fn chars(text: &[u8]) -> Tokenizer {
        let mut seen = [false; 256];
        for b in text {
            seen[*b as usize] = true;
        }
        Tokenizer {
            pieces: (0..=255u8)
                .filter(|b| seen[*b as usize])
                .map(|b| vec![b])
                .collect(),
            merges: Vec::new(),
        }
    }

    /// Train a byte-level BPE with at most `vocab_size` tokens on `text`; the base
    /// tokens are the distinct bytes of `alphabet` (the whole corpus, so that text held
    /// out of training still encodes).
    pub fn train_bpe(text: &[u8], alphabet: &[u8], vocab_size: usize) -> anyhow::Result<Tokenizer> {
        let mut tok = Tokenizer::chars(alphabet);
        if vocab_size < tok.pieces.len() {
            bail!(
                "vocab_size={vocab_size} is smaller than the corpus's {} distinct bytes",
                tok.pieces.len()
            );
        }
        let byte_id = tok.byte_ids();
        // Distinct chunks with their counts, as id sequences.
        let mut counts: HashMap<&[u8], u64> = HashMap::new();
        for c in chunks(text) {
            *counts.entry(c).or_default() += 1;
        }
        let mut words: Vec<(Vec<u32>, u64)> = counts
            .into_iter()
            .map(|(c, n)| (c.iter().map(|b| byte_id[*b as usize]).collect(), n))
            .collect();
        // Deterministic order whatever the hash map did.
        words.sort_unstable();
        let mut pair_counts: HashMap<(u32, u32), u64> = HashMap::new();
        for (w, n) in &words {
            for p in w.windows(2) {
                *pair_counts.entry((p[0], p[1])).or_default() += n;
            }
        }
        while tok.pieces.len() < vocab_size {
            let Some((&best, &count)) = pair_counts
                .iter()
                .filter(|(_, &n)| n > 0)
                .max_by(|(pa, na), (pb, nb)| na.cmp(nb).then(pb.cmp(pa)))
            else {
                break;
            };
            if count < 2 {
                break;
            }
            let new = tok.pieces.len() as u32;
            let mut piece = tok.pieces[best.0 as usize].clone();
            piece.extend_from_slice(&tok.pieces[best.1 as usize]);
            tok.pieces.push(piece);
            tok.merges.push(best);
            // Rewrite the words holding the pair, updating the pair counts as we go.
            for (w, n) in words.iter_mut() {
                if !w.windows(2).any(|p| (p[0], p[1]) == best) {
                    continue;
                }
                for p in w.windows(2) {
                    if let Some(c) = pair_counts.get_mut(&(p[0], p[1])) {
                        *c -= *n;
                    }
                }
                *w = merge_pair(w, best, new);
                for p in w.windows(2) {
                    *pair_counts.entry((p[0], p[1])).or_default() += *n;
                }
            }
        }
        Ok(tok)
    }

    /// id of each byte's single-byte token (`u32::MAX` for bytes not in the vocabulary).
    fn byte_ids(&self) -> [u32; 256] {
        let mut ids = [u32::MAX; 256];
        for (i, p) in self.pieces.iter().enumerate() {
            if let [b] = p.as_slice() {
                ids[*b as usize] = i as u32;
            }
        }
        ids
    }

    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    /// Token ids of `text`; a byte the vocabulary lacks is an error naming it.
    pub fn encode(&self, text: &[u8]) -> anyhow::Result<Vec<u32>> {
        let byte_id = self.byte_ids();
        let bytes = |c: &[u8]| -> anyhow::Result<Vec<u32>> {
            c.iter()
                .map(|b| match byte_id[*b as usize] {
                    u32::MAX => bail!("byte 0x{b:02x} is not in the tokenizer's vocabulary"),
                    id => Ok(id),
                })
                .collect()
        };
        if self.merges.is_empty() {
            return bytes(text);
        }
        let rank: HashMap<(u32, u32), usize> = self
            .merges
            .iter()
            .enumerate()
            .map(|(r, p)| (*p, r))
            .collect();
        let n_base = self.pieces.len() - self.merges.len();
        let mut cache: HashMap<&[u8], Vec<u32>> = HashMap::new();
        let mut out = Vec::with_capacity(text.len() / 2);
        for c in chunks(text) {
            if let Some(ids) = cache.get(c) {
                out.extend_from_slice(ids);
                continue;
            }
            let mut w = bytes(c)?;
            // Apply the lowest-ranked merge present until none applies.
            while let Some((r, pair)) = w
                .windows(2)
                .filter_map(|p| rank.get(&(p[0], p[1])).map(|r| (*r, (p[0], p[1]))))
                .min()
            {
                w = merge_pair(&w, pair, (n_base + r) as u32);
            }
            out.extend_from_slice(&w);
            cache.insert(c, w);
        }
        Ok(out)
    }

    /// The text of `ids` (invalid UTF-8 shown as U+FFFD).
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for id in ids {
            if let Some(p) = self.pieces.get(*id as usize) {
                bytes.extend_from_slice(p);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The id of the single-byte token `b`, if there is one.
    pub fn id_of_byte(&self, b: u8) -> Option<u32> {
        match self.byte_ids()[b as usize] {
            u32::MAX => None,
            id => Some(id),
        }
    }

    pub fn save(&self, path: &str) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_vec(self)?).with_context(|| format!("writing {path}"))
    }

    pub fn load(path: &str) -> anyhow::Result<Tokenizer> {
        let tok: Tokenizer = serde_json::from_slice(
            &std::fs::read(path).with_context(|| format!("reading {path}"))?,
        )
        .with_context(|| format!("{path} is not a labbook tokenizer"))?;
        let n_base = tok.pieces.len().checked_sub(tok.merges.len());
        let valid = n_base.is_some_and(|nb| {
            tok.merges
                .iter()
                .enumerate()
                .all(|(r, (a, b))| (*a as usize) < nb + r && (*b as usize) < nb + r)
        });
        if !valid {
            bail!("{path}: the merges refer to tokens that do not exist");
        }
        Ok(tok)
    }
}

/// `w` with every non-overlapping occurrence of `pair` (left to right) replaced by `new`.
fn merge_pair(w: &[u32], pair: (u32, u32), new: u32) -> Vec<u32> {
    let mut out = Vec::with_capacity(w.len());
    let mut i = 0;
    while i < w.len() {
        if i + 1 < w.len() && (w[i], w[i + 1]) == pair {
            out.push(new);
            i += 2;
        } else {
            out.push(w[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_leading_spaces_and_split_classes() {
        let c: Vec<&[u8]> = chunks(b"Hello, world  again!");
        assert_eq!(c, [&b"Hello"[..], b",", b" world", b"  again", b"!"]);
    }

    #[test]
    fn bpe_learns_frequent_pairs_and_round_trips() {
        let text = b"the cat the hat the bat that then there ".repeat(20);
        let tok = Tokenizer::train_bpe(&text, &text, 40).unwrap();
        assert!(tok.vocab_size() > Tokenizer::chars(&text).vocab_size());
        assert!(tok.pieces.iter().any(|p| p == b" the"), "{:?}", tok.pieces);
        let ids = tok.encode(&text).unwrap();
        assert!(ids.len() < text.len() / 2, "{} tokens", ids.len());
        assert_eq!(tok.decode(&ids).as_bytes(), &text[..]);
        // Deterministic.
        assert_eq!(tok, Tokenizer::train_bpe(&text, &text, 40).unwrap());
        // Unseen bytes are named.
        let err = tok.encode(b"zebra").unwrap_err().to_string();
        assert!(err.contains("0x7a"), "{err}");
    }

    #[test]
    fn a_vocabulary_below_the_byte_count_is_refused() {
        let err = Tokenizer::train_bpe(b"abcdef", b"abcdef", 3)
            .unwrap_err()
            .to_string();
        assert!(err.contains("6 distinct bytes"), "{err}");
    }
}

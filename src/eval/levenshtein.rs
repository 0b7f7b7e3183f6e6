//! Levenshtein alignment with the exact tie-breaking of rapidfuzz 3.x
//! (`rapidfuzz.distance.Levenshtein.editops` / `.opcodes`), which jiwer 4 uses.
//!
//! Among several minimal-cost alignments, the one reported depends on how the
//! implementation walks back through the cost matrix. rapidfuzz:
//!
//! 1. strips the common prefix and suffix first (they are always "equal"),
//! 2. for large inputs splits the problem Hirschberg-style (see [`editops`]) and
//! 3. otherwise walks back from the bottom-right corner of the matrix with Hyyrö's
//!    rule: *delete* if `D[r][c] - D[r][c-1] == 1`; otherwise step up one row and
//!    *insert* if `D[r-1][c] - D[r-1][c-1] == -1`; otherwise go diagonally
//!    (match, or substitute when the elements differ).
//!
//! Here `s1` is the reference (columns), `s2` the hypothesis (rows) and `D[r][c]` is
//! the edit distance between `s2[..r]` and `s1[..c]`. The matrix is computed exactly
//! (bit-parallel, Myers/Hyyrö); rapidfuzz's banded variants give the same values on
//! every cell the walk inspects (checked against rapidfuzz with
//! `fixtures/stress_alignment.py`).

use std::hash::Hash;

use rustc_hash::FxHashMap;

/// Kind of a single edit operation (rapidfuzz's `Editop.tag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// `s1[src_pos]` is replaced by `s2[dest_pos]`.
    Replace,
    /// `s2[dest_pos]` is inserted at `s1[src_pos]`.
    Insert,
    /// `s1[src_pos]` is deleted.
    Delete,
}

/// One edit operation, positions as in rapidfuzz's `Editop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditOp {
    /// Operation kind.
    pub kind: EditKind,
    /// Position in the source (`s1`, the reference).
    pub src_pos: usize,
    /// Position in the destination (`s2`, the hypothesis).
    pub dest_pos: usize,
}

/// Kind of an opcode block (rapidfuzz's `Opcode.tag`; jiwer renames `replace` to
/// `substitute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `s1[src_start..src_end] == s2[dest_start..dest_end]`.
    Equal,
    /// `s1[src_start..src_end]` is replaced by `s2[dest_start..dest_end]` (same length).
    Substitute,
    /// `s2[dest_start..dest_end]` is inserted (`src_start == src_end`).
    Insert,
    /// `s1[src_start..src_end]` is deleted (`dest_start == dest_end`).
    Delete,
}

/// A block of consecutive operations of one kind (rapidfuzz's `Opcode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opcode {
    /// Block kind.
    pub kind: OpKind,
    /// Start index in `s1` (inclusive).
    pub src_start: usize,
    /// End index in `s1` (exclusive).
    pub src_end: usize,
    /// Start index in `s2` (inclusive).
    pub dest_start: usize,
    /// End index in `s2` (exclusive).
    pub dest_end: usize,
}

/// Threshold of rapidfuzz's `levenshtein_align_hirschberg`: the bit matrix would take
/// `2 * band * len(s2) / 8` bytes; at 1 MiB or more (and `len(s1) >= 65`,
/// `len(s2) >= 10`) the problem is split instead.
const HIRSCHBERG_MATRIX_BYTES: usize = 1024 * 1024;

/// Edit operations turning `s1` into `s2`, identical (order, positions and tie-breaking)
/// to `rapidfuzz.distance.Levenshtein.editops(s1, s2)` with uniform weights and no
/// `score_hint`.
///
/// Large problems are split like rapidfuzz's Hirschberg step: the hypothesis `s2` is
/// cut at `len(s2) / 2` and `s1` at the smallest position minimising
/// `cost(left) + cost(right)`; both halves are then aligned independently (each again
/// with common-affix removal).
pub fn editops<T: Eq + Hash>(s1: &[T], s2: &[T]) -> Vec<EditOp> {
    let mut ops = Vec::new();
    let max = s1.len().max(s2.len());
    align_hirschberg(&mut ops, s1, s2, 0, 0, max);
    ops
}

/// Opcodes (blocks of equal/substitute/insert/delete) turning `s1` into `s2`, identical
/// to `rapidfuzz.distance.Levenshtein.opcodes(s1, s2)` (i.e. `editops(...).as_opcodes()`).
pub fn opcodes<T: Eq + Hash>(s1: &[T], s2: &[T]) -> Vec<Opcode> {
    editops_to_opcodes(&editops(s1, s2), s1.len(), s2.len())
}

/// rapidfuzz's `Editops.as_opcodes()`: gaps between edit operations become `equal`
/// blocks; runs of same-kind, contiguous operations are merged into one block.
pub fn editops_to_opcodes(ops: &[EditOp], src_len: usize, dest_len: usize) -> Vec<Opcode> {
    let mut blocks = Vec::new();
    let mut src_pos = 0;
    let mut dest_pos = 0;
    let mut i = 0;
    while i < ops.len() {
        if src_pos < ops[i].src_pos || dest_pos < ops[i].dest_pos {
            blocks.push(Opcode {
                kind: OpKind::Equal,
                src_start: src_pos,
                src_end: ops[i].src_pos,
                dest_start: dest_pos,
                dest_end: ops[i].dest_pos,
            });
            src_pos = ops[i].src_pos;
            dest_pos = ops[i].dest_pos;
        }
        let src_begin = src_pos;
        let dest_begin = dest_pos;
        let kind = ops[i].kind;
        while i < ops.len()
            && ops[i].kind == kind
            && src_pos == ops[i].src_pos
            && dest_pos == ops[i].dest_pos
        {
            match kind {
                EditKind::Replace => {
                    src_pos += 1;
                    dest_pos += 1;
                }
                EditKind::Insert => dest_pos += 1,
                EditKind::Delete => src_pos += 1,
            }
            i += 1;
        }
        blocks.push(Opcode {
            kind: match kind {
                EditKind::Replace => OpKind::Substitute,
                EditKind::Insert => OpKind::Insert,
                EditKind::Delete => OpKind::Delete,
            },
            src_start: src_begin,
            src_end: src_pos,
            dest_start: dest_begin,
            dest_end: dest_pos,
        });
    }
    if src_pos < src_len || dest_pos < dest_len {
        blocks.push(Opcode {
            kind: OpKind::Equal,
            src_start: src_pos,
            src_end: src_len,
            dest_start: dest_pos,
            dest_end: dest_len,
        });
    }
    blocks
}

/// Uniform Levenshtein distance (two-row dynamic program).
pub fn distance<T: Eq + Hash>(s1: &[T], s2: &[T]) -> usize {
    let (prefix, suffix) = common_affix(s1, s2);
    let s1 = &s1[prefix..s1.len() - suffix];
    let s2 = &s2[prefix..s2.len() - suffix];
    if s1.is_empty() {
        return s2.len();
    }
    let myers = Myers::new(s1.iter(), s1.len());
    myers.run(s2.iter(), |_, _| {}).2
}

fn common_affix<T: PartialEq>(s1: &[T], s2: &[T]) -> (usize, usize) {
    let prefix = s1.iter().zip(s2).take_while(|(a, b)| a == b).count();
    let suffix = s1[prefix..]
        .iter()
        .rev()
        .zip(s2[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (prefix, suffix)
}

/// Recursive driver mirroring rapidfuzz's `levenshtein_align_hirschberg`.
fn align_hirschberg<T: Eq + Hash>(
    ops: &mut Vec<EditOp>,
    s1: &[T],
    s2: &[T],
    src_pos: usize,
    dest_pos: usize,
    max: usize,
) {
    let (prefix, suffix) = common_affix(s1, s2);
    let s1 = &s1[prefix..s1.len() - suffix];
    let s2 = &s2[prefix..s2.len() - suffix];
    let src_pos = src_pos + prefix;
    let dest_pos = dest_pos + prefix;

    let max = max.min(s1.len().max(s2.len()));
    let full_band = s1.len().min(max.saturating_mul(2).saturating_add(1));
    let matrix_size = full_band.saturating_mul(2).saturating_mul(s2.len()) / 8;
    if matrix_size < HIRSCHBERG_MATRIX_BYTES || s1.len() < 65 || s2.len() < 10 {
        align_direct(ops, s1, s2, src_pos, dest_pos);
    } else {
        let (left_score, right_score, s1_mid, s2_mid) = hirschberg_pos(s1, s2);
        align_hirschberg(
            ops,
            &s1[..s1_mid],
            &s2[..s2_mid],
            src_pos,
            dest_pos,
            left_score,
        );
        align_hirschberg(
            ops,
            &s1[s1_mid..],
            &s2[s2_mid..],
            src_pos + s1_mid,
            dest_pos + s2_mid,
            right_score,
        );
    }
}

/// `row[c]` = distance between all of `s2` and `s1[..c]`.
fn last_row<T: Eq + Hash>(s1: &[T], s2: &[T]) -> Vec<usize> {
    last_row_iter(s1.iter(), s1.len(), s2.iter(), s2.len())
}

/// Same on reversed sequences: `row[k]` = distance between `s2` and `s1[len - k..]`.
fn last_row_rev<T: Eq + Hash>(s1: &[T], s2: &[T]) -> Vec<usize> {
    last_row_iter(s1.iter().rev(), s1.len(), s2.iter().rev(), s2.len())
}

/// rapidfuzz's `find_hirschberg_pos`: split `s2` in the middle and `s1` at the first
/// (smallest) position with minimal total cost. Returns
/// `(left_score, right_score, s1_mid, s2_mid)`.
fn hirschberg_pos<T: Eq + Hash>(s1: &[T], s2: &[T]) -> (usize, usize, usize, usize) {
    let left_size = s2.len() / 2;
    let left = last_row(s1, &s2[..left_size]);
    let right = last_row_rev(s1, &s2[left_size..]);
    let n = s1.len();
    let mut best = (usize::MAX, 0, 0, 0);
    for mid in 0..=n {
        let l = left[mid];
        let r = right[n - mid];
        if l + r < best.0 {
            best = (l + r, l, r, mid);
        }
    }
    (best.1, best.2, best.3, left_size)
}

/// Myers' / Hyyrö's bit-parallel edit-distance recurrence in 64-bit blocks over the
/// pattern `s1`: per row (element of `s2`) it updates the vectors of differences
/// `D[r][c] - D[r][c-1]` (+1 bits in `pv`, -1 bits in `mv`). These are the exact
/// values of the plain dynamic program (see the `diff_matrix_equals_plain_dp` test).
struct Myers<'a, T> {
    n: usize,
    words: usize,
    symbols: FxHashMap<&'a T, usize>,
    peq: Vec<u64>,
}

impl<'a, T: Eq + Hash> Myers<'a, T> {
    /// Pattern-match masks: one `words`-long bit vector per distinct element of `s1`.
    /// `s1` must not be empty.
    fn new(s1: impl Iterator<Item = &'a T>, n: usize) -> Self {
        let words = n.div_ceil(64).max(1);
        let mut symbols: FxHashMap<&T, usize> = FxHashMap::default();
        let mut peq: Vec<u64> = Vec::new();
        for (i, a) in s1.enumerate() {
            let next = symbols.len();
            let k = *symbols.entry(a).or_insert(next);
            if k == next {
                peq.resize(peq.len() + words, 0);
            }
            peq[k * words + i / 64] |= 1u64 << (i % 64);
        }
        Myers {
            n,
            words,
            symbols,
            peq,
        }
    }

    /// Runs over all rows; calls `on_row(pv, mv)` after each row and returns the final
    /// difference vectors and the distance `D[len(s2)][n]`.
    fn run<'b>(
        &self,
        s2: impl Iterator<Item = &'b T>,
        mut on_row: impl FnMut(&[u64], &[u64]),
    ) -> (Vec<u64>, Vec<u64>, usize)
    where
        T: 'b,
    {
        let words = self.words;
        let zeros = vec![0u64; words];
        let last_bit = 1u64 << ((self.n - 1) % 64);
        let mut pv = vec![!0u64; words];
        let mut mv = vec![0u64; words];
        let mut dist = self.n;
        for b in s2 {
            let eq_row = match self.symbols.get(b) {
                Some(&k) => &self.peq[k * words..(k + 1) * words],
                None => &zeros[..],
            };
            // horizontal delta entering the first block: D[r][0] - D[r-1][0] = +1
            let mut hin: i8 = 1;
            for w in 0..words {
                let mut eq = eq_row[w];
                let p = pv[w];
                let m = mv[w];
                let xv = eq | m;
                if hin < 0 {
                    eq |= 1;
                }
                let xh = (((eq & p).wrapping_add(p)) ^ p) | eq;
                let mut ph = m | !(xh | p);
                let mut mh = p & xh;
                let high = if w + 1 == words { last_bit } else { 1u64 << 63 };
                let hout: i8 = if ph & high != 0 {
                    1
                } else if mh & high != 0 {
                    -1
                } else {
                    0
                };
                ph <<= 1;
                mh <<= 1;
                if hin < 0 {
                    mh |= 1;
                } else if hin > 0 {
                    ph |= 1;
                }
                pv[w] = mh | !(xv | ph);
                mv[w] = ph & xv;
                hin = hout;
            }
            dist = match hin {
                1 => dist + 1,
                -1 => dist - 1,
                _ => dist,
            };
            on_row(&pv, &mv);
        }
        (pv, mv, dist)
    }
}

/// Last row of the DP matrix, `row[c]` = distance between all of `s2` and the first
/// `c` elements of `s1` (both given as iterators; `n = len(s1)`).
fn last_row_iter<'a, T: Eq + Hash + 'a>(
    s1: impl Iterator<Item = &'a T>,
    n: usize,
    s2: impl Iterator<Item = &'a T>,
    m: usize,
) -> Vec<usize> {
    if n == 0 {
        return vec![m];
    }
    let myers = Myers::new(s1, n);
    let (pv, mv, _) = myers.run(s2, |_, _| {});
    let mut row = Vec::with_capacity(n + 1);
    let mut v = m;
    row.push(v);
    for c in 0..n {
        let bit = 1u64 << (c % 64);
        if pv[c / 64] & bit != 0 {
            v += 1;
        } else if mv[c / 64] & bit != 0 {
            v -= 1;
        }
        row.push(v);
    }
    row
}

/// Bit rows of the differences `D[r][c] - D[r][c-1]` (+1 in `vp`, -1 in `vn`), for
/// rows `1..=len(s2)`, plus the final distance.
struct DiffMatrix {
    words: usize,
    vp: Vec<u64>,
    vn: Vec<u64>,
    dist: usize,
}

impl DiffMatrix {
    fn build<T: Eq + Hash>(s1: &[T], s2: &[T]) -> Self {
        let n = s1.len();
        let words = n.div_ceil(64).max(1);
        if n == 0 {
            return DiffMatrix {
                words,
                vp: Vec::new(),
                vn: Vec::new(),
                dist: s2.len(),
            };
        }
        let myers = Myers::new(s1.iter(), n);
        let mut vp = Vec::with_capacity(words * s2.len());
        let mut vn = Vec::with_capacity(words * s2.len());
        let (_, _, dist) = myers.run(s2.iter(), |pv, mv| {
            vp.extend_from_slice(pv);
            vn.extend_from_slice(mv);
        });
        DiffMatrix {
            words,
            vp,
            vn,
            dist,
        }
    }

    /// `D[row][col] - D[row][col-1] == +1`, for `row >= 1`, `col >= 1`.
    fn vp(&self, row: usize, col: usize) -> bool {
        let w = (row - 1) * self.words + (col - 1) / 64;
        self.vp[w] & (1u64 << ((col - 1) % 64)) != 0
    }

    /// `D[row][col] - D[row][col-1] == -1`, for `row >= 1`, `col >= 1`.
    fn vn(&self, row: usize, col: usize) -> bool {
        let w = (row - 1) * self.words + (col - 1) / 64;
        self.vn[w] & (1u64 << ((col - 1) % 64)) != 0
    }
}

/// rapidfuzz's `levenshtein_align` + `recover_alignment` (no affix handling here; the
/// caller has already stripped it).
fn align_direct<T: Eq + Hash>(
    ops: &mut Vec<EditOp>,
    s1: &[T],
    s2: &[T],
    src_pos: usize,
    dest_pos: usize,
) {
    if s1.is_empty() || s2.is_empty() {
        for c in 0..s1.len() {
            ops.push(EditOp {
                kind: EditKind::Delete,
                src_pos: src_pos + c,
                dest_pos,
            });
        }
        for r in 0..s2.len() {
            ops.push(EditOp {
                kind: EditKind::Insert,
                src_pos: src_pos + s1.len(),
                dest_pos: dest_pos + r,
            });
        }
        return;
    }
    let m = DiffMatrix::build(s1, s2);
    if m.dist == 0 {
        return;
    }
    let start = ops.len();
    let mut col = s1.len();
    let mut row = s2.len();
    while row > 0 && col > 0 {
        if m.vp(row, col) {
            col -= 1;
            ops.push(EditOp {
                kind: EditKind::Delete,
                src_pos: col + src_pos,
                dest_pos: row + dest_pos,
            });
        } else {
            row -= 1;
            if row > 0 && m.vn(row, col) {
                ops.push(EditOp {
                    kind: EditKind::Insert,
                    src_pos: col + src_pos,
                    dest_pos: row + dest_pos,
                });
            } else {
                col -= 1;
                if s1[col] != s2[row] {
                    ops.push(EditOp {
                        kind: EditKind::Replace,
                        src_pos: col + src_pos,
                        dest_pos: row + dest_pos,
                    });
                }
            }
        }
    }
    while col > 0 {
        col -= 1;
        ops.push(EditOp {
            kind: EditKind::Delete,
            src_pos: col + src_pos,
            dest_pos: row + dest_pos,
        });
    }
    while row > 0 {
        row -= 1;
        ops.push(EditOp {
            kind: EditKind::Insert,
            src_pos: col + src_pos,
            dest_pos: row + dest_pos,
        });
    }
    ops[start..].reverse();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops_str(a: &str, b: &str) -> Vec<(EditKind, usize, usize)> {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        editops(&a, &b)
            .into_iter()
            .map(|o| (o.kind, o.src_pos, o.dest_pos))
            .collect()
    }

    #[test]
    fn rapidfuzz_docstring_example() {
        // rapidfuzz 3.14: Levenshtein.editops("qabxcd", "abycdf")
        assert_eq!(
            ops_str("qabxcd", "abycdf"),
            vec![
                (EditKind::Delete, 0, 0),
                (EditKind::Replace, 3, 2),
                (EditKind::Insert, 6, 5)
            ]
        );
        let a: Vec<char> = "qabxcd".chars().collect();
        let b: Vec<char> = "abycdf".chars().collect();
        let oc = opcodes(&a, &b);
        let kinds: Vec<_> = oc
            .iter()
            .map(|o| (o.kind, o.src_start, o.src_end, o.dest_start, o.dest_end))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (OpKind::Delete, 0, 1, 0, 0),
                (OpKind::Equal, 1, 3, 0, 2),
                (OpKind::Substitute, 3, 4, 2, 3),
                (OpKind::Equal, 4, 6, 3, 5),
                (OpKind::Insert, 6, 6, 5, 6),
            ]
        );
    }

    /// Plain O(n m) dynamic program, as an oracle for the bit-parallel matrix.
    fn plain_diffs(s1: &[u8], s2: &[u8]) -> (Vec<Vec<i8>>, usize) {
        let n = s1.len();
        let mut prev: Vec<usize> = (0..=n).collect();
        let mut rows = Vec::new();
        for (r, b) in s2.iter().enumerate() {
            let mut cur = vec![r + 1; n + 1];
            for c in 1..=n {
                cur[c] = (prev[c - 1] + usize::from(s1[c - 1] != *b))
                    .min(cur[c - 1] + 1)
                    .min(prev[c] + 1);
            }
            rows.push(
                (1..=n)
                    .map(|c| (cur[c] as i64 - cur[c - 1] as i64) as i8)
                    .collect(),
            );
            prev = cur;
        }
        (rows, prev[n])
    }

    #[test]
    fn diff_matrix_equals_plain_dp() {
        let mut state = 12345u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        for case in 0..400 {
            let alpha = [2, 3, 5, 26][case % 4];
            let n1 = next(200) as usize;
            let n2 = next(200) as usize;
            let s1: Vec<u8> = (0..n1).map(|_| next(alpha) as u8).collect();
            let s2: Vec<u8> = (0..n2).map(|_| next(alpha) as u8).collect();
            let m = DiffMatrix::build(&s1, &s2);
            let (rows, dist) = plain_diffs(&s1, &s2);
            assert_eq!(m.dist, dist, "case {case}: {n1}x{n2}");
            for (r, row) in rows.iter().enumerate() {
                for (c, d) in row.iter().enumerate() {
                    assert_eq!(m.vp(r + 1, c + 1), *d == 1, "case {case} r {r} c {c}");
                    assert_eq!(m.vn(r + 1, c + 1), *d == -1, "case {case} r {r} c {c}");
                }
            }
        }
    }

    #[test]
    fn last_rows_equal_plain_dp() {
        let s1: Vec<u8> =
            b"abracadabra-alakazam-abracadabra-alakazam-abracadabra-alakazam-xyz".to_vec();
        let s2: Vec<u8> = b"alakazam abracadabra".to_vec();
        for (a, b) in [(&s1, &s2), (&s2, &s1)] {
            let row = last_row(a, b);
            for c in 0..=a.len() {
                let want = plain_diffs(&a[..c], b).1;
                assert_eq!(row[c], want, "forward c={c}");
            }
            let rev = last_row_rev(a, b);
            for k in 0..=a.len() {
                let want = plain_diffs(&a[a.len() - k..], b).1;
                assert_eq!(rev[k], want, "reverse k={k}");
            }
        }
    }

    #[test]
    fn distance_matches_editops_len() {
        let pairs = [
            ("kitten", "sitting"),
            ("", "abc"),
            ("abc", ""),
            ("aaa", "aaa"),
        ];
        for (a, b) in pairs {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            assert_eq!(distance(&a, &b), editops(&a, &b).len());
        }
    }

    #[test]
    fn hirschberg_split_at_zero_is_considered() {
        // Optimal split of s1 only at position 0: a^n b vs c^k a^n d.
        let n = 1000;
        let k = 3200;
        let mut s1 = vec![b'a'; n];
        s1.push(b'b');
        let mut s2 = vec![b'c'; k];
        s2.extend(std::iter::repeat_n(b'a', n));
        s2.push(b'd');
        assert_eq!(editops(&s1, &s2).len(), k + 1);
        assert_eq!(distance(&s1, &s2), k + 1);
    }
}

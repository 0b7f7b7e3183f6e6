//! Evaluation metrics against their references (jiwer 4.0, Whisper's normalisers,
//! pystoi, NumPy), on fixtures written by the scripts in `tests/fixtures/eval/`.

mod wer {
    // Compares `labbook::eval::wer` against jiwer 4.0.0 outputs recorded by
    // `fixtures/make_wer_fixtures.py` (per-sentence alignments, corpus totals, measures
    // and visualisations). Everything is compared exactly.

    use labbook::eval::wer::{
        process_characters, process_words, visualize_alignment, AlignmentChunk, ChunkKind,
    };
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Sentence {
        hsdi: [usize; 4],
        chunks: String,
    }

    #[derive(Deserialize)]
    struct WordGroup {
        start: usize,
        end: usize,
        hsdi: [usize; 4],
        wer: f64,
        mer: f64,
        wil: f64,
        wip: f64,
    }

    #[derive(Deserialize)]
    struct CharGroup {
        start: usize,
        end: usize,
        hsdi: [usize; 4],
        cer: f64,
    }

    #[derive(Deserialize)]
    struct Visual {
        start: usize,
        end: usize,
        word_default: String,
        word_all_no_measures: String,
        word_width_40: String,
        char_default: String,
        char_width_30: String,
    }

    #[derive(Deserialize)]
    struct Fixtures {
        pairs: Vec<(String, String)>,
        word_sentences: Vec<Sentence>,
        char_sentences: Vec<Sentence>,
        word_groups: Vec<WordGroup>,
        char_groups: Vec<CharGroup>,
        visual: Visual,
    }

    fn load() -> Fixtures {
        let path = crate::common::fixture("eval/wer_fixtures.json");
        let text = std::fs::read_to_string(path).expect("read wer_fixtures.json");
        serde_json::from_str(&text).expect("parse wer_fixtures.json")
    }

    fn encode(chunks: &[AlignmentChunk]) -> String {
        chunks
            .iter()
            .map(|c| {
                let t = match c.kind {
                    ChunkKind::Equal => 'e',
                    ChunkKind::Substitute => 's',
                    ChunkKind::Insert => 'i',
                    ChunkKind::Delete => 'd',
                };
                format!(
                    "{t},{},{},{},{}",
                    c.ref_start_idx, c.ref_end_idx, c.hyp_start_idx, c.hyp_end_idx
                )
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    fn hsdi(chunks: &[AlignmentChunk]) -> [usize; 4] {
        let mut out = [0; 4];
        for c in chunks {
            match c.kind {
                ChunkKind::Equal => out[0] += c.ref_end_idx - c.ref_start_idx,
                ChunkKind::Substitute => out[1] += c.ref_end_idx - c.ref_start_idx,
                ChunkKind::Delete => out[2] += c.ref_end_idx - c.ref_start_idx,
                ChunkKind::Insert => out[3] += c.hyp_end_idx - c.hyp_start_idx,
            }
        }
        out
    }

    fn refs_hyps(f: &Fixtures, a: usize, b: usize) -> (Vec<&str>, Vec<&str>) {
        let refs = f.pairs[a..b].iter().map(|p| p.0.as_str()).collect();
        let hyps = f.pairs[a..b].iter().map(|p| p.1.as_str()).collect();
        (refs, hyps)
    }

    #[test]
    fn fixture_size_is_meaningful() {
        let f = load();
        assert!(f.pairs.len() >= 2000, "{} pairs", f.pairs.len());
        assert_eq!(f.pairs.len(), f.word_sentences.len());
        assert_eq!(f.pairs.len(), f.char_sentences.len());
    }

    #[test]
    fn word_alignments_match_jiwer() {
        let f = load();
        let (refs, hyps) = refs_hyps(&f, 0, f.pairs.len());
        let out = process_words(&refs, &hyps).unwrap();
        let mut mismatches = Vec::new();
        for (i, (got, want)) in out.alignments.iter().zip(&f.word_sentences).enumerate() {
            let enc = encode(got);
            if enc != want.chunks || hsdi(got) != want.hsdi {
                mismatches.push(format!(
                    "#{i} ref={:?} hyp={:?}\n  got  {enc}\n  want {}",
                    f.pairs[i].0, f.pairs[i].1, want.chunks
                ));
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} of {} word alignments differ:\n{}",
            mismatches.len(),
            f.pairs.len(),
            mismatches[..mismatches.len().min(10)].join("\n")
        );
    }

    #[test]
    fn char_alignments_match_jiwer() {
        let f = load();
        let (refs, hyps) = refs_hyps(&f, 0, f.pairs.len());
        let out = process_characters(&refs, &hyps).unwrap();
        let mut mismatches = Vec::new();
        for (i, (got, want)) in out.alignments.iter().zip(&f.char_sentences).enumerate() {
            let enc = encode(got);
            if enc != want.chunks || hsdi(got) != want.hsdi {
                mismatches.push(format!(
                    "#{i} ref={:?} hyp={:?}\n  got  {}\n  want {}",
                    f.pairs[i].0,
                    f.pairs[i].1,
                    &enc[..enc.len().min(300)],
                    &want.chunks[..want.chunks.len().min(300)]
                ));
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} of {} char alignments differ:\n{}",
            mismatches.len(),
            f.pairs.len(),
            mismatches[..mismatches.len().min(10)].join("\n")
        );
    }

    #[test]
    fn word_group_measures_match_jiwer_exactly() {
        let f = load();
        for g in &f.word_groups {
            let (refs, hyps) = refs_hyps(&f, g.start, g.end);
            let o = process_words(&refs, &hyps).unwrap();
            let ctx = format!("group {}..{}", g.start, g.end);
            assert_eq!(
                [o.hits, o.substitutions, o.deletions, o.insertions],
                g.hsdi,
                "{ctx}"
            );
            // bit-identical floats
            assert_eq!(
                o.wer.to_bits(),
                g.wer.to_bits(),
                "{ctx} wer {} vs {}",
                o.wer,
                g.wer
            );
            assert_eq!(
                o.mer.to_bits(),
                g.mer.to_bits(),
                "{ctx} mer {} vs {}",
                o.mer,
                g.mer
            );
            assert_eq!(
                o.wil.to_bits(),
                g.wil.to_bits(),
                "{ctx} wil {} vs {}",
                o.wil,
                g.wil
            );
            assert_eq!(
                o.wip.to_bits(),
                g.wip.to_bits(),
                "{ctx} wip {} vs {}",
                o.wip,
                g.wip
            );
        }
    }

    #[test]
    fn char_group_measures_match_jiwer_exactly() {
        let f = load();
        for g in &f.char_groups {
            let (refs, hyps) = refs_hyps(&f, g.start, g.end);
            let o = process_characters(&refs, &hyps).unwrap();
            let ctx = format!("group {}..{}", g.start, g.end);
            assert_eq!(
                [o.hits, o.substitutions, o.deletions, o.insertions],
                g.hsdi,
                "{ctx}"
            );
            assert_eq!(
                o.cer.to_bits(),
                g.cer.to_bits(),
                "{ctx} cer {} vs {}",
                o.cer,
                g.cer
            );
        }
    }

    #[test]
    fn visualisations_match_jiwer_byte_for_byte() {
        let f = load();
        let v = &f.visual;
        let (refs, hyps) = refs_hyps(&f, v.start, v.end);
        let w = process_words(&refs, &hyps).unwrap();
        let c = process_characters(&refs, &hyps).unwrap();
        assert_eq!(visualize_alignment(&w, true, true, None), v.word_default);
        assert_eq!(
            visualize_alignment(&w, false, false, None),
            v.word_all_no_measures
        );
        assert_eq!(
            visualize_alignment(&w, true, true, Some(40)),
            v.word_width_40
        );
        assert_eq!(visualize_alignment(&c, true, true, None), v.char_default);
        assert_eq!(
            visualize_alignment(&c, true, false, Some(30)),
            v.char_width_30
        );
    }
}

mod normalizer {
    // Compares `labbook::eval::normalize` with openai-whisper's normalisers, outputs recorded
    // by `fixtures/make_normalizer_fixtures.py`. Exact string equality.

    use labbook::eval::normalize::{normalize_english, BasicTextNormalizer};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Case {
        input: String,
        basic: String,
        basic_diacritics: String,
        basic_split: String,
        english_subset: String,
    }

    #[derive(Deserialize)]
    struct Fixtures {
        cases: Vec<Case>,
    }

    fn load() -> Fixtures {
        let path = crate::common::fixture("eval/normalizer_fixtures.json");
        let text = std::fs::read_to_string(path).expect("read normalizer_fixtures.json");
        serde_json::from_str(&text).expect("parse normalizer_fixtures.json")
    }

    fn check(name: &str, f: impl Fn(&str) -> String, want: impl Fn(&Case) -> &str) {
        let fx = load();
        assert!(fx.cases.len() >= 1000);
        let mut bad = Vec::new();
        for c in &fx.cases {
            let got = f(&c.input);
            if got != want(c) {
                bad.push(format!(
                    "input {:?}\n  got  {:?}\n  want {:?}",
                    c.input,
                    got,
                    want(c)
                ));
            }
        }
        assert!(
            bad.is_empty(),
            "{name}: {} of {} differ:\n{}",
            bad.len(),
            fx.cases.len(),
            bad[..bad.len().min(8)].join("\n")
        );
    }

    #[test]
    fn basic_matches_whisper() {
        let n = BasicTextNormalizer::default();
        check("basic", |s| n.normalize(s), |c| &c.basic);
    }

    #[test]
    fn basic_remove_diacritics_matches_whisper() {
        let n = BasicTextNormalizer {
            remove_diacritics: true,
            split_letters: false,
        };
        check(
            "basic_diacritics",
            |s| n.normalize(s),
            |c| &c.basic_diacritics,
        );
    }

    #[test]
    fn basic_split_letters_matches_whisper() {
        let n = BasicTextNormalizer {
            remove_diacritics: false,
            split_letters: true,
        };
        check("basic_split", |s| n.normalize(s), |c| &c.basic_split);
    }

    #[test]
    fn english_subset_matches_whisper_without_numbers() {
        check("english_subset", normalize_english, |c| &c.english_subset);
    }
}

mod stoi {
    // Compares `labbook::eval::stoi` with pystoi 0.4.1 on the WAV fixtures written by
    // `fixtures/make_stoi_fixtures.py`. Tolerance 1e-3 as required; the observed maximum
    // difference is printed (run with `--nocapture`) and additionally bounded by 1e-9.

    use labbook::eval::stoi::{resample_oct, stoi};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Case {
        name: String,
        fs: u32,
        clean: String,
        processed: String,
        extended: bool,
        stoi: f64,
    }

    #[derive(Deserialize)]
    struct Resample {
        wav: String,
        q: u32,
        offset: usize,
        len: usize,
        output: Vec<f64>,
    }

    #[derive(Deserialize)]
    struct Fixtures {
        cases: Vec<Case>,
        resample: Vec<Resample>,
    }

    fn dir() -> std::path::PathBuf {
        crate::common::fixture("eval")
    }

    fn load() -> Fixtures {
        let text = std::fs::read_to_string(dir().join("stoi_fixtures.json")).expect("read json");
        serde_json::from_str(&text).expect("parse json")
    }

    /// 16-bit PCM WAV as f64 in [-1, 1) (int16 / 32768, like soundfile's float64 read).
    fn read_wav(name: &str) -> (Vec<f64>, u32) {
        let mut r = hound::WavReader::open(dir().join("stoi").join(name)).expect("open wav");
        let spec = r.spec();
        assert_eq!(spec.bits_per_sample, 16);
        assert_eq!(spec.channels, 1);
        let s: Vec<f64> = r
            .samples::<i16>()
            .map(|v| f64::from(v.expect("sample")) / 32768.0)
            .collect();
        (s, spec.sample_rate)
    }

    #[test]
    fn stoi_matches_pystoi() {
        let f = load();
        assert!(f.cases.len() >= 60);
        let mut max_diff: f64 = 0.0;
        let mut worst = String::new();
        let mut rows = Vec::new();
        for c in &f.cases {
            let (x, fs_x) = read_wav(&c.clean);
            let (y, fs_y) = read_wav(&c.processed);
            assert_eq!((fs_x, fs_y), (c.fs, c.fs), "{}", c.name);
            let got = stoi(&x, &y, c.fs, c.extended).expect("stoi");
            let d = (got - c.stoi).abs();
            rows.push(format!(
                "{:<26} ext={:<5} pystoi={:.12} rust={:.12} diff={:.3e}",
                c.name, c.extended, c.stoi, got, d
            ));
            if d > max_diff {
                max_diff = d;
                worst = c.name.clone();
            }
            assert!(
                d < 1e-3,
                "{} (extended={}): rust {got} vs pystoi {}",
                c.name,
                c.extended,
                c.stoi
            );
        }
        println!("{}", rows.join("\n"));
        println!(
            "STOI: {} cases, max |rust - pystoi| = {max_diff:.3e} ({worst})",
            f.cases.len()
        );
        assert!(max_diff < 1e-9, "max diff {max_diff:e} at {worst}");
    }

    #[test]
    fn resampler_matches_pystoi_resample_oct() {
        let f = load();
        assert!(f.resample.len() >= 30);
        let mut max_diff: f64 = 0.0;
        for r in &f.resample {
            let (x, _) = read_wav(&r.wav);
            let got = resample_oct(&x[r.offset..r.offset + r.len], 10_000, r.q).unwrap();
            assert_eq!(got.len(), r.output.len(), "{} q={} length", r.wav, r.q);
            for (a, b) in got.iter().zip(&r.output) {
                max_diff = max_diff.max((a - b).abs());
            }
        }
        println!("resample_oct: max abs diff {max_diff:.3e}");
        assert!(max_diff < 1e-12, "resampler max diff {max_diff:e}");
    }
}

mod latency {
    // Compares `labbook::eval::latency` with NumPy (`np.mean`, `np.percentile` default
    // 'linear'), values recorded by `fixtures/make_latency_fixtures.py`. Bit-exact.

    use labbook::eval::latency::{mean, percentile, summarize};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Case {
        seed: u64,
        n: usize,
        mode: u32,
        mean: f64,
        min: f64,
        max: f64,
        percentiles: Vec<f64>,
        p50: f64,
        p95: f64,
        p99: f64,
    }

    #[derive(Deserialize)]
    struct Fixtures {
        qs: Vec<f64>,
        cases: Vec<Case>,
    }

    /// Same generator as `samples()` in the Python script.
    fn samples(seed: u64, n: usize, mode: u32) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = state >> 33;
                match mode {
                    0 => (r % 1_000_000) as f64 / 1000.0,
                    1 => (r % 5000) as f64 / 100.0 * if r.is_multiple_of(23) { 40.0 } else { 1.0 },
                    _ => (r % 5) as f64 * 2.5,
                }
            })
            .collect()
    }

    #[test]
    fn latency_matches_numpy_bit_for_bit() {
        let path = crate::common::fixture("eval/latency_fixtures.json");
        let f: Fixtures = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(f.cases.len() >= 60);
        for c in &f.cases {
            let x = samples(c.seed, c.n, c.mode);
            let s = summarize(&x).unwrap();
            let ctx = format!("seed {} n {} mode {}", c.seed, c.n, c.mode);
            assert_eq!(s.count, c.n, "{ctx}");
            assert_eq!(
                s.mean.to_bits(),
                c.mean.to_bits(),
                "{ctx} mean {} vs {}",
                s.mean,
                c.mean
            );
            assert_eq!(mean(&x).unwrap().to_bits(), c.mean.to_bits(), "{ctx}");
            assert_eq!((s.min, s.max), (c.min, c.max), "{ctx}");
            assert_eq!(
                s.p50.to_bits(),
                c.p50.to_bits(),
                "{ctx} p50 {} vs {}",
                s.p50,
                c.p50
            );
            assert_eq!(
                s.p95.to_bits(),
                c.p95.to_bits(),
                "{ctx} p95 {} vs {}",
                s.p95,
                c.p95
            );
            assert_eq!(
                s.p99.to_bits(),
                c.p99.to_bits(),
                "{ctx} p99 {} vs {}",
                s.p99,
                c.p99
            );
            for (q, want) in f.qs.iter().zip(&c.percentiles) {
                let got = percentile(&x, *q).unwrap();
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{ctx} q={q}: {got} vs {want}"
                );
            }
        }
    }
}

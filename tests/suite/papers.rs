//! Papers: the catalog's arXiv ids, BibTeX round trip through the store, import
//! merge by key / DOI / arXiv id, adding by arXiv id, and reading metadata.

use labbook::papers::{self, bib, NewPaper, PaperUpdate, Status};
use labbook::plan::embedded;
use labbook::store::Store;

/// (key, arXiv id) for every paper of the reading list that has one.
pub const ARXIV: &[(&str, &str)] = &[
    ("vaswani2017attention", "1706.03762"),
    ("su2021roformer", "2104.09864"),
    ("press2022alibi", "2108.12409"),
    ("devlin2019bert", "1810.04805"),
    ("zhang2023dive", "2106.11342"),
    ("dao2022flashattention", "2205.14135"),
    ("radford2023whisper", "2212.04356"),
    ("baevski2020wav2vec", "2006.11477"),
    ("hsu2021hubert", "2106.07447"),
    ("kim2021vits", "2106.06103"),
    ("kim2020glowtts", "2005.11129"),
    ("shen2018tacotron2", "1712.05884"),
    ("ren2021fastspeech2", "2006.04558"),
    ("graves2012rnnt", "1211.3711"),
    ("chan2016las", "1508.01211"),
    ("gulati2020conformer", "2005.08100"),
    ("park2019specaugment", "1904.08779"),
    ("ekstedt2022vap", "2205.09812"),
    ("inoue2024realtime", "2401.04868"),
    ("jia2018sv2tts", "1806.04558"),
    ("defossez2024moshi", "2410.00037"),
    ("arora2025talkingturns", "2503.01174"),
    ("openai2024gpt4o", "2410.21276"),
    ("elizalde2023clap", "2206.04769"),
    ("wu2023laionclap", "2211.06687"),
    ("guzhov2022audioclip", "2106.13043"),
    ("fang2025llamaomni", "2409.06666"),
    ("seamless2023m4t", "2308.11596"),
    ("radford2021clip", "2103.00020"),
    ("zhang2023speechgpt", "2305.11000"),
    ("chu2023qwenaudio", "2311.07919"),
    ("yao2023react", "2210.03629"),
    ("wang2023voyager", "2305.16291"),
    ("wu2024autogen", "2308.08155"),
    ("ouyang2022instructgpt", "2203.02155"),
    ("rafailov2023dpo", "2305.18290"),
    ("hong2024orpo", "2403.07691"),
    ("shao2024deepseekmath", "2402.03300"),
    ("shinn2023reflexion", "2303.11366"),
    ("schick2023toolformer", "2302.04761"),
    ("packer2023memgpt", "2310.08560"),
    ("park2023generative", "2304.03442"),
];

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    papers::seed_catalog(&mut s.conn, embedded::CATALOG).unwrap();
    (dir, s)
}

#[test]
fn catalog_has_the_reading_list_with_correct_arxiv_ids() {
    let (_d, s) = store();
    let list = papers::list(&s.conn).unwrap();
    assert_eq!(list.len(), 60);
    for (key, ax) in ARXIV {
        let p = list
            .iter()
            .find(|p| p.key == *key)
            .unwrap_or_else(|| panic!("{key} missing"));
        assert_eq!(p.arxiv.as_deref(), Some(*ax), "{key}");
    }
    for key in [
        "graves2006ctc",
        "skantze2021turntaking",
        "taal2011stoi",
        "rix2001pesq",
    ] {
        let p = list.iter().find(|p| p.key == key).unwrap();
        assert_eq!(p.arxiv, None, "{key} has no arXiv version");
        assert!(p.doi.is_some(), "{key} has a DOI");
    }
    assert!(list.iter().all(|p| p.status == Status::Queued));
}

#[test]
fn seeding_twice_changes_nothing_and_keeps_user_state() {
    let (_d, mut s) = store();
    papers::update(
        &mut s.conn,
        "radford2023whisper",
        &PaperUpdate {
            status: Some(Status::Read),
            rating: Some(Some(5)),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        papers::seed_catalog(&mut s.conn, embedded::CATALOG)
            .unwrap()
            .is_none(),
        "unchanged catalog is skipped"
    );
    s.conn
        .execute("DELETE FROM meta WHERE key = 'catalog.hash'", [])
        .unwrap();
    let r = papers::seed_catalog(&mut s.conn, embedded::CATALOG)
        .unwrap()
        .unwrap();
    assert!(r.added.is_empty());
    let p = papers::get(&s.conn, "radford2023whisper").unwrap();
    assert_eq!((p.status, p.rating), (Status::Read, Some(5)));
}

#[test]
fn bibtex_round_trips_through_the_store() {
    let (_d, s) = store();
    let exported = bib::write(&papers::entries(&s.conn).unwrap());
    let reparsed = bib::parse("export.bib", &exported).unwrap();
    let original = bib::parse("catalog.bib", embedded::CATALOG).unwrap();
    assert_eq!(reparsed.len(), original.len());
    for e in &original {
        let r = reparsed.iter().find(|x| x.key == e.key).unwrap();
        assert_eq!(r, e, "{} survives export and re-import unchanged", e.key);
    }
    // And a second store fed the export exports the same text.
    let dir = tempfile::tempdir().unwrap();
    let mut s2 = Store::open(&dir.path().join("db")).unwrap();
    papers::import(&mut s2.conn, &reparsed, "import").unwrap();
    assert_eq!(bib::write(&papers::entries(&s2.conn).unwrap()), exported);
}

#[test]
fn import_merges_by_key_doi_and_arxiv_and_reports_duplicates() {
    let (_d, mut s) = store();
    let path = format!("{}/tests/fixtures/bib/user.bib", env!("CARGO_MANIFEST_DIR"));
    let entries = bib::parse("user.bib", &std::fs::read_to_string(path).unwrap()).unwrap();
    let r = papers::import(&mut s.conn, &entries, "import").unwrap();
    assert_eq!(r.added, ["smith2024new"]);
    let by: Vec<(&str, &str, &str)> = r
        .duplicates
        .iter()
        .map(|d| (d.key.as_str(), d.existing.as_str(), d.by))
        .collect();
    assert_eq!(
        by,
        [
            ("vaswani2017attention", "vaswani2017attention", "key"),
            ("whisper_copy", "radford2023whisper", "arxiv"),
            ("ctc_again", "graves2006ctc", "doi"),
        ]
    );
    let v = r
        .duplicates
        .iter()
        .find(|d| d.key == "vaswani2017attention")
        .unwrap();
    assert_eq!(
        v.merged_fields,
        ["abstract"],
        "only missing fields are filled"
    );
    let p = papers::get(&s.conn, "vaswani2017attention").unwrap();
    assert_eq!(
        p.title, "Attention Is All You Need",
        "existing fields are not overwritten"
    );
    // Same key, different arXiv id: a different paper — reported, nothing merged.
    assert_eq!(r.conflicts.len(), 1);
    assert_eq!(r.conflicts[0].key, "kim2021vits");
    assert!(
        r.conflicts[0].reason.contains("2101.00001"),
        "{:?}",
        r.conflicts
    );
    assert_eq!(
        papers::get(&s.conn, "kim2021vits")
            .unwrap()
            .arxiv
            .as_deref(),
        Some("2106.06103")
    );
    assert_eq!(papers::list(&s.conn).unwrap().len(), 61);
}

#[test]
fn malformed_bib_names_file_and_line() {
    let path = format!(
        "{}/tests/fixtures/bib/broken.bib",
        env!("CARGO_MANIFEST_DIR")
    );
    let e = bib::parse("broken.bib", &std::fs::read_to_string(path).unwrap()).unwrap_err();
    assert_eq!(e.file, "broken.bib");
    assert!(e.line >= 6, "{e}");
    assert!(e.to_string().starts_with("broken.bib:"), "{e}");
}

#[test]
fn add_by_arxiv_id_without_network() {
    let (_d, mut s) = store();
    let key = papers::add(
        &mut s.conn,
        &NewPaper {
            arxiv: Some("arXiv:2501.01234v2".into()),
            title: "A Study of Turn Endings".into(),
            authors: vec!["Ada Lovelace".into()],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(key, "lovelace2025study");
    let p = papers::get(&s.conn, &key).unwrap();
    assert_eq!(p.arxiv.as_deref(), Some("2501.01234"));
    assert_eq!(p.year.as_deref(), Some("2025"));
    assert_eq!(
        p.link().as_deref(),
        Some("https://arxiv.org/abs/2501.01234")
    );
    // The same arXiv id again is a duplicate, with the existing key named.
    let e = papers::add(
        &mut s.conn,
        &NewPaper {
            arxiv: Some("2212.04356".into()),
            title: "Whisper again".into(),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("radford2023whisper"), "{e}");
    let e = papers::add(
        &mut s.conn,
        &NewPaper {
            arxiv: Some("not-an-id".into()),
            title: "x".into(),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("not an arXiv id"), "{e}");
    // A generated key that is taken gets a suffix; bad keys and titles are refused.
    let k2 = papers::add(
        &mut s.conn,
        &NewPaper {
            arxiv: Some("2501.09999".into()),
            title: "A Study of Turn Starts".into(),
            authors: vec!["Ada Lovelace".into()],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(k2, "lovelace2025studyb");
    let bad_key = NewPaper {
        arxiv: Some("2501.00002".into()),
        title: "T".into(),
        key: Some("has space".into()),
        ..Default::default()
    };
    assert!(papers::add(&mut s.conn, &bad_key)
        .unwrap_err()
        .to_string()
        .contains("citation key"));
    let bad_title = NewPaper {
        arxiv: Some("2501.00003".into()),
        title: "Unclosed {brace".into(),
        ..Default::default()
    };
    assert!(papers::add(&mut s.conn, &bad_title)
        .unwrap_err()
        .to_string()
        .contains("unbalanced braces"));
    let no_word = NewPaper {
        doi: Some("10.1000/xyz".into()),
        title: "A B C".into(),
        year: Some("2020".into()),
        ..Default::default()
    };
    assert_eq!(papers::add(&mut s.conn, &no_word).unwrap(), "paper2020");
}

#[test]
fn reading_metadata_tags_and_steps() {
    let (_d, mut s) = store();
    // Steps come from curriculum citations once the plan is synced.
    let plan = embedded::plan().unwrap();
    labbook::plan::sync::sync(&mut s.conn, &plan).unwrap();
    let p = papers::get(&s.conn, "radford2023whisper").unwrap();
    assert_eq!(p.steps, ["s2"]);
    papers::update(
        &mut s.conn,
        "radford2023whisper",
        &PaperUpdate {
            status: Some(Status::Summarised),
            priority: Some(1),
            add_tags: vec!["Must-Read".into()],
            add_steps: vec!["s8".into()],
            notes: Some("weak supervision".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let p = papers::get(&s.conn, "radford2023whisper").unwrap();
    assert_eq!((p.status, p.priority), (Status::Summarised, 1));
    assert!(p.tags.contains(&"must-read".to_string()));
    assert_eq!(p.steps, ["s2", "s8"]);
    assert_eq!(p.notes, "weak supervision");
    // Tags set in labbook are exported as keywords (file order kept, new tags appended).
    let exported = papers::entries(&s.conn)
        .unwrap()
        .into_iter()
        .find(|e| e.key == "radford2023whisper")
        .unwrap();
    let kw = exported.fields["keywords"].clone();
    assert!(kw.ends_with(", must-read"), "{kw}");
    papers::update(
        &mut s.conn,
        "radford2023whisper",
        &PaperUpdate {
            remove_tags: vec!["must-read".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let exported = papers::entries(&s.conn)
        .unwrap()
        .into_iter()
        .find(|e| e.key == "radford2023whisper")
        .unwrap();
    assert!(!exported.fields["keywords"].contains("must-read"));
    assert!(papers::update(
        &mut s.conn,
        "radford2023whisper",
        &PaperUpdate {
            priority: Some(7),
            ..Default::default()
        }
    )
    .is_err());
    assert!(papers::update(
        &mut s.conn,
        "radford2023whisper",
        &PaperUpdate {
            add_steps: vec!["s99".into()],
            ..Default::default()
        }
    )
    .is_err());
    assert!(papers::update(&mut s.conn, "nope", &PaperUpdate::default())
        .unwrap_err()
        .to_string()
        .contains("no paper"));
}

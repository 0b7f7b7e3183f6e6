//! The shape of the code, drawn from its imports: no import circles between top-level
//! modules or between files, the faces (`tui/`, `cli/`, `main.rs`) the only users of
//! ratatui, crossterm and clap, the TUI never reaching into the CLI, no source file
//! over 1,200 lines; and the documents generated from the code (the experiments and
//! projects tables) and the project manifests agree with it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/` with its module path (`["runs", "ingest"]`; `lib.rs`
/// is `[]`, a folder's `mod.rs` is the folder).
fn modules() -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let root = src_dir();
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts == ["lib"] {
                parts.clear();
            }
            (parts, p)
        })
        .collect()
}

/// The source without comments, string and character literals (so a path in a doc
/// comment or a message is not an import).
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'r' if matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                // Raw string: r"…" or r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    if j >= b.len() {
                        break;
                    }
                    if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
                let close = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..]
                        .iter()
                        .position(|c| *c == b'\'')
                        .map(|p| i + 2 + p)
                } else {
                    let ch_len = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + ch_len) == Some(&b'\'')).then_some(i + 1 + ch_len)
                };
                match close {
                    Some(c) => {
                        out.push_str("' '");
                        i = c + 1;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            _ => {
                let ch = src[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// The paths of a `use` tree (`crate::{a::b, c::{d, e}}` → `crate::a::b`, …).
fn use_paths(tree: &str) -> Vec<Vec<String>> {
    fn split_top(s: &str) -> Vec<&str> {
        let (mut depth, mut start, mut out) = (0, 0, Vec::new());
        for (i, c) in s.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(&s[start..]);
        out
    }
    fn rec(prefix: &[String], s: &str, out: &mut Vec<Vec<String>>) {
        for item in split_top(s) {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            if let Some(open) = item.find('{') {
                let head: Vec<String> = item[..open]
                    .split("::")
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(String::from)
                    .collect();
                let inner = &item[open + 1..item.rfind('}').unwrap_or(item.len())];
                rec(&[prefix, &head].concat(), inner, out);
            } else {
                let item = item.split(" as ").next().unwrap_or(item);
                let segs: Vec<String> = item
                    .split("::")
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(String::from)
                    .collect();
                out.push([prefix, &segs].concat());
            }
        }
    }
    let flat: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    rec(&[], &flat, &mut out);
    out
}

/// The module file a path from module `from` lands in (the longest module prefix).
fn resolve(
    mods: &BTreeMap<Vec<String>, PathBuf>,
    from: &[String],
    path: &[String],
) -> Option<Vec<String>> {
    let (mut base, rest): (Vec<String>, &[String]) = match path.first().map(String::as_str) {
        Some("crate") | Some("labbook") => (Vec::new(), &path[1..]),
        Some("self") => (from.to_vec(), &path[1..]),
        Some("super") => {
            let mut b = from.to_vec();
            let mut k = 0;
            while path.get(k).map(String::as_str) == Some("super") {
                b.pop();
                k += 1;
            }
            (b, &path[k..])
        }
        Some(first) => {
            // A child module named without `self::`.
            let child = [from, &[first.to_string()]].concat();
            if mods.contains_key(&child) {
                (from.to_vec(), path)
            } else {
                return None;
            }
        }
        None => return None,
    };
    let mut best = mods.contains_key(&base).then(|| base.clone());
    for s in rest {
        base.push(s.clone());
        if mods.contains_key(&base) {
            best = Some(base.clone());
        } else {
            break;
        }
    }
    best
}

/// Module → the modules it imports (a module's own descendants left out: a folder's
/// `mod.rs` declaring and re-exporting its files is not a circle).
fn import_graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mods = modules();
    let mut graph = BTreeMap::new();
    for (m, file) in &mods {
        let src = strip(&std::fs::read_to_string(file).unwrap());
        let mut paths = Vec::new();
        let mut rest = src.as_str();
        while let Some(i) = rest.find("use ") {
            let before = rest[..i].chars().last();
            let after = &rest[i + 4..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                rest = after;
                continue;
            }
            let end = after.find(';').unwrap_or(after.len());
            paths.extend(use_paths(&after[..end]));
            rest = &after[end..];
        }
        let toks: Vec<char> = src.chars().collect();
        let text: String = toks.iter().collect();
        for root in ["crate::", "super::", "self::"] {
            let mut from = 0;
            while let Some(i) = text[from..].find(root) {
                let at = from + i;
                from = at + root.len();
                if text[..at]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                {
                    continue;
                }
                let seg: String = text[at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                paths.push(
                    seg.split("::")
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                );
            }
        }
        let targets: BTreeSet<Vec<String>> = paths
            .iter()
            .filter_map(|p| resolve(&mods, m, p))
            .filter(|t| t != m && !(t.len() > m.len() && t[..m.len()] == m[..]))
            .collect();
        graph.insert(m.clone(), targets);
    }
    graph
}

/// The strongly connected components with more than one member (Tarjan).
fn circles<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct T<'a, N: Ord> {
        g: &'a BTreeMap<N, BTreeSet<N>>,
        index: BTreeMap<&'a N, usize>,
        low: BTreeMap<&'a N, usize>,
        stack: Vec<&'a N>,
        on: BTreeSet<&'a N>,
        out: Vec<Vec<N>>,
    }
    impl<'a, N: Ord + Clone> T<'a, N> {
        fn visit(&mut self, v: &'a N) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let Some(w) = self.g.get_key_value(w).map(|(k, _)| k) else {
                    continue;
                };
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on.remove(w);
                    comp.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("/")
    }
}

#[test]
fn the_import_checker_sees_use_trees_and_inline_paths() {
    assert_eq!(
        use_paths("crate::{a::b, c::{d, e as f}, g}"),
        vec![
            vec!["crate", "a", "b"],
            vec!["crate", "c", "d"],
            vec!["crate", "c", "e"],
            vec!["crate", "g"],
        ]
    );
    let s = strip("let x = \"crate::cli\"; // crate::tui\n/* crate::exp */ crate::runs::x(); 'a'");
    assert!(!s.contains("cli") && !s.contains("tui") && !s.contains("exp"));
    assert!(s.contains("crate::runs::x()"));
    let mut g: BTreeMap<u8, BTreeSet<u8>> = BTreeMap::new();
    g.insert(1, [2].into());
    g.insert(2, [3].into());
    g.insert(3, [1].into());
    g.insert(4, [1].into());
    assert_eq!(circles(&g), vec![vec![1, 2, 3]]);
    // The graph of this crate resolves real imports.
    let graph = import_graph();
    let runs_start = graph
        .get(&vec!["runs".to_string(), "start".to_string()])
        .expect("src/runs/start.rs");
    assert!(runs_start.contains(&vec!["runs".to_string(), "launch".to_string()]));
}

#[test]
fn no_import_circles_between_files_or_top_level_modules() {
    let graph = import_graph();
    let files = circles(&graph);
    assert!(
        files.is_empty(),
        "files that import each other (directly or through a chain): {}",
        files
            .iter()
            .map(|c| c.iter().map(|m| name(m)).collect::<Vec<_>>().join(" ↔ "))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, ts) in &graph {
        let Some(a) = m.first() else { continue };
        let entry = top.entry(a.clone()).or_default();
        for t in ts {
            if let Some(b) = t.first().filter(|b| *b != a) {
                entry.insert(b.clone());
            }
        }
    }
    let tops = circles(&top);
    assert!(
        tops.is_empty(),
        "top-level modules that import each other: {}",
        tops.iter()
            .map(|c| c.join(" ↔ "))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

#[test]
fn only_the_faces_use_the_terminal_and_the_tui_never_the_cli() {
    for (m, file) in modules() {
        let face = matches!(m.first().map(String::as_str), Some("tui" | "cli" | "main"));
        let src = strip(&std::fs::read_to_string(&file).unwrap());
        for lib in ["ratatui", "crossterm", "clap"] {
            let uses = src.contains(&format!("{lib}::")) || src.contains(&format!("use {lib}"));
            assert!(
                face || !uses,
                "{} uses {lib}: domain code stays free of the terminal and the command line",
                file.display()
            );
        }
        if m.first().is_some_and(|t| t == "tui") {
            assert!(
                !src.contains("crate::cli"),
                "{} imports the CLI: move the shared logic into its domain module",
                file.display()
            );
        }
        if !face {
            assert!(
                !src.contains("crate::tui") && !src.contains("crate::cli"),
                "{} (domain code) imports a face",
                file.display()
            );
        }
    }
}

#[test]
fn no_source_file_is_over_1200_lines() {
    let long: Vec<String> = modules()
        .values()
        .filter_map(|p| {
            let n = std::fs::read_to_string(p).unwrap().lines().count();
            (n > 1200).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split along their seams: {}",
        long.join(", ")
    );
}

#[test]
fn every_project_manifest_agrees_with_its_experiment() {
    let projects = labbook::runs::project::built_in().unwrap();
    let problems: Vec<String> = projects
        .iter()
        .flat_map(|p| labbook::runs::project::check_against_experiment(&p.manifest))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every built experiment is run by some project, and every project's experiment exists.
    for e in labbook::exp::REGISTRY {
        assert!(
            projects
                .iter()
                .any(|p| p.manifest.exp.as_deref() == Some(e.name())),
            "no project runs `labbook exp {}`",
            e.name()
        );
    }
    for p in &projects {
        if let Some(e) = &p.manifest.exp {
            assert!(
                labbook::exp::find(e).is_some(),
                "project {} names the unknown experiment {e}",
                p.manifest.name
            );
        }
    }
}

#[test]
fn a_manifest_that_drifts_from_its_experiment_is_reported() {
    let m = labbook::runs::project::parse_manifest(
        "x",
        "name = \"x\"\ntitle = \"X\"\nexp = \"lm\"\n\
         [params.steps]\ntype = \"int\"\ndefault = 7\n\
         [params.lr]\ntype = \"string\"\ndefault = \"0.001\"\n\
         [params.position]\ntype = \"choice\"\nchoices = [\"learned\", \"spiral\"]\ndefault = \"learned\"\n\
         [params.colour]\ntype = \"string\"\ndefault = \"red\"\n",
    )
    .unwrap();
    let p = labbook::runs::project::check_against_experiment(&m).join("\n");
    assert!(p.contains("the default of `steps` is 7"), "{p}");
    assert!(
        p.contains("`lr` is String in the manifest but float"),
        "{p}"
    );
    assert!(p.contains("value \"spiral\" of `position`"), "{p}");
    assert!(
        p.contains("`colour` is not a parameter of `labbook exp lm`"),
        "{p}"
    );
}

/// The text between `<!-- NAME…-->` and `<!-- /NAME -->` in a Markdown file.
fn generated_block(file: &str, marker: &str) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let open = format!("<!-- {marker}");
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("{file}: no {open}"));
    let body = start + text[start..].find("-->").unwrap() + 3;
    let end = text
        .find(&format!("<!-- /{marker} -->"))
        .unwrap_or_else(|| panic!("{file}: no end of {marker}"));
    text[body..end].trim().to_string()
}

#[test]
fn the_tables_in_the_docs_are_the_generated_ones() {
    let experiments = labbook::runs::project::experiments_table().unwrap();
    assert_eq!(
        generated_block("README.md", "experiments-table"),
        experiments.trim(),
        "README.md is stale: paste `labbook exp --markdown` between the markers"
    );
    let projects = labbook::runs::project::projects_table("").unwrap();
    assert_eq!(
        generated_block("projects/README.md", "projects-table"),
        projects.trim(),
        "projects/README.md is stale: paste `labbook project list --markdown --base ''` between the markers"
    );
}

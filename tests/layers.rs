//! The layering of `src/`: every `crate::…` (and `super::…`) path a file names must lead to its
//! own layer or a lower one, and no two modules may import each other round in a cycle.
//!
//! The allowed order is written once here (and drawn in `docs/architecture.md`). A new top-level
//! module must be given a layer: a file that maps to none fails the test too.

use crate::support::project_dir;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. Each names the modules (units) it holds; a file belongs to the
/// unit that is the longest prefix of its module path. `*` matches one path segment.
const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["position", "diag", "time"]),
    ("model", &["model"]),
    ("load", &["load"]),
    ("validate", &["validate"]),
    (
        "wire types",
        &["xnat::wire", "backend::wire", "backend::*::wire"],
    ),
    ("diff · plan · launch", &["diff", "plan", "launch"]),
    ("clients", &["xnat", "backend"]),
    (
        "ends",
        &[
            "apply", "import", "site", "review", "run", "resolve", "scaffold",
        ],
    ),
];

/// Files of the binary crate (`main.rs`, `cli/`) sit above everything and reach the library as
/// `xcs::…`, so they are not checked; `lib.rs` only declares the modules.
const SKIPPED: &[&str] = &["lib.rs", "main.rs", "cli"];

/// One import: the file it is in, the path as written (resolved to start at the crate root).
#[derive(Debug, Clone)]
struct Import {
    file: String,
    path: Vec<String>,
}

impl Import {
    fn shown(&self) -> String {
        format!("crate::{}", self.path.join("::"))
    }
}

/// Where a module path sits: (unit, layer index).
fn place(path: &[String]) -> Option<(String, usize)> {
    let mut best: Option<(usize, String, usize)> = None;
    for (layer, (_, units)) in LAYERS.iter().enumerate() {
        for unit in *units {
            let segments: Vec<&str> = unit.split("::").collect();
            let fits = segments.len() <= path.len()
                && segments.iter().zip(path).all(|(s, p)| *s == "*" || s == p);
            if fits && best.as_ref().is_none_or(|(len, ..)| segments.len() > *len) {
                let name = path[..segments.len()].join("::");
                best = Some((segments.len(), name, layer));
            }
        }
    }
    best.map(|(_, unit, layer)| (unit, layer))
}

/// Checks a source tree; `Err` lists every problem, one per line.
fn check(src: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeMap<String, Import>> = BTreeMap::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).expect("under src").to_path_buf();
        let shown = format!("src/{}", rel.display());
        let module = module_path(&rel);
        if SKIPPED.iter().any(|s| rel.starts_with(s)) {
            continue;
        }
        let Some((unit, layer)) = place(&module) else {
            problems.push(format!(
                "{shown}: module {} has no layer",
                module.join("::")
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read source file");
        for path in paths(&strip_comments_and_strings(&text), &module) {
            let import = Import {
                file: shown.clone(),
                path,
            };
            let Some((to, to_layer)) = place(&import.path) else {
                problems.push(format!(
                    "{shown}: {} names a module with no layer",
                    import.shown()
                ));
                continue;
            };
            if to_layer > layer {
                problems.push(format!(
                    "{shown}: `{}` reaches up from {unit} (layer {}) to {to} (layer {})",
                    import.shown(),
                    LAYERS[layer].0,
                    LAYERS[to_layer].0
                ));
            } else if to != unit {
                edges
                    .entry(unit.clone())
                    .or_default()
                    .entry(to)
                    .or_insert(import);
            }
        }
    }
    problems.extend(cycles(&edges));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Every cycle between units, each shown once with one import per step.
fn cycles(edges: &BTreeMap<String, BTreeMap<String, Import>>) -> Vec<String> {
    let mut found = BTreeSet::new();
    let mut out = Vec::new();
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(&at).into_iter().flat_map(|m| m.keys()) {
                if next == start {
                    let mut key = trail.clone();
                    key.sort();
                    if found.insert(key) {
                        let steps: Vec<String> = trail
                            .iter()
                            .zip(trail.iter().skip(1).chain([start]))
                            .map(|(a, b)| {
                                let i = &edges[a][b];
                                format!("{} (`{}`)", i.file, i.shown())
                            })
                            .collect();
                        out.push(format!(
                            "cycle {} → {start}: {}",
                            trail.join(" → "),
                            steps.join(", ")
                        ));
                    }
                } else if !trail.contains(next) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read src dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `plan/compute.rs` → `plan::compute`; `plan/mod.rs` → `plan`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" && stem != "lib" {
            parts.push(stem.to_string());
        }
    }
    parts
}

/// The text with comments, string and char literals blanked out (so a doc link or a message
/// that mentions `crate::x` is not an import).
fn strip_comments_and_strings(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && at(&c, i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && at(&c, i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(&c, i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(&c, i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (at(&c, i + 1) == '"' || (at(&c, i + 1) == '#' && !is_ident(prev(&c, i))))
        {
            let mut hashes = 0;
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') || is_ident(prev(&c, i)) {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while j < c.len() && !c[j..].iter().take(close.len()).copied().eq(close.chars()) {
                j += 1;
            }
            i = j + close.len();
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && (at(&c, i + 2) == '\'' || at(&c, i + 1) == '\\') {
            // A char literal ('x', '\n', '\u{..}'); a lifetime has no closing quote.
            i += 1;
            while i < c.len() && c[i] != '\'' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn at(c: &[char], i: usize) -> char {
    c.get(i).copied().unwrap_or('\0')
}

fn prev(c: &[char], i: usize) -> char {
    if i == 0 { ' ' } else { c[i - 1] }
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// Every path starting with `crate::`, `super::` or `self::`, resolved against the file's module
/// and with `{…}` groups expanded.
fn paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    // Inline modules (`mod tests { … }`) open inside the file: (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut last_word = String::new();
    let mut i = 0;
    while i < c.len() {
        if is_ident(c[i]) && !is_ident(prev(&c, i)) {
            let start = i;
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            if last_word == "mod" {
                let mut j = i;
                while j < c.len() && c[j].is_whitespace() {
                    j += 1;
                }
                if c.get(j) == Some(&'{') {
                    inline.push((word.clone(), depth + 1));
                }
            }
            let follows = c.get(i) == Some(&':') && c.get(i + 1) == Some(&':');
            if follows && matches!(word.as_str(), "crate" | "super" | "self") {
                let mut here = module.to_vec();
                here.extend(inline.iter().map(|(name, _)| name.clone()));
                let mut base = match word.as_str() {
                    "crate" => Vec::new(),
                    "super" => here[..here.len().saturating_sub(1)].to_vec(),
                    _ => here,
                };
                i += 2;
                // Further `super::` segments.
                while c[i..].starts_with(&['s', 'u', 'p', 'e', 'r', ':', ':']) {
                    base.pop();
                    i += 7;
                }
                i = tree(&c, i, base, &mut out);
            }
            last_word = word;
        } else {
            match c[i] {
                '{' => depth += 1,
                '}' => {
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                    depth -= 1;
                }
                _ => {}
            }
            if !c[i].is_whitespace() {
                last_word.clear();
            }
            i += 1;
        }
    }
    out
}

/// Reads a use-tree at `i` (after `prefix::`), pushing each full path; returns where it ends.
fn tree(c: &[char], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let skip_ws = |i: &mut usize| {
        while *i < c.len() && c[*i].is_whitespace() {
            *i += 1;
        }
    };
    let mut path = prefix;
    loop {
        skip_ws(&mut i);
        if c.get(i) == Some(&'{') {
            i += 1;
            loop {
                skip_ws(&mut i);
                match c.get(i) {
                    Some('}') => return i + 1,
                    Some(',') => i += 1,
                    None => return i,
                    _ => i = tree(c, i, path.clone(), out),
                }
            }
        }
        let start = i;
        while i < c.len() && (is_ident(c[i]) || c[i] == '*') {
            i += 1;
        }
        let segment: String = c[start..i].iter().collect();
        if segment.is_empty() {
            out.push(path);
            return i;
        }
        if segment != "self" && segment != "*" {
            path.push(segment);
        }
        if c.get(i) == Some(&':') && c.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            out.push(path);
            return i;
        }
    }
}

#[test]
fn src_respects_the_layers() {
    if let Err(problems) = check(&project_dir().join("src")) {
        panic!("layering problems in src/:\n{problems}");
    }
}

#[test]
fn an_upward_import_fails_naming_the_file_and_the_import() {
    let fixture = project_dir().join("tests/fixtures/layers/upward/src");
    let problems = check(&fixture).expect_err("the planted upward import is found");
    assert!(
        problems.contains(
            "src/model/repo.rs: `crate::load::Node` reaches up from model (layer model) to load (layer load)"
        ),
        "{problems}"
    );
    // The grouped import in the same fixture, resolved through `super::`.
    assert!(
        problems.contains("src/plan/compute.rs: `crate::xnat::Client` reaches up from plan"),
        "{problems}"
    );
    // Mentions in comments and strings, and imports of lower layers, are not problems.
    assert_eq!(problems.lines().count(), 2, "{problems}");
}

#[test]
fn a_cycle_and_a_module_without_a_layer_fail() {
    let fixture = project_dir().join("tests/fixtures/layers/cycle/src");
    let problems = check(&fixture).expect_err("the planted cycle is found");
    assert!(
        problems.contains(
            "cycle diff → plan → diff: src/diff/mod.rs (`crate::plan::Step`), src/plan/mod.rs (`crate::diff::tree::Tree`)"
        ),
        "{problems}"
    );
    assert!(
        problems.contains("src/gadgets.rs: module gadgets has no layer"),
        "{problems}"
    );
}

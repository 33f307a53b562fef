//! Reading declarations: sources (a directory or a git revision), YAML/JSON parsing with
//! positions, and splitting files into documents. The only module that touches files.

pub mod archive;
pub mod command_file;
pub mod dockerfile;
pub mod emit;
pub mod json;
pub mod label;
pub mod source;
pub mod yaml;

pub use crate::position::{Node, Pos, Ptr};
pub use label::{LABEL_KEY, LabelCommands, LabelValue, ValueMap, parse_label};
pub use source::{Content, LoadError, RawFile, Source};

use std::sync::Arc;

/// Bounds that keep bad input from costing unbounded time or memory.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_file_bytes: usize,
    pub max_depth: usize,
    /// Values per file, counting every expansion of a YAML alias.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 500_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseIssueKind {
    Syntax,
    DuplicateKey,
    TooDeep,
    TooLarge,
    Encoding,
    /// A plain YAML value followed by ` #KEY#…`: YAML read it as a comment.
    SwallowedByComment,
    /// An `org.nrg.commands` label value that is not a list (XNAT imports nothing from it).
    LabelNotAList,
    /// An `org.nrg.commands` label that is blank or an empty list.
    LabelEmpty,
    /// `$NAME` in a Dockerfile `LABEL` value: `docker build` substitutes it.
    BuildVariable,
}

/// Add a mapping entry. A key seen before keeps its place and takes the later value (as
/// Jackson and YAML loaders do), and the duplicate is returned as an issue.
pub(crate) fn insert_entry(
    entries: &mut Vec<crate::position::Entry>,
    key: String,
    key_pos: Pos,
    value: Node,
) -> Option<ParseIssue> {
    let Some(previous) = entries.iter_mut().find(|e| e.key == key) else {
        entries.push(crate::position::Entry {
            key,
            key_pos,
            value,
        });
        return None;
    };
    let issue = ParseIssue {
        pos: key_pos,
        kind: ParseIssueKind::DuplicateKey,
        message: format!(
            "duplicate key `{key}` (first at line {}); the later value wins, the earlier one is lost",
            previous.key_pos.line
        ),
    };
    previous.value = value;
    previous.key_pos = key_pos;
    Some(issue)
}

/// A problem found while reading a file, before any declaration is understood.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseIssue {
    pub pos: Pos,
    pub kind: ParseIssueKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    /// `*.label.json`: the value of an `org.nrg.commands` label, a JSON list of commands.
    Label,
    /// `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`: commands in its `org.nrg.commands` label.
    Dockerfile,
}

impl Format {
    pub fn of(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::Yaml)
        } else if lower.ends_with(".label.json") {
            Some(Format::Label)
        } else if lower.ends_with(".json") {
            Some(Format::Json)
        } else if dockerfile::is_dockerfile(&lower) {
            Some(Format::Dockerfile)
        } else {
            None
        }
    }
}

/// How a file holds its documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Form {
    /// Declarations, each with its `kind` (YAML documents, or one JSON value).
    #[default]
    Documents,
    /// An `org.nrg.commands` label value: every document is a Command, and XNAT sets its
    /// `image` to the image the label is on. A label file, or a JSON file holding a list.
    Label,
    /// A Dockerfile's `org.nrg.commands` label: as [`Form::Label`], positioned in the
    /// Dockerfile. A Dockerfile without that label has no documents.
    Dockerfile,
}

/// One file, parsed. `text` is kept so diagnostics can quote the offending line.
#[derive(Debug)]
pub struct ParsedFile {
    pub path: Arc<str>,
    /// Path inside the declaration repo (`/`-separated), e.g. `commands/dcm2niix.yaml`.
    pub rel: Arc<str>,
    pub text: Arc<str>,
    pub documents: Vec<Node>,
    /// Duplicate keys, and the fatal issue that stopped parsing, if any.
    pub issues: Vec<ParseIssue>,
    pub form: Form,
}

/// The documents of a text, read as its path says, with the problems found and its form.
fn parse_text(rel: &str, text: &str, limits: &Limits) -> (Vec<Node>, Vec<ParseIssue>, Form) {
    let whole = |result: Result<(Vec<Node>, Vec<ParseIssue>), ParseIssue>| match result {
        Ok(parsed) => parsed,
        Err(issue) => (Vec::new(), vec![issue]),
    };
    match Format::of(rel) {
        Some(Format::Label) => {
            let label = label::parse_label(&label::LabelValue::new(text), limits);
            (label.commands, label.issues, Form::Label)
        }
        Some(Format::Dockerfile) => {
            let label = dockerfile::command_labels(text, limits);
            (label.commands, label.issues, Form::Dockerfile)
        }
        Some(Format::Json) => match json::parse_all(text, limits) {
            // A list at the top is a label value: XNAT reads commands from nothing else.
            (Some(root), mut issues)
                if matches!(root.value, crate::position::NodeValue::Seq(_)) =>
            {
                let label = label::commands_of(root);
                issues.extend(label.issues);
                (label.commands, issues, Form::Label)
            }
            (root, issues) => (root.into_iter().collect(), issues, Form::Documents),
        },
        Some(Format::Yaml) | None => {
            let (docs, issues) = whole(yaml::parse(text, limits));
            (docs, issues, Form::Documents)
        }
    }
}

pub fn parse_file(raw: &RawFile, limits: &Limits) -> ParsedFile {
    let mut parsed = ParsedFile {
        path: raw.path.clone(),
        rel: raw.rel.clone(),
        text: Arc::from(""),
        documents: Vec::new(),
        issues: Vec::new(),
        form: Form::default(),
    };
    let bytes = match raw.content.read() {
        Ok(bytes) => bytes,
        Err(e) => {
            parsed.issues.push(ParseIssue {
                pos: Pos { line: 1, col: 1 },
                kind: ParseIssueKind::Encoding,
                message: format!("cannot read the file: {e}"),
            });
            return parsed;
        }
    };
    if bytes.len() > limits.max_file_bytes {
        parsed.issues.push(ParseIssue {
            pos: Pos { line: 1, col: 1 },
            kind: ParseIssueKind::TooLarge,
            message: format!(
                "file is {} bytes; declaration files are limited to {} bytes",
                bytes.len(),
                limits.max_file_bytes
            ),
        });
        return parsed;
    }
    let text = match decode(&bytes) {
        Ok(text) => text,
        Err(issue) => {
            parsed.issues.push(issue);
            return parsed;
        }
    };
    parsed.text = Arc::from(text);
    (parsed.documents, parsed.issues, parsed.form) = parse_text(&raw.rel, &parsed.text, limits);
    parsed
}

/// UTF-8 text without a byte-order mark, or an issue at the first byte that is not text.
fn decode(bytes: &[u8]) -> Result<&str, ParseIssue> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (valid, bad_at, what) = match std::str::from_utf8(bytes) {
        Ok(text) => match text.find('\0') {
            None => return Ok(text),
            Some(i) => (&text[..i], i, "a NUL byte: this looks like a binary file"),
        },
        Err(e) => {
            let upto = e.valid_up_to();
            let prefix = std::str::from_utf8(&bytes[..upto]).unwrap_or_default();
            (prefix, upto, "bytes that are not valid UTF-8")
        }
    };
    let line = valid.matches('\n').count() + 1;
    let col = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Err(ParseIssue {
        pos: Pos::new(line, col),
        kind: ParseIssueKind::Encoding,
        message: format!(
            "file contains {what} (at byte {bad_at}); declarations must be UTF-8 text"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(rel: &str, bytes: &[u8]) -> RawFile {
        RawFile {
            path: Arc::from(rel),
            rel: Arc::from(rel),
            content: source::Content::Memory(bytes.to_vec()),
        }
    }

    #[test]
    fn invalid_utf8_points_at_the_byte() {
        let p = parse_file(&raw("a.yaml", b"a: 1\nb: \xff\xfe\n"), &Limits::default());
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].kind, ParseIssueKind::Encoding);
        assert_eq!(p.issues[0].pos, Pos { line: 2, col: 4 });
    }

    #[test]
    fn binary_files_are_refused() {
        let p = parse_file(
            &raw("a.json", b"\x7fELF\x02\x01\x01\0\0\0"),
            &Limits::default(),
        );
        assert_eq!(p.issues[0].kind, ParseIssueKind::Encoding);
    }

    #[test]
    fn huge_files_are_refused_without_parsing() {
        let limits = Limits {
            max_file_bytes: 10,
            ..Limits::default()
        };
        let p = parse_file(&raw("a.yaml", b"a: 1\nb: 2\nc: 3\n"), &limits);
        assert_eq!(p.issues[0].kind, ParseIssueKind::TooLarge);
    }

    #[test]
    fn json_is_parsed_strictly_and_yaml_leniently() {
        let j = parse_file(&raw("x.json", b"{\"a\": [1,],}"), &Limits::default());
        assert_eq!(j.issues[0].kind, ParseIssueKind::Syntax);
        let y = parse_file(&raw("x.yaml", b"{\"a\": [1,],}"), &Limits::default());
        assert!(y.issues.is_empty(), "{:?}", y.issues);
    }
}

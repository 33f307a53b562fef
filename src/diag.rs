//! Diagnostics: what validation found, where, and how to show it (human, JSON, GitHub).
//!
//! Problems are data, not errors: every stage collects them and nothing stops at the first.

use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Information about how a file was read; never a problem.
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    #[serde(rename = "column")]
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The value at the location is a secret: quote its line with the value masked.
    #[serde(skip)]
    pub masked: bool,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// File texts, so the human renderer can quote the offending line.
pub type SourceTexts = HashMap<Arc<str>, Arc<str>>;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Counts {
        let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
        Counts {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notes: count(Severity::Note),
        }
    }
}

/// Sort by file, line, column, then code, so output is stable run to run.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        location_order(&a.location, &b.location)
            .then(a.code.cmp(b.code))
            .then(a.message.cmp(&b.message))
    });
}

/// `a.cmp(b)`, without comparing the file names of diagnostics that share one file's name.
fn location_order(a: &Option<Location>, b: &Option<Location>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) if Arc::ptr_eq(&x.file, &y.file) => {
            (x.line, x.col).cmp(&(y.line, y.col))
        }
        _ => a.cmp(b),
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Note => self.paint("1;36", "note"),
        }
    }
}

/// `error[XCS103]: message`, the location, the source line with a caret under the value, and
/// the hint — the shape rustc and ruff use.
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceTexts, color: bool) -> String {
    render_human_width(diagnostics, sources, color, DEFAULT_WIDTH)
}

/// Columns assumed when the output is not a terminal.
pub const DEFAULT_WIDTH: usize = 100;

/// [`render_human`] for a terminal `width` columns wide: a quoted source line longer than that
/// is cut around the caret (`…` where text is left out) instead of printed whole.
pub fn render_human_width(
    diagnostics: &[Diagnostic],
    sources: &SourceTexts,
    color: bool,
    width: usize,
) -> String {
    render_human_parts(diagnostics, sources, color, width).concat()
}

/// Diagnostics rendered per part.
const PART: usize = 256;

/// [`render_human_width`] in parts, rendered in parallel, that concatenate to its text: a long
/// report can be written out part by part instead of being built whole first.
pub fn render_human_parts(
    diagnostics: &[Diagnostic],
    sources: &SourceTexts,
    color: bool,
    width: usize,
) -> Vec<String> {
    use rayon::prelude::*;
    let style = Style { color };
    diagnostics
        .par_chunks(PART)
        .map(|part| {
            let mut out = String::new();
            for d in part {
                render_one(&mut out, d, sources, &style, width);
            }
            out
        })
        .collect()
}

fn render_one(
    out: &mut String,
    d: &Diagnostic,
    sources: &SourceTexts,
    style: &Style,
    width: usize,
) {
    let _ = writeln!(
        out,
        "{}{}: {}",
        style.severity(d.severity),
        style.paint("1", &format!("[{}]", d.code)),
        style.paint("1", &d.message)
    );
    if let Some(loc) = &d.location {
        let gutter = loc.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(
            out,
            "{pad}{} {}:{}:{}",
            style.paint("34", "-->"),
            loc.file,
            loc.line,
            loc.col
        );
        if let Some(line) = sources
            .get(&loc.file)
            .and_then(|text| text.lines().nth(loc.line.saturating_sub(1) as usize))
        {
            let bar = style.paint("34", "|");
            let start = (loc.col.saturating_sub(1)) as usize;
            let shown = if d.masked {
                format!("{}***", line.chars().take(start).collect::<String>())
            } else {
                line.to_string()
            }
            .replace('\t', " ");
            let room = width.saturating_sub(gutter + 3);
            let (shown, start, caret_width) =
                window(&shown, start, token_width(&shown, start), room);
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {shown}",
                style.paint("34", &loc.line.to_string())
            );
            let caret = style.paint(
                match d.severity {
                    Severity::Error => "1;31",
                    Severity::Warning => "1;33",
                    Severity::Note => "1;36",
                },
                &"^".repeat(caret_width),
            );
            let _ = writeln!(out, "{pad} {bar} {}{caret}", " ".repeat(start));
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "{pad} = {} {hint}", style.paint("1;36", "hint:"));
        }
    } else if let Some(hint) = &d.hint {
        let _ = writeln!(out, "  = {} {hint}", style.paint("1;36", "hint:"));
    }
    out.push('\n');
}

/// The part of `line` that fits in `room` characters around the token at `start` (`width`
/// characters): the text, with `…` where some is left out, and the token's new start and
/// width in it. A line that fits is returned whole.
fn window(line: &str, start: usize, width: usize, room: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let room = room.max(24);
    if chars.len() <= room {
        return (line.to_string(), start, width);
    }
    let start = start.min(chars.len());
    // The caret a third of the way in, so what leads up to it shows too.
    let mut from = start.saturating_sub(room / 3);
    let to = (from + room).min(chars.len());
    from = from.min(to.saturating_sub(room));
    let mut shown: Vec<char> = chars[from..to].to_vec();
    if from > 0 {
        shown[0] = '…';
    }
    let cut_right = to < chars.len();
    if cut_right && let Some(last) = shown.last_mut() {
        *last = '…';
    }
    let offset = start - from;
    let fits = shown.len().saturating_sub(offset + usize::from(cut_right));
    (shown.into_iter().collect(), offset, width.min(fits).max(1))
}

/// Width of the value starting at `start` (in characters): a quoted string to its closing
/// quote (escaped quotes skipped; `\"…\"` as a Dockerfile writes a quoted string inside a
/// quoted label), otherwise up to the next separator.
fn token_width(line: &str, start: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(start).collect();
    let closing = |from: usize, q: char, escaped: bool| {
        let mut i = from;
        while i < rest.len() {
            match rest[i] {
                '\\' if escaped && rest.get(i + 1) == Some(&q) => return Some(i + 2),
                '\\' => i += 2,
                c if c == q && !escaped => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    let width = match rest.first() {
        None => 1,
        Some('\\') if rest.get(1) == Some(&'"') => closing(2, '"', true).unwrap_or(rest.len()),
        Some(&q @ ('"' | '\'')) => closing(1, q, false).unwrap_or(rest.len()),
        Some(_) => {
            let text: String = rest.iter().collect();
            let end = text.find(" #").unwrap_or(text.len());
            text[..end]
                .chars()
                .position(|c| matches!(c, ',' | ']' | '}'))
                .unwrap_or_else(|| text[..end].chars().count())
        }
    };
    let trimmed = rest
        .iter()
        .take(width)
        .collect::<String>()
        .trim_end()
        .chars()
        .count();
    trimmed.clamp(1, 80)
}

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=XCS103::message`.
pub fn render_github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(loc) = &d.location {
            props.push(format!("file={}", escape_property(&loc.file)));
            props.push(format!("line={}", loc.line));
            props.push(format!("col={}", loc.col));
        }
        props.push(format!("title={}", escape_property(d.code)));
        let mut message = d.message.clone();
        if let Some(hint) = &d.hint {
            message.push_str("\nhint: ");
            message.push_str(hint);
        }
        let _ = writeln!(
            out,
            "::{level} {}::{}",
            props.join(","),
            escape_data(&message)
        );
    }
    out
}

/// Escape a workflow command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command's property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(sev: Severity, line: u32, col: u32) -> Diagnostic {
        Diagnostic {
            code: "XCS103",
            severity: sev,
            message: "image `a/b` has no tag".into(),
            hint: Some("add a tag, e.g. `a/b:1.0`".into()),
            location: Some(Location {
                file: Arc::from("commands/x.yaml"),
                line,
                col,
            }),
            masked: false,
        }
    }

    #[test]
    fn human_output_quotes_the_line_with_a_caret() {
        let mut sources = SourceTexts::new();
        sources.insert(
            Arc::from("commands/x.yaml"),
            Arc::from("name: x\nimage: \"a/b\"\n"),
        );
        let out = render_human(&[diag(Severity::Error, 2, 8)], &sources, false);
        assert_eq!(
            out,
            "error[XCS103]: image `a/b` has no tag\n --> commands/x.yaml:2:8\n  |\n2 | image: \"a/b\"\n  |        ^^^^^\n  = hint: add a tag, e.g. `a/b:1.0`\n\n"
        );
        assert!(
            render_human(&[diag(Severity::Error, 2, 8)], &sources, true).contains("\x1b[1;31m")
        );
    }

    #[test]
    fn masked_values_are_not_quoted() {
        let mut sources = SourceTexts::new();
        sources.insert(
            Arc::from("commands/x.yaml"),
            Arc::from("password: hunter2\n"),
        );
        let mut d = diag(Severity::Error, 1, 11);
        d.masked = true;
        let out = render_human(&[d], &sources, false);
        assert!(
            out.contains("password: ***") && !out.contains("hunter2"),
            "{out}"
        );
    }

    #[test]
    fn github_annotations_escape_their_parts() {
        let mut d = diag(Severity::Warning, 3, 1);
        d.message = "50% of it, a:b\nnext".into();
        assert_eq!(
            render_github(&[d]),
            "::warning file=commands/x.yaml,line=3,col=1,title=XCS103::50%25 of it, a:b%0Anext%0Ahint: add a tag, e.g. `a/b:1.0`\n"
        );
    }
}

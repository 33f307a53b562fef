//! `LABEL` instructions of a Dockerfile, read as `docker build` reads them, with the source
//! position of every character of every value.
//!
//! What is followed (BuildKit's Dockerfile frontend: `parser.Parse`, `parseNameVal`,
//! `parseWords`, and the shell lexer's `ProcessWord`, which expands `LABEL` keys and values):
//! the `# escape=` parser directive; line continuations (the escape character, then only
//! spaces or tabs, at the end of a line), with comment and blank lines inside a continuation
//! dropped and the next line's leading whitespace kept; `LABEL key=value …` with several labels
//! in one instruction and the legacy `LABEL key value`; double quotes (where the escape
//! character escapes only `"`, `$` and itself, so `\n` stays two characters), single quotes
//! (no escapes at all), and unquoted text (where the escape character escapes anything).
//!
//! `$NAME` and `${NAME}` are build variables that `docker build` substitutes; they are kept
//! as written and reported, since their value is not known here.

use super::label::{LABEL_KEY, LabelCommands, LabelValue, ValueMap, parse_label};
use super::{Limits, ParseIssue, ParseIssueKind};
use crate::position::Pos;

/// One label of a `LABEL` instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub key: String,
    /// Where the key starts in the Dockerfile.
    pub key_pos: Pos,
    /// The value as Docker stores it, mapped back into the Dockerfile.
    pub value: LabelValue,
    /// Where the value starts in the Dockerfile (its opening quote, when quoted).
    pub value_pos: Pos,
    /// Problems reading this label's key and value (unclosed quotes, build variables).
    pub issues: Vec<ParseIssue>,
}

/// Every label of a Dockerfile, in order, and the `LABEL` instructions that could not be read
/// (an argument without `=`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    pub labels: Vec<Label>,
    pub issues: Vec<ParseIssue>,
}

/// A character of an instruction and where it was written.
#[derive(Debug, Clone, Copy)]
struct Ch {
    c: char,
    pos: Pos,
}

/// Every `LABEL` of a Dockerfile.
pub fn labels(text: &str) -> Labels {
    let escape = escape_directive(text);
    let mut out = Labels::default();
    for instruction in instructions(text, escape) {
        let (word, rest) = split_first_word(&instruction);
        if word.eq_ignore_ascii_case("label") {
            read_label_instruction(rest, escape, &mut out);
        }
    }
    out
}

/// The commands of every `org.nrg.commands` label in a Dockerfile, positioned in it. A
/// Dockerfile without that label gives nothing at all.
pub fn command_labels(text: &str, limits: &Limits) -> LabelCommands {
    let found = labels(text);
    let mut out = LabelCommands::default();
    let mut any = false;
    for label in found.labels.iter().filter(|l| l.key == LABEL_KEY) {
        any = true;
        out.issues.extend(label.issues.iter().cloned());
        let commands = parse_label(&label.value, limits);
        out.commands.extend(commands.commands);
        out.issues.extend(commands.issues);
    }
    if any {
        out.issues.extend(found.issues);
        out.issues.sort_by_key(|i| i.pos);
    }
    out
}

/// Whether a file name is a Dockerfile: `Dockerfile`, `Dockerfile.<anything>` or
/// `<anything>.Dockerfile` (any case).
pub fn is_dockerfile(name: &str) -> bool {
    let lower = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    lower == "dockerfile" || lower.starts_with("dockerfile.") || lower.ends_with(".dockerfile")
}

/// The `# escape=` parser directive among the first lines (`\` when absent).
fn escape_directive(text: &str) -> char {
    for line in text.lines() {
        let Some(comment) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((name, value)) = comment.split_once('=') else {
            break;
        };
        let name = name.trim().to_ascii_lowercase();
        if name == "escape" {
            if let Some(c @ ('`' | '\\')) = value.trim().chars().next() {
                return c;
            }
            break;
        }
        if name != "syntax" && name != "check" {
            break;
        }
    }
    '\\'
}

/// The Dockerfile's instructions, continuations joined, comments and blank lines dropped, each
/// character with its position.
fn instructions(text: &str, escape: char) -> Vec<Vec<Ch>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<Ch>> = None;
    for (index, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let chars: Vec<Ch> = line
            .chars()
            .enumerate()
            .map(|(col, c)| Ch {
                c,
                pos: Pos::new(index + 1, col + 1),
            })
            .collect();
        let first = chars.iter().position(|ch| !ch.c.is_whitespace());
        let is_comment = first.is_some_and(|i| chars[i].c == '#');
        let Some(first) = first else {
            continue; // blank: outside an instruction, or an empty continuation line
        };
        if is_comment {
            continue;
        }
        let body = match current {
            None => &chars[first..],
            Some(_) => &chars[..],
        };
        let (body, continues) = strip_continuation(body, escape);
        current.get_or_insert_with(Vec::new).extend_from_slice(body);
        if !continues && let Some(done) = current.take() {
            out.push(done);
        }
    }
    if let Some(done) = current {
        out.push(done);
    }
    out
}

/// A line without its trailing escape character (and the spaces or tabs after it), and
/// whether it had one.
fn strip_continuation(line: &[Ch], escape: char) -> (&[Ch], bool) {
    let end = line
        .iter()
        .rposition(|ch| ch.c != ' ' && ch.c != '\t')
        .map_or(0, |i| i + 1);
    match end.checked_sub(1).map(|i| line[i].c) {
        Some(c) if c == escape => (&line[..end - 1], true),
        _ => (line, false),
    }
}

fn split_first_word(chars: &[Ch]) -> (String, &[Ch]) {
    let start = chars
        .iter()
        .position(|ch| !ch.c.is_whitespace())
        .unwrap_or(chars.len());
    let end = chars[start..]
        .iter()
        .position(|ch| ch.c.is_whitespace())
        .map_or(chars.len(), |i| start + i);
    let rest_start = chars[end..]
        .iter()
        .position(|ch| !ch.c.is_whitespace())
        .map_or(chars.len(), |i| end + i);
    let word = chars[start..end].iter().map(|ch| ch.c).collect();
    (word, trim_end(&chars[rest_start..]))
}

fn trim_end(chars: &[Ch]) -> &[Ch] {
    let end = chars
        .iter()
        .rposition(|ch| !ch.c.is_whitespace())
        .map_or(0, |i| i + 1);
    &chars[..end]
}

fn read_label_instruction(rest: &[Ch], escape: char, out: &mut Labels) {
    let words = split_words(rest, escape);
    let Some(first) = words.first() else {
        return;
    };
    if !first.iter().any(|ch| ch.c == '=') {
        // Legacy form: `LABEL key value`, the value being the rest of the instruction.
        let (_, value) = split_first_word(rest);
        let key_end = rest.len() - value.len();
        let key = trim_end(&rest[..key_end]);
        push_label(key, value, escape, out);
        return;
    }
    for word in &words {
        match word.iter().position(|ch| ch.c == '=') {
            Some(eq) => push_label(&word[..eq], &word[eq + 1..], escape, out),
            None => out.issues.push(ParseIssue {
                pos: word[0].pos,
                kind: ParseIssueKind::Syntax,
                message: format!(
                    "`{}` in a LABEL instruction has no `=`: docker build refuses it (write name=value)",
                    word.iter().map(|ch| ch.c).collect::<String>()
                ),
            }),
        }
    }
}

fn push_label(key: &[Ch], value: &[Ch], escape: char, out: &mut Labels) {
    let (Some(key_start), value_pos) = (key.first(), value.first()) else {
        return;
    };
    let key_pos = key_start.pos;
    let mut issues = Vec::new();
    let key = process_word(key, escape, &mut issues).text;
    let value_pos = value_pos.map_or(key_pos, |ch| ch.pos);
    let value = process_word(value, escape, &mut issues);
    out.labels.push(Label {
        key,
        key_pos,
        value,
        value_pos,
        issues,
    });
}

/// Split an instruction's arguments at whitespace outside quotes, keeping quotes and escapes
/// (BuildKit's `parseWords`).
fn split_words(chars: &[Ch], escape: char) -> Vec<Vec<Ch>> {
    let mut words = Vec::new();
    let mut word: Vec<Ch> = Vec::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        match quote {
            None if ch.c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            None => {
                if ch.c == '"' || ch.c == '\'' {
                    quote = Some(ch.c);
                }
                word.push(ch);
                if ch.c == escape && i + 1 < chars.len() {
                    i += 1;
                    word.push(chars[i]);
                }
            }
            Some(q) => {
                word.push(ch);
                if ch.c == q {
                    quote = None;
                } else if ch.c == escape && q != '\'' && i + 1 < chars.len() {
                    i += 1;
                    word.push(chars[i]);
                }
            }
        }
        i += 1;
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Remove quotes and escapes from one word as `docker build` does (the shell lexer's
/// `ProcessWord`), recording where each character of the result came from.
fn process_word(chars: &[Ch], escape: char, issues: &mut Vec<ParseIssue>) -> LabelValue {
    let mut value = Builder::default();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        match ch.c {
            '\'' => {
                let close = chars[i + 1..].iter().position(|c| c.c == '\'');
                let Some(close) = close.map(|c| i + 1 + c) else {
                    issues.push(unterminated(ch, "single"));
                    chars[i + 1..].iter().for_each(|c| value.push(*c));
                    break;
                };
                chars[i + 1..close].iter().for_each(|c| value.push(*c));
                i = close + 1;
            }
            '"' => i = double_quoted(chars, i, escape, &mut value, issues),
            '$' => i = dollar(chars, i, &mut value, issues),
            c if c == escape => {
                if let Some(next) = chars.get(i + 1) {
                    value.push_escaped(ch, next.c);
                }
                i += 2;
            }
            _ => {
                value.push(ch);
                i += 1;
            }
        }
    }
    value.finish()
}

/// A double-quoted run starting at `chars[open]`; returns the index after its closing quote.
fn double_quoted(
    chars: &[Ch],
    open: usize,
    escape: char,
    value: &mut Builder,
    issues: &mut Vec<ParseIssue>,
) -> usize {
    let mut i = open + 1;
    while let Some(&ch) = chars.get(i) {
        match ch.c {
            '"' => return i + 1,
            '$' => i = dollar(chars, i, value, issues),
            c if c == escape => match chars.get(i + 1) {
                Some(next) if next.c == '"' || next.c == '$' || next.c == escape => {
                    value.push_escaped(ch, next.c);
                    i += 2;
                }
                Some(_) => {
                    value.push(ch);
                    i += 1;
                }
                None => i += 1,
            },
            _ => {
                value.push(ch);
                i += 1;
            }
        }
    }
    issues.push(unterminated(chars[open], "double"));
    i
}

/// A `$` at `chars[at]`: a build variable is kept as written and reported; a lone `$` is
/// literal. Returns the index after what was consumed.
fn dollar(chars: &[Ch], at: usize, value: &mut Builder, issues: &mut Vec<ParseIssue>) -> usize {
    // The shell lexer's `processName`: digits, one special parameter, or a name.
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let run = |from: usize, keep: &dyn Fn(char) -> bool| {
        chars[from..]
            .iter()
            .position(|ch| !keep(ch.c))
            .map_or(chars.len(), |i| from + i)
    };
    let end = match chars.get(at + 1).map(|ch| ch.c) {
        Some('{') => chars[at..]
            .iter()
            .position(|ch| ch.c == '}')
            .map(|i| at + i + 1),
        Some(c) if c.is_ascii_digit() => Some(run(at + 1, &|c| c.is_ascii_digit())),
        Some('@' | '*' | '#' | '?' | '-' | '$' | '!') => Some(at + 2),
        Some(c) if is_name(c) => Some(run(at + 1, &is_name)),
        _ => None,
    };
    let Some(end) = end else {
        value.push(chars[at]);
        return at + 1;
    };
    let written: String = chars[at..end].iter().map(|ch| ch.c).collect();
    issues.push(ParseIssue {
        pos: chars[at].pos,
        kind: ParseIssueKind::BuildVariable,
        message: format!(
            "`{written}` in a LABEL value is a build variable: docker build replaces it with the variable's value (nothing when it is not set), so the image's label differs from what is written"
        ),
    });
    chars[at..end].iter().for_each(|ch| value.push(*ch));
    end
}

fn unterminated(open: Ch, which: &str) -> ParseIssue {
    ParseIssue {
        pos: open.pos,
        kind: ParseIssueKind::Syntax,
        message: format!(
            "this {which} quote is never closed: docker build refuses the instruction (expected a matching {which} quote before the end of the instruction)"
        ),
    }
}

#[derive(Default)]
struct Builder {
    text: String,
    chars: usize,
    map: ValueMap,
}

impl Builder {
    fn push(&mut self, ch: Ch) {
        self.map.mark(self.chars, ch.pos);
        self.text.push(ch.c);
        self.chars += 1;
    }

    /// A character written escaped: it is placed at its escape character, where the token a
    /// person wrote begins.
    fn push_escaped(&mut self, escape: Ch, c: char) {
        self.push(Ch { c, pos: escape.pos });
    }

    fn finish(self) -> LabelValue {
        LabelValue {
            text: self.text,
            map: self.map,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    fn one(text: &str) -> Label {
        let found = labels(text);
        assert!(found.issues.is_empty(), "{:?}", found.issues);
        assert!(
            found.labels.iter().all(|l| l.issues.is_empty()),
            "{found:?}"
        );
        assert_eq!(found.labels.len(), 1, "{:?}", found.labels);
        found.labels.into_iter().next().expect("one label")
    }

    #[test]
    fn double_quotes_keep_json_escapes_and_map_each_character() {
        let label = one("FROM scratch\nLABEL org.nrg.commands=\"[{\\\"a\\\": \\\"x\\ny\\\"}]\"\n");
        assert_eq!(label.key, LABEL_KEY);
        assert_eq!(label.value.text, "[{\"a\": \"x\\ny\"}]");
        assert_eq!(label.key_pos, at(2, 7));
        assert_eq!(label.value_pos, at(2, 24));
        // `[` is the character after the opening quote; `"` before `a` is written `\"` and is
        // placed at its backslash.
        assert_eq!(label.value.map.source_of(0), Some(at(2, 25)));
        assert_eq!(label.value.map.source_of(2), Some(at(2, 27)));
        assert_eq!(label.value.map.source_of(3), Some(at(2, 29)));
    }

    #[test]
    fn continuations_join_lines_and_keep_positions() {
        let text = "LABEL org.nrg.commands=\"[{\\\"a\\\": \\\n    # a comment\n\n    1}]\" \\\n  other=x\n";
        let found = labels(text);
        assert!(found.issues.is_empty(), "{:?}", found.issues);
        assert_eq!(found.labels.len(), 2);
        let label = &found.labels[0];
        assert_eq!(label.value.text, "[{\"a\":     1}]");
        let one = label.value.text.find('1').expect("1");
        assert_eq!(label.value.map.source_of(one), Some(at(4, 5)));
        assert_eq!(found.labels[1].key, "other");
        assert_eq!(found.labels[1].key_pos, at(5, 3));
    }

    #[test]
    fn single_quotes_escape_nothing_and_legacy_form_reads_the_rest() {
        assert_eq!(one("LABEL k='a\\\"b'").value.text, "a\\\"b");
        let legacy = one("LABEL org.nrg.commands [{\"a\": 1}]");
        assert_eq!(legacy.value.text, "[{a: 1}]");
        assert_eq!(one("label \"k\"=v\\ w").value.text, "v w");
    }

    #[test]
    fn escape_directive_changes_the_escape_character() {
        let found = labels("# escape=`\nLABEL k=\"a`\"b\\n\" `\n  j=2");
        assert!(found.issues.is_empty(), "{:?}", found.issues);
        assert_eq!(found.labels[0].value.text, "a\"b\\n");
        assert_eq!(found.labels[1].key, "j");
    }

    #[test]
    fn build_variables_and_unclosed_quotes_are_reported() {
        let found = labels("LABEL k=\"$HOME and \\$KEPT and ${X}\"");
        let kinds: Vec<_> = found.labels[0]
            .issues
            .iter()
            .map(|i| (i.kind, i.pos))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ParseIssueKind::BuildVariable, at(1, 10)),
                (ParseIssueKind::BuildVariable, at(1, 31)),
            ]
        );
        assert_eq!(found.labels[0].value.text, "$HOME and $KEPT and ${X}");
        let open = labels("LABEL k=\"abc");
        assert_eq!(open.labels[0].issues[0].kind, ParseIssueKind::Syntax);
        assert_eq!(open.labels[0].issues[0].pos, at(1, 9));
    }

    #[test]
    fn commands_are_positioned_in_the_dockerfile() {
        let text = "FROM scratch\nLABEL a=b \\\n  org.nrg.commands=\"[{\\\"name\\\": \\\"x\\\"}, \\\n  {\\\"name\\\": 1}]\"\n";
        let found = command_labels(text, &Limits::default());
        assert!(found.issues.is_empty(), "{:?}", found.issues);
        assert_eq!(found.commands.len(), 2);
        assert_eq!(found.commands[0].locate("/name"), at(3, 33));
        assert_eq!(found.commands[1].locate_key("/name"), at(4, 4));
        assert_eq!(found.commands[1].locate("/name"), at(4, 14));
        assert!(
            command_labels("FROM scratch\nLABEL a=b\n", &Limits::default())
                == LabelCommands::default()
        );
    }

    #[test]
    fn dockerfile_names() {
        for yes in [
            "Dockerfile",
            "x/Dockerfile.main",
            "app.Dockerfile",
            "dockerfile",
        ] {
            assert!(is_dockerfile(yes), "{yes}");
        }
        for no in ["Dockerfiles", "x.json", "Makefile"] {
            assert!(!is_dockerfile(no), "{no}");
        }
    }
}

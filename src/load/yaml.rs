//! YAML 1.2 (core schema) into [`Node`] trees, one per document, with positions.
//!
//! Built on saphyr-parser's event stream rather than a ready-made tree so that the limits live
//! here: aliases are expanded against a node budget (no alias bombs), nesting is bounded (no
//! stack exhaustion when the tree is later dropped or validated), and duplicate keys are
//! reported instead of silently overwritten.

use super::{Limits, ParseIssue, ParseIssueKind};
use crate::position::{Entry, Node, NodeValue, Pos};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;

/// Every document in the stream; empty documents are skipped.
pub fn parse(text: &str, limits: &Limits) -> Result<(Vec<Node>, Vec<ParseIssue>), ParseIssue> {
    let mut builder = Builder {
        lines: LineIndex::new(text),
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        documents: Vec::new(),
        issues: Vec::new(),
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let too_deep = e.info().contains("recursion limit");
            ParseIssue {
                pos: Pos::new(e.marker().line(), e.marker().col() + 1),
                kind: if too_deep {
                    ParseIssueKind::TooDeep
                } else {
                    ParseIssueKind::Syntax
                },
                message: if too_deep {
                    format!("nesting deeper than {} levels", limits.max_depth)
                } else {
                    e.info().to_string()
                },
            }
        })?;
        builder.on_event(event, span)?;
    }
    Ok((builder.documents, builder.issues))
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Pos)>,
    },
}

struct Builder<'l> {
    lines: LineIndex<'l>,
    limits: &'l Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    documents: Vec<Node>,
    issues: Vec<ParseIssue>,
}

fn start(span: &Span) -> Pos {
    Pos::new(span.start.line(), span.start.col() + 1)
}

impl Builder<'_> {
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), ParseIssue> {
        let pos = start(&span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(pos, 1)?;
                if style == ScalarStyle::Plain
                    && let Some(issue) = self.lines.swallowed_key(&span)
                {
                    self.issues.push(issue);
                }
                let value = resolve_scalar(text, style, tag.as_deref(), pos)?;
                self.complete(Node::scalar(pos, value), anchor)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_collection_tag(tag.as_deref(), "seq", pos)?;
                self.open(pos)?;
                self.stack.push(Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_collection_tag(tag.as_deref(), "map", pos)?;
                self.open(pos)?;
                self.stack.push(Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { pos, anchor, items }) = self.stack.pop() {
                    self.complete(
                        Node {
                            pos,
                            value: NodeValue::Seq(items),
                        },
                        anchor,
                    )?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    pos,
                    anchor,
                    entries,
                    ..
                }) = self.stack.pop()
                {
                    self.complete(
                        Node {
                            pos,
                            value: NodeValue::Map(entries),
                        },
                        anchor,
                    )?;
                }
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| ParseIssue {
                    pos,
                    kind: ParseIssueKind::Syntax,
                    message: "alias to an unknown anchor".to_string(),
                })?;
                self.count(pos, node.size())?;
                self.complete(node, 0)?;
            }
            Event::DocumentEnd => self.anchors.clear(),
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::Nothing => {}
        }
        Ok(())
    }

    fn count(&mut self, pos: Pos, nodes: usize) -> Result<(), ParseIssue> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > self.limits.max_nodes {
            return Err(ParseIssue {
                pos,
                kind: ParseIssueKind::TooLarge,
                message: format!(
                    "more than {} values in one file (aliases count each time they are used)",
                    self.limits.max_nodes
                ),
            });
        }
        Ok(())
    }

    fn open(&mut self, pos: Pos) -> Result<(), ParseIssue> {
        self.count(pos, 1)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(ParseIssue {
                pos,
                kind: ParseIssueKind::TooDeep,
                message: format!("nesting deeper than {} levels", self.limits.max_depth),
            });
        }
        Ok(())
    }

    fn check_collection_tag(
        &self,
        tag: Option<&Tag>,
        expected: &str,
        pos: Pos,
    ) -> Result<(), ParseIssue> {
        match tag {
            None => Ok(()),
            Some(t) if t.is_yaml_core_schema() && t.suffix == expected => Ok(()),
            Some(t) => Err(unsupported_tag(t, pos)),
        }
    }

    /// A node is finished: remember it for aliases and attach it to its parent.
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), ParseIssue> {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if !matches!(node.value, NodeValue::Scalar(Value::Null)) {
                    self.documents.push(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let text = match node.value {
                        NodeValue::Scalar(Value::String(s)) => s,
                        NodeValue::Scalar(Value::Null) => "null".to_string(),
                        NodeValue::Scalar(other) => other.to_string(),
                        _ => {
                            return Err(ParseIssue {
                                pos: node.pos,
                                kind: ParseIssueKind::Syntax,
                                message:
                                    "a mapping key must be a plain value, not a list or mapping"
                                        .to_string(),
                            });
                        }
                    };
                    *key = Some((text, node.pos));
                }
                Some((name, key_pos)) => {
                    self.issues
                        .extend(super::insert_entry(entries, name, key_pos, node));
                }
            },
        }
        Ok(())
    }
}

/// Lines of the source, to look at what follows a plain scalar on its line.
struct LineIndex<'t> {
    /// Lines by 0-based number, kept only for the lines that contain ` #` (most files: none).
    lines: Vec<Option<&'t str>>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let lines = if text.contains(" #") || text.contains("\t#") {
            text.split('\n')
                .map(|l| (l.contains(" #") || l.contains("\t#")).then_some(l))
                .collect()
        } else {
            Vec::new()
        };
        LineIndex { lines }
    }

    /// `command-line: run #IN# #OUT#` is the value `run` and a comment: a classic way to lose a
    /// command line. Report a plain scalar followed on its line by ` #token#`.
    fn swallowed_key(&self, span: &Span) -> Option<ParseIssue> {
        if span.end.line() != span.start.line() {
            return None;
        }
        let line = (*self.lines.get(span.end.line().checked_sub(1)?)?)?;
        let rest: String = line.chars().skip(span.end.col()).collect();
        let comment = rest.trim_start().strip_prefix('#')?;
        let looks_like_key = crate::model::template::tokens(&format!("#{comment}"))
            .first()
            .is_some_and(|t| rest.trim_start().starts_with(t));
        looks_like_key.then(|| ParseIssue {
            pos: Pos::new(
                span.end.line(),
                span.end.col() + 1 + (rest.len() - rest.trim_start().len()),
            ),
            kind: ParseIssueKind::SwallowedByComment,
            message: format!(
                "YAML reads `{}` as a comment, not part of the value",
                rest.trim()
            ),
        })
    }
}

fn unsupported_tag(tag: &Tag, pos: Pos) -> ParseIssue {
    ParseIssue {
        pos,
        kind: ParseIssueKind::Syntax,
        message: format!(
            "unsupported YAML tag `{tag}` (only the core schema tags like !!str are understood)"
        ),
    }
}

fn resolve_scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    pos: Pos,
) -> Result<Value, ParseIssue> {
    if let Some(tag) = tag {
        if !tag.is_yaml_core_schema() {
            return Err(unsupported_tag(tag, pos));
        }
        let bad = || ParseIssue {
            pos,
            kind: ParseIssueKind::Syntax,
            message: format!("`{text}` is not a valid !!{}", tag.suffix),
        };
        return match tag.suffix.as_str() {
            "str" => Ok(Value::String(text.into_owned())),
            "null" => Ok(Value::Null),
            "bool" => resolve_bool(&text).map(Value::Bool).ok_or_else(bad),
            "int" => resolve_int(&text).ok_or_else(bad),
            "float" => resolve_float(&text).ok_or_else(bad),
            _ => Err(unsupported_tag(tag, pos)),
        };
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.into_owned()));
    }
    Ok(match resolve_typed(&text) {
        Some(value) => value,
        // Most plain scalars are words: the parser's own string is kept, not copied.
        None => Value::String(text.into_owned()),
    })
}

/// YAML 1.2 core schema resolution of a plain scalar: `yes`, `on` and `012` stay strings/ints
/// the way YAML 1.2 says, not the YAML 1.1 way some parsers still use.
pub fn resolve_plain(text: &str) -> Value {
    resolve_typed(text).unwrap_or_else(|| Value::String(text.to_string()))
}

/// [`resolve_plain`] for the plain scalars that are not strings.
fn resolve_typed(text: &str) -> Option<Value> {
    // Fast path: most plain scalars are words, which only the string case can match.
    let numeric_start = text
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'));
    if !numeric_start && !matches!(text.len(), 0..=5) {
        return None;
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        _ => {}
    }
    if let Some(b) = resolve_bool(text) {
        return Some(Value::Bool(b));
    }
    resolve_int(text).or_else(|| resolve_float(text))
}

fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn resolve_int(text: &str) -> Option<Value> {
    let (radix, digits) = if let Some(rest) = text.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = text.strip_prefix("0x") {
        (16, rest)
    } else {
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return text
            .parse::<i64>()
            .ok()
            .map(Value::from)
            .or_else(|| text.parse::<u64>().ok().map(Value::from))
            .or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
            });
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    i64::from_str_radix(digits, radix).ok().map(Value::from)
}

fn resolve_float(text: &str) -> Option<Value> {
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        None => !int_part.is_empty() && all_digits(int_part),
        Some(frac) => {
            all_digits(int_part) && all_digits(frac) && !(int_part.is_empty() && frac.is_empty())
        }
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if !(mantissa_ok && exponent_ok) {
        // .inf and .nan have no JSON form; they stay strings and the schema reports them.
        return None;
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs(text: &str) -> Vec<Node> {
        parse(text, &Limits::default()).expect("valid YAML").0
    }

    #[test]
    fn core_schema_typing() {
        let d = docs(
            "a: yes\nb: on\nc: 012\nd: 0o17\ne: 1_000\nf: 1.5\ng: '8080'\nh: ~\ni: True\nj: 0x1F\nk: .5\n",
        );
        assert_eq!(
            d[0].to_json(),
            json!({"a":"yes","b":"on","c":12,"d":15,"e":"1_000","f":1.5,"g":"8080","h":null,"i":true,"j":31,"k":0.5})
        );
    }

    #[test]
    fn positions_of_values_and_keys() {
        let d = docs("# comment\nkind: Command\nxnat:\n  - name: w\n    contexts: [\"a\", b]\n");
        assert_eq!(d[0].locate("/kind"), Pos { line: 2, col: 7 });
        assert_eq!(d[0].locate("/xnat/0/contexts/1"), Pos { line: 5, col: 21 });
        assert_eq!(d[0].locate_key("/xnat/0/contexts"), Pos { line: 5, col: 5 });
    }

    #[test]
    fn multiple_documents_and_empty_ones() {
        let d = docs("---\na: 1\n---\n# nothing\n---\nb: 2\n");
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].locate("/b"), Pos { line: 6, col: 4 });
    }

    #[test]
    fn alias_bomb_hits_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let e = parse(&text, &Limits::default()).expect_err("bomb");
        assert_eq!(e.kind, ParseIssueKind::TooLarge);
    }

    #[test]
    fn aliases_within_budget_expand() {
        let d = docs("base: &b {x: 1}\nuse: *b\n");
        assert_eq!(d[0].to_json(), json!({"base": {"x": 1}, "use": {"x": 1}}));
    }

    #[test]
    fn duplicate_keys_are_reported() {
        let (d, issues) = parse("a: 1\nb: 2\na: 3\n", &Limits::default()).expect("parses");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].pos, Pos { line: 3, col: 1 });
        assert_eq!(d[0].to_json(), json!({"a": 3, "b": 2}));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = "[".repeat(100_000);
        let e = parse(&text, &Limits::default()).expect_err("too deep");
        assert_eq!(e.kind, ParseIssueKind::TooDeep);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("a: 1\nb: [1, 2\nc: 3\n", &Limits::default()).expect_err("bad");
        assert_eq!(e.kind, ParseIssueKind::Syntax);
        assert!(e.pos.line >= 2, "{e:?}");
    }

    #[test]
    fn replacement_keys_after_a_space_are_comments() {
        let (d, issues) = parse(
            "command-line: run #IN# -o #OUT#\nquoted: \"run #IN#\"\nnote: x # a real comment\n",
            &Limits::default(),
        )
        .expect("parses");
        assert_eq!(d[0].to_json()["command-line"], json!("run"));
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].kind, ParseIssueKind::SwallowedByComment);
        assert_eq!(issues[0].pos, Pos { line: 1, col: 19 });
    }

    #[test]
    fn unknown_tags_are_refused() {
        let e = parse("a: !Ref x\n", &Limits::default()).expect_err("bad tag");
        assert!(e.message.contains("!Ref"), "{}", e.message);
        assert_eq!(docs("a: !!str 12\n")[0].to_json(), json!({"a": "12"}));
    }
}

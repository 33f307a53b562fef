//! The value of an image's `org.nrg.commands` label, read into positioned Commands.
//!
//! XNAT reads this label when it imports an image's commands
//! (`CommandLabelServiceImpl.parseLabels`, container-service 3.7.3): it parses the value with
//! Jackson as a *list* of commands (`TypeReference<List<Command.CommandCreation>>`), forces each
//! command's `image` to the name of the image being imported and its `hash` to the image id,
//! and, when the value does not parse as a list, logs the error and imports nothing.
//!
//! A label value comes from several places: a `*.label.json` file (the value as Docker stores
//! it), a Dockerfile's `LABEL org.nrg.commands=…` (where quoting, escapes and line continuations
//! stand between the value and the text a person wrote), or an image's configuration. Each
//! caller gives the value's text and a [`ValueMap`] that says where each character came from;
//! [`parse_label`] returns one [`Node`] per command with every position in the *source* (the
//! Dockerfile line and column, or the value's own position for an identity map).
//!
//! This is the one loader for label values; `parse_label` and the types here are a stable
//! interface (also used for labels read from images).

use super::{Limits, ParseIssue, ParseIssueKind, json};
use crate::position::{Node, NodeValue, Pos};

/// The label key XNAT reads commands from (`CommandLabelService.LABEL_KEY`).
pub const LABEL_KEY: &str = "org.nrg.commands";

/// Where each character of a label value came from in the text that holds it.
///
/// A list of marks, each saying "the value's character number `start` came from `source`";
/// the characters after a mark continue on the same source line, one column each, up to the
/// next mark. An empty map is the identity: the value's own line and column are the source's
/// (a label file, or a label read from an image).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueMap {
    marks: Vec<(usize, Pos)>,
}

impl ValueMap {
    /// Positions in the value are positions in the source.
    pub fn identity() -> ValueMap {
        ValueMap::default()
    }

    /// Record that the value's character number `char_index` (0-based, in characters) came
    /// from `source`. Marks are pushed in increasing `char_index`; a mark that only continues
    /// the previous run (same line, next column) is not stored.
    pub fn mark(&mut self, char_index: usize, source: Pos) {
        if let Some(&(start, pos)) = self.marks.last() {
            let offset = u32::try_from(char_index.saturating_sub(start)).unwrap_or(u32::MAX);
            if pos.line == source.line && pos.col.saturating_add(offset) == source.col {
                return;
            }
        }
        self.marks.push((char_index, source));
    }

    pub fn is_identity(&self) -> bool {
        self.marks.is_empty()
    }

    /// The source position of the value's character number `char_index`. Past the last
    /// character, the position just after it.
    pub fn source_of(&self, char_index: usize) -> Option<Pos> {
        let i = self
            .marks
            .partition_point(|&(start, _)| start <= char_index);
        let &(start, pos) = self.marks.get(i.checked_sub(1)?)?;
        let offset = u32::try_from(char_index - start).unwrap_or(u32::MAX);
        Some(Pos {
            line: pos.line,
            col: pos.col.saturating_add(offset),
        })
    }
}

/// A label value and where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelValue {
    /// The value exactly as Docker stores it (after the Dockerfile's quotes and escapes).
    pub text: String,
    pub map: ValueMap,
}

impl LabelValue {
    /// A value whose positions are its own (a label file, an image's label).
    pub fn new(text: impl Into<String>) -> LabelValue {
        LabelValue {
            text: text.into(),
            map: ValueMap::identity(),
        }
    }

    /// The source position of a position in the value text.
    pub fn source_pos(&self, lines: &LineStarts, pos: Pos) -> Pos {
        if self.map.is_identity() {
            return pos;
        }
        let index = lines.char_index(pos);
        self.map
            .source_of(index)
            .or_else(|| self.map.source_of(0))
            .unwrap_or(pos)
    }
}

/// Character index of the start of each line of a text, to turn a line and column into a
/// character index.
#[derive(Debug, Clone)]
pub struct LineStarts(Vec<usize>);

impl LineStarts {
    pub fn new(text: &str) -> LineStarts {
        let mut starts = vec![0];
        for (i, c) in text.chars().enumerate() {
            if c == '\n' {
                starts.push(i + 1);
            }
        }
        LineStarts(starts)
    }

    pub fn char_index(&self, pos: Pos) -> usize {
        let line = (pos.line.max(1) - 1) as usize;
        let start = self
            .0
            .get(line)
            .or(self.0.last())
            .copied()
            .unwrap_or_default();
        start + (pos.col.max(1) - 1) as usize
    }
}

/// The commands of a label, each positioned in the label's source, and the problems found
/// reading it (also positioned in the source).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelCommands {
    /// One node per command, in label order. A value that is one object instead of a list
    /// still gives that object here (so its own problems are found too), with a
    /// [`ParseIssueKind::LabelNotAList`] issue.
    pub commands: Vec<Node>,
    pub issues: Vec<ParseIssue>,
}

/// Read a label value into positioned commands.
///
/// - The value must be JSON (strict: XNAT's Jackson reads it); syntax problems are issues at
///   the offending character in the source.
/// - A list gives one command per element; a single object is a [`ParseIssueKind::LabelNotAList`]
///   issue (XNAT imports nothing from it) and still gives the object as a command.
/// - A blank value or an empty list gives a [`ParseIssueKind::LabelEmpty`] issue (XNAT imports
///   nothing, silently).
///
/// Elements that are not objects are returned as they are; validation reports them.
pub fn parse_label(value: &LabelValue, limits: &Limits) -> LabelCommands {
    let lines = LineStarts::new(&value.text);
    let place = |pos: Pos| value.source_pos(&lines, pos);
    let mut out = LabelCommands::default();
    if value.text.trim().is_empty() {
        out.issues.push(ParseIssue {
            pos: place(Pos { line: 1, col: 1 }),
            kind: ParseIssueKind::LabelEmpty,
            message: format!("the `{LABEL_KEY}` label is blank: XNAT imports no command from it"),
        });
        return out;
    }
    let (root, issues) = json::parse_all(&value.text, limits);
    out.issues = issues
        .into_iter()
        .map(|mut issue| {
            issue.pos = place(issue.pos);
            issue
        })
        .collect();
    let Some(mut root) = root else {
        return out;
    };
    if !value.map.is_identity() {
        reposition(&mut root, &place);
    }
    let split = commands_of(root);
    out.commands = split.commands;
    out.issues.extend(split.issues);
    out
}

/// The commands of a label value already parsed (and positioned): the elements of a list;
/// one object is still read as a command, with a [`ParseIssueKind::LabelNotAList`] issue.
pub fn commands_of(root: Node) -> LabelCommands {
    let mut out = LabelCommands::default();
    match root.value {
        NodeValue::Seq(items) => {
            if items.is_empty() {
                out.issues.push(ParseIssue {
                    pos: root.pos,
                    kind: ParseIssueKind::LabelEmpty,
                    message: format!(
                        "the `{LABEL_KEY}` label is an empty list: XNAT imports no command from it"
                    ),
                });
            }
            out.commands = items;
        }
        value @ NodeValue::Map(_) => {
            out.issues.push(ParseIssue {
                pos: root.pos,
                kind: ParseIssueKind::LabelNotAList,
                message: format!(
                    "the `{LABEL_KEY}` label holds one command object, not a list: XNAT reads the label as a JSON list of commands and imports nothing from this one"
                ),
            });
            out.commands = vec![Node {
                pos: root.pos,
                value,
            }];
        }
        NodeValue::Scalar(_) => {
            out.issues.push(ParseIssue {
                pos: root.pos,
                kind: ParseIssueKind::LabelNotAList,
                message: format!(
                    "the `{LABEL_KEY}` label is not a list of commands: XNAT reads the label as a JSON list of commands and imports nothing from this one"
                ),
            });
        }
    }
    out
}

/// Move every position of a tree (values and keys) through `place`.
fn reposition(node: &mut Node, place: &impl Fn(Pos) -> Pos) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        node.pos = place(node.pos);
        match &mut node.value {
            NodeValue::Scalar(_) => {}
            NodeValue::Seq(items) => stack.extend(items.iter_mut()),
            NodeValue::Map(entries) => {
                for entry in entries.iter_mut() {
                    entry.key_pos = place(entry.key_pos);
                    stack.push(&mut entry.value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    #[test]
    fn identity_keeps_the_value_positions() {
        let label = parse_label(
            &LabelValue::new("[\n {\"name\": \"a\"},\n {\"name\": \"b\"}\n]"),
            &Limits::default(),
        );
        assert!(label.issues.is_empty(), "{:?}", label.issues);
        assert_eq!(label.commands.len(), 2);
        assert_eq!(label.commands[1].locate("/name"), at(3, 11));
    }

    #[test]
    fn a_map_moves_values_and_keys_into_the_source() {
        // The value `[{"a": 1}]` written as `LABEL k="[{\"a\": 1}]"` on line 4 from column 10.
        let text = "[{\"a\": 1}]";
        let mut map = ValueMap::identity();
        let mut col = 10;
        for (i, c) in text.chars().enumerate() {
            if c == '"' {
                col += 1; // the backslash before it
            }
            map.mark(i, at(4, col));
            col += 1;
        }
        let label = parse_label(
            &LabelValue {
                text: text.into(),
                map,
            },
            &Limits::default(),
        );
        let command = &label.commands[0];
        assert_eq!(command.pos, at(4, 11));
        assert_eq!(command.locate_key("/a"), at(4, 13));
        assert_eq!(command.locate("/a"), at(4, 19));
    }

    #[test]
    fn one_object_is_not_a_list_but_is_still_read() {
        let label = parse_label(&LabelValue::new("{\"name\": \"x\"}"), &Limits::default());
        assert_eq!(label.issues.len(), 1);
        assert_eq!(label.issues[0].kind, ParseIssueKind::LabelNotAList);
        assert!(label.issues[0].message.contains("list"));
        assert_eq!(label.commands.len(), 1);
    }

    #[test]
    fn syntax_errors_are_placed_in_the_source() {
        let text = "[{\"a\": 1,}]";
        let mut map = ValueMap::identity();
        for i in 0..text.len() {
            map.mark(i, at(7, 20 + u32::try_from(i).expect("small")));
        }
        let label = parse_label(
            &LabelValue {
                text: text.into(),
                map,
            },
            &Limits::default(),
        );
        assert_eq!(label.issues[0].kind, ParseIssueKind::Syntax);
        assert_eq!(label.issues[0].pos.line, 7);
    }

    #[test]
    fn blank_and_empty_labels_import_nothing() {
        for text in ["", "  ", "[]"] {
            let label = parse_label(&LabelValue::new(text), &Limits::default());
            assert_eq!(label.issues[0].kind, ParseIssueKind::LabelEmpty, "{text:?}");
        }
    }
}

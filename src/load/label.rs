//! An image's `org.nrg.commands` label value: a JSON list of commands, each becoming one
//! positioned document. XNAT reads the label as a list (container-service,
//! `CommandLabelServiceImpl.parseLabels`: Jackson into `List<Command.CommandCreation>`, then
//! `image` set to the imported image's name); one object fails that read, which XNAT only logs,
//! so it imports nothing from such a label.

use crate::position::{Node, NodeValue};
use super::{Limits, ParseIssue, ParseIssueKind, json};

/// The commands of a label value, with positions inside the label text.
pub fn parse(text: &str, limits: &Limits) -> Result<(Vec<Node>, Vec<ParseIssue>), ParseIssue> {
    let (root, issues) = json::parse(text, limits)?;
    match root.value {
        NodeValue::Seq(items) => Ok((items, issues)),
        NodeValue::Map(_) => Err(ParseIssue {
            pos: root.pos,
            kind: ParseIssueKind::NotAList,
            message: "the label holds one command object, not a list: XNAT reads a JSON list \
                      (`[{…}]`) and imports nothing from this label"
                .to_string(),
        }),
        NodeValue::Scalar(_) => Err(ParseIssue {
            pos: root.pos,
            kind: ParseIssueKind::NotAList,
            message: "the label is not a JSON list of commands".to_string(),
        }),
    }
}

/// The documents again, for locating problems once they are known.
pub fn reparse(text: &str, limits: &Limits) -> Vec<Node> {
    parse(text, limits).map(|(d, _)| d).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_gives_one_document_per_command_with_positions() {
        let (docs, _) = parse(
            "[{\"name\": \"a\"},\n {\"name\": \"b\"}]",
            &Limits::default(),
        )
        .expect("parses");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].pos.line, 2);
    }

    #[test]
    fn one_object_is_refused_at_its_start() {
        let e = parse("  {\"name\": \"a\"}", &Limits::default()).expect_err("object");
        assert_eq!(e.kind, ParseIssueKind::NotAList);
        assert_eq!(e.pos.col, 3);
    }
}

//! What kind a document is: its `kind`, the folder it is in (`commands/`, `environments/`),
//! the form of its file (label values and Dockerfiles hold Commands), or its shape.

use super::document::FileRef;
use super::finding::{Findings, known_list, suggestion};
use super::rules::{KIND, SHAPED_COMMAND};
use crate::load::{Form, Node, Ptr};
use crate::model::Kind;

/// Keys only a Command has (`docker-image` is the pre-1.0 spelling of `image`).
const COMMAND_KEYS: &[&str] = &[
    "command-line",
    "image",
    "docker-image",
    "xnat",
    "mounts",
    "override-entrypoint",
];

/// Whether a document without `kind` is unmistakably a Command, and the keys that say so.
fn command_shape(node: &Node) -> Option<String> {
    let mut keys: Vec<&str> = COMMAND_KEYS
        .iter()
        .copied()
        .filter(|k| node.get(k).is_some())
        .collect();
    if node
        .get("type")
        .and_then(Node::as_str)
        .is_some_and(|t| crate::model::command::COMMAND_TYPES.contains(&t))
    {
        keys.push("type");
    }
    (!keys.is_empty()).then(|| known_list(keys))
}

/// The document's kind: its `kind`, the folder it is in, or its shape. `None` (with a
/// finding) when it has none of them.
pub(super) fn kind_of(file: &FileRef, node: &Node, f: &mut Findings) -> Option<Kind> {
    let under = |dir: &str| is_under(file, dir);
    if file.form != Form::Documents {
        return Some(Kind::Command);
    }
    match node.get("kind") {
        None if under("commands") => Some(Kind::Command),
        None if under("environments") => Some(Kind::Environment),
        None => match command_shape(node) {
            Some(keys) => {
                f.add(
                    SHAPED_COMMAND,
                    &Ptr::root(),
                    format!("no `kind`: read as a Command (it has {keys})"),
                )
                .hint("add `kind: Command`, or keep commands under commands/, to say so");
                Some(Kind::Command)
            }
            None => {
                f.add(KIND, &Ptr::root(), "document has no `kind`").hint(format!(
                    "add `kind:` with one of {} (documents under commands/ are Commands, under environments/ Environments, by default)",
                    known_list(Kind::ALL.iter().map(|k| k.as_str()))
                ));
                None
            }
        },
        Some(k) => match k.as_str().and_then(Kind::parse) {
            Some(kind) => Some(kind),
            None => {
                let text = k.as_str().unwrap_or("");
                f.add(
                    KIND,
                    &Ptr::root().key("kind"),
                    format!("unknown kind `{text}`"),
                )
                .hint(suggestion(
                    text,
                    Kind::ALL.iter().map(|k| k.as_str()),
                    "use one of",
                ));
                None
            }
        },
    }
}

/// Whether the file is under `commands/` or `environments/`, where documents need no `kind`.
pub(super) fn kind_of_dir(file: &FileRef) -> bool {
    is_under(file, "commands") || is_under(file, "environments")
}

/// Whether the file is in a folder named `dir`, in the repo or in the path given.
fn is_under(file: &FileRef, dir: &str) -> bool {
    [&file.rel, &file.path]
        .iter()
        .any(|p| p.starts_with(&format!("{dir}/")) || p.contains(&format!("/{dir}/")))
}

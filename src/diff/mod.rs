//! The semantic diff of two revisions of a declaration repo: object by object, field by field,
//! each change classified by what it does to the people and automations that use XNAT.
//!
//! IO-free: it compares two [`Repo`]s. Both sides are canonicalised first (XNAT's defaults
//! filled in, sets sorted, lists matched by name), so key order, spelled-out defaults and file
//! moves are no change. An element that reappears under a new name with the same content is a
//! rename, not a removal plus an addition. The classification table is [`classify`]'s doc and
//! the README's.

pub mod classify;
mod command;
mod objects;
pub mod render;
pub mod revisions;
pub mod tree;

pub use crate::model::canonical::command as canonical_command;
pub use tree::{Op, Seg};

use crate::model::{Kind, Origin, Repo};
use serde::Serialize;
use serde_json::Value;

/// What a change does to the users of XNAT. Ordered: `Safe < Risky < Breaking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// No one notices but a reader: descriptions, labels, additions nobody has to use.
    Safe,
    /// What runs, or how, changes: review it (image tag, command line, lower limits…).
    Risky,
    /// Something people or automations rely on stops working or is stranded in XNAT.
    Breaking,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Safe => "safe",
            Class::Risky => "risky",
            Class::Breaking => "breaking",
        }
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a whole object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Added,
    Removed,
    Renamed,
    Changed,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Added => "added",
            Action::Removed => "removed",
            Action::Renamed => "renamed",
            Action::Changed => "changed",
        }
    }
}

/// One classified difference inside an object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Where, e.g. `xnat[dcm2niix-scan].external-inputs[scan].required`; empty for the object
    /// itself.
    pub path: String,
    #[serde(skip)]
    pub segments: Vec<Seg>,
    pub op: Op,
    /// The old value (for a rename, the old name). Absent for secrets: see `sensitive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    pub class: Class,
    /// Why it is in that class, for a reviewer.
    pub why: String,
    /// A secret reference changed; neither value is shown.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// Everything that changed about one declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectChange {
    pub kind: Kind,
    /// The name a person knows it by (`dcm2niix`, or `dcm2niix@1.0` when the repo holds several
    /// versions; a project's id).
    pub name: String,
    /// The old name, for a renamed object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    pub action: Action,
    /// The highest class among the changes.
    pub class: Class,
    /// The file in the new revision (the old one for a removed object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The file in the old revision, when the object moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    pub changes: Vec<FieldChange>,
}

impl ObjectChange {
    /// `Command dcm2niix`.
    pub fn title(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }
}

/// The changes between two repos, most severe first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Diff {
    pub objects: Vec<ObjectChange>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Changes by class (a whole added, removed or renamed object counts as one).
    pub breaking: usize,
    pub risky: usize,
    pub safe: usize,
    /// Objects by what happened to them.
    pub objects: usize,
    pub added: usize,
    pub removed: usize,
    pub renamed: usize,
    pub changed: usize,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The most severe class, if anything changed.
    pub fn class(&self) -> Option<Class> {
        self.objects.iter().map(|o| o.class).max()
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            objects: self.objects.len(),
            ..Summary::default()
        };
        for o in &self.objects {
            match o.action {
                Action::Added => s.added += 1,
                Action::Removed => s.removed += 1,
                Action::Renamed => s.renamed += 1,
                Action::Changed => s.changed += 1,
            }
            for c in &o.changes {
                match c.class {
                    Class::Breaking => s.breaking += 1,
                    Class::Risky => s.risky += 1,
                    Class::Safe => s.safe += 1,
                }
            }
        }
        s
    }
}

/// Compare two repos.
pub fn diff(base: &Repo, head: &Repo) -> Diff {
    diff_sharing(base, head, &|_, _| false)
}

/// Compare two repos where `same(base, head)` says two commands are the same document of a
/// file both revisions share, so equal whatever their models hold (a lean base keeps only
/// their identity: see `validate::validate_revisions`).
pub fn diff_sharing(base: &Repo, head: &Repo, same: &dyn Fn(&Origin, &Origin) -> bool) -> Diff {
    let mut objects = Vec::new();
    let commands = command::diff(base, head, same);
    objects.extend(commands.objects);
    objects.extend(command::sources(base, head));
    objects.extend(objects::registries(base, head));
    objects.extend(objects::backend(base, head));
    objects.extend(objects::enablement(base, head, &commands.renames));
    objects.extend(objects::automations(base, head));
    objects.extend(objects::environments(base, head));
    // Most severe first; within a class, in the order of kinds a reader builds up from
    // (commands, then where they are enabled, then what launches them), then by name.
    objects.sort_by(|a, b| {
        b.class
            .cmp(&a.class)
            .then(kind_rank(a.kind).cmp(&kind_rank(b.kind)))
            .then(a.name.cmp(&b.name))
    });
    Diff { objects }
}

fn kind_rank(kind: Kind) -> usize {
    match kind {
        Kind::Command => 0,
        Kind::Registry => 1,
        Kind::ComputeBackend => 2,
        Kind::Site => 3,
        Kind::Project => 4,
        Kind::Automation => 5,
        Kind::Environment => 6,
    }
}

/// Build an object change from its field changes, taking the class from them.
fn object(
    kind: Kind,
    name: String,
    action: Action,
    base: Option<&Origin>,
    head: Option<&Origin>,
    changes: Vec<FieldChange>,
) -> Option<ObjectChange> {
    if changes.is_empty() {
        return None;
    }
    let class = changes.iter().map(|c| c.class).max().unwrap_or(Class::Safe);
    let at = head.or(base);
    let moved_from = match (base, head) {
        (Some(b), Some(h)) if b.rel != h.rel => Some(b.file.to_string()),
        _ => None,
    };
    Some(ObjectChange {
        kind,
        name,
        renamed_from: None,
        action,
        class,
        file: at.map(|o| o.file.to_string()),
        line: at.map(|o| o.pos.line),
        moved_from,
        changes,
    })
}

/// A change to the object as a whole (added, removed, renamed).
fn whole(op: Op, class: Class, why: impl Into<String>) -> FieldChange {
    FieldChange {
        path: String::new(),
        segments: Vec::new(),
        op,
        before: None,
        after: None,
        class,
        why: why.into(),
        sensitive: false,
    }
}

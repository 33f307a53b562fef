//! Commands: matched across revisions by name and version, then by name alone (a version bump
//! is a change, not a new command), then by content (a rename); compared field by field in
//! canonical form.

use super::classify;
use super::tree::{self, ListKind, Op, Raw, Seg};
use super::{Action, Class, FieldChange, ObjectChange, object, whole};
use crate::model::{Command, CommandSource, Declared, Kind, Origin, Repo};
use serde_json::Value;
use std::collections::HashMap;

/// Renames found among commands and wrappers, so enablement diffs can follow them.
#[derive(Debug, Default)]
pub struct Renames {
    /// Old command name → new command name.
    pub commands: HashMap<String, String>,
    /// (new command name, old wrapper name) → new wrapper name.
    pub wrappers: HashMap<(String, String), String>,
}

pub struct CommandDiff {
    pub objects: Vec<ObjectChange>,
    pub renames: Renames,
}

fn lists(key: &str) -> ListKind {
    match key {
        "mounts" | "inputs" | "outputs" | "xnat" | "external-inputs" | "derived-inputs"
        | "output-handlers" => ListKind::Keyed("name"),
        "secrets" => ListKind::Keyed("destination.identifier"),
        "contexts" | "tags" | "names" => ListKind::Set,
        _ => ListKind::Whole,
    }
}

fn leaf(key: &str) -> bool {
    key == "command-metadata"
}

pub(super) fn canonical(c: &Command) -> Value {
    serde_json::to_value(crate::model::canonical::command(c)).unwrap_or(Value::Null)
}

fn without_name(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.remove("name");
    }
    v
}

/// Pairs of (base index, head index), matched as the module doc says, plus the unmatched.
fn pair(
    base: &[Declared<Command>],
    head: &[Declared<Command>],
) -> Vec<(Option<usize>, Option<usize>)> {
    let mut b_used = vec![false; base.len()];
    let mut h_used = vec![false; head.len()];
    let mut pairs = Vec::new();
    // By name and version: each base command takes the first head command of its name and
    // version not yet taken.
    let mut by_version: HashMap<(&str, Option<&str>), std::collections::VecDeque<usize>> =
        HashMap::new();
    for (j, h) in head.iter().enumerate() {
        by_version
            .entry((h.spec.name.as_str(), h.spec.version.as_deref()))
            .or_default()
            .push_back(j);
    }
    for (i, b) in base.iter().enumerate() {
        let key = (b.spec.name.as_str(), b.spec.version.as_deref());
        if let Some(j) = by_version.get_mut(&key).and_then(|js| js.pop_front()) {
            b_used[i] = true;
            h_used[j] = true;
            pairs.push((Some(i), Some(j)));
        }
    }
    // By name alone, where exactly one command of that name is left on each side.
    let mut base_left: HashMap<&str, usize> = HashMap::new();
    for (b, _) in base.iter().zip(&b_used).filter(|(_, used)| !**used) {
        *base_left.entry(b.spec.name.as_str()).or_default() += 1;
    }
    let mut head_left: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, h) in head.iter().enumerate().filter(|(j, _)| !h_used[*j]) {
        head_left.entry(h.spec.name.as_str()).or_default().push(j);
    }
    for i in 0..base.len() {
        if b_used[i] {
            continue;
        }
        let name = base[i].spec.name.as_str();
        if base_left.get(name) == Some(&1)
            && let Some([j]) = head_left.get(name).map(Vec::as_slice)
        {
            b_used[i] = true;
            h_used[*j] = true;
            pairs.push((Some(i), Some(*j)));
        }
    }
    let removed: Vec<usize> = (0..base.len()).filter(|&i| !b_used[i]).collect();
    let added: Vec<usize> = (0..head.len()).filter(|&j| !h_used[j]).collect();
    let renamed = tree::renames(
        &removed
            .iter()
            .map(|&i| without_name(canonical(&base[i].spec)))
            .collect::<Vec<_>>(),
        &added
            .iter()
            .map(|&j| without_name(canonical(&head[j].spec)))
            .collect::<Vec<_>>(),
        &|a, b| a == b,
    );
    for &(r, a) in &renamed {
        b_used[removed[r]] = true;
        h_used[added[a]] = true;
        pairs.push((Some(removed[r]), Some(added[a])));
    }
    pairs.extend(
        (0..base.len())
            .filter(|&i| !b_used[i])
            .map(|i| (Some(i), None)),
    );
    pairs.extend(
        (0..head.len())
            .filter(|&j| !h_used[j])
            .map(|j| (None, Some(j))),
    );
    pairs
}

/// How many commands of each name a revision holds.
struct NameCounts<'r>(HashMap<&'r str, usize>);

impl<'r> NameCounts<'r> {
    fn of(repo: &'r Repo) -> NameCounts<'r> {
        let mut counts = HashMap::new();
        for c in &repo.commands {
            *counts.entry(c.spec.name.as_str()).or_default() += 1;
        }
        NameCounts(counts)
    }

    fn ambiguous(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|&n| n > 1)
    }
}

/// `name`, or `name@version` when the name alone is ambiguous in either revision.
fn display_name(c: &Command, counts: &[NameCounts; 2]) -> String {
    if counts.iter().any(|n| n.ambiguous(&c.name)) {
        format!("{}@{}", c.name, c.version.as_deref().unwrap_or(""))
    } else {
        c.name.clone()
    }
}

fn wrapper_names(c: &Command) -> String {
    let names: Vec<String> = c.xnat.iter().map(|w| format!("`{}`", w.name)).collect();
    if names.is_empty() {
        "no wrappers".into()
    } else {
        format!(
            "wrapper{} {}",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        )
    }
}

pub fn field(raw: Raw, verdict: (Class, String)) -> FieldChange {
    FieldChange {
        path: tree::display(&raw.path),
        segments: raw.path,
        op: raw.op,
        before: raw.before,
        after: raw.after,
        class: verdict.0,
        why: verdict.1,
        sensitive: false,
    }
}

pub fn diff(base: &Repo, head: &Repo, same: &dyn Fn(&Origin, &Origin) -> bool) -> CommandDiff {
    let mut objects = Vec::new();
    let mut renames = Renames::default();
    let counts = [NameCounts::of(base), NameCounts::of(head)];
    for (b, h) in pair(&base.commands, &head.commands) {
        let b = b.map(|i| &base.commands[i]);
        let h = h.map(|j| &head.commands[j]);
        let change = match (b, h) {
            (None, Some(h)) => object(
                Kind::Command,
                display_name(&h.spec, &counts),
                Action::Added,
                None,
                Some(&h.origin),
                vec![whole(
                    Op::Added,
                    Class::Safe,
                    format!("new command with {}", wrapper_names(&h.spec)),
                )],
            ),
            (Some(b), None) => object(
                Kind::Command,
                display_name(&b.spec, &counts),
                Action::Removed,
                Some(&b.origin),
                None,
                vec![whole(
                    Op::Removed,
                    Class::Breaking,
                    format!(
                        "command removed: {} and their enablement, configuration and automations are no longer declared",
                        wrapper_names(&b.spec)
                    ),
                )],
            ),
            // Equal commands have equal canonical forms: nothing to compare (most pairs).
            (Some(b), Some(h)) if same(&b.origin, &h.origin) || b.spec == h.spec => None,
            (Some(b), Some(h)) => {
                let raws = tree::diff(
                    Some(&canonical(&b.spec)),
                    Some(&canonical(&h.spec)),
                    &lists,
                    &leaf,
                );
                let renamed = b.spec.name != h.spec.name;
                if renamed {
                    renames
                        .commands
                        .insert(b.spec.name.clone(), h.spec.name.clone());
                }
                let mut changes = Vec::new();
                for raw in raws {
                    if raw.path.as_slice() == [Seg::Key("name".into())] {
                        continue;
                    }
                    if raw.op == Op::Renamed
                        && let [Seg::Item { list, name }] = raw.path.as_slice()
                        && list == "xnat"
                        && let Some(Value::String(old)) = &raw.before
                    {
                        renames
                            .wrappers
                            .insert((h.spec.name.clone(), old.clone()), name.clone());
                    }
                    let verdict = classify::command(&raw);
                    changes.push(field(raw, verdict));
                }
                if renamed {
                    let mut c = whole(
                        Op::Renamed,
                        Class::Breaking,
                        "command renamed: XNAT sees a new command, so its wrappers get new ids and the old ones' enablement, configuration and automations are stranded",
                    );
                    c.before = Some(Value::String(b.spec.name.clone()));
                    c.after = Some(Value::String(h.spec.name.clone()));
                    changes.insert(0, c);
                }
                object(
                    Kind::Command,
                    display_name(&h.spec, &counts),
                    if renamed {
                        Action::Renamed
                    } else {
                        Action::Changed
                    },
                    Some(&b.origin),
                    Some(&h.origin),
                    changes,
                )
                .map(|mut o| {
                    if renamed {
                        o.renamed_from = Some(display_name(&b.spec, &counts));
                    }
                    o
                })
            }
            (None, None) => None,
        };
        objects.extend(change);
    }
    CommandDiff { objects, renames }
}

/// The digest `xcs.lock` pins a source's image to, when it moved between the revisions.
fn digest_change(
    base: &Repo,
    head: &Repo,
    b: &CommandSource,
    h: &CommandSource,
) -> Option<FieldChange> {
    let before = b.image.as_deref().and_then(|i| base.image_digests.get(i));
    let after = h.image.as_deref().and_then(|i| head.image_digests.get(i));
    if before == after || after.is_none() {
        return None;
    }
    let raw = Raw {
        path: vec![Seg::Key("digest".into())],
        op: if before.is_some() {
            Op::Changed
        } else {
            Op::Added
        },
        before: before.map(|d| Value::from(d.as_str())),
        after: after.map(|d| Value::from(d.as_str())),
    };
    Some(field(
        raw,
        (
            Class::Risky,
            "the image the commands come from changed (digest in xcs.lock)".into(),
        ),
    ))
}

/// `from:` sources, keyed by their image repository or URL.
pub fn sources(base: &Repo, head: &Repo) -> Vec<ObjectChange> {
    fn key(s: &CommandSource) -> String {
        match (&s.image, &s.url) {
            (Some(image), _) => classify::image_parts(image).0.to_string(),
            (None, Some(url)) => url.clone(),
            (None, None) => String::new(),
        }
    }
    let value = |s: &CommandSource| serde_json::to_value(s).unwrap_or(Value::Null);
    let find = |r: &Repo, k: &str| {
        r.command_sources
            .iter()
            .find(|s| key(&s.spec) == k)
            .cloned()
    };
    let mut keys: Vec<String> = base.command_sources.iter().map(|s| key(&s.spec)).collect();
    for s in &head.command_sources {
        let k = key(&s.spec);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut out = Vec::new();
    for k in keys {
        let name = format!("{k} (from:)");
        let (b, h) = (find(base, &k), find(head, &k));
        let change = match (&b, &h) {
            (None, Some(h)) => object(
                Kind::Command,
                name,
                Action::Added,
                None,
                Some(&h.origin),
                vec![whole(Op::Added, Class::Safe, "new command source")],
            ),
            (Some(b), None) => object(
                Kind::Command,
                name,
                Action::Removed,
                Some(&b.origin),
                None,
                vec![whole(
                    Op::Removed,
                    Class::Breaking,
                    "command source removed: its commands are no longer declared",
                )],
            ),
            (Some(b), Some(h)) => {
                let mut changes: Vec<FieldChange> =
                    tree::diff(Some(&value(&b.spec)), Some(&value(&h.spec)), &lists, &leaf)
                        .into_iter()
                        .map(|raw| {
                            let verdict = classify::source(&raw);
                            field(raw, verdict)
                        })
                        .collect();
                changes.extend(digest_change(base, head, &b.spec, &h.spec));
                object(
                    Kind::Command,
                    name,
                    Action::Changed,
                    Some(&b.origin),
                    Some(&h.origin),
                    changes,
                )
            }
            (None, None) => None,
        };
        out.extend(change);
    }
    out
}

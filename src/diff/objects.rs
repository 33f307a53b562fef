//! Registries, the compute backend, site and project enablement, automations and environments.

use super::classify;
use super::command::{Renames, field};
use super::tree::{self, ListKind, Op, Raw, Seg};
use super::{Action, Class, FieldChange, ObjectChange, object, whole};
use crate::model::{Declared, Kind, Origin, Project, Repo, WrapperSetting};
use serde::Serialize;
use serde_json::{Value, json};

type Verdict = (Class, String);

/// Keys whose values are secret references: shown as changed, never with their values.
const SECRET_KEYS: [&str; 2] = ["password", "token"];

fn no_lists(_: &str) -> ListKind {
    ListKind::Whole
}

fn no_leaves(_: &str) -> bool {
    false
}

/// Replace every secret reference inside `v` by a placeholder.
fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map.iter_mut() {
                if SECRET_KEYS.contains(&k.as_str()) && !inner.is_null() {
                    *inner = Value::String("(secret reference)".into());
                } else {
                    redact(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn is_secret(path: &[Seg]) -> bool {
    matches!(path.last(), Some(Seg::Key(k)) if SECRET_KEYS.contains(&k.as_str()))
}

/// A classified field change, with secrets hidden.
fn secret_aware(mut raw: Raw, verdict: Verdict) -> FieldChange {
    if is_secret(&raw.path) {
        raw.before = None;
        raw.after = None;
        let mut c = field(raw, verdict);
        c.sensitive = true;
        return c;
    }
    if let Some(v) = raw.before.as_mut() {
        redact(v);
    }
    if let Some(v) = raw.after.as_mut() {
        redact(v);
    }
    field(raw, verdict)
}

fn value<T: Serialize>(spec: &T) -> Value {
    serde_json::to_value(spec).unwrap_or(Value::Null)
}

fn without(mut v: Value, key: &str) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.remove(key);
    }
    v
}

/// How one kind of named object is compared.
struct Named<'a, T> {
    kind: Kind,
    key: &'a dyn Fn(&T) -> String,
    classify: &'a dyn Fn(&Raw) -> Verdict,
    added: &'a dyn Fn(&T) -> Verdict,
    removed: &'a dyn Fn(&T) -> Verdict,
    /// A rename keeps everything but the name; what does it do?
    renamed: Verdict,
}

fn named<T: Serialize>(
    n: &Named<T>,
    base: &[Declared<T>],
    head: &[Declared<T>],
) -> Vec<ObjectChange> {
    let key = n.key;
    let bk: Vec<String> = base.iter().map(|d| key(&d.spec)).collect();
    let hk: Vec<String> = head.iter().map(|d| key(&d.spec)).collect();
    let removed: Vec<usize> = (0..base.len()).filter(|&i| !hk.contains(&bk[i])).collect();
    let added: Vec<usize> = (0..head.len()).filter(|&j| !bk.contains(&hk[j])).collect();
    // The identifying field is `name` for every named kind (a Project's is `id`, and projects
    // are not renamed: a new id is another project).
    let renames = tree::renames(
        &removed
            .iter()
            .map(|&i| without(value(&base[i].spec), "name"))
            .collect::<Vec<_>>(),
        &added
            .iter()
            .map(|&j| without(value(&head[j].spec), "name"))
            .collect::<Vec<_>>(),
        &|a, b| a == b,
    );
    let mut out = Vec::new();
    for (i, b) in base.iter().enumerate() {
        if let Some(&(_, a)) = renames.iter().find(|(r, _)| removed[*r] == i) {
            let h = &head[added[a]];
            let mut c = whole(Op::Renamed, n.renamed.0, n.renamed.1.clone());
            c.before = Some(Value::String(bk[i].clone()));
            c.after = Some(Value::String(hk[added[a]].clone()));
            out.extend(
                object(
                    n.kind,
                    hk[added[a]].clone(),
                    Action::Renamed,
                    Some(&b.origin),
                    Some(&h.origin),
                    vec![c],
                )
                .map(|mut o| {
                    o.renamed_from = Some(bk[i].clone());
                    o
                }),
            );
        } else if let Some(j) = hk.iter().position(|k| *k == bk[i]) {
            let h = &head[j];
            let changes = tree::diff(
                Some(&value(&b.spec)),
                Some(&value(&h.spec)),
                &no_lists,
                &no_leaves,
            )
            .into_iter()
            .map(|raw| {
                let verdict = (n.classify)(&raw);
                secret_aware(raw, verdict)
            })
            .collect();
            out.extend(object(
                n.kind,
                bk[i].clone(),
                Action::Changed,
                Some(&b.origin),
                Some(&h.origin),
                changes,
            ));
        } else {
            let (class, why) = (n.removed)(&b.spec);
            out.extend(object(
                n.kind,
                bk[i].clone(),
                Action::Removed,
                Some(&b.origin),
                None,
                vec![whole(Op::Removed, class, why)],
            ));
        }
    }
    for &j in &added {
        if renames.iter().any(|&(_, a)| added[a] == j) {
            continue;
        }
        let (class, why) = (n.added)(&head[j].spec);
        out.extend(object(
            n.kind,
            hk[j].clone(),
            Action::Added,
            None,
            Some(&head[j].origin),
            vec![whole(Op::Added, class, why)],
        ));
    }
    out
}

pub fn registries(base: &Repo, head: &Repo) -> Vec<ObjectChange> {
    named(
        &Named {
            kind: Kind::Registry,
            key: &|r: &crate::model::Registry| r.name.clone(),
            classify: &classify::registry,
            added: &|_| (Class::Safe, "new registry".into()),
            removed: &|_| {
                (
                    Class::Risky,
                    "registry no longer declared: pulls from it lose their credentials when it is pruned".into(),
                )
            },
            renamed: (
                Class::Risky,
                "registry renamed: XNAT replaces the entry".into(),
            ),
        },
        &base.registries,
        &head.registries,
    )
}

pub fn automations(base: &Repo, head: &Repo) -> Vec<ObjectChange> {
    named(
        &Named {
            kind: Kind::Automation,
            key: &|a: &crate::model::Automation| a.name.clone(),
            classify: &classify::automation,
            added: &|a| {
                if a.active {
                    (Class::Safe, "new automation".into())
                } else {
                    (Class::Safe, "new automation, inactive".into())
                }
            },
            removed: &|a| {
                if a.active {
                    (
                        Class::Breaking,
                        "automation removed: events stop launching the wrapper".into(),
                    )
                } else {
                    (Class::Safe, "inactive automation removed".into())
                }
            },
            renamed: (
                Class::Risky,
                "automation renamed: XNAT's subscription is replaced by a new one".into(),
            ),
        },
        &base.automations,
        &head.automations,
    )
}

pub fn environments(base: &Repo, head: &Repo) -> Vec<ObjectChange> {
    named(
        &Named {
            kind: Kind::Environment,
            key: &|e: &crate::model::Environment| e.name.clone(),
            classify: &classify::environment,
            added: &|_| (Class::Safe, "new environment".into()),
            removed: &|_| {
                (
                    Class::Risky,
                    "environment removed: CI no longer applies the repo to its XNAT".into(),
                )
            },
            renamed: (
                Class::Risky,
                "environment renamed: `--env` and CI names change".into(),
            ),
        },
        &base.environments,
        &head.environments,
    )
}

pub fn backend(base: &Repo, head: &Repo) -> Vec<ObjectChange> {
    let (b, h) = (base.backend(), head.backend());
    let name = |d: &Declared<crate::model::ComputeBackend>| d.spec.name.clone();
    let change = match (b, h) {
        (None, None) => None,
        (None, Some(h)) => object(
            Kind::ComputeBackend,
            name(h),
            Action::Added,
            None,
            Some(&h.origin),
            vec![whole(
                Op::Added,
                Class::Risky,
                "now managed by xcs: replaces the container server XNAT uses",
            )],
        ),
        (Some(b), None) => object(
            Kind::ComputeBackend,
            name(b),
            Action::Removed,
            Some(&b.origin),
            None,
            vec![whole(
                Op::Removed,
                Class::Safe,
                "no longer declared: XNAT keeps its server settings; xcs stops managing them",
            )],
        ),
        (Some(b), Some(h)) => {
            let changes = tree::diff(
                Some(&value(&b.spec)),
                Some(&value(&h.spec)),
                &no_lists,
                &no_leaves,
            )
            .into_iter()
            .map(|raw| {
                let verdict = classify::backend(&raw);
                secret_aware(raw, verdict)
            })
            .collect();
            object(
                Kind::ComputeBackend,
                name(h),
                Action::Changed,
                Some(&b.origin),
                Some(&h.origin),
                changes,
            )
        }
    };
    change.into_iter().collect()
}

/// `command/wrapper` for a setting, with the command as the repo resolves it.
fn setting_key(repo: &Repo, other: &Repo, s: &WrapperSetting) -> String {
    let command = match repo.resolve_command(&s.command) {
        Ok(c) => {
            let ambiguous = [repo, other].iter().any(|r| {
                r.commands
                    .iter()
                    .filter(|o| o.spec.name == c.spec.name)
                    .count()
                    > 1
            });
            if ambiguous {
                format!(
                    "{}@{}",
                    c.spec.name,
                    c.spec.version.as_deref().unwrap_or("")
                )
            } else {
                c.spec.name.clone()
            }
        }
        Err(_) => s.command.clone(),
    };
    format!("{command}/{}", s.wrapper)
}

/// A scope's settings as a value the tree diff compares, keyed by `command/wrapper`. With
/// `renames`, a base key is carried over to the name the head uses for it, when the head's
/// settings (`head_keys`) do use it. Returns the value and the keys carried over (new, old).
fn settings_value(
    repo: &Repo,
    other: &Repo,
    settings: &[WrapperSetting],
    renames: Option<(&Renames, &[String])>,
) -> (Value, Vec<(String, String)>) {
    let mut carried = Vec::new();
    let items: Vec<Value> = settings
        .iter()
        .map(|s| {
            let old = setting_key(repo, other, s);
            let mut key = old.clone();
            if let Some((r, head_keys)) = renames {
                let command = repo
                    .resolve_command(&s.command)
                    .map_or(s.command.clone(), |c| c.spec.name.clone());
                let new_command = r.commands.get(&command).cloned();
                let target = new_command.clone().unwrap_or(command.clone());
                let new_wrapper = r
                    .wrappers
                    .get(&(target.clone(), s.wrapper.clone()))
                    .cloned();
                let new = format!(
                    "{target}/{}",
                    new_wrapper.clone().unwrap_or(s.wrapper.clone())
                );
                let renamed = new_command.is_some() || new_wrapper.is_some();
                if renamed && head_keys.contains(&new) && !head_keys.contains(&old) {
                    key = new;
                    carried.push((key.clone(), old));
                }
            }
            // No `config` means xcs leaves XNAT's alone; `{}` means no overrides. Null keeps
            // the two apart (an absent map would read as an empty one).
            let config = s.config.as_ref().map_or(Value::Null, value);
            json!({"key": key, "enabled": s.enabled, "config": config})
        })
        .collect();
    (json!({ "wrappers": items }), carried)
}

fn settings_lists(key: &str) -> ListKind {
    if key == "wrappers" {
        ListKind::Keyed("key")
    } else {
        ListKind::Whole
    }
}

/// The changes between two scopes' settings.
fn settings_changes(
    base: &Repo,
    head: &Repo,
    b: &[WrapperSetting],
    h: &[WrapperSetting],
    renames: &Renames,
    scope: &str,
) -> Vec<FieldChange> {
    let head_keys: Vec<String> = h.iter().map(|s| setting_key(head, base, s)).collect();
    let (bv, carried) = settings_value(base, head, b, Some((renames, &head_keys)));
    let (hv, _) = settings_value(head, base, h, None);
    let mut raws = tree::diff(Some(&bv), Some(&hv), &settings_lists, &no_leaves);
    // A setting carried over by a rename is written anew in XNAT: say so once, first.
    for (new, old) in carried.iter().rev() {
        let was_enabled = b
            .iter()
            .any(|s| setting_key(base, head, s) == *old && s.enabled);
        if was_enabled {
            raws.insert(
                0,
                Raw {
                    path: vec![Seg::Item {
                        list: "wrappers".into(),
                        name: new.clone(),
                    }],
                    op: Op::Renamed,
                    before: Some(Value::String(old.clone())),
                    after: Some(Value::String(new.clone())),
                },
            );
        }
    }
    raws.into_iter()
        .map(|raw| {
            let verdict = classify::enablement(&raw, scope);
            field(raw, verdict)
        })
        .collect()
}

pub fn enablement(base: &Repo, head: &Repo, renames: &Renames) -> Vec<ObjectChange> {
    let mut out = Vec::new();
    let site = |o: Option<&Declared<crate::model::Site>>| {
        o.map(|d| (d.spec.wrappers.clone(), d.origin.clone()))
    };
    out.extend(scope(
        base,
        head,
        Kind::Site,
        "site".into(),
        site(base.site()),
        site(head.site()),
        renames,
        "site-wide",
    ));
    let mut ids: Vec<&str> = base.projects.iter().map(|p| p.spec.id.as_str()).collect();
    for p in &head.projects {
        if !ids.contains(&p.spec.id.as_str()) {
            ids.push(&p.spec.id);
        }
    }
    let project =
        |o: Option<&Declared<Project>>| o.map(|d| (d.spec.wrappers.clone(), d.origin.clone()));
    for id in ids {
        out.extend(scope(
            base,
            head,
            Kind::Project,
            id.to_string(),
            project(base.project(id)),
            project(head.project(id)),
            renames,
            &format!("in project {id}"),
        ));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn scope(
    base: &Repo,
    head: &Repo,
    kind: Kind,
    name: String,
    b: Option<(Vec<WrapperSetting>, Origin)>,
    h: Option<(Vec<WrapperSetting>, Origin)>,
    renames: &Renames,
    scope: &str,
) -> Option<ObjectChange> {
    match (b, h) {
        (None, None) => None,
        (None, Some((settings, origin))) => {
            let mut changes = vec![whole(
                Op::Added,
                Class::Risky,
                format!("now managed by xcs: wrappers it does not enable are disabled {scope}"),
            )];
            changes.extend(settings_changes(base, head, &[], &settings, renames, scope));
            object(kind, name, Action::Added, None, Some(&origin), changes)
        }
        (Some((_, origin)), None) => object(
            kind,
            name,
            Action::Removed,
            Some(&origin),
            None,
            vec![whole(
                Op::Removed,
                Class::Safe,
                format!(
                    "no longer declared: XNAT keeps the settings {scope}; xcs stops managing them"
                ),
            )],
        ),
        (Some((bs, bo)), Some((hs, ho))) => object(
            kind,
            name,
            Action::Changed,
            Some(&bo),
            Some(&ho),
            settings_changes(base, head, &bs, &hs, renames, scope),
        ),
    }
}

//! What happens to objects the repo no longer declares. xcs's record says which it created and
//! which it adopted (found in XNAT and took over):
//!
//! - created ones are deleted with `--prune`, and listed as kept without it;
//! - adopted ones are released: the plan says so, the next apply that writes drops them from
//!   the record, and XNAT keeps them; `--prune-adopted` deletes them instead;
//! - never deleted: the default registry, XNAT's built-in "Docker Hub" entry (ref CS §2: "The
//!   built-in default entry is Docker Hub / https://index.docker.io/v1/"), any image, and
//!   anything not in the record.

use super::compute::Builder;
use super::record::Record;
use super::{Action, CommandKey, Op, Step, Target};

/// How far a plan goes with what the repo no longer declares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prune {
    /// Delete nothing; list what `--prune` would delete.
    #[default]
    Keep,
    /// Delete what xcs created (`--prune`).
    Created,
    /// Also delete what xcs adopted (`--prune-adopted`).
    AlsoAdopted,
}

/// The built-in registry entry XNAT ships with (ref CS §2).
pub fn is_built_in_hub(name: &str, url: &str) -> bool {
    name == "Docker Hub" || url.trim_end_matches('/') == "https://index.docker.io/v1"
}

/// An object the repo no longer declares that the record knows.
struct Orphan {
    label: String,
    created: bool,
    target: Target,
    step: Step,
    warning: Option<&'static str>,
}

fn orphans(b: &Builder) -> (Vec<Orphan>, Vec<String>) {
    let record: &Record = &b.obs.record;
    let mut out = Vec::new();
    let mut never = Vec::new();
    for &l in &b.pairing.unmatched_live {
        let c = &b.obs.commands[l];
        let Some(id) = c.id.filter(|&id| record.manages_command(id)) else {
            continue;
        };
        let key = CommandKey {
            name: c.name.clone(),
            version: c.version.clone(),
        };
        out.push(Orphan {
            label: format!("command {key}"),
            created: record.created_command(id),
            target: Target::Command { command: key },
            step: Step::DeleteCommand { id },
            warning: Some("its wrappers go too, with their enablement and configuration (the image is never deleted)"),
        });
    }
    for s in &b.obs.subscriptions {
        let Some(id) = s.id.filter(|&id| record.manages_subscription(id)) else {
            continue;
        };
        if b.repo.automations.iter().any(|a| a.spec.name == s.name) {
            continue;
        }
        out.push(Orphan {
            label: format!("automation {}", s.name),
            created: record.created_subscription(id),
            target: Target::Automation {
                name: s.name.clone(),
            },
            step: Step::DeleteSubscription { id },
            warning: None,
        });
    }
    for h in &b.obs.hubs {
        if !record.manages_registry(&h.name)
            || b.repo.registries.iter().any(|r| r.spec.name == h.name)
        {
            continue;
        }
        if h.default || is_built_in_hub(&h.name, &h.url) {
            never.push(format!(
                "registry `{}` is no longer declared but is XNAT's {} registry; xcs never deletes it ({})",
                h.name,
                if h.default { "default" } else { "built-in" },
                // The record keeps what xcs created while it exists (apply `new_record`).
                if record.created_registry(&h.name) {
                    "it stays in the record as created by xcs"
                } else {
                    "it is released"
                }
            ));
            continue;
        }
        out.push(Orphan {
            label: format!("registry {}", h.name),
            created: record.created_registry(&h.name),
            target: Target::Registry {
                name: h.name.clone(),
            },
            step: Step::DeleteRegistry { id: h.id },
            warning: None,
        });
    }
    (out, never)
}

/// Plan deletions (or notes) for what the repo no longer declares.
pub(super) fn prune(b: &mut Builder, mode: Prune) {
    let (orphans, never) = orphans(b);
    b.notes.extend(never);
    let mut kept = Vec::new();
    let mut released = Vec::new();
    for o in orphans {
        let delete = match mode {
            Prune::Keep => false,
            Prune::Created => o.created,
            Prune::AlsoAdopted => true,
        };
        if delete {
            let id = b.push(o.target, Op::Delete, vec![], o.step, vec![]);
            if let Some(w) = o.warning {
                b.actions[id].warnings.push(w.into());
            }
        } else if o.created {
            kept.push(o.label);
        } else {
            released.push(o.label);
        }
    }
    if !kept.is_empty() {
        b.notes.push(format!(
            "no longer declared, created by xcs, kept (apply with --prune to delete): {}",
            kept.join(", ")
        ));
    }
    if !released.is_empty() {
        b.notes.push(format!(
            "no longer declared, adopted by xcs (it did not create them): released — xcs forgets them and XNAT keeps them (apply with --prune-adopted to delete): {}",
            released.join(", ")
        ));
    }
}

/// Whether an action deletes something (for callers that count deletions).
#[allow(dead_code)]
pub fn is_deletion(a: &Action) -> bool {
    a.op == Op::Delete
}

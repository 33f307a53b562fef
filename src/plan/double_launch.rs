//! Subscriptions that would launch the same wrapper twice for one event: two active
//! subscriptions with the same action (wrapper), event type, status and payload filter whose
//! projects overlap (a subscription without projects is site-wide and overlaps every project).
//! XNAT runs each matching subscription (ref CS §7b), so each such event starts two containers.

use super::observed::Observed;
use crate::model::Repo;
use std::collections::BTreeSet;

/// One subscription as it will be after the apply.
struct Launch {
    name: String,
    /// The wrapper: its live id when known, else the declaration's command/wrapper reference.
    action: String,
    event: (String, Option<String>, Option<String>),
    /// Empty: site-wide.
    projects: BTreeSet<String>,
}

fn overlaps(a: &Launch, b: &Launch) -> bool {
    a.action == b.action
        && a.event == b.event
        && (a.projects.is_empty() || b.projects.is_empty() || !a.projects.is_disjoint(&b.projects))
}

fn declared(repo: &Repo, obs: &Observed) -> Vec<Launch> {
    let pairing = obs.pairing(repo);
    repo.automations
        .iter()
        .map(|a| &a.spec)
        .filter(|a| a.active)
        .map(|a| {
            let live_wrapper = repo
                .resolve_command(&a.command)
                .ok()
                .and_then(|c| repo.commands.iter().position(|d| std::ptr::eq(d, c)))
                .and_then(|d| pairing.live_of(d))
                .and_then(|l| obs.commands[l].xnat.iter().find(|w| w.name == a.wrapper))
                .and_then(|w| w.id);
            let action = match live_wrapper {
                Some(id) => crate::xnat::wire::action_key(id),
                None => format!("{}/{}", a.command, a.wrapper),
            };
            Launch {
                name: a.name.clone(),
                action,
                event: (
                    a.event.event_class(),
                    Some(a.event.status.clone()),
                    a.event.payload_filter.clone(),
                ),
                projects: a.project.iter().cloned().collect(),
            }
        })
        .collect()
}

/// A note for each pair of subscriptions that would launch the same wrapper twice per event:
/// declared automations, and live subscriptions the repo does not declare (they stay).
pub fn notes(repo: &Repo, obs: &Observed) -> Vec<String> {
    let mut all = declared(repo, obs);
    let names: BTreeSet<&str> = repo
        .automations
        .iter()
        .map(|a| a.spec.name.as_str())
        .collect();
    all.extend(
        obs.subscriptions
            .iter()
            .filter(|s| s.active && !names.contains(s.name.as_str()))
            .map(|s| Launch {
                name: s.name.clone(),
                action: s.action_key.clone(),
                event: (
                    s.event_filter.event_type.clone(),
                    s.event_filter.status.clone(),
                    s.event_filter.payload_filter.clone(),
                ),
                projects: s.event_filter.project_ids.iter().cloned().collect(),
            }),
    );
    let mut out = Vec::new();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            if overlaps(a, b) {
                let status = a.event.1.as_deref().unwrap_or("any status");
                let short = a.event.0.rsplit('.').next().unwrap_or(&a.event.0);
                out.push(format!(
                    "automations `{}` and `{}` launch the same wrapper for the same event ({short} {status}) where both apply: each such event starts it twice",
                    a.name, b.name
                ));
            }
        }
    }
    out
}

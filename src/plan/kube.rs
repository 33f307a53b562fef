//! Image-pull Secrets on a kubernetes backend: per registry with credentials a
//! `kubernetes.io/dockerconfigjson` Secret in the backend's namespace, and the namespace's
//! `default` service account listing them in `imagePullSecrets`. Pure: the observed cluster
//! (with each Secret's content already compared by fingerprint) in, actions and notes out.

use super::record::Fingerprint;
use super::{Action, Change, Op, Step, Target, push_action};
use crate::backend::kube::wire::{self, ClusterState, SERVICE_ACCOUNT};
use crate::model::{BackendKind, Repo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a desired Secret compares with the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Content {
    Same,
    Differs,
    Missing,
    /// The credential cannot be read here (e.g. a pull-request job without the secret).
    Unavailable(String),
}

/// The cluster as a plan sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterView {
    Read {
        state: ClusterState,
        /// By Secret name: each desired Secret against the cluster's.
        content: BTreeMap<String, Content>,
    },
    /// The cluster could not be read (no kubeconfig, unreachable, forbidden).
    Unreadable { namespace: String, message: String },
}

/// The content-hash annotation's value: a salted fingerprint of the Docker config,
/// `<salt>:<hash>`.
pub fn fingerprint_text(f: &Fingerprint) -> String {
    format!("{}:{}", f.salt, f.hash)
}

/// Whether an annotation value is the fingerprint of `content`.
pub fn same_content(annotation: &str, content: &str) -> bool {
    annotation.split_once(':').is_some_and(|(salt, hash)| {
        Fingerprint {
            salt: salt.to_string(),
            hash: hash.to_string(),
        }
        .matches(content)
    })
}

/// The Secrets the repo wants: (registry, Secret name), for a kubernetes backend with a
/// namespace.
pub fn desired(repo: &Repo) -> Option<(String, Vec<(String, String)>)> {
    let b = &repo.backend()?.spec;
    if b.backend != BackendKind::Kubernetes {
        return None;
    }
    let k = b.kubernetes.as_ref()?;
    let secrets = repo
        .registries
        .iter()
        .filter(|r| r.spec.has_credentials())
        .map(|r| {
            let name = wire::secret_name(k.pull_secret.as_deref(), &r.spec.name);
            (r.spec.name.clone(), name)
        })
        .collect();
    Some((k.namespace.clone(), secrets))
}

/// A write of the registry's Secret; its content is never shown.
fn data_changed() -> Vec<Change> {
    vec![Change {
        path: "data".into(),
        before: None,
        after: None,
        sensitive: true,
    }]
}

/// One action per wanted Secret; the ids of those that write.
fn secrets(
    namespace: &str,
    wanted: &[(String, String)],
    content: Option<&BTreeMap<String, Content>>,
    actions: &mut Vec<Action>,
    notes: &mut Vec<String>,
) -> Vec<usize> {
    let mut written = Vec::new();
    for (registry, name) in wanted {
        let c = content
            .and_then(|c| c.get(name).cloned())
            .unwrap_or(Content::Differs);
        let op = match c {
            Content::Same => Op::NoOp,
            Content::Differs => Op::Update,
            Content::Missing => Op::Create,
            Content::Unavailable(why) => {
                notes.push(format!(
                    "registry `{registry}`: its credential cannot be read here ({why}); Secret `{name}` is not compared"
                ));
                Op::NoOp
            }
        };
        let target = Target::PullSecret {
            namespace: namespace.to_string(),
            name: name.clone(),
        };
        if op == Op::NoOp {
            push_action(actions, target, op, Vec::new(), Step::None, Vec::new());
        } else {
            let step = Step::ApplyPullSecret {
                registry: registry.clone(),
            };
            written.push(push_action(
                actions,
                target,
                op,
                data_changed(),
                step,
                Vec::new(),
            ));
        }
    }
    written
}

/// The `default` service account's update, when its list changes (or the namespace could not
/// be read); its id.
fn service_account(
    namespace: &str,
    state: Option<&ClusterState>,
    add: Vec<String>,
    remove: Vec<String>,
    after: Vec<usize>,
    actions: &mut Vec<Action>,
    notes: &mut Vec<String>,
) -> Option<usize> {
    let current = state.and_then(|s| s.pull_secrets.clone());
    if state.is_some() && current.is_none() {
        notes.push(format!(
            "namespace `{namespace}` has no `{SERVICE_ACCOUNT}` service account: xcs does not create it"
        ));
    }
    let merged = current
        .as_ref()
        .map(|c| wire::merged_pull_secrets(c, &add, &remove));
    let changes = match (&current, &merged) {
        (Some(before), Some(after)) if before != after => vec![Change {
            path: "imagePullSecrets".into(),
            before: Some(serde_json::json!(before)),
            after: Some(serde_json::json!(after)),
            sensitive: false,
        }],
        _ => Vec::new(),
    };
    let unread_with_work = state.is_none() && !add.is_empty();
    if changes.is_empty() && !unread_with_work {
        return None;
    }
    let target = Target::ServiceAccount {
        namespace: namespace.to_string(),
        name: SERVICE_ACCOUNT.to_string(),
    };
    let step = Step::SetPullSecrets { add, remove };
    Some(push_action(
        actions,
        target,
        Op::Update,
        changes,
        step,
        after,
    ))
}

/// The Kubernetes actions: Secrets first, then the service account, then (with `prune`)
/// deleting the Secrets xcs made that the repo no longer wants.
pub fn plan(
    repo: &Repo,
    view: Option<&ClusterView>,
    prune: bool,
    actions: &mut Vec<Action>,
    notes: &mut Vec<String>,
) {
    let (Some((namespace, wanted)), Some(view)) = (desired(repo), view) else {
        return;
    };
    let (state, content) = match view {
        ClusterView::Read { state, content } => (Some(state), Some(content)),
        ClusterView::Unreadable { message, .. } => {
            notes.push(format!(
                "cannot read Kubernetes namespace `{namespace}`: {message}; the pull Secrets are planned as writes"
            ));
            (None, None)
        }
    };
    let written = secrets(&namespace, &wanted, content, actions, notes);
    let names: Vec<String> = wanted.iter().map(|(_, n)| n.clone()).collect();
    let stale: Vec<String> = state
        .map(|s| {
            s.secrets
                .iter()
                .filter(|m| !names.contains(&m.name))
                .map(|m| m.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let remove = if prune { stale.clone() } else { Vec::new() };
    let account = service_account(&namespace, state, names, remove, written, actions, notes);
    for name in &stale {
        if prune {
            let target = Target::PullSecret {
                namespace: namespace.clone(),
                name: name.clone(),
            };
            let after = account.into_iter().collect();
            push_action(
                actions,
                target,
                Op::Delete,
                Vec::new(),
                Step::DeletePullSecret,
                after,
            );
        } else {
            notes.push(format!(
                "Secret `{name}` in `{namespace}` was made by xcs and is no longer declared: kept (`--prune` deletes it)"
            ));
        }
    }
}

//! Image-pull Secrets on a kubernetes backend: per registry with credentials a
//! `kubernetes.io/dockerconfigjson` Secret in the backend's namespace, and the namespace's
//! `default` service account listing them in `imagePullSecrets`. Pure: the observed cluster
//! (with each Secret's content already compared by fingerprint) in, actions and notes out.

use super::record::Fingerprint;
use super::{Action, Change, Op, Step, Target};
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

fn push(actions: &mut Vec<Action>, target: Target, op: Op, step: Step, after: Vec<usize>) -> usize {
    let id = actions.len();
    let changes = match &step {
        Step::ApplyPullSecret { .. } => vec![Change {
            path: "data".into(),
            before: None,
            after: None,
            sensitive: true,
        }],
        _ => Vec::new(),
    };
    actions.push(Action {
        id,
        target,
        op,
        changes,
        warnings: Vec::new(),
        after,
        step,
    });
    id
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
    let secret = |name: &str| Target::PullSecret {
        namespace: namespace.clone(),
        name: name.to_string(),
    };
    let mut written = Vec::new();
    for (registry, name) in &wanted {
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
        let step = if op == Op::NoOp {
            Step::None
        } else {
            Step::ApplyPullSecret {
                registry: registry.clone(),
            }
        };
        let id = push(actions, secret(name), op, step, Vec::new());
        if op != Op::NoOp {
            written.push(id);
        }
    }
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
    let current = state.and_then(|s| s.pull_secrets.clone());
    if state.is_some() && current.is_none() {
        notes.push(format!(
            "namespace `{namespace}` has no `{SERVICE_ACCOUNT}` service account: xcs does not create it"
        ));
    }
    let merged = current
        .as_ref()
        .map(|c| wire::merged_pull_secrets(c, &names, &remove));
    let account_changes =
        (state.is_none() && !names.is_empty()) || (current.is_some() && merged != current);
    let account = Target::ServiceAccount {
        namespace: namespace.clone(),
        name: SERVICE_ACCOUNT.to_string(),
    };
    let account_id = if account_changes {
        let step = Step::SetPullSecrets {
            add: names.clone(),
            remove: remove.clone(),
        };
        let id = push(actions, account, Op::Update, step, written);
        if let (Some(before), Some(after), Some(a)) = (current, merged, actions.last_mut()) {
            a.changes.push(Change {
                path: "imagePullSecrets".into(),
                before: Some(serde_json::json!(before)),
                after: Some(serde_json::json!(after)),
                sensitive: false,
            });
        }
        Some(id)
    } else {
        None
    };
    for name in &stale {
        if prune {
            push(
                actions,
                secret(name),
                Op::Delete,
                Step::DeletePullSecret,
                account_id.into_iter().collect(),
            );
        } else {
            notes.push(format!(
                "Secret `{name}` in `{namespace}` was made by xcs and is no longer declared: kept (`--prune` deletes it)"
            ));
        }
    }
}

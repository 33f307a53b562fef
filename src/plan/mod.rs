//! Plans: what to do to make a live XNAT match the repo, as an ordered list of actions with
//! attribute-level changes. Computing a plan is IO-free ([`compute`]); [`plan`] observes the
//! XNAT first.

pub mod compute;
pub mod config_view;
pub mod double_launch;
pub mod images;
pub mod kube;
pub mod matching;
pub mod observed;
pub mod prune;
pub mod record;
pub mod render;
pub mod request;

pub use prune::Prune;

use crate::model::Repo;
use crate::model::secret::SecretError;
use crate::xnat::wire::{CommandConfiguration, Scope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The version of the plan JSON; bumped on incompatible changes.
/// 2: steps carry their requests.
pub const PLAN_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    pub xnat: String,
    pub container_service: String,
    /// Digest of the declarations (and credential states) the plan was made from.
    pub repo_digest: String,
    /// Digest of the live state the plan was made against.
    pub live_digest: String,
    pub actions: Vec<Action>,
    /// Things a reviewer should know that are not actions.
    pub notes: Vec<String>,
    /// Where the plan came from, so `xcs apply plan.json` can check it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<PlanSource>,
    /// A salted, slow fingerprint of every secret value the plan was made with (see
    /// [`secrets_fingerprint`]): a saved plan is applied only with the same secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<crate::plan::record::Fingerprint>,
    /// How the wrappers' state was read (CS's stored documents by one listing per scope, or
    /// per wrapper and why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_via: Option<observed::ReadVia>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSource {
    /// The declaration repo, as an absolute path (so the plan applies from any directory).
    pub dir: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// `true`/`false` in plans saved before `--prune-adopted` existed.
    #[serde(with = "prune_compat")]
    pub prune: Prune,
}

/// Reads `prune` as a boolean (older plans) or as a [`Prune`] name.
mod prune_compat {
    use super::Prune;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(p: &Prune, s: S) -> Result<S::Ok, S::Error> {
        p.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Prune, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Flag(bool),
            Mode(Prune),
        }
        Ok(match Either::deserialize(d)? {
            Either::Flag(true) => Prune::Created,
            Either::Flag(false) => Prune::Keep,
            Either::Mode(m) => m,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Create,
    Update,
    Delete,
    NoOp,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::NoOp => "no-op",
        }
    }
}

/// A declared command, by name and version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CommandKey {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl std::fmt::Display for CommandKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What an action is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Target {
    Registry {
        name: String,
    },
    ComputeBackend {
        name: String,
    },
    Command {
        command: CommandKey,
    },
    Wrapper {
        scope: Scope,
        command: CommandKey,
        wrapper: String,
    },
    EventService,
    Automation {
        name: String,
    },
    /// An image on XNAT's container server (docker, swarm).
    Image {
        image: String,
    },
    /// An image-pull Secret xcs keeps in a kubernetes backend's namespace.
    PullSecret {
        namespace: String,
        name: String,
    },
    /// The service account whose `imagePullSecrets` xcs keeps.
    ServiceAccount {
        namespace: String,
        name: String,
    },
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Registry { name } => write!(f, "registry {name}"),
            Target::ComputeBackend { name } => write!(f, "compute backend {name}"),
            Target::Command { command } => write!(f, "command {command}"),
            Target::Wrapper {
                scope,
                command,
                wrapper,
            } => write!(f, "wrapper {command}/{wrapper} ({scope})"),
            Target::EventService => f.write_str("event service"),
            Target::Automation { name } => write!(f, "automation {name}"),
            Target::Image { image } => write!(f, "image {image}"),
            Target::PullSecret { namespace, name } => {
                write!(f, "kubernetes secret {namespace}/{name}")
            }
            Target::ServiceAccount { namespace, name } => {
                write!(f, "kubernetes service account {namespace}/{name}")
            }
        }
    }
}

/// How an action is carried out: each step holds the request it sends (built by
/// [`request`]), so apply needs nothing but the plan. Secrets appear only as references.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum Step {
    None,
    CreateRegistry {
        request: request::RegistryRequest,
    },
    UpdateRegistry {
        id: i64,
        request: request::RegistryRequest,
    },
    DeleteRegistry {
        id: i64,
    },
    SetBackend {
        body: Value,
    },
    CreateCommand {
        body: Value,
    },
    UpdateCommand {
        id: i64,
        body: Value,
    },
    DeleteCommand {
        id: i64,
    },
    /// Set a wrapper's state at a scope: its flag and/or its stored overrides.
    SetWrapper {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enable: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        config: Option<CommandConfiguration>,
        /// The flag the wrapper should end with (a config write carries it).
        enabled: bool,
    },
    EnableEventService,
    CreateSubscription {
        request: request::SubscriptionRequest,
    },
    UpdateSubscription {
        id: i64,
        /// Only the active flag differs (activate/deactivate, no full update).
        active_only: bool,
        request: request::SubscriptionRequest,
    },
    DeleteSubscription {
        id: i64,
    },
    /// Pull through XNAT (`save-commands=false`), via the named registry's hub, or XNAT's
    /// default hub.
    PullImage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hub: Option<String>,
    },
    /// Load a `docker save` archive into the backend's daemon (xcs does it, not XNAT).
    LoadImageArchive {
        archive: String,
        sha256: String,
    },
    /// Server-side apply the registry's pull Secret (content read when applying).
    ApplyPullSecret {
        registry: String,
    },
    DeletePullSecret,
    /// Make the service account's `imagePullSecrets` include `add` and not `remove`, keeping
    /// the entries others added.
    SetPullSecrets {
        add: Vec<String>,
        remove: Vec<String>,
    },
}

/// One attribute that differs. Secret values never appear: `sensitive` says a credential
/// changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub id: usize,
    pub target: Target,
    pub op: Op,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Consequences a reviewer must see (e.g. a removed wrapper strands its automations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Actions that must succeed first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<usize>,
    pub step: Step,
}

/// Append an action (its id is its index) and return its id.
pub fn push_action(
    actions: &mut Vec<Action>,
    target: Target,
    op: Op,
    changes: Vec<Change>,
    step: Step,
    after: Vec<usize>,
) -> usize {
    let id = actions.len();
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for a in &self.actions {
            match a.op {
                Op::Create => s.create += 1,
                Op::Update => s.update += 1,
                Op::Delete => s.delete += 1,
                Op::NoOp => s.unchanged += 1,
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.actions.iter().any(|a| a.op != Op::NoOp)
    }
}

/// What xcs knows about each registry's credential compared with the record's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialState {
    /// The registry declares no password or token.
    NotDeclared,
    Unchanged,
    /// Changed, or never recorded: it will be sent.
    Changed,
    /// Could not be read here (e.g. the CI secret is not available to this job).
    Unavailable(String),
}

/// Reads an environment variable: the process's, or a test's.
pub type EnvReader = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub struct PlanOptions {
    /// What to delete of what the repo no longer declares.
    pub prune: Prune,
    /// Told how image pulls and loads go, for a progress display.
    pub on_image: Option<std::sync::Arc<dyn Fn(images::ImageEvent) + Send + Sync>>,
    /// Where `${file:…}` references are relative to.
    pub base: PathBuf,
    pub env: EnvReader,
}

impl PlanOptions {
    pub fn new(base: PathBuf) -> PlanOptions {
        PlanOptions {
            prune: Prune::Keep,
            on_image: None,
            base,
            env: Box::new(|name| std::env::var(name).ok()),
        }
    }
}

/// Credential states of every declared registry.
pub fn credential_states(
    repo: &Repo,
    record: &crate::plan::record::Record,
    opts: &PlanOptions,
) -> BTreeMap<String, CredentialState> {
    let mut out = BTreeMap::new();
    for r in &repo.registries {
        let r = &r.spec;
        let state = if !r.has_credentials() {
            CredentialState::NotDeclared
        } else {
            let resolve = |s: &Option<crate::model::SecretRef>| -> Result<Option<crate::model::Secret>, SecretError> {
                s.as_ref().map(|s| s.resolve(&*opts.env, &opts.base)).transpose()
            };
            match (resolve(&r.password), resolve(&r.token)) {
                (Ok(p), Ok(t)) => {
                    let text = crate::plan::record::credential_text(p.as_ref(), t.as_ref());
                    match record.fingerprint(&r.name) {
                        Some(f) if f.matches(&text) => CredentialState::Unchanged,
                        _ => CredentialState::Changed,
                    }
                }
                (Err(e), _) | (_, Err(e)) => CredentialState::Unavailable(e.to_string()),
            }
        };
        out.insert(r.name.clone(), state);
    }
    out
}

/// Every secret value the repo's registries resolve to here, in one text (name order); an
/// unresolvable one counts as its error, so "could not read it" is a value too.
fn secrets_text(repo: &Repo, opts: &PlanOptions) -> String {
    let mut names: Vec<&crate::model::Registry> = repo.registries.iter().map(|r| &r.spec).collect();
    names.sort_by(|a, b| a.name.cmp(&b.name));
    let mut text = String::new();
    for r in names {
        for (field, s) in [("password", &r.password), ("token", &r.token)] {
            let value = match s.as_ref().map(|s| s.resolve(&*opts.env, &opts.base)) {
                None => "-".to_string(),
                Some(Ok(v)) => format!("={}", v.expose()),
                Some(Err(e)) => format!("!{e}"),
            };
            text.push_str(&format!("{}\u{0}{field}\u{0}{value}\u{0}", r.name));
        }
    }
    text
}

/// A salted PBKDF2 fingerprint of the secrets the plan is made with, for `plan --out`.
pub fn secrets_fingerprint(repo: &Repo, opts: &PlanOptions) -> crate::plan::record::Fingerprint {
    crate::plan::record::Fingerprint::new(&secrets_text(repo, opts))
}

/// Whether the secrets resolve now to what a saved plan was made with. A plan that carries no
/// fingerprint (made by an older xcs) matches only a repo without secrets.
pub fn secrets_match(saved: &Plan, repo: &Repo, opts: &PlanOptions) -> bool {
    let has_secrets = repo
        .registries
        .iter()
        .any(|r| r.spec.password.is_some() || r.spec.token.is_some());
    match &saved.secrets {
        Some(f) => f.matches(&secrets_text(repo, opts)),
        None => !has_secrets,
    }
}

/// What this account lacks to carry out `plan`, one sentence each (empty when it has every
/// role needed, or when XNAT would not list its roles). An apply with changes writes the lock
/// and the ownership record, site config-service documents only a site administrator may write
/// (ref core §2); the event service and site automations need the same role (ref core §6, CS
/// §7b); commands, wrappers, registries and the backend need `ContainerManager` from CS 3.7 on
/// (ref CS §0).
pub fn missing_roles(plan: &Plan, caps: &crate::xnat::wire::Capabilities) -> Vec<String> {
    use crate::xnat::wire::{ADMINISTRATOR, CONTAINER_MANAGER};
    let changing = |f: &dyn Fn(&Target) -> bool| {
        plan.actions
            .iter()
            .any(|a| a.op != Op::NoOp && f(&a.target))
    };
    let mut needs: Vec<(&str, &str)> = Vec::new();
    if plan.has_changes() {
        needs.push((
            ADMINISTRATOR,
            "the apply lock and the ownership record (site config-service documents)",
        ));
    }
    // A project's subscriptions are its owner's to write (ref CS §7b); the switch and site-wide
    // ones (and a deletion, whose scope the plan does not carry) are an administrator's.
    let site_level = plan.actions.iter().any(|a| {
        a.op != Op::NoOp
            && match (&a.target, &a.step) {
                (Target::EventService, _) => true,
                (
                    Target::Automation { .. },
                    Step::CreateSubscription { request } | Step::UpdateSubscription { request, .. },
                ) => request.project.is_none(),
                (Target::Automation { .. }, _) => true,
                _ => false,
            }
    });
    if site_level {
        needs.push((ADMINISTRATOR, "the event service and site-wide automations"));
    }
    let managed = |t: &Target| {
        matches!(
            t,
            Target::Registry { .. }
                | Target::ComputeBackend { .. }
                | Target::Command { .. }
                | Target::Wrapper { .. }
        )
    };
    if caps.at_least(3, 7) && changing(&managed) {
        needs.push((
            CONTAINER_MANAGER,
            "commands, wrappers, registries and the compute backend",
        ));
    }
    needs
        .into_iter()
        .filter(|(role, _)| caps.has_role(role) == Some(false))
        .map(|(role, what)| {
            format!(
                "missing role: `{}` lacks the `{role}` role, which apply needs for {what}",
                caps.username
            )
        })
        .collect()
}

pub fn digest(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

//! Carrying out a plan: actions in order, each after the ones it depends on; a failure stops
//! its dependants and the rest goes on; every action ends in the journal as done, failed (with
//! XNAT's message) or skipped. Afterwards the record of what xcs manages is updated in XNAT.

mod images;
mod kube;
pub mod lock;

use crate::model::{Command, Repo, Secret};
use crate::plan::compute::{backend_body, subscription};
use crate::plan::record::{
    Fingerprint, ManagedCommand, ManagedRegistry, ManagedSubscription, Record,
};
use crate::plan::{Action, CommandKey, CredentialState, Op, Plan, PlanOptions, Step, Target};
use crate::xnat::wrappers::Scope;
use crate::xnat::{self, Client, commands, config_service, docker, events, wrappers};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "message", rename_all = "kebab-case")]
pub enum Outcome {
    Done,
    Failed(String),
    Skipped(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub action: usize,
    pub target: String,
    pub op: Op,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Journal {
    pub entries: Vec<Entry>,
    /// Whether the record of managed objects was written (false: unchanged, or writing failed).
    pub record_written: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_error: Option<String>,
}

impl Journal {
    pub fn failed(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Failed(_)))
            .count()
    }
    pub fn skipped(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Skipped(_)))
            .count()
    }
    pub fn done(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.outcome == Outcome::Done)
            .count()
    }
    pub fn ok(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0 && self.record_error.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Xnat(#[from] xnat::XnatError),
    #[error("{0}")]
    Other(String),
}

struct Executor<'a> {
    client: &'a Client,
    repo: &'a Repo,
    opts: &'a PlanOptions,
    state: std::sync::Mutex<Progress>,
}

/// What the run has learnt and done, shared by the actions running at once.
#[derive(Default)]
struct Progress {
    /// Live id of each declared command, by index.
    command_ids: HashMap<usize, i64>,
    wrapper_ids: HashMap<(usize, String), i64>,
    created_subscriptions: BTreeMap<String, i64>,
    deleted_commands: Vec<i64>,
    deleted_subscriptions: Vec<i64>,
    deleted_registries: Vec<String>,
    /// Registries whose credential was sent, with its new fingerprint.
    sent_credentials: BTreeMap<String, Fingerprint>,
    /// Registries created or updated in this run.
    written_registries: Vec<String>,
}

impl Executor<'_> {
    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        // A panic while holding the lock cannot leave the maps half-written in a way that
        // matters here; carry on with what is there.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn command_index(repo: &Repo, key: &CommandKey) -> Option<usize> {
    repo.commands
        .iter()
        .position(|c| c.spec.name == key.name && c.spec.version == key.version)
}

impl Executor<'_> {
    fn secrets(
        &self,
        name: &str,
    ) -> Result<(&crate::model::Registry, Option<Secret>, Option<Secret>), StepError> {
        let r = self
            .repo
            .registries
            .iter()
            .find(|r| r.spec.name == name)
            .map(|r| &r.spec)
            .ok_or_else(|| StepError::Other(format!("registry `{name}` is not declared")))?;
        let resolve = |s: &Option<crate::model::SecretRef>, field: &str| {
            s.as_ref()
                .map(|s| s.resolve(&*self.opts.env, &self.opts.base))
                .transpose()
                .map_err(|e| StepError::Other(format!("registry `{name}` {field}: {e}")))
        };
        Ok((
            r,
            resolve(&r.password, "password")?,
            resolve(&r.token, "token")?,
        ))
    }

    async fn registry(&self, name: &str, id: Option<i64>) -> Result<(), StepError> {
        let (r, password, token) = self.secrets(name)?;
        let body = docker::HubBody {
            name: &r.name,
            url: &r.url,
            username: r.username.as_deref(),
            email: r.email.as_deref(),
            password: password.as_ref(),
            token: token.as_ref(),
        };
        match id {
            None => {
                docker::create_hub(self.client, &body, r.default).await?;
            }
            Some(id) => docker::update_hub(self.client, id, &body, r.default).await?,
        }
        if r.has_credentials() {
            let text = crate::plan::record::credential_text(password.as_ref(), token.as_ref());
            self.progress()
                .sent_credentials
                .insert(name.to_string(), Fingerprint::new(&text));
        }
        self.progress().written_registries.push(name.to_string());
        Ok(())
    }

    /// Learn the wrapper ids of a command from XNAT (after creating or updating it).
    async fn refresh_wrappers(&self, index: usize, id: i64) -> Result<(), StepError> {
        let live: Command = self
            .client
            .get_json(&format!("/xapi/commands/{id}"), &[])
            .await?;
        for w in live.xnat {
            if let Some(wid) = w.id {
                self.progress().wrapper_ids.insert((index, w.name), wid);
            }
        }
        Ok(())
    }

    async fn command(&self, key: &CommandKey, id: Option<i64>) -> Result<(), StepError> {
        let index = command_index(self.repo, key)
            .ok_or_else(|| StepError::Other(format!("command {key} is not declared")))?;
        let spec = &self.repo.commands[index].spec;
        let body = serde_json::to_value(spec).map_err(|e| StepError::Other(e.to_string()))?;
        let id = match id {
            Some(id) => {
                commands::update(self.client, id, &body).await?;
                id
            }
            None => {
                let image = spec.image.as_deref().unwrap_or_default();
                let id = commands::create(
                    self.client,
                    &body,
                    (&spec.name, image, spec.version.as_deref()),
                )
                .await?;
                // XNAT's create binder reads `ipcMode`, not `ipc-mode` (ref §4): set it by update.
                if spec.ipc_mode.is_some() {
                    commands::update(self.client, id, &body).await?;
                }
                id
            }
        };
        self.progress().command_ids.insert(index, id);
        self.refresh_wrappers(index, id).await
    }

    async fn wrapper(
        &self,
        scope: &Scope,
        key: &CommandKey,
        wrapper: &str,
        step: &Step,
    ) -> Result<(), StepError> {
        let Step::SetWrapper {
            enable,
            config,
            enabled,
        } = step
        else {
            return Ok(());
        };
        let index = command_index(self.repo, key)
            .ok_or_else(|| StepError::Other(format!("command {key} is not declared")))?;
        let id = self
            .progress()
            .wrapper_ids
            .get(&(index, wrapper.to_string()))
            .copied()
            .ok_or_else(|| {
                StepError::Other(format!("XNAT has no wrapper `{wrapper}` for command {key}"))
            })?;
        if let Some(config) = config {
            // A config write enables the wrapper unless told not to (ref §5): carry the
            // intended state.
            wrappers::set_config(self.client, scope, id, config, *enabled).await?;
            if *enabled {
                return Ok(());
            }
        }
        if let Some(e) = enable {
            wrappers::set_enabled(self.client, scope, id, *e).await?;
        }
        Ok(())
    }

    async fn automation(&self, name: &str, step: &Step) -> Result<(), StepError> {
        let a = self
            .repo
            .automations
            .iter()
            .find(|a| a.spec.name == name)
            .map(|a| &a.spec)
            .ok_or_else(|| StepError::Other(format!("automation `{name}` is not declared")))?;
        let cmd = self.repo.resolve_command(&a.command).map_err(|_| {
            StepError::Other(format!(
                "automation `{name}`: command `{}` does not resolve",
                a.command
            ))
        })?;
        let index = self
            .repo
            .commands
            .iter()
            .position(|c| std::ptr::eq(c, cmd))
            .unwrap_or(0);
        let wrapper_id = self
            .progress()
            .wrapper_ids
            .get(&(index, a.wrapper.clone()))
            .copied()
            .ok_or_else(|| {
                StepError::Other(format!(
                    "XNAT has no wrapper `{}` for command `{}`",
                    a.wrapper, a.command
                ))
            })?;
        let sub = subscription(a, Some(wrapper_id));
        match step {
            Step::CreateSubscription => {
                let id = events::create(self.client, &sub, a.project.as_deref()).await?;
                self.progress()
                    .created_subscriptions
                    .insert(name.to_string(), id);
            }
            Step::UpdateSubscription { id, active_only } => {
                if !active_only {
                    events::update(self.client, *id, &sub).await?;
                }
                events::set_active(self.client, *id, a.active).await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn run(&self, a: &Action) -> Result<(), StepError> {
        match (&a.target, &a.step) {
            (_, Step::None) => Ok(()),
            (Target::Registry { name }, Step::CreateRegistry) => self.registry(name, None).await,
            (Target::Registry { name }, Step::UpdateRegistry { id }) => {
                self.registry(name, Some(*id)).await
            }
            (Target::Registry { name }, Step::DeleteRegistry { id }) => {
                docker::delete_hub(self.client, *id).await?;
                self.progress().deleted_registries.push(name.clone());
                Ok(())
            }
            (Target::ComputeBackend { .. }, Step::SetBackend) => {
                let b = self
                    .repo
                    .backend()
                    .ok_or_else(|| StepError::Other("no compute backend declared".into()))?;
                docker::set_server(self.client, &backend_body(&b.spec)).await?;
                Ok(())
            }
            (Target::Command { command }, Step::CreateCommand) => self.command(command, None).await,
            (Target::Command { command }, Step::UpdateCommand { id }) => {
                self.command(command, Some(*id)).await
            }
            (Target::Command { .. }, Step::DeleteCommand { id }) => {
                commands::delete(self.client, *id).await?;
                self.progress().deleted_commands.push(*id);
                Ok(())
            }
            (
                Target::Wrapper {
                    scope,
                    command,
                    wrapper,
                },
                step,
            ) => self.wrapper(scope, command, wrapper, step).await,
            (Target::EventService, Step::EnableEventService) => {
                Ok(events::enable(self.client).await?)
            }
            (Target::Automation { .. }, Step::DeleteSubscription { id }) => {
                events::delete(self.client, *id).await?;
                self.progress().deleted_subscriptions.push(*id);
                Ok(())
            }
            (Target::Automation { name }, step) => self.automation(name, step).await,
            (Target::Image { image }, step) => self.image(image, step).await,
            (
                Target::PullSecret { namespace, name } | Target::ServiceAccount { namespace, name },
                step,
            ) => self.kube(namespace, name, step).await,
            (target, step) => Err(StepError::Other(format!("cannot {step:?} on {target}"))),
        }
    }
}

/// Carry out `plan` against `client`. `observed_ids` are the live ids the plan was made with.
pub async fn execute(
    client: &Client,
    repo: &Repo,
    plan: &Plan,
    observed: &crate::plan::observed::Observed,
    credentials: &BTreeMap<String, CredentialState>,
    opts: &PlanOptions,
) -> Journal {
    let pairing = observed.pairing(repo);
    let mut progress = Progress::default();
    for (d, l) in pairing.pairs() {
        let live = &observed.commands[l];
        if let Some(id) = live.id {
            progress.command_ids.insert(d, id);
        }
        for w in &live.xnat {
            if let Some(wid) = w.id {
                progress.wrapper_ids.insert((d, w.name.clone()), wid);
            }
        }
    }
    let ex = Executor {
        client,
        repo,
        opts,
        state: std::sync::Mutex::new(progress),
    };
    let mut journal = Journal::default();
    let mut status: HashMap<usize, bool> = HashMap::new();
    // Actions of one phase do not depend on each other: run them at once (the client bounds
    // requests in flight); phases run in order.
    let mut phases: BTreeMap<u8, Vec<&Action>> = BTreeMap::new();
    for a in plan.actions.iter().filter(|a| a.op != Op::NoOp) {
        phases.entry(phase(a)).or_default().push(a);
    }
    for actions in phases.values() {
        let outcomes = futures_util::future::join_all(actions.iter().map(|a| {
            let blocked = a
                .after
                .iter()
                .find(|dep| status.get(dep) != Some(&true))
                .copied();
            let ex = &ex;
            async move {
                match blocked {
                    Some(dep) => Outcome::Skipped(format!("action {dep} did not succeed")),
                    None => match ex.run(a).await {
                        Ok(()) => Outcome::Done,
                        Err(e) => Outcome::Failed(e.to_string()),
                    },
                }
            }
        }))
        .await;
        for (a, outcome) in actions.iter().zip(outcomes) {
            status.insert(a.id, outcome == Outcome::Done);
            journal.entries.push(Entry {
                action: a.id,
                target: a.target.to_string(),
                op: a.op,
                outcome,
            });
        }
    }
    let progress = ex
        .state
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let record = new_record(repo, observed, credentials, &progress);
    if record != observed.record {
        match config_service::put(client, crate::plan::record::ENTRY, &record.to_text()).await {
            Ok(()) => journal.record_written = true,
            Err(e) => journal.record_error = Some(e.to_string()),
        }
    }
    journal
}

/// The order actions run in: each phase only depends on earlier ones.
fn phase(a: &Action) -> u8 {
    match (&a.target, a.op) {
        (Target::PullSecret { .. }, Op::Delete) => 9,
        (Target::Registry { .. }, Op::Delete) => 8,
        (Target::Command { .. }, Op::Delete) => 7,
        (Target::Automation { .. }, Op::Delete) => 6,
        (
            Target::Registry { .. } | Target::ComputeBackend { .. } | Target::PullSecret { .. },
            _,
        ) => 0,
        (Target::Command { .. } | Target::Image { .. } | Target::ServiceAccount { .. }, _) => 1,
        (
            Target::Wrapper {
                scope: Scope::Site, ..
            },
            _,
        ) => 2,
        (Target::Wrapper { .. }, _) => 3,
        (Target::EventService, _) => 4,
        (Target::Automation { .. }, _) => 5,
    }
}

/// What xcs manages after this run: the declared objects that exist, plus previously managed
/// ones that still exist (so a later `--prune` can delete them).
fn new_record(
    repo: &Repo,
    observed: &crate::plan::observed::Observed,
    credentials: &BTreeMap<String, CredentialState>,
    ex: &Progress,
) -> Record {
    let old = &observed.record;
    let mut record = Record {
        version: crate::plan::record::FORMAT_VERSION,
        ..Record::default()
    };
    for (&index, &id) in &ex.command_ids {
        let c = &repo.commands[index].spec;
        record.commands.push(ManagedCommand {
            id,
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            version: c.version.clone(),
        });
    }
    for c in &old.commands {
        let still_live = observed.commands.iter().any(|l| l.id == Some(c.id));
        if still_live
            && !ex.deleted_commands.contains(&c.id)
            && !record.commands.iter().any(|r| r.id == c.id)
        {
            record.commands.push(c.clone());
        }
    }
    record.commands.sort_by_key(|c| c.id);
    let live_hub = |name: &str| observed.hubs.iter().any(|h| h.name == name);
    for r in &repo.registries {
        let name = &r.spec.name;
        if !live_hub(name) && !ex.written_registries.contains(name) {
            continue;
        }
        let credential = match ex.sent_credentials.get(name) {
            Some(f) => Some(f.clone()),
            None => match credentials.get(name) {
                Some(CredentialState::NotDeclared) => None,
                _ => old.fingerprint(name).cloned(),
            },
        };
        record.registries.push(ManagedRegistry {
            name: name.clone(),
            credential,
        });
    }
    for r in &old.registries {
        if live_hub(&r.name)
            && !ex.deleted_registries.contains(&r.name)
            && !record.manages_registry(&r.name)
        {
            record.registries.push(r.clone());
        }
    }
    for a in &repo.automations {
        let id = ex
            .created_subscriptions
            .get(&a.spec.name)
            .copied()
            .or_else(|| {
                observed
                    .subscriptions
                    .iter()
                    .find(|s| s.name == a.spec.name)
                    .and_then(|s| s.id)
            });
        if let Some(id) = id {
            record.subscriptions.push(ManagedSubscription {
                id,
                name: a.spec.name.clone(),
            });
        }
    }
    for s in &old.subscriptions {
        let live = observed.subscriptions.iter().any(|l| l.id == Some(s.id));
        if live && !ex.deleted_subscriptions.contains(&s.id) && !record.manages_subscription(s.id) {
            record.subscriptions.push(s.clone());
        }
    }
    record
}

pub fn journal_text(j: &Journal) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for e in &j.entries {
        let (verb, detail) = match &e.outcome {
            Outcome::Done => ("done", String::new()),
            Outcome::Failed(m) => ("FAILED", format!(": {m}")),
            Outcome::Skipped(m) => ("skipped", format!(" ({m})")),
        };
        let _ = writeln!(out, "{verb:>8}  {} {}{detail}", e.op.as_str(), e.target);
    }
    if let Some(e) = &j.record_error {
        let _ = writeln!(out, "  FAILED  writing the record of managed objects: {e}");
    }
    let _ = writeln!(
        out,
        "Apply: {} done, {} failed, {} skipped",
        j.done(),
        j.failed(),
        j.skipped()
    );
    out
}

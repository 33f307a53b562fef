//! Carrying out a plan: actions in order, each after the ones it depends on; a failure stops
//! its dependants and the rest goes on; every action ends in the journal as done, failed (with
//! XNAT's message) or skipped. Afterwards the record of what xcs manages is updated in XNAT.

pub mod declarations;
mod images;
mod kube;
pub mod lock;
pub mod run;
mod steps;

use steps::{Executor, Progress, StepError};

use crate::model::Repo;
use crate::plan::record::{ManagedCommand, ManagedRegistry, ManagedSubscription, Origin, Record};
use crate::plan::{Action, CredentialState, Op, Plan, PlanOptions, Target};
use crate::xnat::wrappers::Scope;
use crate::xnat::{Client, config_service};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "message", rename_all = "kebab-case")]
pub enum Outcome {
    Done,
    /// The object was already there (e.g. a subscription of that name): nothing was created;
    /// xcs records it as adopted, so a prune never deletes it.
    Adopted(String),
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
    pub fn adopted(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Adopted(_)))
            .count()
    }
    pub fn ok(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0 && self.record_error.is_none()
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
    let ex = Executor::new(client, repo, opts, Progress::of(repo, observed));
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
                        Ok(None) => Outcome::Done,
                        Ok(Some(m)) => Outcome::Adopted(m),
                        Err(e) => Outcome::Failed(e.to_string()),
                    },
                }
            }
        }))
        .await;
        for (a, outcome) in actions.iter().zip(outcomes) {
            status.insert(a.id, matches!(outcome, Outcome::Done | Outcome::Adopted(_)));
            journal.entries.push(Entry {
                action: a.id,
                target: a.target.to_string(),
                op: a.op,
                outcome,
            });
        }
    }
    let progress = ex.into_progress();
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
    for (key, &id) in &ex.command_ids {
        let origin = match old.commands.iter().find(|o| o.id == id) {
            Some(o) => o.origin,
            None if ex.created_commands.contains(key) => Origin::Created,
            None => Origin::Adopted,
        };
        record.commands.push(ManagedCommand {
            id,
            name: key.name.clone(),
            image: ex.command_images.get(key).cloned().unwrap_or_default(),
            version: key.version.clone(),
            origin,
        });
    }
    for c in &old.commands {
        let still_live = observed.commands.iter().any(|l| l.id == Some(c.id));
        // An adopted object the repo no longer declares is released: forgotten here.
        if still_live
            && c.origin == Origin::Created
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
        let origin = match old.registries.iter().find(|o| &o.name == name) {
            Some(o) => o.origin,
            None if ex.created_registries.contains(name) => Origin::Created,
            None => Origin::Adopted,
        };
        record.registries.push(ManagedRegistry {
            name: name.clone(),
            credential,
            origin,
        });
    }
    for r in &old.registries {
        if live_hub(&r.name)
            && r.origin == Origin::Created
            && !ex.deleted_registries.contains(&r.name)
            && !record.manages_registry(&r.name)
        {
            record.registries.push(r.clone());
        }
    }
    for a in &repo.automations {
        let name = &a.spec.name;
        let found = || {
            ex.adopted_subscriptions.get(name).copied().or_else(|| {
                observed
                    .subscriptions
                    .iter()
                    .find(|s| &s.name == name)
                    .and_then(|s| s.id)
            })
        };
        let (id, origin) = match ex.created_subscriptions.get(name) {
            Some(&id) => (Some(id), Origin::Created),
            None => (found(), Origin::Adopted),
        };
        if let Some(id) = id {
            let origin = old
                .subscriptions
                .iter()
                .find(|o| o.id == id)
                .map_or(origin, |o| o.origin);
            record.subscriptions.push(ManagedSubscription {
                id,
                name: name.clone(),
                origin,
            });
        }
    }
    for s in &old.subscriptions {
        let live = observed.subscriptions.iter().any(|l| l.id == Some(s.id));
        if live
            && s.origin == Origin::Created
            && !ex.deleted_subscriptions.contains(&s.id)
            && !record.manages_subscription(s.id)
        {
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
            Outcome::Adopted(m) => ("adopted", format!(" ({m})")),
            Outcome::Failed(m) => ("FAILED", format!(": {m}")),
            Outcome::Skipped(m) => ("skipped", format!(" ({m})")),
        };
        let _ = writeln!(out, "{verb:>8}  {} {}{detail}", e.op.as_str(), e.target);
    }
    if let Some(e) = &j.record_error {
        let _ = writeln!(out, "  FAILED  writing the record of managed objects: {e}");
    }
    let adopted = match j.adopted() {
        0 => String::new(),
        n => format!(", {n} adopted"),
    };
    let _ = writeln!(
        out,
        "Apply: {} done{adopted}, {} failed, {} skipped",
        j.done(),
        j.failed(),
        j.skipped()
    );
    out
}

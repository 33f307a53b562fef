//! Desired (the repo) against observed (the live XNAT) → ordered actions. Pure: no IO.
//!
//! Order: registries → compute backend → commands → site wrapper state → project wrapper state →
//! event service → automations; then deletions in reverse (automations, commands, registries).

use super::config_view::{materialise, merge, same};
use super::matching::Pairing;
use super::observed::{Observed, ScopeConfig, refers};
use super::request::{RegistryRequest, SubscriptionRequest, command_body};
use super::{
    Action, Change, CommandKey, CredentialState, Op, PLAN_VERSION, Plan, Prune, Step, Target,
    digest,
};
use crate::diff::tree::{self, ListKind};
use crate::model::canonical::{self, Stored};
use crate::model::{
    Automation, Command, ComputeBackend, Repo, Wrapper, WrapperConfig, WrapperSetting,
};
use crate::xnat::wire::{CommandConfiguration, EventFilter, Scope, Subscription, action_key};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub(super) struct Builder<'a> {
    pub(super) repo: &'a Repo,
    pub(super) obs: &'a Observed,
    pub(super) pairing: Pairing,
    stored: Stored,
    pub(super) actions: Vec<Action>,
    pub(super) notes: Vec<String>,
    /// Action id of each command's create/update, by declared index.
    command_action: BTreeMap<usize, usize>,
    /// The action setting a wrapper's state at a scope, by (declared command index, wrapper
    /// name, scope).
    wrapper_actions: BTreeMap<(usize, String, Scope), usize>,
    event_service_action: Option<usize>,
}

impl Builder<'_> {
    pub(super) fn push(
        &mut self,
        target: Target,
        op: Op,
        changes: Vec<Change>,
        step: Step,
        after: Vec<usize>,
    ) -> usize {
        super::push_action(&mut self.actions, target, op, changes, step, after)
    }

    fn key(&self, index: usize) -> CommandKey {
        let c = &self.repo.commands[index].spec;
        CommandKey {
            name: c.name.clone(),
            version: c.version.clone(),
        }
    }

    fn live(&self, index: usize) -> Option<&Command> {
        self.pairing.live_of(index).map(|l| &self.obs.commands[l])
    }

    fn live_wrapper_id(&self, index: usize, wrapper: &str) -> Option<i64> {
        self.live(index)?
            .xnat
            .iter()
            .find(|w| w.name == wrapper)?
            .id
    }
}

pub fn compute(
    repo: &Repo,
    obs: &Observed,
    credentials: &BTreeMap<String, CredentialState>,
    prune: Prune,
    xnat: &str,
) -> Plan {
    let mut b = Builder {
        repo,
        obs,
        pairing: obs.pairing(repo),
        stored: obs.caps.stored(),
        actions: Vec::new(),
        notes: Vec::new(),
        command_action: BTreeMap::new(),
        wrapper_actions: BTreeMap::new(),
        event_service_action: None,
    };
    // `from:` sources reach here resolved: validation reads them from `xcs.lock` and refuses
    // to go on without it, so their commands are among `repo.commands`.
    registries(&mut b, credentials);
    backend(&mut b);
    commands(&mut b);
    if let Some(site) = repo.site() {
        for (i, c) in repo.commands.iter().enumerate() {
            for w in &c.spec.xnat {
                wrapper_state(&mut b, i, w, Scope::Site, &site.spec.wrappers);
            }
        }
    }
    for p in &repo.projects {
        for (i, c) in repo.commands.iter().enumerate() {
            for w in &c.spec.xnat {
                wrapper_state(
                    &mut b,
                    i,
                    w,
                    Scope::Project(p.spec.id.clone()),
                    &p.spec.wrappers,
                );
            }
        }
    }
    automations(&mut b);
    super::prune::prune(&mut b, prune);
    super::images::plan(repo, obs, &mut b.actions, &mut b.notes);
    super::kube::plan(
        repo,
        obs.cluster.as_ref(),
        prune != Prune::Keep,
        &mut b.actions,
        &mut b.notes,
    );
    let repo_digest = digest(&json!({
        "commands": repo.commands.iter().map(|c| &c.spec).collect::<Vec<_>>(),
        "registries": repo.registries.iter().map(|r| &r.spec).collect::<Vec<_>>(),
        "backends": repo.backends.iter().map(|r| &r.spec).collect::<Vec<_>>(),
        "sites": repo.sites.iter().map(|r| &r.spec).collect::<Vec<_>>(),
        "projects": repo.projects.iter().map(|r| &r.spec).collect::<Vec<_>>(),
        "automations": repo.automations.iter().map(|r| &r.spec).collect::<Vec<_>>(),
        "credentials": credentials,
        "prune": prune,
    }));
    Plan {
        version: PLAN_VERSION,
        xnat: xnat.to_string(),
        container_service: obs.caps.cs_version.clone(),
        repo_digest,
        live_digest: digest(obs),
        actions: b.actions,
        notes: b.notes,
        source: None,
        secrets: None,
        read_via: Some(obs.read_via.clone()),
    }
}

fn change(path: impl Into<String>, before: Option<Value>, after: Option<Value>) -> Change {
    Change {
        path: path.into(),
        before,
        after,
        sensitive: false,
    }
}

fn text(v: Option<&str>) -> Option<Value> {
    v.filter(|s| !s.is_empty()).map(|s| json!(s))
}

fn registries(b: &mut Builder, credentials: &BTreeMap<String, CredentialState>) {
    for r in &b.repo.registries {
        let r = &r.spec;
        let target = Target::Registry {
            name: r.name.clone(),
        };
        let cred = credentials
            .get(&r.name)
            .cloned()
            .unwrap_or(CredentialState::NotDeclared);
        let secret_change = || Change {
            path: "credentials".into(),
            before: None,
            after: None,
            sensitive: true,
        };
        match b.obs.hubs.iter().find(|h| h.name == r.name) {
            None => {
                let mut changes = vec![
                    change("url", None, Some(json!(r.url))),
                    change("username", None, text(r.username.as_deref())),
                    change("default", None, Some(json!(r.default))),
                ];
                changes.retain(|c| c.after.is_some());
                if r.has_credentials() {
                    changes.push(secret_change());
                }
                let step = Step::CreateRegistry {
                    request: RegistryRequest::of(r),
                };
                let id = b.push(target, Op::Create, changes, step, vec![]);
                if let CredentialState::Unavailable(why) = cred {
                    b.actions[id].warnings.push(format!(
                        "the credential cannot be read here ({why}); apply needs it"
                    ));
                }
            }
            Some(h) => {
                let mut changes = Vec::new();
                if h.url.trim_end_matches('/') != r.url.trim_end_matches('/') {
                    changes.push(change("url", Some(json!(h.url)), Some(json!(r.url))));
                }
                for (field, live, want) in [
                    ("username", &h.username, &r.username),
                    ("email", &h.email, &r.email),
                ] {
                    if text(live.as_deref()) != text(want.as_deref()) {
                        changes.push(change(field, text(live.as_deref()), text(want.as_deref())));
                    }
                }
                if r.default && !h.default {
                    changes.push(change("default", Some(json!(false)), Some(json!(true))));
                }
                if cred == CredentialState::Changed {
                    changes.push(secret_change());
                }
                let op = if changes.is_empty() {
                    Op::NoOp
                } else {
                    Op::Update
                };
                let step = if changes.is_empty() {
                    Step::None
                } else {
                    Step::UpdateRegistry {
                        id: h.id,
                        request: RegistryRequest::of(r),
                    }
                };
                let id = b.push(target, op, changes, step, vec![]);
                if let CredentialState::Unavailable(why) = cred {
                    b.actions[id].warnings.push(format!("the credential cannot be read here ({why}), so whether it changed is unknown"));
                }
                if !r.default && h.default {
                    b.actions[id].warnings.push("XNAT has it as the default registry; xcs changes the default only to a registry declared `default: true`".into());
                }
            }
        }
    }
}

/// XNAT's server JSON for a declared backend: every field sent (ref §1: omitted booleans are
/// stored false).
pub fn backend_body(b: &ComputeBackend) -> Value {
    let constraints: Vec<Value> = b
        .swarm_constraints
        .iter()
        .map(|c| json!({"user-settable": c.user_settable, "attribute": c.attribute, "comparator": c.comparator, "values": c.values}))
        .collect();
    json!({
        "name": b.name,
        "host": b.host,
        "cert-path": b.cert_path,
        "backend": b.backend.as_str(),
        "path-translation-xnat-prefix": b.path_translation_xnat_prefix,
        "path-translation-docker-prefix": b.path_translation_docker_prefix,
        "pull-images-on-xnat-init": b.pull_images_on_xnat_init,
        "container-user": b.container_user,
        "auto-cleanup": b.auto_cleanup,
        "swarm-constraints": constraints,
        "max-concurrent-finalizing-jobs": b.max_concurrent_finalizing_jobs,
        "status-email-enabled": b.status_email_enabled,
        "gpu-vendor": b.gpu_vendor,
        "archive-pvc-name": b.archive_pvc_name,
        "build-pvc-name": b.build_pvc_name,
        "combined-pvc-name": b.combined_pvc_name,
        "archive-path-translation": b.archive_path_translation,
        "build-path-translation": b.build_path_translation,
        "combined-path-translation": b.combined_path_translation,
    })
}

/// The fields of a server xcs manages, with blanks and nulls (which XNAT does not tell apart)
/// dropped, and read-only ones (`id`, `ping`, `swarm-mode`, constraint ids) left out.
fn server_canonical(v: &Value, keys: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for k in keys.keys() {
        let mut value = v.get(k).cloned().unwrap_or(Value::Null);
        if k == "swarm-constraints"
            && let Value::Array(items) = &mut value
        {
            for item in items.iter_mut() {
                if let Some(o) = item.as_object_mut() {
                    o.remove("id");
                }
            }
        }
        let blank = match &value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        };
        if !blank {
            out.insert(k.clone(), value);
        }
    }
    out
}

fn backend(b: &mut Builder) {
    let Some(decl) = b.repo.backend() else { return };
    let target = Target::ComputeBackend {
        name: decl.spec.name.clone(),
    };
    let body = backend_body(&decl.spec);
    let keys = body.as_object().cloned().unwrap_or_default();
    let want = server_canonical(&body, &keys);
    match &b.obs.server {
        None => {
            let changes = want
                .iter()
                .map(|(k, v)| change(k.clone(), None, Some(v.clone())))
                .collect();
            b.push(
                target,
                Op::Create,
                changes,
                Step::SetBackend { body },
                vec![],
            );
        }
        Some(live) => {
            let have = server_canonical(live, &keys);
            let changes: Vec<Change> = keys
                .keys()
                .filter(|k| have.get(*k) != want.get(*k))
                .map(|k| change(k.clone(), have.get(k).cloned(), want.get(k).cloned()))
                .collect();
            let (op, step) = if changes.is_empty() {
                (Op::NoOp, Step::None)
            } else {
                (Op::Update, Step::SetBackend { body: body.clone() })
            };
            let id = b.push(target, op, changes, step, vec![]);
            if op == Op::Update {
                b.actions[id].warnings.push(
                    "XNAT stores a changed server as a new server row (its id changes)".into(),
                );
            }
        }
    }
}

fn command_lists(key: &str) -> ListKind {
    match key {
        "mounts" | "inputs" | "outputs" | "xnat" | "external-inputs" | "derived-inputs"
        | "output-handlers" => ListKind::Keyed("name"),
        "contexts" | "tags" => ListKind::Set,
        _ => ListKind::Whole,
    }
}

/// Attribute-level changes between two canonical commands.
fn command_changes(live: &Value, want: &Value) -> Vec<Change> {
    tree::diff(Some(live), Some(want), &command_lists, &|k| {
        k == "command-metadata"
    })
    .into_iter()
    .map(|r| change(tree::display(&r.path), r.before, r.after))
    .collect()
}

fn commands(b: &mut Builder) {
    for (i, decl) in b.repo.commands.iter().enumerate() {
        let spec = &decl.spec;
        let key = b.key(i);
        let want =
            serde_json::to_value(canonical::command_as_stored(spec, b.stored)).unwrap_or_default();
        let target = Target::Command {
            command: key.clone(),
        };
        match b.pairing.live_of(i).map(|l| &b.obs.commands[l]) {
            None => {
                let wrappers: Vec<&str> = spec.xnat.iter().map(|w| w.name.as_str()).collect();
                let changes = vec![
                    change("image", None, spec.image.as_deref().map(|s| json!(s))),
                    change("xnat", None, Some(json!(wrappers))),
                ];
                let body = command_body(spec);
                let id = b.push(
                    target,
                    Op::Create,
                    changes,
                    Step::CreateCommand { body },
                    vec![],
                );
                b.command_action.insert(i, id);
                let namesakes: Vec<String> = b
                    .obs
                    .commands
                    .iter()
                    .filter(|c| c.name == spec.name)
                    .map(|c| {
                        format!(
                            "id {} ({} {})",
                            c.id.unwrap_or(0),
                            c.image.as_deref().unwrap_or(""),
                            c.version.as_deref().unwrap_or("no version")
                        )
                    })
                    .collect();
                if !namesakes.is_empty() {
                    b.actions[id].warnings.push(format!(
                        "XNAT already has a command named `{}` that xcs does not manage: {}; it is left alone",
                        spec.name,
                        namesakes.join(", ")
                    ));
                }
            }
            Some(live) => {
                let have = serde_json::to_value(canonical::command_as_stored(live, b.stored))
                    .unwrap_or_default();
                let changes = command_changes(&have, &want);
                let live_id = live.id.unwrap_or(0);
                let (op, step) = if changes.is_empty() {
                    (Op::NoOp, Step::None)
                } else {
                    (
                        Op::Update,
                        Step::UpdateCommand {
                            id: live_id,
                            body: command_body(spec),
                        },
                    )
                };
                let id = b.push(target, op, changes, step, vec![]);
                if op == Op::Update {
                    b.command_action.insert(i, id);
                }
                for w in &live.xnat {
                    if spec.wrapper(&w.name).is_none() {
                        b.actions[id].warnings.push(format!(
                            "wrapper `{}` (id {}) is deleted: its enablement, configuration and automations are lost (a renamed wrapper gets a new id)",
                            w.name,
                            w.id.unwrap_or(0)
                        ));
                    }
                }
                if !live.id.is_some_and(|id| b.obs.record.manages_command(id)) {
                    b.actions[id].warnings.push(format!(
                        "xcs takes over command id {live_id}, created outside xcs"
                    ));
                }
            }
        }
    }
}

/// Expected vs observed view of a wrapper's configuration → changes.
fn config_changes(expected: &CommandConfiguration, observed: &CommandConfiguration) -> Vec<Change> {
    let a = serde_json::to_value(observed).unwrap_or_default();
    let e = serde_json::to_value(expected).unwrap_or_default();
    tree::diff(Some(&a), Some(&e), &|_| ListKind::Whole, &|_| false)
        .into_iter()
        .map(|r| {
            change(
                format!("config.{}", tree::display(&r.path)),
                r.before,
                r.after,
            )
        })
        .collect()
}

fn setting_for<'s>(
    b: &Builder,
    list: &'s [WrapperSetting],
    index: usize,
    wrapper: &str,
) -> Option<&'s WrapperSetting> {
    list.iter()
        .find(|s| s.wrapper == wrapper && refers(b.repo, &s.command, index))
}

/// Restrict a materialised view to the fields a set of overrides sets (when the site's
/// overrides are not managed, a project view can only be checked on what the project sets).
fn only_overridden(view: &CommandConfiguration, overrides: &WrapperConfig) -> CommandConfiguration {
    let mut out = CommandConfiguration::default();
    for (name, o) in &overrides.inputs {
        let Some(v) = view.inputs.get(name) else {
            continue;
        };
        let mut c = crate::xnat::wire::ConfigInput::default();
        if o.default_value.is_some() {
            c.default_value = v.default_value.clone();
        }
        if o.matcher.is_some() {
            c.matcher = v.matcher.clone();
        }
        if o.user_settable.is_some() {
            c.user_settable = v.user_settable;
        }
        if o.advanced.is_some() {
            c.advanced = v.advanced;
        }
        out.inputs.insert(name.clone(), c);
    }
    for (name, o) in &overrides.outputs {
        if o.label.is_some()
            && let Some(v) = view.outputs.get(name)
        {
            out.outputs.insert(name.clone(), v.clone());
        }
    }
    out
}

/// The fallback comparison, when only XNAT's materialised view could be read: the view xcs
/// expects from what it would write (a project's on top of the site's, ref §6) against the one
/// read. It cannot see an override equal to the value it overrides.
fn view_pair(
    b: &Builder,
    index: usize,
    w: &Wrapper,
    scope: &Scope,
    want: &WrapperConfig,
    view: &CommandConfiguration,
) -> (CommandConfiguration, CommandConfiguration) {
    let cmd = &b.repo.commands[index].spec;
    let site_config = match scope {
        Scope::Site => None,
        Scope::Project(_) => b
            .repo
            .site()
            .and_then(|s| setting_for(b, &s.spec.wrappers, index, &w.name))
            .and_then(|s| s.config.as_ref()),
    };
    let expected = materialise(cmd, w, merge(site_config, Some(want)).as_ref());
    // When the site's overrides are not managed, a project is checked on what it sets.
    if matches!(scope, Scope::Project(_)) && site_config.is_none() {
        (
            only_overridden(&expected, want),
            only_overridden(view, want),
        )
    } else {
        (expected, view.clone())
    }
}

/// A wrapper's enablement and configuration at one scope: desired (the Site or Project
/// entry; absent means disabled, an absent `config` means unmanaged) against observed.
fn wrapper_state(
    b: &mut Builder,
    index: usize,
    w: &Wrapper,
    scope: Scope,
    settings: &[WrapperSetting],
) {
    let setting = setting_for(b, settings, index, &w.name);
    let want_enabled = setting.is_some_and(|s| s.enabled);
    let state = b
        .live_wrapper_id(index, &w.name)
        .and_then(|id| b.obs.wrappers.get(&id));
    let have_enabled = match &scope {
        Scope::Site => state.and_then(|s| s.site_enabled).unwrap_or(false),
        Scope::Project(p) => state
            .and_then(|s| s.projects.as_ref())
            .is_some_and(|ps| ps.contains(p)),
    };
    let mut changes = Vec::new();
    let mut config = None;
    if let Some(want) = setting.and_then(|s| s.config.as_ref()) {
        let (expected, observed) = match state.and_then(|s| s.configs.get(&scope)) {
            // CS's document at this scope against exactly what xcs writes there (a project's
            // own overrides; the site's live in the site's document).
            Some(ScopeConfig::Stored(stored)) => (want.clone(), stored.clone()),
            Some(ScopeConfig::View(view)) => view_pair(b, index, w, &scope, want, view),
            // A wrapper XNAT does not have yet stores nothing.
            None => (want.clone(), WrapperConfig::default()),
        };
        if !same(&expected, &observed) {
            changes.extend(config_changes(&expected, &observed));
            config = Some(want.clone());
        }
    }
    let enable = (want_enabled != have_enabled).then_some(want_enabled);
    if let Some(e) = enable {
        changes.insert(0, change("enabled", Some(json!(!e)), Some(json!(e))));
    }
    wrapper_action(
        b,
        index,
        w,
        scope,
        setting.is_some(),
        changes,
        enable,
        config,
        want_enabled,
    );
}

#[allow(clippy::too_many_arguments)]
fn wrapper_action(
    b: &mut Builder,
    index: usize,
    w: &Wrapper,
    scope: Scope,
    declared: bool,
    changes: Vec<Change>,
    enable: Option<bool>,
    config: Option<CommandConfiguration>,
    enabled: bool,
) {
    if changes.is_empty() && !declared {
        return; // an undeclared, disabled wrapper that stays disabled: nothing to say
    }
    let target = Target::Wrapper {
        scope: scope.clone(),
        command: b.key(index),
        wrapper: w.name.clone(),
    };
    // After the command, and for a project, after the site-wide state of the same wrapper.
    let mut after: Vec<usize> = b.command_action.get(&index).copied().into_iter().collect();
    after.extend(
        b.wrapper_actions
            .get(&(index, w.name.clone(), Scope::Site))
            .copied(),
    );
    let key = (index, w.name.clone(), scope.clone());
    let (op, step) = if changes.is_empty() {
        (Op::NoOp, Step::None)
    } else {
        (
            Op::Update,
            Step::SetWrapper {
                enable,
                config,
                enabled,
            },
        )
    };
    let id = b.push(
        target,
        op,
        changes,
        step,
        if op == Op::NoOp { vec![] } else { after },
    );
    if op != Op::NoOp {
        b.wrapper_actions.insert(key, id);
    }
}

/// The subscription XNAT should hold for an automation, given its wrapper's id.
pub fn subscription(a: &Automation, wrapper_id: Option<i64>) -> Subscription {
    Subscription {
        id: None,
        name: a.name.clone(),
        active: a.active,
        action_key: wrapper_id.map(action_key).unwrap_or_default(),
        attributes: a.inputs.clone(),
        event_filter: EventFilter {
            event_type: a.event.event_class(),
            status: Some(a.event.status.clone()),
            project_ids: a.project.iter().cloned().collect(),
            payload_filter: a.event.payload_filter.clone(),
        },
        act_as_event_user: a.act_as_event_user,
    }
}

fn subscription_changes(have: &Subscription, want: &Subscription) -> Vec<Change> {
    let mut h = serde_json::to_value(have).unwrap_or_default();
    let w = serde_json::to_value(want).unwrap_or_default();
    if let Some(o) = h.as_object_mut() {
        o.remove("id");
    }
    tree::diff(Some(&h), Some(&w), &|_| ListKind::Whole, &|_| false)
        .into_iter()
        .map(|r| change(tree::display(&r.path), r.before, r.after))
        .collect()
}

fn automations(b: &mut Builder) {
    if b.repo.automations.is_empty() {
        return;
    }
    if b.obs.events_enabled == Some(false) {
        let id = b.push(
            Target::EventService,
            Op::Update,
            vec![change("enabled", Some(json!(false)), Some(json!(true)))],
            Step::EnableEventService,
            vec![],
        );
        b.actions[id].warnings.push("turning the event service on re-activates every subscription on the site (needs a site admin)".into());
        b.event_service_action = Some(id);
    }
    for a in &b.repo.automations {
        let a = &a.spec;
        let Ok(cmd) = b.repo.resolve_command(&a.command) else {
            continue;
        };
        let Some(index) = b.repo.commands.iter().position(|c| std::ptr::eq(c, cmd)) else {
            continue;
        };
        let wrapper_id = b.live_wrapper_id(index, &a.wrapper);
        let want = subscription(a, wrapper_id);
        let mut after: Vec<usize> = b.command_action.get(&index).copied().into_iter().collect();
        after.extend(
            b.wrapper_actions
                .get(&(index, a.wrapper.clone(), Scope::Site))
                .copied(),
        );
        if let Some(p) = &a.project {
            after.extend(
                b.wrapper_actions
                    .get(&(index, a.wrapper.clone(), Scope::Project(p.clone())))
                    .copied(),
            );
        }
        after.extend(b.event_service_action);
        let target = Target::Automation {
            name: a.name.clone(),
        };
        match b.obs.subscriptions.iter().find(|s| s.name == a.name) {
            None => {
                let changes = vec![
                    change(
                        "event",
                        None,
                        Some(json!(format!(
                            "{} {}",
                            a.event.short_type(),
                            a.event.status
                        ))),
                    ),
                    change(
                        "wrapper",
                        None,
                        Some(json!(format!("{}/{}", a.command, a.wrapper))),
                    ),
                ];
                let request = SubscriptionRequest::of(a, b.key(index), wrapper_id);
                b.push(
                    target,
                    Op::Create,
                    changes,
                    Step::CreateSubscription { request },
                    after,
                );
            }
            Some(live) => {
                let mut want = want;
                let recreated_wrapper = wrapper_id.is_none();
                if recreated_wrapper {
                    want.action_key = "(the wrapper's new id)".into();
                }
                let changes = subscription_changes(live, &want);
                let id = live.id.unwrap_or(0);
                let active_only = changes.iter().all(|c| c.path == "active");
                let (op, step) = if changes.is_empty() {
                    (Op::NoOp, Step::None)
                } else {
                    (
                        Op::Update,
                        Step::UpdateSubscription {
                            id,
                            active_only,
                            request: SubscriptionRequest::of(a, b.key(index), wrapper_id),
                        },
                    )
                };
                b.push(
                    target,
                    op,
                    changes,
                    step,
                    if op == Op::NoOp { vec![] } else { after },
                );
            }
        }
    }
}

//! Rules across documents: names unique, references resolve, enablement adds up.

use super::finding::{Findings, did_you_mean, known_list, suggestion};
use super::rules::*;
use crate::diag::Diagnostic;
use crate::load::Ptr;
use crate::model::automation::{EVENT_CLASS_PREFIX, EVENT_TYPES};
use crate::model::repo::Unresolved;
use crate::model::{Automation, Command, Declared, Origin, Repo, Wrapper, WrapperSetting};
use std::collections::{HashMap, HashSet};

/// A `via-setup-command` / `via-wrapup-command` found in a command, resolved once every
/// document is read.
#[derive(Debug, Clone)]
pub struct ViaRef {
    pub file: std::sync::Arc<str>,
    /// The document's index in its file, and the reference's place in it. Located only when
    /// there is a problem to report (which needs the file parsed again).
    pub doc: usize,
    pub at: Ptr,
    pub reference: String,
    /// `docker-setup` or `docker-wrapup`.
    pub expected_type: &'static str,
}

/// A problem with a [`ViaRef`], to be located by the caller.
pub struct ViaProblem<'v> {
    pub via: &'v ViaRef,
    pub rule: &'static Rule,
    pub message: String,
    pub hint: Option<String>,
}

/// Split `repo/image:tag[:command]` into the image and the optional command name.
pub fn parse_via(reference: &str) -> Option<(String, Option<String>)> {
    let (prefix, tail) = match reference.rfind('/') {
        Some(i) => (&reference[..=i], &reference[i + 1..]),
        None => ("", reference),
    };
    let mut parts = tail.splitn(3, ':');
    let name = parts.next().filter(|s| !s.is_empty())?;
    let tag = parts.next().filter(|s| !s.is_empty())?;
    let command = parts.next().map(str::to_string);
    if command.as_deref() == Some("") {
        return None;
    }
    Some((format!("{prefix}{name}:{tag}"), command))
}

struct Ctx<'a> {
    repo: &'a Repo,
    out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        origin: &Origin,
        pointer: &Ptr,
        on_key: bool,
        rule: &'static Rule,
        message: String,
        hint: Option<String>,
    ) {
        let pos = if on_key {
            origin.locate_key(pointer.as_str())
        } else {
            origin.locate(pointer.as_str())
        };
        self.out.push(rule.at(&origin.file, pos, message, hint));
    }
}

pub fn check(repo: &Repo) -> Vec<Diagnostic> {
    let mut cx = Ctx {
        repo,
        out: Vec::new(),
    };
    commands(&mut cx);
    registries(&mut cx);
    pull_secrets(&mut cx);
    singletons(&mut cx);
    let site_enabled = enablement(&mut cx);
    automations(&mut cx, &site_enabled);
    cx.out
}

fn first_location(d: &Origin) -> String {
    format!("{}:{}", d.file, d.pos.line)
}

fn commands(cx: &mut Ctx) {
    let mut seen: HashMap<(&str, &str, &str), &Origin> = HashMap::new();
    for c in &cx.repo.commands {
        let s = &c.spec;
        let key = (
            s.name.as_str(),
            s.image.as_deref().unwrap_or(""),
            s.version.as_deref().unwrap_or(""),
        );
        if let Some(first) = seen.get(&key) {
            let hint = Some(format!(
                "first declared at {}; change the version to keep both",
                first_location(first)
            ));
            let version = if key.2.is_empty() {
                "no version".to_string()
            } else {
                format!("version {}", key.2)
            };
            cx.push(
                &c.origin,
                &Ptr::root().key("name"),
                false,
                DUPLICATE_COMMAND,
                format!(
                    "command `{}` (image {}, {version}) is declared twice",
                    key.0, key.1
                ),
                hint,
            );
        } else {
            seen.insert(key, &c.origin);
        }
    }
}

fn registries(cx: &mut Ctx) {
    let mut names: HashMap<&str, &Origin> = HashMap::new();
    let mut urls: HashMap<String, &Origin> = HashMap::new();
    let mut default: Option<&Origin> = None;
    for r in &cx.repo.registries {
        if let Some(first) = names.insert(&r.spec.name, &r.origin) {
            cx.push(
                &r.origin,
                &Ptr::root().key("name"),
                false,
                DUPLICATE_DECLARATION,
                format!("registry name `{}` is declared twice", r.spec.name),
                Some(format!("first at {}", first_location(first))),
            );
        }
        let url = r.spec.url.trim_end_matches('/').to_lowercase();
        if let Some(first) = urls.insert(url, &r.origin) {
            cx.push(
                &r.origin,
                &Ptr::root().key("url"),
                false,
                DUPLICATE_DECLARATION,
                format!("registry url `{}` is declared twice", r.spec.url),
                Some(format!(
                    "XNAT keeps one credential set per URL; first at {}",
                    first_location(first)
                )),
            );
        }
        if r.spec.default {
            if let Some(first) = default {
                cx.push(
                    &r.origin,
                    &Ptr::root().key("default"),
                    false,
                    DEFAULT_REGISTRY,
                    format!("registry `{}` is a second default", r.spec.name),
                    Some(format!(
                        "the default is already set at {}",
                        first_location(first)
                    )),
                );
            } else {
                default = Some(&r.origin);
            }
        }
    }
}

/// XNAT hands no registry credentials to Kubernetes: xcs keeps the pull Secrets, but only in
/// a declared namespace. Without one, images from a registry with credentials cannot be pulled.
fn pull_secrets(cx: &mut Ctx) {
    let Some(b) = cx.repo.backend() else {
        return;
    };
    if b.spec.backend != crate::model::BackendKind::Kubernetes || b.spec.kubernetes.is_some() {
        return;
    }
    let names: Vec<&str> = cx
        .repo
        .registries
        .iter()
        .filter(|r| r.spec.has_credentials())
        .map(|r| r.spec.name.as_str())
        .collect();
    if names.is_empty() {
        return;
    }
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let origin = b.origin.clone();
    cx.push(
        &origin,
        &Ptr::root().key("backend"),
        false,
        K8S_CREDENTIALS,
        format!(
            "kubernetes backend without `kubernetes.namespace`: no pull Secret is kept for {list}, and XNAT passes no registry credentials to Kubernetes"
        ),
        Some(
            "add `kubernetes: {namespace: NS}` (the namespace XNAT launches jobs in) and xcs keeps the Secrets there"
                .into(),
        ),
    );
}

fn singletons(cx: &mut Ctx) {
    let extra: Vec<(Origin, &str)> = cx
        .repo
        .sites
        .iter()
        .skip(1)
        .map(|s| (s.origin.clone(), "Site"))
        .chain(
            cx.repo
                .backends
                .iter()
                .skip(1)
                .map(|b| (b.origin.clone(), "ComputeBackend")),
        )
        .collect();
    for (origin, kind) in extra {
        cx.push(
            &origin,
            &Ptr::root().key("kind"),
            false,
            SINGLETON,
            format!("a second {kind}; a repo declares at most one"),
            None,
        );
    }
    let mut ids: HashMap<&str, &Origin> = HashMap::new();
    for p in &cx.repo.projects {
        if let Some(first) = ids.insert(&p.spec.id, &p.origin) {
            cx.push(
                &p.origin,
                &Ptr::root().key("id"),
                false,
                DUPLICATE_DECLARATION,
                format!("project `{}` is declared twice", p.spec.id),
                Some(format!("first at {}", first_location(first))),
            );
        }
    }
    let mut names: HashMap<&str, &Origin> = HashMap::new();
    for a in &cx.repo.automations {
        if let Some(first) = names.insert(&a.spec.name, &a.origin) {
            cx.push(
                &a.origin,
                &Ptr::root().key("name"),
                false,
                DUPLICATE_DECLARATION,
                format!("automation `{}` is declared twice", a.spec.name),
                Some(format!("first at {}", first_location(first))),
            );
        }
    }
}

/// Resolve a command and wrapper named at `base` (which has `command` and `wrapper` keys).
fn resolve<'r>(
    cx: &mut Ctx<'r>,
    origin: &Origin,
    base: &Ptr,
    command: &str,
    wrapper: &str,
) -> Option<(&'r Declared<Command>, &'r Wrapper)> {
    let repo = cx.repo;
    let cmd = match repo.resolve_command(command) {
        Ok(c) => c,
        Err(Unresolved::Unknown) => {
            let hint = did_you_mean(command, repo.commands.iter().map(|c| c.spec.name.as_str()));
            cx.push(
                origin,
                &base.key("command"),
                false,
                UNKNOWN_COMMAND,
                format!("no command `{command}` in this repo"),
                hint,
            );
            return None;
        }
        Err(Unresolved::Ambiguous(versions)) => {
            cx.push(
                origin,
                &base.key("command"),
                false,
                UNKNOWN_COMMAND,
                format!("`{command}` names several commands"),
                Some(format!(
                    "say which: {}",
                    known_list(versions.iter().map(String::as_str))
                )),
            );
            return None;
        }
    };
    match cmd.spec.wrapper(wrapper) {
        Some(w) => Some((cmd, w)),
        None => {
            let names = cmd.spec.xnat.iter().map(|w| w.name.as_str());
            let hint = did_you_mean(wrapper, names.clone())
                .or(Some(format!("its wrappers: {}", known_list(names))));
            cx.push(
                origin,
                &base.key("wrapper"),
                false,
                UNKNOWN_WRAPPER,
                format!("command `{command}` has no wrapper `{wrapper}`"),
                hint,
            );
            None
        }
    }
}

/// Input names a configuration or automation may set: the wrapper's inputs, and command inputs
/// no wrapper input feeds.
pub fn configurable_inputs<'c>(cmd: &'c Command, w: &'c Wrapper) -> Vec<&'c str> {
    let fed: HashSet<&str> = w
        .inputs()
        .filter_map(|i| i.provides_value_for_command_input.as_deref())
        .collect();
    w.inputs()
        .map(|i| i.name.as_str())
        .chain(
            cmd.inputs
                .iter()
                .map(|i| i.name.as_str())
                .filter(|n| !fed.contains(n)),
        )
        .collect()
}

/// When `name` is a select-type command input of this command, whether `value` is one of its
/// choices (a select-many value may be a JSON list of choices).
fn choice_error(cmd: &Command, name: &str, value: &str) -> Option<String> {
    let input = cmd
        .inputs
        .iter()
        .find(|i| i.name == name && i.is_select())?;
    let choices = &input.select_values;
    let ok = |v: &str| choices.iter().any(|c| c == v);
    let valid = match serde_json::from_str::<Vec<String>>(value) {
        Ok(list) if input.input_type() == "select-many" => list.iter().all(|v| ok(v)),
        _ => ok(value),
    };
    (!valid).then(|| {
        format!(
            "`{value}` is not one of the choices of `{name}`: {}",
            known_list(choices.iter().map(String::as_str))
        )
    })
}

type WrapperKey = (String, String);

/// Check Site and Project entries; returns the wrappers enabled site-wide, when a Site is declared.
fn enablement(cx: &mut Ctx) -> Option<HashSet<WrapperKey>> {
    let repo = cx.repo;
    let mut site_enabled: Option<HashSet<WrapperKey>> = None;
    if let Some(site) = repo.site() {
        site_enabled = Some(settings(cx, &site.origin, &site.spec.wrappers));
    }
    for p in &repo.projects {
        let enabled = settings(cx, &p.origin, &p.spec.wrappers);
        if let Some(site) = &site_enabled {
            for (i, s) in p.spec.wrappers.iter().enumerate() {
                let key = wrapper_key(repo, &s.command, &s.wrapper);
                if s.enabled && enabled.contains(&key) && !site.contains(&key) {
                    cx.push(&p.origin, &Ptr::root().key("wrappers").index(i).key("enabled"), false, PROJECT_WITHOUT_SITE,
                        format!("`{}` / `{}` is enabled in project `{}` but not site-wide", s.command, s.wrapper, p.spec.id),
                        Some("XNAT runs a wrapper in a project only if it is also enabled for the site; add it to the Site".into()));
                }
            }
        }
    }
    site_enabled
}

/// A resolved wrapper's identity: the command's (name, version) plus wrapper name.
fn wrapper_key(repo: &Repo, command: &str, wrapper: &str) -> WrapperKey {
    let name = repo
        .resolve_command(command)
        .map(|c| {
            format!(
                "{}@{}",
                c.spec.name,
                c.spec.version.as_deref().unwrap_or("")
            )
        })
        .unwrap_or_else(|_| command.to_string());
    (name, wrapper.to_string())
}

fn settings(cx: &mut Ctx, origin: &Origin, list: &[WrapperSetting]) -> HashSet<WrapperKey> {
    let mut enabled = HashSet::new();
    let mut seen = HashSet::new();
    for (i, s) in list.iter().enumerate() {
        let base = Ptr::root().key("wrappers").index(i);
        let Some((cmd, w)) = resolve(cx, origin, &base, &s.command, &s.wrapper) else {
            continue;
        };
        let key = wrapper_key(cx.repo, &s.command, &s.wrapper);
        if !seen.insert(key.clone()) {
            cx.push(
                origin,
                &base.key("wrapper"),
                false,
                DUPLICATE_DECLARATION,
                format!("`{}` / `{}` is listed twice", s.command, s.wrapper),
                None,
            );
        }
        if s.enabled {
            enabled.insert(key);
        }
        let inputs = configurable_inputs(&cmd.spec, w);
        for name in s.config.iter().flat_map(|c| c.inputs.keys()) {
            if !inputs.contains(&name.as_str()) {
                let hint = did_you_mean(name, inputs.iter().copied()).or(Some(format!(
                    "inputs: {}",
                    known_list(inputs.iter().copied())
                )));
                cx.push(
                    origin,
                    &base.key("config").key("inputs").key(name),
                    true,
                    UNKNOWN_CONFIG_KEY,
                    format!("wrapper `{}` has no input `{name}`", s.wrapper),
                    hint,
                );
            }
        }
        for (name, over) in s.config.iter().flat_map(|c| &c.inputs) {
            if let Some(value) = over.default_value.as_deref()
                && let Some(message) = choice_error(&cmd.spec, name, value)
            {
                cx.push(
                    origin,
                    &base
                        .key("config")
                        .key("inputs")
                        .key(name)
                        .key("default-value"),
                    false,
                    NOT_A_CHOICE,
                    message,
                    None,
                );
            }
        }
        let handlers: Vec<&str> = w.output_handlers.iter().map(|h| h.name.as_str()).collect();
        for name in s.config.iter().flat_map(|c| c.outputs.keys()) {
            if !handlers.contains(&name.as_str()) {
                let hint = did_you_mean(name, handlers.iter().copied()).or(Some(format!(
                    "output handlers: {}",
                    known_list(handlers.iter().copied())
                )));
                cx.push(
                    origin,
                    &base.key("config").key("outputs").key(name),
                    true,
                    UNKNOWN_CONFIG_KEY,
                    format!("wrapper `{}` has no output handler `{name}`", s.wrapper),
                    hint,
                );
            }
        }
    }
    enabled
}

/// The XNAT data types an event of this type carries.
fn context_matches(event: &str, context: &str) -> bool {
    let lower = context.to_lowercase();
    match event {
        "SessionEvent" => lower.ends_with("sessiondata"),
        "ScanEvent" => lower.ends_with("scandata"),
        "SubjectEvent" => lower == "xnat:subjectdata",
        "ProjectEvent" => lower == "xnat:projectdata",
        // Assessor types are many and custom (`xnat:qcAssessmentData`, `icr:roiCollectionData`);
        // without XNAT's type hierarchy, anything that is clearly another kind of object fails.
        "ImageAssessorEvent" | "SubjectAssessorEvent" => {
            !(lower.ends_with("sessiondata")
                || lower.ends_with("scandata")
                || lower == "xnat:subjectdata"
                || lower == "xnat:projectdata"
                || lower == "site")
        }
        _ => true,
    }
}

fn automations(cx: &mut Ctx, site_enabled: &Option<HashSet<WrapperKey>>) {
    let repo = cx.repo;
    for a in &repo.automations {
        let root = Ptr::root();
        let Some((cmd, w)) = resolve(cx, &a.origin, &root, &a.spec.command, &a.spec.wrapper) else {
            continue;
        };
        let key = wrapper_key(repo, &a.spec.command, &a.spec.wrapper);
        let site_ok = site_enabled.as_ref().is_none_or(|s| s.contains(&key));
        if !site_ok {
            cx.push(&a.origin, &root.key("wrapper"), false, AUTOMATION_NOT_ENABLED,
                format!("automation `{}` launches `{}`, which is not enabled site-wide", a.spec.name, a.spec.wrapper),
                Some("enable the wrapper in the Site; XNAT offers a wrapper's action only where it is enabled".into()));
        } else if let Some(project) = a.spec.project.as_deref()
            && let Some(p) = repo.project(project)
        {
            let in_project = p
                .spec
                .wrappers
                .iter()
                .any(|s| s.enabled && wrapper_key(repo, &s.command, &s.wrapper) == key);
            if !in_project {
                cx.push(
                    &a.origin,
                    &root.key("project"),
                    false,
                    AUTOMATION_NOT_ENABLED,
                    format!(
                        "automation `{}` launches `{}`, which project `{project}` does not enable",
                        a.spec.name, a.spec.wrapper
                    ),
                    Some(format!("add it to the Project `{project}` wrappers")),
                );
            }
        }
        let event = a.spec.event.short_type();
        if !w.contexts.is_empty() && !w.contexts.iter().any(|c| context_matches(event, c)) {
            cx.push(
                &a.origin,
                &root.key("event").key("type"),
                false,
                AUTOMATION_CONTEXT,
                format!(
                    "a {event} does not match wrapper `{}` contexts {}",
                    w.name,
                    known_list(w.contexts.iter().map(String::as_str))
                ),
                None,
            );
        }
        let inputs = configurable_inputs(&cmd.spec, w);
        for (name, value) in &a.spec.inputs {
            if let Some(message) = choice_error(&cmd.spec, name, value) {
                cx.push(
                    &a.origin,
                    &root.key("inputs").key(name),
                    false,
                    NOT_A_CHOICE,
                    message,
                    None,
                );
            }
        }
        for name in a.spec.inputs.keys() {
            if !inputs.contains(&name.as_str()) {
                let hint = did_you_mean(name, inputs.iter().copied()).or(Some(format!(
                    "inputs: {}",
                    known_list(inputs.iter().copied())
                )));
                cx.push(
                    &a.origin,
                    &root.key("inputs").key(name),
                    true,
                    AUTOMATION_INPUT,
                    format!("wrapper `{}` has no input `{name}`", w.name),
                    hint,
                );
            }
        }
    }
}

/// Event type and status of one automation (single-document check).
pub fn event_rules(a: &Automation, f: &mut Findings) {
    let root = Ptr::root().key("event");
    let short = a.event.short_type();
    if !EVENT_TYPES.contains(&short)
        || (a.event.event_type.contains('.') && !a.event.event_type.starts_with(EVENT_CLASS_PREFIX))
    {
        f.add(
            EVENT_TYPE,
            &root.key("type"),
            format!(
                "event type `{}` is not one the XNAT event service emits",
                a.event.event_type
            ),
        )
        .hint(suggestion(short, EVENT_TYPES, "use one of"));
    }
    const STATUSES: [&str; 6] = [
        "CREATED",
        "UPDATED",
        "DELETED",
        "MERGED",
        "SCHEDULED",
        "FAILED",
    ];
    if !STATUSES.contains(&a.event.status.as_str()) {
        f.add(
            EVENT_TYPE,
            &root.key("status"),
            format!(
                "event status `{}` is not one the event service uses",
                a.event.status
            ),
        )
        .hint(suggestion(&a.event.status, STATUSES, "use one of"));
    }
}

/// Setup and wrapup references against the repo's commands.
pub fn check_via<'v>(repo: &Repo, via: &'v [ViaRef]) -> Vec<ViaProblem<'v>> {
    let mut out = Vec::new();
    for v in via {
        let mut problem = |rule, message, hint| {
            out.push(ViaProblem {
                via: v,
                rule,
                message,
                hint,
            })
        };
        let Some((image, name)) = parse_via(&v.reference) else {
            problem(
                VIA_COMMAND,
                format!(
                    "`{}` is not `image:tag` or `image:tag:command-name`",
                    v.reference
                ),
                None,
            );
            continue;
        };
        let candidates: Vec<&Command> = repo
            .commands
            .iter()
            .map(|c| &c.spec)
            .filter(|c| c.image.as_deref() == Some(image.as_str()))
            .filter(|c| name.as_deref().is_none_or(|n| c.name == n))
            .collect();
        match candidates.as_slice() {
            [] => problem(
                VIA_COMMAND_UNKNOWN,
                format!("no command in this repo matches `{}`", v.reference),
                Some(format!(
                    "declare the {} command so it is installed with this one",
                    v.expected_type
                )),
            ),
            found => {
                if !found.iter().any(|c| c.command_type() == v.expected_type) {
                    problem(
                        VIA_COMMAND,
                        format!(
                            "`{}` names a `{}` command, not a `{}` one",
                            v.reference,
                            found[0].command_type(),
                            v.expected_type
                        ),
                        None,
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_references_parse() {
        assert_eq!(
            parse_via("xnat/setup:1.0"),
            Some(("xnat/setup:1.0".into(), None))
        );
        assert_eq!(
            parse_via("host:5000/a/b:2:prep"),
            Some(("host:5000/a/b:2".into(), Some("prep".into())))
        );
        assert_eq!(parse_via("xnat/setup"), None);
        assert_eq!(parse_via("xnat/setup:1.0:"), None);
    }
}

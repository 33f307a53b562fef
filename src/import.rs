//! `xcs import`: a declaration repo written from a live XNAT, the way an existing site adopts
//! xcs. It validates clean and plans to no changes against the XNAT it came from.
//!
//! Registry credentials are write-only in XNAT and cannot be imported; the registries are
//! written without them (add `password: ${env:…}` to manage them). Enablement and configuration
//! overrides are CS's stored documents as they are (`xnat::observe_stored`, the reader plans
//! use), so an override equal to the value it overrides stays declared; only where the listing
//! is refused are they inferred from XNAT's materialised views.

pub mod boutiques;

use crate::load::emit;
use crate::model::automation::EVENT_CLASS_PREFIX;
use crate::model::enablement::{InputOverride, OutputOverride};
use crate::model::{Command, Wrapper, WrapperConfig};
use crate::plan::config_view::{materialise, merge};
use crate::xnat::wire::{Hub, Subscription, wrapper_of_action};
use crate::xnat::wrappers::{CommandConfiguration, Scope};
use crate::xnat::{self, Client, docker, events, observe_stored, wrappers};
use futures_util::future::try_join_all;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The files of the imported repo, by path, and what could not be carried over.
#[derive(Debug, Default)]
pub struct Imported {
    pub files: BTreeMap<String, String>,
    pub notes: Vec<String>,
}

/// Recover the stored overrides from a materialised view: the fields that differ from `base`.
pub fn overrides(view: &CommandConfiguration, base: &CommandConfiguration) -> WrapperConfig {
    let mut out = WrapperConfig::default();
    for (name, v) in &view.inputs {
        let b = base.inputs.get(name).cloned().unwrap_or_default();
        if v == &b {
            continue;
        }
        out.inputs.insert(
            name.clone(),
            InputOverride {
                default_value: (v.default_value != b.default_value)
                    .then(|| v.default_value.clone())
                    .flatten(),
                matcher: (v.matcher != b.matcher)
                    .then(|| v.matcher.clone())
                    .flatten(),
                user_settable: if v.user_settable != b.user_settable {
                    v.user_settable
                } else {
                    None
                },
                advanced: v.advanced,
            },
        );
    }
    for (name, v) in &view.outputs {
        if base.outputs.get(name) != Some(v) {
            out.outputs.insert(
                name.clone(),
                OutputOverride {
                    label: v.label.clone(),
                },
            );
        }
    }
    out
}

fn config_value(c: &WrapperConfig) -> Value {
    serde_json::to_value(c).unwrap_or_default()
}

fn document(kind: &str, schema: &str, body: Value) -> String {
    let mut map = Map::new();
    map.insert("kind".into(), json!(kind));
    if let Value::Object(b) = body {
        map.extend(b);
    }
    format!(
        "# yaml-language-server: $schema={schema}\n{}",
        emit::yaml(&Value::Object(map))
    )
}

fn file_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.trim_matches('-').to_string()
}

pub async fn import(client: &Client) -> xnat::Result<Imported> {
    let caps = xnat::probe::probe(client).await?;
    let (commands, hubs, server) = tokio::try_join!(
        xnat::commands::list(client),
        docker::hubs(client),
        docker::server(client)
    )?;
    let mut imported = Imported::default();
    imported.notes.push(format!(
        "imported from {} (Container Service {})",
        client.url(),
        caps.cs_version
    ));
    let refs = References::new(&commands);
    command_files(&commands, &refs, &mut imported);
    registries(&hubs, &mut imported);
    if let Some(server) = &server {
        backend(server, &mut imported);
    }
    enablement(client, &commands, &refs, &mut imported).await?;
    // Automations: event-service subscriptions whose action is a Container Service wrapper.
    if events::enabled(client).await? {
        match events::list(client).await {
            Ok(subscriptions) => automations(&subscriptions, &commands, &refs, &mut imported),
            // Only site administrators may list them (ref CS §7b).
            Err(e) if matches!(e.status(), Some(401 | 403)) => imported.notes.push(format!(
                "the subscriptions could not be read ({e}); no automations were imported"
            )),
            Err(e) => return Err(e),
        }
    }
    schemas(&mut imported);
    Ok(imported)
}

/// How the imported repo names a command: with `@version` when its name is not unique.
struct References<'a> {
    versions: BTreeMap<&'a str, usize>,
}

impl<'a> References<'a> {
    fn new(commands: &'a [Command]) -> References<'a> {
        let mut versions: BTreeMap<&str, usize> = BTreeMap::new();
        for c in commands {
            *versions.entry(c.name.as_str()).or_default() += 1;
        }
        References { versions }
    }

    fn versioned(&self, c: &Command) -> bool {
        self.versions.get(c.name.as_str()).copied().unwrap_or(0) > 1
    }

    fn reference(&self, c: &Command) -> String {
        if self.versioned(c) {
            format!("{}@{}", c.name, c.version.as_deref().unwrap_or(""))
        } else {
            c.name.clone()
        }
    }
}

/// `commands/<name>.yaml` for every command, without XNAT's ids and hash.
fn command_files(commands: &[Command], refs: &References<'_>, imported: &mut Imported) {
    for c in commands {
        let mut v = serde_json::to_value(c).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("id");
            o.remove("hash");
            if let Some(Value::Array(ws)) = o.get_mut("xnat") {
                for w in ws {
                    if let Some(w) = w.as_object_mut() {
                        w.remove("id");
                    }
                }
            }
        }
        let name = if refs.versioned(c) {
            format!(
                "{}-{}",
                c.name,
                c.version.as_deref().unwrap_or("unversioned")
            )
        } else {
            c.name.clone()
        };
        imported.files.insert(
            format!("commands/{}.yaml", file_name(&name)),
            document("Command", "../.xcs/schemas/command.schema.json", v),
        );
    }
}

/// `registries.yaml`: every image host, without its write-only credentials.
fn registries(hubs: &[Hub], imported: &mut Imported) {
    let mut registries = Vec::new();
    for h in hubs {
        let mut body = json!({"name": h.name, "url": h.url, "default": h.default});
        if let Some(o) = body.as_object_mut() {
            if let Some(u) = h.username.as_deref().filter(|u| !u.is_empty()) {
                o.insert("username".into(), json!(u));
                imported.notes.push(format!(
                    "registry `{}`: its credentials are write-only in XNAT; add `password: ${{env:…}}` to manage them",
                    h.name
                ));
            }
            if let Some(e) = h.email.as_deref().filter(|e| !e.is_empty()) {
                o.insert("email".into(), json!(e));
            }
        }
        registries.push(document(
            "Registry",
            ".xcs/schemas/registry.schema.json",
            body,
        ));
    }
    if !registries.is_empty() {
        imported
            .files
            .insert("registries.yaml".into(), registries.join("---\n"));
    }
}

/// `backend.yaml`: the compute backend, its blank fields left out.
fn backend(s: &Value, imported: &mut Imported) {
    let mut body = Map::new();
    for key in [
        "name",
        "backend",
        "host",
        "cert-path",
        "path-translation-xnat-prefix",
        "path-translation-docker-prefix",
        "pull-images-on-xnat-init",
        "container-user",
        "auto-cleanup",
        "swarm-constraints",
        "max-concurrent-finalizing-jobs",
        "status-email-enabled",
        "gpu-vendor",
        "archive-pvc-name",
        "build-pvc-name",
        "combined-pvc-name",
        "archive-path-translation",
        "build-path-translation",
        "combined-path-translation",
    ] {
        let Some(mut v) = s.get(key).cloned() else {
            continue;
        };
        if key == "swarm-constraints"
            && let Value::Array(items) = &mut v
        {
            for item in items.iter_mut() {
                if let Some(o) = item.as_object_mut() {
                    o.remove("id");
                }
            }
        }
        let blank = matches!(&v, Value::Null)
            || v.as_str() == Some("")
            || v.as_array().is_some_and(Vec::is_empty);
        if !blank {
            body.insert(key.into(), v);
        }
    }
    for key in [
        "pull-images-on-xnat-init",
        "auto-cleanup",
        "status-email-enabled",
    ] {
        body.entry(key.to_string()).or_insert(json!(false));
    }
    imported.files.insert(
        "backend.yaml".into(),
        document(
            "ComputeBackend",
            ".xcs/schemas/compute-backend.schema.json",
            Value::Object(body),
        ),
    );
}

/// One wrapper's state at one scope, as the imported repo declares it.
struct ScopeEntry {
    /// Command index, wrapper index.
    at: (usize, usize),
    enabled: bool,
    overrides: WrapperConfig,
}

/// `site.yaml` and `projects/<id>.yaml`: where each wrapper is enabled and its configuration
/// overrides — CS's stored documents as they are, or, where they cannot be listed, recovered
/// from XNAT's materialised views (and said so in the notes).
async fn enablement(
    client: &Client,
    commands: &[Command],
    refs: &References<'_>,
    imported: &mut Imported,
) -> xnat::Result<()> {
    let ids = wrapper_ids(commands);
    let projects = observe_stored::project_ids(client).await?;
    let (site, by_project) = match observe_stored::documents(client, &projects).await? {
        Ok(docs) => stored_entries(&docs, &ids, &projects),
        Err(why) => {
            imported.notes.push(format!(
                "CS's stored wrapper documents could not be listed ({why}): the configuration overrides were recovered from XNAT's materialised views instead, where an override equal to the value it overrides cannot be seen"
            ));
            inferred_entries(client, commands, &ids).await?
        }
    };
    let entry = |e: &ScopeEntry| {
        let (c, w) = (&commands[e.at.0], &commands[e.at.0].xnat[e.at.1]);
        let mut v = json!({"command": refs.reference(c), "wrapper": w.name, "enabled": e.enabled});
        if !e.overrides.is_empty() {
            v["config"] = config_value(&e.overrides);
        }
        v
    };
    if !site.is_empty() {
        imported.files.insert(
            "site.yaml".into(),
            document(
                "Site",
                ".xcs/schemas/site.schema.json",
                json!({"wrappers": site.iter().map(entry).collect::<Vec<_>>()}),
            ),
        );
    }
    for (id, entries) in by_project {
        imported.files.insert(
            format!("projects/{}.yaml", file_name(&id)),
            document(
                "Project",
                "../.xcs/schemas/project.schema.json",
                json!({"id": id, "wrappers": entries.iter().map(entry).collect::<Vec<_>>()}),
            ),
        );
    }
    Ok(())
}

type Entries = (Vec<ScopeEntry>, BTreeMap<String, Vec<ScopeEntry>>);

/// Every wrapper XNAT has, by (command index, wrapper index, wrapper id).
fn wrapper_ids(commands: &[Command]) -> Vec<(usize, usize, i64)> {
    commands
        .iter()
        .enumerate()
        .flat_map(|(ci, c)| {
            c.xnat
                .iter()
                .enumerate()
                .filter_map(move |(wi, w)| w.id.map(|id| (ci, wi, id)))
        })
        .collect()
}

/// The entries the stored documents say: per scope, the flag as CS reads it and exactly the
/// overrides stored there — one equal to the inherited value included. A scope is declared
/// where the wrapper is enabled or something is stored.
fn stored_entries(
    docs: &observe_stored::Documents,
    ids: &[(usize, usize, i64)],
    projects: &[String],
) -> Entries {
    let mut site = Vec::new();
    let mut by_project: BTreeMap<String, Vec<ScopeEntry>> = BTreeMap::new();
    for &(ci, wi, id) in ids {
        let e = ScopeEntry {
            at: (ci, wi),
            enabled: docs.site_enabled(id),
            overrides: docs.overrides(&Scope::Site, id),
        };
        if e.enabled || !e.overrides.is_empty() {
            site.push(e);
        }
        for p in projects {
            let e = ScopeEntry {
                at: (ci, wi),
                enabled: docs.project_flag(p, id),
                overrides: docs.overrides(&Scope::Project(p.clone()), id),
            };
            if e.enabled || !e.overrides.is_empty() {
                by_project.entry(p.clone()).or_default().push(e);
            }
        }
    }
    (site, by_project)
}

/// The fallback: flags from the per-wrapper reads and overrides inferred from the materialised
/// views (what differs from the wrapper's own values, then from the site's view).
async fn inferred_entries(
    client: &Client,
    commands: &[Command],
    ids: &[(usize, usize, i64)],
) -> xnat::Result<Entries> {
    let states = try_join_all(ids.iter().map(|&(_, _, id)| async move {
        tokio::try_join!(
            wrappers::site_enabled(client, id),
            wrappers::config(client, &Scope::Site, id),
            wrappers::enabled_projects(client, id),
        )
    }))
    .await?;
    let mut site = Vec::new();
    let mut project_reads = Vec::new();
    for (&(ci, wi, id), (site_enabled, site_view, projects)) in ids.iter().zip(states) {
        let (c, w) = (&commands[ci], &commands[ci].xnat[wi]);
        let site_overrides = overrides(&site_view, &materialise(c, w, None));
        for p in projects {
            project_reads.push((ci, wi, id, p, site_overrides.clone()));
        }
        if site_enabled || !site_overrides.is_empty() {
            site.push(ScopeEntry {
                at: (ci, wi),
                enabled: site_enabled,
                overrides: site_overrides,
            });
        }
    }
    let project_views = try_join_all(project_reads.iter().map(|(_, _, id, p, _)| async move {
        wrappers::config(client, &Scope::Project(p.clone()), *id).await
    }))
    .await?;
    let mut by_project: BTreeMap<String, Vec<ScopeEntry>> = BTreeMap::new();
    for ((ci, wi, _, p, site_overrides), view) in project_reads.into_iter().zip(project_views) {
        let (c, w): (&Command, &Wrapper) = (&commands[ci], &commands[ci].xnat[wi]);
        let site_side = materialise(c, w, merge(Some(&site_overrides), None).as_ref());
        by_project.entry(p).or_default().push(ScopeEntry {
            at: (ci, wi),
            enabled: true,
            overrides: overrides(&view, &site_side),
        });
    }
    Ok((site, by_project))
}

/// `automations.yaml`: subscriptions whose action is a Container Service wrapper.
fn automations(
    subscriptions: &[Subscription],
    commands: &[Command],
    refs: &References<'_>,
    imported: &mut Imported,
) {
    let mut docs = Vec::new();
    for s in subscriptions {
        let Some(wid) = wrapper_of_action(&s.action_key) else {
            imported.notes.push(format!(
                "subscription `{}` runs `{}`, not a Container Service wrapper; not imported",
                s.name, s.action_key
            ));
            continue;
        };
        let Some((c, w)) = commands
            .iter()
            .find_map(|c| c.xnat.iter().find(|w| w.id == Some(wid)).map(|w| (c, w)))
        else {
            imported.notes.push(format!(
                "subscription `{}` names wrapper id {wid}, which no longer exists; not imported",
                s.name
            ));
            continue;
        };
        if s.event_filter.project_ids.len() > 1 {
            imported.notes.push(format!("subscription `{}` covers several projects; xcs declares one project per automation; not imported", s.name));
            continue;
        }
        let event_type = s
            .event_filter
            .event_type
            .strip_prefix(EVENT_CLASS_PREFIX)
            .unwrap_or(&s.event_filter.event_type);
        let mut body = json!({
            "name": s.name,
            "event": {"type": event_type, "status": s.event_filter.status.clone().unwrap_or_default()},
            "command": refs.reference(c),
            "wrapper": w.name,
            "active": s.active,
        });
        if let Some(p) = s.event_filter.project_ids.first() {
            body["project"] = json!(p);
        }
        if let Some(f) = &s.event_filter.payload_filter {
            body["event"]["payload-filter"] = json!(f);
        }
        if !s.attributes.is_empty() {
            body["inputs"] = json!(s.attributes);
        }
        if s.act_as_event_user {
            body["act-as-event-user"] = json!(true);
        }
        docs.push(document(
            "Automation",
            ".xcs/schemas/automation.schema.json",
            body,
        ));
    }
    if !docs.is_empty() {
        imported
            .files
            .insert("automations.yaml".into(), docs.join("---\n"));
    }
}

/// The schemas editors validate against, beside the declarations (a hidden directory, which
/// the loader skips).
fn schemas(imported: &mut Imported) {
    for kind in crate::model::Kind::ALL {
        let text = serde_json::to_string_pretty(&crate::model::json_schema::schema(kind))
            .unwrap_or_default()
            + "\n";
        imported
            .files
            .insert(format!(".xcs/schemas/{}", kind.schema_file()), text);
    }
}

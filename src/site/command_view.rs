//! One command as its page shows it: everything the templates need, already in plain words,
//! masked, and free of markup (the templates escape every string).

use super::chain::{Chain, Helper, UsedBy, chains, provides};
use super::command_line::{Segment, segments};
pub use super::command_line::{anchor, wrapper_anchor};
use super::history::Change;
use super::words::{self, Context, ImageRef};
use crate::model::credential::{WITHHELD, sensitive_inputs, withhold};
use crate::model::{Command, Wrapper, WrapperInput};
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize)]
pub struct CommandView {
    pub slug: String,
    /// Relative to the site root, e.g. `commands/dcm2niix/`.
    pub url: String,
    pub name: String,
    pub label: Option<String>,
    /// The label, or the name when there is none.
    pub title: String,
    pub version: Option<String>,
    pub description: Option<String>,
    /// One line for lists and search results.
    pub summary: String,
    pub info_url: Option<String>,
    /// False for an info URL that is not http(s): shown as text, never as a link.
    pub info_url_is_link: bool,
    pub image: Option<ImageRef>,
    pub image_slug: Option<String>,
    /// The registry the image is pulled from: a declared registry's name, or the host.
    pub registry: Option<String>,
    pub hash: Option<String>,
    pub command_type: String,
    pub visibility: String,
    pub schema_version: Option<String>,
    pub working_directory: Option<String>,
    pub container_name: Option<String>,
    pub override_entrypoint: Option<bool>,
    pub command_line: Vec<Segment>,
    pub inputs: Vec<InputRow>,
    pub outputs: Vec<OutputRow>,
    pub mounts: Vec<MountRow>,
    pub env: Vec<EnvRow>,
    pub secrets: Vec<SecretRow>,
    pub ports: Vec<(String, String)>,
    pub resources: Vec<(String, String)>,
    /// Why the command needs a GPU, when it does.
    pub gpu: Option<String>,
    pub memory_bucket: &'static str,
    pub wrappers: Vec<WrapperView>,
    /// Every wrapper's contexts, once each.
    pub contexts: Vec<Context>,
    pub tags: Vec<String>,
    /// `command-metadata`, pretty-printed.
    pub metadata: Option<String>,
    /// Declaration file, relative to the repo.
    pub source_file: String,
    /// Other documents share the file (its history is the file's).
    pub shares_file: bool,
    pub history: Vec<Change>,
    /// XNAT's Command JSON as published (masked), for the JSON API.
    #[serde(skip)]
    pub json: serde_json::Value,
    // Filled in by the catalog, which sees the whole repo.
    pub site_wrappers: Vec<String>,
    pub projects: Vec<ProjectUse>,
    pub automations: Vec<String>,
    /// For setup and wrap-up commands: the commands that run this one.
    pub used_by: Vec<UsedBy>,
    /// Licence, authors, contact, citation, source: the header people read first.
    pub about: super::about::About,
    /// The page of all versions, when the repo holds several.
    pub versions_url: Option<String>,
    pub version_count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputRow {
    pub name: String,
    pub label: Option<String>,
    pub key: String,
    pub input_type: String,
    pub required: bool,
    pub default: Option<String>,
    pub flag: Option<String>,
    /// "yes", "no", or which wrapper input sets it.
    pub user_settable: String,
    pub description: Option<String>,
    pub choices: Vec<String>,
    pub sensitive: bool,
    /// Wrapper inputs that provide the value, as `wrapper / input`.
    pub fed_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputRow {
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
    pub mount: String,
    /// Where in the container, e.g. `/output/*.nii*`.
    pub location: String,
    pub handled_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MountRow {
    pub name: String,
    pub path: String,
    pub writable: bool,
    pub fed_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvRow {
    pub name: String,
    pub value: String,
    pub withheld: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretRow {
    pub property: String,
    pub env: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WrapperView {
    pub name: String,
    pub anchor: String,
    pub label: Option<String>,
    pub description: Option<String>,
    pub contexts: Vec<Context>,
    pub external_inputs: Vec<WrapperInputRow>,
    pub derived_inputs: Vec<WrapperInputRow>,
    /// Each input that provides something, traced back to the object the wrapper runs on.
    pub chains: Vec<Chain>,
    pub handlers: Vec<HandlerView>,
    // Filled in by the catalog.
    pub site_enabled: bool,
    pub projects: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WrapperInputRow {
    pub name: String,
    pub input_type: String,
    pub required: bool,
    pub default: Option<String>,
    pub user_settable: String,
    pub description: Option<String>,
    pub matcher: Option<String>,
    pub derived_from: Option<String>,
    pub property: Option<String>,
    pub provides: Option<String>,
    pub multiple: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandlerView {
    pub name: String,
    pub output: String,
    pub output_location: Option<String>,
    pub handler_type: String,
    pub label: Option<String>,
    pub format: Option<String>,
    pub content: Option<String>,
    pub xsi_type: Option<String>,
    pub tags: Vec<String>,
    pub parent: String,
    pub parent_type: Option<String>,
    pub via_wrapup: Option<Helper>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectUse {
    pub id: String,
    pub slug: String,
    pub wrappers: Vec<String>,
}

impl CommandView {
    pub fn new(
        declared: &Command,
        slug: String,
        source_file: &str,
        history: &[Change],
    ) -> CommandView {
        let cmd = withhold(declared);
        let sensitive = sensitive_inputs(&cmd);
        let image = cmd.image.as_deref().map(words::image_ref);
        let image_slug = image.as_ref().map(image_slug);
        let mut json = serde_json::to_value(&cmd).unwrap_or_default();
        if let serde_json::Value::Object(fields) = &mut json {
            // Server-assigned; XNAT ignores them on create.
            fields.remove("id");
        }
        let contexts = {
            let mut seen = HashSet::new();
            cmd.xnat
                .iter()
                .flat_map(|w| &w.contexts)
                .filter(|c| seen.insert(c.as_str()))
                .map(|c| words::context(c))
                .collect()
        };
        let title = cmd
            .label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| cmd.name.clone());
        let summary = cmd
            .description
            .as_deref()
            .map(|d| words::summary(d, 160))
            .unwrap_or_default();
        let memory = cmd.limit_memory.or(cmd.reserve_memory);
        CommandView {
            url: format!("commands/{slug}/"),
            slug,
            name: cmd.name.clone(),
            label: cmd.label.clone(),
            title,
            version: cmd.version.clone(),
            description: cmd.description.clone(),
            summary,
            info_url_is_link: cmd.info_url.as_deref().is_some_and(words::is_web_url),
            info_url: cmd.info_url.clone(),
            image,
            image_slug,
            registry: None,
            hash: cmd.hash.clone(),
            command_type: cmd.command_type().to_string(),
            visibility: cmd
                .visibility
                .clone()
                .unwrap_or_else(|| "public".to_string()),
            schema_version: cmd.schema_version.clone(),
            working_directory: cmd.working_directory.clone(),
            container_name: cmd.container_name.clone(),
            override_entrypoint: cmd.override_entrypoint,
            command_line: segments(&cmd),
            inputs: input_rows(&cmd, &sensitive),
            outputs: output_rows(&cmd),
            mounts: mount_rows(&cmd),
            env: cmd
                .environment_variables
                .iter()
                .map(|(k, v)| EnvRow {
                    name: k.clone(),
                    withheld: v == WITHHELD,
                    value: v.clone(),
                })
                .collect(),
            secrets: cmd
                .secrets
                .iter()
                .map(|s| SecretRow {
                    property: s.source.identifier.clone(),
                    env: s.destination.identifier.clone(),
                })
                .collect(),
            ports: cmd
                .ports
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            resources: resources(&cmd),
            gpu: gpu(&cmd),
            memory_bucket: words::memory_bucket(memory),
            wrappers: cmd
                .xnat
                .iter()
                .map(|w| wrapper_view(&cmd, w, &sensitive))
                .collect(),
            contexts,
            tags: tags(&cmd),
            metadata: cmd
                .command_metadata
                .as_ref()
                .filter(|m| !m.is_null())
                .map(|m| serde_json::to_string_pretty(m).unwrap_or_default()),
            source_file: source_file.to_string(),
            shares_file: false,
            history: history.to_vec(),
            json,
            site_wrappers: Vec::new(),
            projects: Vec::new(),
            automations: Vec::new(),
            used_by: Vec::new(),
            versions_url: None,
            version_count: 1,
            about: super::about::about(&cmd),
        }
    }

    pub fn added(&self) -> Option<&Change> {
        self.history.last()
    }

    pub fn needs_gpu(&self) -> bool {
        self.gpu.is_some()
    }
}

pub fn image_slug(image: &ImageRef) -> String {
    if image.host == words::DOCKER_HUB {
        words::slug(&image.repository)
    } else {
        words::slug(&format!("{}/{}", image.host, image.repository))
    }
}

fn shown_default(value: Option<&str>, sensitive: bool) -> Option<String> {
    value.map(|v| {
        if sensitive {
            WITHHELD.to_string()
        } else {
            v.to_string()
        }
    })
}

fn input_rows(cmd: &Command, sensitive: &HashSet<String>) -> Vec<InputRow> {
    cmd.inputs
        .iter()
        .map(|i| {
            let feeders: Vec<(&Wrapper, &WrapperInput)> = cmd
                .xnat
                .iter()
                .flat_map(|w| w.inputs().map(move |wi| (w, wi)))
                .filter(|(_, wi)| wi.provides_value_for_command_input.as_deref() == Some(&i.name))
                .collect();
            let user_settable = if feeders.is_empty() {
                "yes".to_string()
            } else if feeders
                .iter()
                .all(|(_, wi)| wi.user_settable == Some(false))
            {
                "no (set by the wrapper)".to_string()
            } else {
                "via the wrapper input".to_string()
            };
            InputRow {
                name: i.name.clone(),
                label: i.label.clone(),
                key: i.key(),
                input_type: i.input_type().to_string(),
                required: i.required.unwrap_or(false),
                default: shown_default(i.default_value.as_deref(), sensitive.contains(&i.name)),
                flag: i.command_line_flag.clone().filter(|f| !f.is_empty()),
                user_settable,
                description: i.description.clone(),
                choices: i.select_values.clone(),
                sensitive: i.sensitive == Some(true),
                fed_by: feeders
                    .iter()
                    .map(|(w, wi)| format!("{} / {}", w.name, wi.name))
                    .collect(),
            }
        })
        .collect()
}

fn output_location(cmd: &Command, mount: &str, path: Option<&str>, glob: Option<&str>) -> String {
    let base = cmd
        .mounts
        .iter()
        .find(|m| m.name == mount)
        .and_then(|m| m.path.clone())
        .unwrap_or_else(|| format!("<{mount}>"));
    let mut location = base.trim_end_matches('/').to_string();
    for part in [path, glob].into_iter().flatten() {
        let part = part.trim_matches('/');
        if !part.is_empty() && part != "." {
            location.push('/');
            location.push_str(part);
        }
    }
    if location.is_empty() {
        "/".to_string()
    } else {
        location
    }
}

fn output_rows(cmd: &Command) -> Vec<OutputRow> {
    cmd.outputs
        .iter()
        .map(|o| OutputRow {
            name: o.name.clone(),
            description: o.description.clone(),
            required: o.required.unwrap_or(false),
            mount: o.mount.clone(),
            location: output_location(cmd, &o.mount, o.path.as_deref(), o.glob.as_deref()),
            handled_by: cmd
                .xnat
                .iter()
                .flat_map(|w| {
                    w.output_handlers
                        .iter()
                        .filter(|h| h.accepts_command_output == o.name)
                        .map(move |h| format!("{} / {}", w.name, h.name))
                })
                .collect(),
        })
        .collect()
}

fn mount_rows(cmd: &Command) -> Vec<MountRow> {
    cmd.mounts
        .iter()
        .map(|m| MountRow {
            name: m.name.clone(),
            path: m.path.clone().unwrap_or_default(),
            writable: m.writable,
            fed_by: cmd
                .xnat
                .iter()
                .flat_map(|w| {
                    w.inputs()
                        .filter(|i| i.provides_files_for_command_mount.as_deref() == Some(&m.name))
                        .map(move |i| format!("{} / {}", w.name, i.name))
                })
                .collect(),
        })
        .collect()
}

fn resources(cmd: &Command) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let Some(m) = cmd.reserve_memory {
        rows.push(("Memory reserved".to_string(), words::mebibytes(m)));
    }
    if let Some(m) = cmd.limit_memory {
        rows.push(("Memory limit".to_string(), words::mebibytes(m)));
    }
    if let Some(c) = cmd.limit_cpu {
        rows.push(("CPU limit".to_string(), format!("{c} CPUs")));
    }
    if let Some(g) = &cmd.gpus {
        rows.push(("GPUs".to_string(), g.clone()));
    }
    if let Some(r) = &cmd.runtime {
        rows.push(("Runtime".to_string(), r.clone()));
    }
    for (k, v) in cmd.generic_resources.iter().flatten() {
        rows.push((format!("Generic resource {k}"), v.clone()));
    }
    if let Some(s) = cmd.shm_size {
        rows.push(("Shared memory (/dev/shm)".to_string(), words::bytes(s)));
    }
    for (k, v) in cmd.ulimits.iter().flatten() {
        rows.push((format!("ulimit {k}"), v.clone()));
    }
    if let Some(i) = &cmd.ipc_mode {
        rows.push(("IPC mode".to_string(), i.clone()));
    }
    if let Some(n) = &cmd.network {
        rows.push(("Network".to_string(), n.clone()));
    }
    rows
}

/// A GPU is needed when the command asks for the nvidia runtime, sets `gpus`, or requests a
/// `gpu` (Kubernetes) or VRAM (swarm) generic resource.
fn gpu(cmd: &Command) -> Option<String> {
    if let Some(r) = cmd
        .runtime
        .as_deref()
        .filter(|r| r.eq_ignore_ascii_case("nvidia"))
    {
        return Some(format!("runtime {r}"));
    }
    if let Some(g) = cmd.gpus.as_deref().filter(|g| !g.trim().is_empty()) {
        return Some(format!("gpus {g}"));
    }
    cmd.generic_resources
        .iter()
        .flatten()
        .find(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k.contains("gpu") || k == "vram"
        })
        .map(|(k, v)| format!("generic resource {k} = {v}"))
}

/// Tags: `tags` or `keywords` in `command-metadata`, then the tags output handlers put on
/// their uploads.
fn tags(cmd: &Command) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let meta = cmd.command_metadata.as_ref();
    for key in ["tags", "keywords"] {
        if let Some(list) = meta.and_then(|m| m.get(key)).and_then(|v| v.as_array()) {
            out.extend(list.iter().filter_map(|t| t.as_str()).map(str::to_string));
        }
    }
    for w in &cmd.xnat {
        for h in &w.output_handlers {
            out.extend(h.tags.iter().cloned());
        }
    }
    let mut seen = HashSet::new();
    out.retain(|t| !t.trim().is_empty() && seen.insert(t.to_lowercase()));
    out.truncate(8);
    out
}

fn settable(input: &WrapperInput) -> String {
    // XNAT's launch form treats an unset `user-settable` as settable.
    match input.user_settable {
        Some(true) => "yes",
        Some(false) => "no",
        None => "yes (default)",
    }
    .to_string()
}

fn wrapper_view(cmd: &Command, w: &Wrapper, sensitive: &HashSet<String>) -> WrapperView {
    let row = |i: &WrapperInput| WrapperInputRow {
        name: i.name.clone(),
        input_type: i.input_type().to_string(),
        required: i.required.unwrap_or(true),
        default: shown_default(i.default_value.as_deref(), sensitive.contains(&i.name)),
        user_settable: settable(i),
        description: i.description.clone(),
        matcher: i.matcher.clone().filter(|m| !m.is_empty()),
        derived_from: i.derived_from_wrapper_input.clone(),
        property: i.derived_from_xnat_object_property.clone(),
        provides: provides(cmd, i),
        multiple: i.multiple == Some(true),
    };
    WrapperView {
        anchor: wrapper_anchor(&w.name),
        name: w.name.clone(),
        label: w.label.clone(),
        description: w.description.clone(),
        contexts: w.contexts.iter().map(|c| words::context(c)).collect(),
        external_inputs: w.external_inputs.iter().map(row).collect(),
        derived_inputs: w.derived_inputs.iter().map(row).collect(),
        chains: chains(cmd, w),
        handlers: w
            .output_handlers
            .iter()
            .map(|h| {
                let output = cmd
                    .outputs
                    .iter()
                    .find(|o| o.name == h.accepts_command_output);
                let parent = h.as_a_child_of.clone().unwrap_or_default();
                let parent_type = w
                    .input(&parent)
                    .map(|i| i.input_type().to_string())
                    .or_else(|| {
                        w.output_handlers
                            .iter()
                            .find(|p| p.name == parent)
                            .map(|p| p.handler_type().to_string())
                    });
                HandlerView {
                    name: h.name.clone(),
                    output: h.accepts_command_output.clone(),
                    output_location: output.map(|o| {
                        output_location(cmd, &o.mount, o.path.as_deref(), o.glob.as_deref())
                    }),
                    handler_type: h.handler_type().to_string(),
                    label: h.label.clone(),
                    format: h.format.clone(),
                    content: h.content.clone(),
                    xsi_type: h.xsi_type.clone(),
                    tags: h.tags.clone(),
                    parent,
                    parent_type,
                    via_wrapup: h
                        .via_wrapup_command
                        .as_deref()
                        .filter(|v| !v.trim().is_empty())
                        .map(Helper::new),
                }
            })
            .collect(),
        site_enabled: false,
        projects: Vec::new(),
    }
}

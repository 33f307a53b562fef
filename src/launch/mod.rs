//! Launch resolution: a Command, one of its wrappers, the XNAT objects it runs on and the
//! values a user gives, turned into exactly what XNAT would start — the setup containers, the
//! main container, the wrapup containers, and what each output handler would upload.
//!
//! Pure: no IO. The reference is the Container Service 3.7.3 source,
//! `org.nrg.containers.services.impl.CommandResolutionServiceImpl` (its
//! `CommandResolutionHelper.resolve()` is followed step by step here and in [`inputs`] and
//! [`containers`]), the container creation in `api.DockerControlApi.createContainer` and the
//! launch order in `services.impl.ContainerServiceImpl.launchResolvedDockerCommand`.
//! `docs/xnat-notes.md` lists what xcs does differently and why.

mod containers;
pub mod docker_run;
mod inputs;
pub mod matcher;
pub mod template;

use crate::model::archive::LaunchContext;
use crate::model::{Command, Wrapper};
use indexmap::IndexMap;
use serde::Serialize;

pub use matcher::MatcherError;

/// What to resolve.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub command: &'a Command,
    pub wrapper: Option<&'a Wrapper>,
    pub context: &'a LaunchContext,
    /// Values given at launch, by input name (wrapper or command input).
    pub inputs: &'a IndexMap<String, String>,
    /// Host directory under which build directories go (output mounts, writable copies of
    /// input files, the `/output` of setup and wrapup containers).
    pub build_root: &'a str,
    /// Setup and wrapup commands the wrapper may name (`via-setup-command`,
    /// `via-wrapup-command`).
    pub special_commands: &'a [Command],
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// XNAT refuses the launch with this message (its own wording).
    #[error("{0}")]
    Refused(String),
    #[error("Missing values for required input{}: {}.", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    MissingRequired(Vec<String>),
    #[error(
        "Missing value for required input {input} (a {object_type}): give its directory with --context {input}=DIR"
    )]
    NoContext { input: String, object_type: String },
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Matcher(#[from] MatcherError),
}

/// Everything a launch starts, in XNAT's order: every setup container finishes before the main
/// container starts; wrapup containers run after it exits, before outputs are uploaded.
#[derive(Debug, Clone, Serialize)]
pub struct LaunchSpec {
    pub command: String,
    pub wrapper: Option<String>,
    /// Each input's resolved value (sensitive ones withheld).
    pub inputs: Vec<InputValue>,
    pub setup: Vec<ContainerSpec>,
    pub main: ContainerSpec,
    pub wrapup: Vec<ContainerSpec>,
    pub outputs: Vec<ResolvedOutput>,
    /// Directories to create before the first container, each empty or a copy of archive files.
    pub build_dirs: Vec<BuildDir>,
    /// What runs differently from XNAT here, said once.
    pub notes: Vec<String>,
    /// Values of `sensitive` inputs, for printers to mask wherever they were substituted.
    #[serde(skip)]
    pub sensitive: Vec<String>,
}

impl LaunchSpec {
    /// `text` with every sensitive input value replaced by `********`.
    pub fn mask(&self, text: &str) -> String {
        self.sensitive
            .iter()
            .filter(|s| !s.is_empty())
            .fold(text.to_string(), |t, s| t.replace(s.as_str(), "********"))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InputValue {
    pub name: String,
    /// `wrapper` or `command`.
    pub of: &'static str,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildDir {
    pub path: String,
    /// Files to copy in first (a writable mount of archive files, XNAT's CS-54 copy).
    pub copy_from: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainerSpec {
    /// `setup`, `main` or `wrapup`.
    pub role: &'static str,
    pub command: String,
    pub image: String,
    pub name: Option<String>,
    pub command_line: String,
    /// `override-entrypoint`: the entrypoint is emptied and `cmd` is `/bin/sh -c LINE`;
    /// otherwise `cmd` is the line split the way XNAT's `ShellSplitter` does.
    pub override_entrypoint: bool,
    pub cmd: Vec<String>,
    pub env: IndexMap<String, String>,
    pub working_dir: Option<String>,
    /// Container port → host port.
    pub ports: IndexMap<String, String>,
    pub mounts: Vec<ResolvedMount>,
    pub labels: IndexMap<String, String>,
    pub memory_bytes: Option<i64>,
    pub memory_reservation_bytes: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub shm_size: Option<i64>,
    pub network: Option<String>,
    pub runtime: Option<String>,
    pub ipc_mode: Option<String>,
    pub ulimits: Vec<Ulimit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedMount {
    pub name: String,
    pub host_path: String,
    pub container_path: String,
    pub writable: bool,
}

/// One output handler's upload, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedOutput {
    /// `output:handler`, as XNAT names it.
    pub name: String,
    pub output: String,
    pub handler: String,
    pub required: bool,
    pub mount: String,
    pub path: Option<String>,
    pub glob: Option<String>,
    /// `Resource`, `Assessor` or `Scan`.
    pub handler_type: String,
    pub xsi_type: Option<String>,
    /// The input or handler it uploads into, and that object's URI when it is an input.
    pub target: String,
    pub target_uri: Option<String>,
    pub label: Option<String>,
    pub format: Option<String>,
    pub content: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub via_wrapup: Option<String>,
    /// Host directory the files are read from after the run (the output mount, or the
    /// wrapup container's `/output`).
    pub host_dir: String,
}

/// Resolve a launch (`CommandResolutionHelper.resolve`).
pub fn resolve(req: &Request<'_>) -> Result<LaunchSpec, LaunchError> {
    if req.command.command_type() != "docker" {
        return Err(LaunchError::Refused(format!(
            "Cannot launch a command of type {} on its own; it runs as another command's setup or wrapup",
            req.command.command_type()
        )));
    }
    // XNAT would report the first derived input that finds nothing; say what is missing.
    for input in req.wrapper.iter().flat_map(|w| &w.external_inputs) {
        let typed = crate::model::archive::ObjectType::from_name(input.input_type());
        if let Some(t) = typed
            && input.required != Some(false)
            && req.context.find(&input.name, t).is_none()
        {
            return Err(LaunchError::NoContext {
                input: input.name.clone(),
                object_type: t.name().to_string(),
            });
        }
    }
    let resolved = inputs::resolve(req)?;
    containers::assemble(req, &resolved)
}

/// The setup and wrapup command references a wrapper names, with the type each must have.
pub fn special_command_refs(wrapper: Option<&Wrapper>) -> Vec<(String, &'static str)> {
    let Some(w) = wrapper else { return Vec::new() };
    let setups = w
        .inputs()
        .filter_map(|i| i.via_setup_command.clone())
        .map(|r| (r, "docker-setup"));
    let wrapups = w
        .output_handlers
        .iter()
        .filter_map(|h| h.via_wrapup_command.clone())
        .map(|r| (r, "docker-wrapup"));
    setups
        .chain(wrapups)
        .filter(|(r, _)| !r.trim().is_empty())
        .collect()
}

//! `xcs run`: a local test run of a command, as XNAT would launch it. Finds the command (in a
//! declaration repo or a file), reads the local archive directories it runs on, resolves the
//! launch ([`crate::launch`]), runs the setup, main and wrapup containers in XNAT's order on the
//! local Docker engine, and checks the declared outputs against the files produced.

pub mod outputs;
pub mod render;

use crate::backend::docker::{self, run::Stream};
use crate::launch::{self, ContainerSpec, LaunchError, LaunchSpec, Request};
use crate::load::archive::{self, ArchiveError};
use crate::load::command_file::{self, CommandFileError};
use crate::load::{LoadError, Source};
use crate::model::Command;
use indexmap::IndexMap;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    CommandFile(#[from] CommandFileError),
    #[error("no command `{name}` in {dir} (known: {known})")]
    NoCommand {
        name: String,
        dir: String,
        known: String,
    },
    #[error("command `{command}` has no wrapper `{wrapper}` (its wrappers: {known})")]
    NoWrapper {
        command: String,
        wrapper: String,
        known: String,
    },
    #[error("command `{command}` has {count} wrappers: name one as {command}:WRAPPER ({known})")]
    WhichWrapper {
        command: String,
        count: usize,
        known: String,
    },
    #[error("{file} has validation errors; `xcs validate {file}` shows them")]
    Invalid { file: String },
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("XNAT would refuse this launch: {0}")]
    Launch(LaunchError),
    #[error(transparent)]
    Connect(#[from] docker::DockerError),
    #[error(transparent)]
    Docker(#[from] docker::run::RunError),
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
}

impl From<LaunchError> for RunError {
    fn from(e: LaunchError) -> RunError {
        RunError::Launch(e)
    }
}

/// What `xcs run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// `COMMAND[:WRAPPER]`; COMMAND is a name in the repo or a path to a command file.
    pub target: String,
    /// The declaration repo commands are looked up in.
    pub repo: PathBuf,
    /// `--context NAME=DIR`.
    pub contexts: Vec<(String, PathBuf)>,
    /// `--input NAME=VALUE`.
    pub inputs: IndexMap<String, String>,
    /// Where build directories (output mounts, copies) go.
    pub work_dir: PathBuf,
}

/// The command, chosen wrapper, and every command a setup or wrapup could refer to.
pub struct Found {
    pub command: Command,
    pub wrapper: Option<String>,
    pub others: Vec<Command>,
}

/// Find `COMMAND[:WRAPPER]`: a file path first, else a command name in the repo.
pub fn find(req: &RunRequest) -> Result<Found, RunError> {
    let (name, wrapper) = split_target(&req.target);
    let (command, others) = if Path::new(name).is_file() {
        let mut all = command_file::read(Path::new(name))?;
        let first = all.remove(0);
        (first, all)
    } else {
        let v = crate::validate::validate_source(&Source::new(&req.repo, None))?;
        let mut all: Vec<Command> = Vec::new();
        let mut chosen = None;
        for d in v.repo.commands {
            if d.spec.name == name && chosen.is_none() {
                let file = d.origin.file.to_string();
                let broken = v
                    .diagnostics
                    .iter()
                    .any(|x| x.is_error() && x.location.as_ref().is_some_and(|l| *l.file == *file));
                if broken {
                    return Err(RunError::Invalid { file });
                }
                chosen = Some(d.spec);
            } else {
                all.push(d.spec);
            }
        }
        let Some(c) = chosen else {
            let known = all
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(RunError::NoCommand {
                name: name.to_string(),
                dir: req.repo.display().to_string(),
                known,
            });
        };
        (c, all)
    };
    let wrapper = choose_wrapper(&command, wrapper)?;
    Ok(Found {
        command,
        wrapper,
        others,
    })
}

/// `NAME:WRAPPER`, where NAME may be a path (with `:` only in a Windows drive letter).
fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.rsplit_once(':') {
        Some((n, w)) if !n.is_empty() && !w.contains('/') && !Path::new(target).exists() => {
            (n, Some(w))
        }
        _ => (target, None),
    }
}

fn choose_wrapper(command: &Command, wanted: Option<&str>) -> Result<Option<String>, RunError> {
    let known = || {
        command
            .xnat
            .iter()
            .map(|w| w.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (wanted, command.xnat.len()) {
        (Some(w), _) if command.wrapper(w).is_some() => Ok(Some(w.to_string())),
        (Some(w), _) => Err(RunError::NoWrapper {
            command: command.name.clone(),
            wrapper: w.to_string(),
            known: known(),
        }),
        (None, 0) => Ok(None),
        (None, 1) => Ok(command.xnat.first().map(|w| w.name.clone())),
        (None, count) => Err(RunError::WhichWrapper {
            command: command.name.clone(),
            count,
            known: known(),
        }),
    }
}

/// Setup and wrapup commands the wrapper names that are not in the repo: read from their
/// images' `org.nrg.commands` labels on the local engine, as XNAT reads them
/// (`DockerService.getCommandByImage`).
pub async fn commands_from_labels(found: &Found) -> Vec<Command> {
    let wrapper = found
        .wrapper
        .as_deref()
        .and_then(|w| found.command.wrapper(w));
    let missing: Vec<String> = launch::special_command_refs(wrapper)
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| {
            !found.others.iter().any(|c| {
                c.image
                    .as_deref()
                    .is_some_and(|i| r == i || *r == format!("{i}:{}", c.name))
            })
        })
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let Ok(engine) = docker::connect_local().await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for reference in missing {
        // `image:tag:name` or `image:tag`: try the whole reference, then without its last part.
        let candidates = [
            Some(reference.as_str()),
            reference.rsplit_once(':').map(|(i, _)| i),
        ];
        for image in candidates.into_iter().flatten() {
            if let Ok(Some(facts)) = docker::run::inspect_image(&engine, image).await
                && let Some(label) = facts.labels.get("org.nrg.commands")
                && let Ok(commands) =
                    command_file::parse(&format!("{image} label org.nrg.commands"), label)
            {
                out.extend(commands.into_iter().map(|mut c| {
                    c.image.get_or_insert_with(|| image.to_string());
                    c
                }));
                break;
            }
        }
    }
    out
}

/// Read the archive directories and resolve the launch. No container runs.
pub fn resolve(
    req: &RunRequest,
    found: &Found,
    from_labels: &[Command],
) -> Result<LaunchSpec, RunError> {
    let context = archive::read_context(&req.contexts)?;
    let specials: Vec<Command> = found.others.iter().chain(from_labels).cloned().collect();
    let build_root = req.work_dir.display().to_string();
    let request = Request {
        command: &found.command,
        wrapper: found
            .wrapper
            .as_deref()
            .and_then(|w| found.command.wrapper(w)),
        context: &context,
        inputs: &req.inputs,
        build_root: &build_root,
        special_commands: &specials,
    };
    Ok(launch::resolve(&request)?)
}

/// What happened to one container.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerRun {
    pub role: &'static str,
    pub command: String,
    pub image: String,
    pub container_id: String,
    pub exit_code: i64,
    pub kept: bool,
}

/// Progress, for the CLI to print as it happens.
pub enum Event<'a> {
    Starting(&'a ContainerSpec),
    Log(Stream, &'a [u8]),
    Finished(&'a ContainerRun),
}

/// Run the launch: build directories, setup containers (each must succeed), the main
/// container, then wrapup containers if it succeeded; then check the outputs.
pub async fn execute(
    spec: &LaunchSpec,
    keep: bool,
    on: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<outputs::Report, RunError> {
    for dir in &spec.build_dirs {
        prepare_dir(dir)?;
    }
    let engine = docker::connect_local().await?;
    let mut runs = Vec::new();
    let mut failed = false;
    // A failed setup container fails the launch before the main one starts; a failed main
    // container is finalised without wrapups or uploads (`ContainerFinalizeService`).
    let containers = spec.setup.iter().chain([&spec.main]).chain(&spec.wrapup);
    for container in containers {
        if failed {
            break;
        }
        on(Event::Starting(container));
        let mut log = |s: Stream, b: &[u8]| on(Event::Log(s, b));
        let done = docker::run::run(&engine, container, keep, &mut log).await?;
        let run = ContainerRun {
            role: container.role,
            command: container.command.clone(),
            image: container.image.clone(),
            container_id: done.container_id,
            exit_code: done.exit_code,
            kept: done.kept,
        };
        on(Event::Finished(&run));
        failed = run.exit_code != 0;
        runs.push(run);
    }
    Ok(outputs::check(spec, runs))
}

fn prepare_dir(dir: &launch::BuildDir) -> Result<(), RunError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |error| RunError::Io { path, error }
    };
    let to = Path::new(&dir.path);
    std::fs::create_dir_all(to).map_err(io(to))?;
    if let Some(from) = &dir.copy_from {
        copy_tree(Path::new(from), to).map_err(io(Path::new(from)))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_file() {
        let name = from.file_name().unwrap_or_default();
        std::fs::copy(from, to.join(name))?;
        return Ok(());
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

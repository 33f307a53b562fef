//! `xcs new`: a Command to start from, as commented YAML that validates clean — from an image's
//! `org.nrg.commands` label, from its entrypoint and command, or from nothing — with a wrapper
//! for the chosen context.

pub mod commented;

use crate::backend::docker::{self, run::ImageFacts};
use crate::import::boutiques::{WrapperContext, context_wrapper};
use crate::launch::docker_run::quote;
use crate::load::command_file;
use crate::model::{Command, CommandInput, CommandOutput, Mount};

#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error(transparent)]
    Connect(#[from] docker::DockerError),
    #[error("cannot inspect image {image}: {error}")]
    Inspect {
        image: String,
        error: bollard::errors::Error,
    },
    #[error(
        "image {image} is not on the local Docker engine (xcs new does not pull): build or pull it first"
    )]
    NoImage { image: String },
    #[error("the org.nrg.commands label of {image} cannot be read: {error}")]
    Label {
        image: String,
        error: command_file::CommandFileError,
    },
    #[error("the org.nrg.commands label of {image} has no command `{name}` (it has: {known})")]
    NoSuchCommand {
        image: String,
        name: String,
        known: String,
    },
    #[error("{0}")]
    Arguments(String),
}

/// Where the scaffold comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// The image's `org.nrg.commands` label.
    Labels,
    /// The image's entrypoint and command.
    Entrypoint,
    /// A skeleton.
    Nothing,
}

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub name: Option<String>,
    pub image: Option<String>,
    /// `None`: labels when the image has them, else its entrypoint; nothing without an image.
    pub from: Option<From>,
    /// With `From::Labels`, which of the label's commands.
    pub command: Option<String>,
    pub context: WrapperContext,
}

#[derive(Debug, Clone)]
pub struct Scaffold {
    pub command: Command,
    pub from: From,
    pub notes: Vec<String>,
}

pub async fn scaffold(req: &NewRequest) -> Result<Scaffold, NewError> {
    let from = req.from.unwrap_or(if req.image.is_some() {
        From::Labels
    } else {
        From::Nothing
    });
    let Some(image) = req.image.clone().filter(|_| from != From::Nothing) else {
        let name = req.name.clone().ok_or_else(|| {
            NewError::Arguments("give the command a NAME (or an --image to start from)".into())
        })?;
        let image = req
            .image
            .clone()
            .unwrap_or_else(|| format!("registry.example.org/{name}:0.1.0"));
        return Ok(skeleton(name, image, req.context, None, vec![]));
    };
    let engine = docker::connect_local().await?;
    let facts = docker::run::inspect_image(&engine, &image)
        .await
        .map_err(|error| NewError::Inspect {
            image: image.clone(),
            error,
        })?
        .ok_or_else(|| NewError::NoImage {
            image: image.clone(),
        })?;
    let label = facts.labels.get("org.nrg.commands");
    match (from, label) {
        (From::Labels, Some(text)) => from_label(req, &image, text),
        (From::Labels, None) if req.from.is_some() => Err(NewError::Arguments(format!(
            "image {image} has no org.nrg.commands label; use --from entrypoint"
        ))),
        _ => {
            let name = req.name.clone().unwrap_or_else(|| default_name(&image));
            let note = vec![format!(
                "no org.nrg.commands label on {image}: started from its entrypoint and command"
            )];
            Ok(skeleton(
                name,
                image,
                req.context,
                Some(&facts),
                if label.is_none() { note } else { vec![] },
            ))
        }
    }
}

fn default_name(image: &str) -> String {
    let repo = image.split(['@']).next().unwrap_or(image);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    last.split(':').next().unwrap_or(last).to_string()
}

fn from_label(req: &NewRequest, image: &str, text: &str) -> Result<Scaffold, NewError> {
    let commands =
        command_file::parse(&format!("{image} label org.nrg.commands"), text).map_err(|error| {
            NewError::Label {
                image: image.into(),
                error,
            }
        })?;
    let wanted = req.command.as_deref().or(req.name.as_deref());
    let known = || {
        commands
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = match wanted {
        Some(n) => commands.iter().find(|c| c.name == n).cloned(),
        None => commands.first().cloned(),
    };
    let mut command = found.ok_or_else(|| NewError::NoSuchCommand {
        image: image.into(),
        name: wanted.unwrap_or_default().into(),
        known: known(),
    })?;
    let mut notes = Vec::new();
    if commands.len() > 1 {
        notes.push(format!(
            "the label holds {} commands ({}); this is `{}` (--command NAME picks another)",
            commands.len(),
            known(),
            command.name
        ));
    }
    command.id = None;
    command.hash = None;
    command.image.get_or_insert_with(|| image.to_string());
    let xsi = context_wrapper(&Command::default(), req.context).contexts;
    if !command
        .xnat
        .iter()
        .any(|w| w.contexts.iter().any(|c| xsi.contains(c)))
    {
        if command.mounts.iter().any(|m| m.name == "input") {
            notes.push("the label has no wrapper for this context, and its `input` mount is taken: add one by hand".into());
        } else {
            command.mounts.push(Mount {
                name: "input".into(),
                writable: false,
                path: Some("/input".into()),
            });
            let w = context_wrapper(&command, req.context);
            command.xnat.push(w);
            notes.push(format!(
                "added wrapper `{}`: the label has none for this context",
                command.xnat.last().map_or("", |w| w.name.as_str())
            ));
        }
    }
    for w in &mut command.xnat {
        w.id = None;
    }
    Ok(Scaffold {
        command,
        from: From::Labels,
        notes,
    })
}

/// A command with an `/input` mount the context's files go to, an `/output` mount with one
/// required output uploaded as a resource, an `args` input, and a wrapper for the context.
fn skeleton(
    name: String,
    image: String,
    context: WrapperContext,
    facts: Option<&ImageFacts>,
    notes: Vec<String>,
) -> Scaffold {
    let base = match facts {
        Some(f) if !f.cmd.is_empty() => {
            f.cmd.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
        }
        Some(_) => String::new(),
        None => "my-tool /input /output".into(),
    };
    let mut command = Command {
        name: name.clone(),
        label: Some(name.clone()),
        description: Some(format!("What {name} does, in a sentence.")),
        version: Some("0.1.0".into()),
        schema_version: Some("1.0".into()),
        image: Some(image),
        command_type: Some("docker".into()),
        working_directory: facts.and_then(|f| f.working_dir.clone()),
        command_line: Some(format!("{base} #args#").trim_start().to_string()),
        override_entrypoint: Some(false),
        mounts: vec![
            Mount {
                name: "input".into(),
                writable: false,
                path: Some("/input".into()),
            },
            Mount {
                name: "output".into(),
                writable: true,
                path: Some("/output".into()),
            },
        ],
        inputs: vec![CommandInput {
            name: "args".into(),
            label: Some("Extra arguments".into()),
            description: Some("Added to the end of the command line.".into()),
            input_type: Some("string".into()),
            required: Some(false),
            ..CommandInput::default()
        }],
        outputs: vec![CommandOutput {
            name: "result".into(),
            description: Some("What the command writes to /output.".into()),
            required: Some(true),
            mount: "output".into(),
            path: None,
            glob: None,
        }],
        limit_memory: Some(2048),
        limit_cpu: Some(1.0),
        ..Command::default()
    };
    if let Some(f) = facts.filter(|f| !f.entrypoint.is_empty()) {
        command.description = Some(format!(
            "Runs the image's entrypoint `{}` with the command line as its arguments.",
            f.entrypoint.join(" ")
        ));
    }
    command.xnat.push(context_wrapper(&command, context));
    let from = if facts.is_some() {
        From::Entrypoint
    } else {
        From::Nothing
    };
    Scaffold {
        command,
        from,
        notes,
    }
}

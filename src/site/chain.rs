//! How data reaches a wrapper's container and results leave it: the derivation chain of each
//! input that provides a value or files (session → scan → resource → setup command → mount),
//! and the setup and wrap-up commands named by reference, linked both ways by the catalog.

use crate::model::{Command, Wrapper, WrapperInput};
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    pub steps: Vec<Step>,
    /// The setup command the files pass through before the container sees them
    /// (`via-setup-command`), when there is one.
    pub setup: Option<Helper>,
    /// Where the last step's value or files go.
    pub end: String,
}

/// A setup or wrap-up command named by reference (`image:tag[:name]`), linked to its page when
/// the repo declares it.
#[derive(Debug, Clone, Serialize)]
pub struct Helper {
    pub reference: String,
    /// Filled in by the catalog, which sees every command.
    pub slug: Option<String>,
    pub title: Option<String>,
}

impl Helper {
    pub fn new(reference: &str) -> Helper {
        Helper {
            reference: reference.to_string(),
            slug: None,
            title: None,
        }
    }
}

/// A command that runs this one as its setup or wrap-up step.
#[derive(Debug, Clone, Serialize)]
pub struct UsedBy {
    pub slug: String,
    pub title: String,
    pub wrapper: String,
    pub wrapper_anchor: String,
    /// `setup` or `wrap-up`.
    pub role: &'static str,
    /// The input or output handler it serves.
    pub by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    pub input_type: String,
    /// How it is picked from the step before: `label`, `matching @.label == 'DICOM'`…
    pub how: Option<String>,
}

pub fn provides(cmd: &Command, i: &WrapperInput) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(input) = i.provides_value_for_command_input.as_deref() {
        parts.push(format!("value of input {input}"));
    }
    if let Some(mount) = i.provides_files_for_command_mount.as_deref() {
        let path = cmd
            .mounts
            .iter()
            .find(|m| m.name == mount)
            .and_then(|m| m.path.as_deref())
            .unwrap_or("?");
        parts.push(format!("files at {path} (mount {mount})"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// For every input that provides a value or files, the path from the external input it derives
/// from: session → scan → resource → files.
pub fn chains(cmd: &Command, w: &Wrapper) -> Vec<Chain> {
    let mut out = Vec::new();
    for input in w.inputs() {
        let Some(end) = provides(cmd, input) else {
            continue;
        };
        let mut steps = Vec::new();
        let mut current = Some(input);
        let mut seen = HashSet::new();
        while let Some(i) = current {
            // Validation rejects cycles; the guard keeps a broken repo from looping here.
            if !seen.insert(i.name.as_str()) {
                break;
            }
            let how = match (
                i.derived_from_xnat_object_property.as_deref(),
                i.matcher.as_deref().filter(|m| !m.is_empty()),
            ) {
                (Some(p), _) => Some(format!("its {p}")),
                (None, Some(m)) => Some(format!("where {m}")),
                (None, None) => None,
            };
            steps.push(Step {
                name: i.name.clone(),
                input_type: i.input_type().to_string(),
                how,
            });
            current = i
                .derived_from_wrapper_input
                .as_deref()
                .and_then(|parent| w.input(parent));
        }
        steps.reverse();
        let setup = input
            .via_setup_command
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(Helper::new);
        out.push(Chain { steps, setup, end });
    }
    out
}

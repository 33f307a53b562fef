//! After a run: what each output handler would upload, where, with which label — checked
//! against the files the containers wrote, as `ContainerFinalizeServiceImpl.uploadOutput`
//! (CS 3.7.3) finds them: the output's `path` inside its mount (or the wrapup container's
//! `/output`), every entry directly in it when it is a directory, else the path itself. That
//! version lists the directory and ignores `glob`; xcs reports the glob but does the same.

use super::ContainerRun;
use crate::launch::{LaunchSpec, ResolvedOutput};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub command: String,
    pub wrapper: Option<String>,
    pub containers: Vec<ContainerRun>,
    pub outputs: Vec<OutputCheck>,
    /// The main container's exit code (`None` when a setup container failed first).
    pub exit_code: Option<i64>,
    /// Whether XNAT would mark the launch complete: every container exited 0 and every
    /// required output was there.
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputCheck {
    /// `output:handler`.
    pub name: String,
    pub required: bool,
    /// `present`, `empty`, `missing`, or `not-uploaded` (the run failed first).
    pub status: &'static str,
    /// Where the files were looked for on this machine.
    pub host_path: String,
    /// Files that would be uploaded, relative to `host_path` (all files, recursively).
    pub files: Vec<String>,
    /// `Resource`, `Assessor` or `Scan`.
    pub handler_type: String,
    /// The label XNAT gives what it creates (the handler's `label`, else the output's name).
    pub label: String,
    /// The input or handler it is uploaded into, and that object's URI.
    pub target: String,
    pub target_uri: Option<String>,
    pub format: Option<String>,
    pub content: Option<String>,
    pub tags: Vec<String>,
    pub glob: Option<String>,
}

pub fn check(spec: &LaunchSpec, containers: Vec<ContainerRun>) -> Report {
    let main = containers
        .iter()
        .find(|c| c.role == "main")
        .map(|c| c.exit_code);
    let ran_clean = containers.iter().all(|c| c.exit_code == 0)
        && containers.len() == spec.setup.len() + 1 + spec.wrapup.len();
    let outputs: Vec<OutputCheck> = spec
        .outputs
        .iter()
        .map(|o| check_one(o, ran_clean))
        .collect();
    let complete = ran_clean && outputs.iter().all(|o| !o.required || o.status == "present");
    Report {
        command: spec.command.clone(),
        wrapper: spec.wrapper.clone(),
        containers,
        outputs,
        exit_code: main,
        complete,
    }
}

fn check_one(o: &ResolvedOutput, ran_clean: bool) -> OutputCheck {
    let root = Path::new(&o.host_dir);
    let path = match o.path.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => root.join(p.trim_start_matches('/')),
        None => root.to_path_buf(),
    };
    let (status, files) = if !ran_clean {
        ("not-uploaded", Vec::new())
    } else if path.is_file() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        ("present", vec![name])
    } else if path.is_dir() {
        let files = list(&path);
        (if files.is_empty() { "empty" } else { "present" }, files)
    } else {
        ("missing", Vec::new())
    };
    OutputCheck {
        name: o.name.clone(),
        required: o.required,
        status,
        host_path: path.display().to_string(),
        files,
        handler_type: o.handler_type.clone(),
        label: o
            .label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| o.name.clone()),
        target: o.target.clone(),
        target_uri: o.target_uri.clone(),
        format: o.format.clone(),
        content: o.content.clone(),
        tags: o.tags.clone(),
        glob: o.glob.clone().filter(|g| !g.is_empty()),
    }
}

fn list(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(dir)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}

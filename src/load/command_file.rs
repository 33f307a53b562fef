//! Commands from a text outside a declaration repo: a command file (`command.json`, a YAML
//! declaration with or without `kind: Command`) or an `org.nrg.commands` label value (a JSON
//! list of commands). For `xcs run` and `xcs new`, which need the commands, not diagnostics;
//! `xcs validate` reports what is wrong with them.

use super::{Format, Limits, json, yaml};
use crate::model::Command;
use serde_json::Value;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum CommandFileError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}:{line}:{col}: {message}")]
    Syntax {
        path: String,
        line: u32,
        col: u32,
        message: String,
    },
    #[error("{path}: not a Command ({message}); `xcs validate {path}` says more")]
    NotACommand { path: String, message: String },
}

/// Every command in a file: one document, several (`---`), or a JSON list (a label value).
pub fn read(path: &Path) -> Result<Vec<Command>, CommandFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CommandFileError::Io {
        path: shown.clone(),
        error: source,
    })?;
    parse(&shown, &text)
}

/// The commands in a text; `name` says where it came from (a path, or an image's label).
pub fn parse(name: &str, text: &str) -> Result<Vec<Command>, CommandFileError> {
    let limits = Limits::default();
    let syntax = |i: super::ParseIssue| CommandFileError::Syntax {
        path: name.to_string(),
        line: i.pos.line,
        col: i.pos.col,
        message: i.message,
    };
    let docs: Vec<Value> = match Format::of(name) {
        Some(Format::Yaml) => yaml::parse(text, &limits)
            .map_err(syntax)?
            .0
            .iter()
            .map(|d| d.to_json())
            .collect(),
        _ => match json::parse(text, &limits) {
            Ok((node, _)) => vec![node.to_json()],
            Err(issue) => match yaml::parse(text, &limits) {
                Ok((docs, _)) => docs.iter().map(|d| d.to_json()).collect(),
                Err(_) => return Err(syntax(issue)),
            },
        },
    };
    let mut out = Vec::new();
    for doc in docs {
        let items = match doc {
            Value::Array(items) => items,
            Value::Null => continue,
            other => vec![other],
        };
        for mut item in items {
            if let Some(map) = item.as_object_mut() {
                map.remove("kind");
            }
            let command =
                serde_json::from_value(item).map_err(|e| CommandFileError::NotACommand {
                    path: name.to_string(),
                    message: e.to_string(),
                })?;
            out.push(command);
        }
    }
    Ok(out)
}

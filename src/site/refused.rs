//! `site build --skip-invalid`: a public catalog of many authors' commands publishes the
//! commands that validate and lists the refused ones, with their problems, on a page of their
//! own, instead of refusing the whole site.

use crate::diag::Diagnostic;
use crate::validate::Validation;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A file whose commands were left out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    pub file: String,
    /// The commands it declares (as far as they could be read).
    pub commands: Vec<String>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub code: &'static str,
    pub severity: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// Messages never carry a secret's value (validation's rule), so they can be published.
    pub message: String,
    pub hint: Option<String>,
}

/// Take the commands declared in files with errors out of the repo; the files, their commands
/// and their problems, in file order. Errors outside command files are listed too (under their
/// file, with no commands): the rest of the site is built as far as it resolves.
pub fn refuse(validation: &mut Validation) -> Vec<Refused> {
    let mut by_file: BTreeMap<Arc<str>, Vec<&Diagnostic>> = BTreeMap::new();
    let mut general = Vec::new();
    for d in validation.diagnostics.iter().filter(|d| d.is_error()) {
        match &d.location {
            Some(l) => by_file.entry(Arc::clone(&l.file)).or_default().push(d),
            None => general.push(d),
        }
    }
    let mut out: Vec<Refused> = by_file
        .into_iter()
        .map(|(file, diags)| Refused {
            commands: validation
                .repo
                .commands
                .iter()
                .filter(|c| c.origin.file == file)
                .map(|c| c.spec.name.clone())
                .collect(),
            file: file.to_string(),
            problems: diags.into_iter().map(problem).collect(),
        })
        .collect();
    if !general.is_empty() {
        out.push(Refused {
            file: String::new(),
            commands: Vec::new(),
            problems: general.into_iter().map(problem).collect(),
        });
    }
    validation.repo.commands.retain(|c| {
        !out.iter()
            .any(|r| r.file == *c.origin.file && !r.commands.is_empty())
    });
    out
}

fn problem(d: &Diagnostic) -> Problem {
    Problem {
        code: d.code,
        severity: d.severity.as_str().to_string(),
        line: d.location.as_ref().map(|l| l.line),
        column: d.location.as_ref().map(|l| l.col),
        message: d.message.clone(),
        hint: d.hint.clone(),
    }
}

//! Validation: JSON Schema plus every rule XNAT enforces and the ones it forgets.
//!
//! Files are checked independently (in parallel); each command's tree is dropped once its own
//! rules have run. Then the rules across documents run on the model.

mod command;
mod document;
pub mod environments;
pub mod finding;
pub mod references;
pub mod rules;
pub mod sarif;
mod schema_check;

pub use command::{image_has_tag, xnat_errors};
pub use references::configurable_inputs;

use crate::diag::{self, Counts, Diagnostic, SourceTexts};
use crate::load::{Limits, LoadError, RawFile, Source};
use crate::model::Repo;
use rayon::prelude::*;

/// The outcome of validating a repo: the model (every document that could be read) and every
/// problem found.
#[derive(Debug, Default)]
pub struct Validation {
    pub repo: Repo,
    pub diagnostics: Vec<Diagnostic>,
    /// Texts of the files that have diagnostics, for quoting them.
    pub sources: SourceTexts,
    pub files: usize,
    /// Documents found, including ones too broken to read into the model.
    pub documents: usize,
}

impl Validation {
    pub fn counts(&self) -> Counts {
        Counts::of(&self.diagnostics)
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Place setup/wrapup reference problems: parse their files again for positions.
fn locate_via(
    files: &[RawFile],
    limits: &Limits,
    problems: Vec<references::ViaProblem>,
) -> Vec<Diagnostic> {
    let mut parsed: std::collections::HashMap<&str, crate::load::ParsedFile> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for p in problems {
        let file = &p.via.file;
        if !parsed.contains_key(file.as_ref())
            && let Some(raw) = files.iter().find(|f| &f.path == file)
        {
            parsed.insert(file, crate::load::parse_file(raw, limits));
        }
        let pos = parsed
            .get(file.as_ref())
            .and_then(|f| f.documents.get(p.via.doc))
            .map_or(crate::load::Pos { line: 1, col: 1 }, |n| {
                n.locate(p.via.at.as_str())
            });
        out.push(p.rule.at(file, pos, p.message, p.hint));
    }
    out
}

pub use environments::Environments;

/// Validate a repo and every environment it declares.
pub fn validate_source(source: &Source) -> Result<Validation, LoadError> {
    Ok(validate(&source.files()?, &Limits::default()))
}

/// Validate a repo and the environments `which` selects.
pub fn validate_source_with(source: &Source, which: Environments) -> Result<Validation, LoadError> {
    Ok(validate_with(&source.files()?, &Limits::default(), which))
}

pub fn validate(files: &[RawFile], limits: &Limits) -> Validation {
    validate_with(files, limits, Environments::All)
}

pub fn validate_with(files: &[RawFile], limits: &Limits, which: Environments) -> Validation {
    let reports: Vec<document::FileReport> = files
        .par_iter()
        .map(|f| document::check_file(f, limits))
        .collect();
    let mut v = Validation {
        files: files.len(),
        ..Validation::default()
    };
    let mut via = Vec::new();
    for r in reports {
        if let Some(text) = r.text {
            v.sources.insert(r.path.clone(), text);
        }
        v.diagnostics.extend(r.diagnostics);
        v.documents += r.documents;
        via.extend(r.via);
        let repo = r.repo;
        v.repo.commands.extend(repo.commands);
        v.repo.command_sources.extend(repo.command_sources);
        v.repo.registries.extend(repo.registries);
        v.repo.backends.extend(repo.backends);
        v.repo.sites.extend(repo.sites);
        v.repo.projects.extend(repo.projects);
        v.repo.automations.extend(repo.automations);
        v.repo.environments.extend(repo.environments);
    }
    let mut cross = references::check(&v.repo);
    cross.extend(locate_via(
        files,
        limits,
        references::check_via(&v.repo, &via),
    ));
    cross.extend(environments::check(&v.repo, &via, which));
    for d in &cross {
        if let Some(loc) = &d.location
            && !v.sources.contains_key(&loc.file)
            && let Some(f) = files.iter().find(|f| f.path == loc.file)
            && let Ok(bytes) = f.content.read()
        {
            v.sources.insert(
                f.path.clone(),
                std::sync::Arc::from(String::from_utf8_lossy(&bytes).as_ref()),
            );
        }
    }
    v.diagnostics.extend(cross);
    diag::sort(&mut v.diagnostics);
    v
}

//! Validation: JSON Schema plus every rule XNAT enforces and the ones it forgets.
//!
//! Files are checked independently (in parallel); each command's tree is dropped once its own
//! rules have run. Then the rules across documents run on the model.

mod command;
mod document;
pub mod environments;
pub mod finding;
mod kind;
pub mod references;
pub mod resolved;
pub mod rules;
pub mod sarif;
mod schema_check;

pub use crate::model::command::image_has_tag;
pub use command::xnat_errors;
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

pub use resolved::LockInput;

/// Validate a repo and every environment it declares, its `from:` sources read from its
/// `xcs.lock` (no network).
pub fn validate_source(source: &Source) -> Result<Validation, LoadError> {
    validate_source_with(source, Environments::All)
}

/// Validate a repo and the environments `which` selects, its `from:` sources read from its
/// `xcs.lock` (no network).
pub fn validate_source_with(source: &Source, which: Environments) -> Result<Validation, LoadError> {
    let (path, text) = source.lock_text()?;
    let lock = LockInput { path, text };
    Ok(validate_locked(
        &source.files()?,
        &Limits::default(),
        which,
        Some(&lock),
    ))
}

/// Validate files alone: `from:` sources are checked as declarations but not resolved.
pub fn validate(files: &[RawFile], limits: &Limits) -> Validation {
    validate_with(files, limits, Environments::All)
}

pub fn validate_with(files: &[RawFile], limits: &Limits, which: Environments) -> Validation {
    validate_locked(files, limits, which, None)
}

/// Validate files, with the `from:` sources resolved from `lock` when given.
pub fn validate_locked(
    files: &[RawFile],
    limits: &Limits,
    which: Environments,
    lock: Option<&LockInput>,
) -> Validation {
    let reports: Vec<document::FileReport> = files
        .par_iter()
        .map(|f| document::check_file(f, limits))
        .collect();
    assemble(files, reports, limits, which, lock)
}

/// Validate two revisions of one repo, checking once each file they share: `shared[i]` is the
/// index of the head file with the same path and bytes as base file `i`, whose findings hold
/// for both. The rules across documents run on each revision whole.
///
/// With `lean`, the base ends without a second copy of the shared files' commands: each whose
/// name and version are unique in both revisions is left in the base's model as its identity
/// (name, version, image) and origin, for a caller that compares it with the head's by origin
/// (the diff). Its diagnostics and counts are those of the whole base.
pub fn validate_revisions(
    base: (&[RawFile], Option<&LockInput>),
    head: (&[RawFile], Option<&LockInput>),
    shared: &[Option<usize>],
    which: Environments,
    lean: bool,
) -> (Validation, Validation) {
    let limits = Limits::default();
    let mut head_reports: Vec<document::FileReport> = head
        .0
        .par_iter()
        .map(|f| document::check_file(f, &limits))
        .collect();
    let shared_with = |i: usize| {
        shared
            .get(i)
            .copied()
            .flatten()
            .filter(|&j| j < head.0.len())
    };
    // The head's shared files lend their commands to the base while its rules run, and get
    // them back after: one copy of the model at a time.
    let checked: Vec<Option<document::FileReport>> = base
        .0
        .par_iter()
        .enumerate()
        .map(|(i, f)| match shared_with(i) {
            Some(j) if !lean => Some(head_reports[j].clone()),
            Some(_) => None,
            None => Some(document::check_file(f, &limits)),
        })
        .collect();
    let mut lent = Vec::new();
    let mut base_reports = Vec::with_capacity(checked.len());
    for (i, report) in checked.into_iter().enumerate() {
        let report = match (report, shared_with(i)) {
            (Some(report), _) => report,
            (None, Some(j)) => {
                let commands = std::mem::take(&mut head_reports[j].repo.commands);
                let mut lend = head_reports[j].clone();
                lend.repo.commands = commands;
                lent.push((j, base_reports.len()));
                lend
            }
            (None, None) => document::check_file(&base.0[i], &limits),
        };
        base_reports.push(report);
    }
    if lent.is_empty() {
        return (
            assemble(base.0, base_reports, &limits, which, base.1),
            assemble(head.0, head_reports, &limits, which, head.1),
        );
    }
    // Where each report's commands will be in the base's model.
    let mut starts = Vec::with_capacity(base_reports.len());
    let mut at = 0;
    for r in &base_reports {
        starts.push((at, r.repo.commands.len()));
        at += r.repo.commands.len();
    }
    let mut base_v = assemble(base.0, base_reports, &limits, which, base.1);
    // `assemble` lays the reports' commands out in order, before any it adds: give each shared
    // file's back to the head, leaving the identity where the key is unambiguous.
    let key = |c: &crate::model::Declared<crate::model::Command>| {
        (c.spec.name.clone(), c.spec.version.clone())
    };
    let mut counts: std::collections::HashMap<_, (usize, usize)> = std::collections::HashMap::new();
    for c in &base_v.repo.commands {
        counts.entry(key(c)).or_default().0 += 1;
    }
    for r in &head_reports {
        for c in &r.repo.commands {
            counts.entry(key(c)).or_default().1 += 1;
        }
    }
    for (j, k) in lent {
        let (at, n) = starts[k];
        head_reports[j].repo.commands.reserve_exact(n);
        for c in &mut base_v.repo.commands[at..at + n] {
            let identity = crate::model::Command {
                name: c.spec.name.clone(),
                version: c.spec.version.clone(),
                image: c.spec.image.clone(),
                ..crate::model::Command::default()
            };
            let full = if counts.get(&key(c)) == Some(&(1, 1)) {
                std::mem::replace(&mut c.spec, identity)
            } else {
                c.spec.clone()
            };
            head_reports[j].repo.commands.push(crate::model::Declared {
                spec: full,
                origin: c.origin.clone(),
            });
        }
    }
    let head_v = assemble(head.0, head_reports, &limits, which, head.1);
    (base_v, head_v)
}

/// A revision's validation from its files' own findings: the rules across documents added.
fn assemble(
    files: &[RawFile],
    reports: Vec<document::FileReport>,
    limits: &Limits,
    which: Environments,
    lock: Option<&LockInput>,
) -> Validation {
    let mut v = Validation {
        files: files.len(),
        ..Validation::default()
    };
    let mut via = Vec::new();
    v.repo
        .commands
        .reserve_exact(reports.iter().map(|r| r.repo.commands.len()).sum());
    // Documents without `kind` that are not Commands are errors in a declaration repo. In a
    // tool's own repo (nothing declares a kind; its command found by shape, from a label or a
    // Dockerfile) they are the tool's other files, and are left alone.
    let declaration_repo = reports.iter().any(|r| r.declares);
    let found_commands = reports
        .iter()
        .any(|r| !r.repo.commands.is_empty() || !r.repo.command_sources.is_empty());
    let keep_unkinded = declaration_repo || !found_commands;
    for mut r in reports {
        if keep_unkinded {
            r.diagnostics.append(&mut r.unkinded);
        }
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
    let mut texts = Vec::new();
    if let Some(lock) = lock {
        let (t, more) = resolved::apply(&mut v, lock, limits);
        texts = t;
        via.extend(more);
    }
    let all: Vec<RawFile> = files.iter().chain(&texts).cloned().collect();
    let mut cross = references::check(&v.repo);
    cross.extend(locate_via(
        &all,
        limits,
        references::check_via(&v.repo, &via),
    ));
    cross.extend(environments::check(&v.repo, &via, which));
    quote_sources(&mut v, &cross, &all);
    v.diagnostics.extend(cross);
    diag::sort(&mut v.diagnostics);
    v
}

/// Keep the text of each file these diagnostics point into, so they can be quoted.
pub fn quote_sources(v: &mut Validation, diagnostics: &[Diagnostic], files: &[RawFile]) {
    for d in diagnostics {
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
}

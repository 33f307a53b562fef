//! Two revisions of a declaration repo read, validated and compared (`xcs diff`, `xcs review`):
//! the files git knows are unchanged are checked once for both sides.

use super::Diff;
use crate::load::source::shared_files;
use crate::load::{LoadError, RawFile, Source};
use crate::model::environment::OverlayError;
use crate::model::{Origin, Repo};
use crate::validate::{Environments, LockInput, Validation, validate_revisions};
use std::collections::HashSet;
use std::path::Path;

/// Why two revisions could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum RevisionsError {
    #[error("reading the base revision `{rev}`")]
    Base {
        rev: String,
        #[source]
        source: LoadError,
    },
    #[error("reading {what}")]
    Head {
        what: String,
        #[source]
        source: LoadError,
    },
    #[error("finding the files the revisions share")]
    Shared(#[source] LoadError),
    #[error(transparent)]
    Environment(#[from] OverlayError),
}

/// Both revisions read and validated, and their diff.
pub struct Compared {
    pub base: Validation,
    pub head: Validation,
    pub diff: Diff,
    pub base_label: String,
    pub head_label: String,
    /// Something a reader should know about how the sides were taken.
    pub notes: Vec<String>,
}

/// Read `base` and `head` (the work tree when `None`) of the repo at `dir`, narrowed to `env`
/// when given, and compare them.
pub fn compare(
    dir: &Path,
    base_rev: &str,
    head_rev: Option<&str>,
    env: Option<&str>,
) -> Result<Compared, RevisionsError> {
    let which = env.map_or(Environments::All, Environments::Only);
    let read = |source: &Source| -> Result<(Vec<RawFile>, LockInput), LoadError> {
        let (path, text) = source.lock_text()?;
        Ok((source.files()?, LockInput { path, text }))
    };
    // Reading the base also proves `dir` is in a git repository before the work tree is read.
    let base_source = Source::new(dir, Some(base_rev));
    let (base_files, base_lock) = read(&base_source).map_err(|source| RevisionsError::Base {
        rev: base_rev.to_string(),
        source,
    })?;
    let head_source = Source::new(dir, head_rev);
    let (head_files, head_lock) = read(&head_source).map_err(|source| RevisionsError::Head {
        what: head_rev.map_or("the work tree".to_string(), |r| {
            format!("the head revision `{r}`")
        }),
        source,
    })?;
    // What git knows is unchanged is checked once for both sides.
    let shared = shared_files(&base_source, &base_files, &head_source, &head_files)
        .map_err(RevisionsError::Shared)?;
    // Without an environment the base needs no second copy of the shared commands: the diff
    // knows them by origin. An environment's overlay may differ between the sides, so there
    // both are kept whole.
    let lean = env.is_none();
    let (base, head) = validate_revisions(
        (&base_files, Some(&base_lock)),
        (&head_files, Some(&head_lock)),
        &shared,
        which,
        lean,
    );
    let shared_rels: HashSet<&str> = base_files
        .iter()
        .zip(&shared)
        .filter(|(_, j)| j.is_some())
        .map(|(f, _)| f.rel.as_ref())
        .collect();
    let same = |b: &Origin, h: &Origin| {
        lean && b.rel == h.rel && b.doc == h.doc && shared_rels.contains(b.rel.as_ref())
    };
    let mut notes = Vec::new();
    let (base_repo, head_repo) = match env {
        None => (None, None),
        Some(name) => {
            let head_repo = crate::model::environment::for_environment(&head.repo, name)?;
            let base_repo = match crate::model::environment::for_environment(&base.repo, name) {
                Ok(r) => r,
                Err(e) => {
                    let why = match e {
                        crate::model::environment::OverlayError::UnknownEnvironment { .. } => {
                            format!("environment `{name}` does not exist at the base")
                        }
                        e => format!("environment `{name}` cannot be applied at the base: {e}"),
                    };
                    notes.push(format!(
                        "{why}; the base counts as empty, so everything shows as added"
                    ));
                    Repo::default()
                }
            };
            (Some(base_repo), Some(head_repo))
        }
    };
    let diff = super::diff_sharing(
        base_repo.as_ref().unwrap_or(&base.repo),
        head_repo.as_ref().unwrap_or(&head.repo),
        &same,
    );
    for (side, v) in [("base", &base), ("head", &head)] {
        let counts = v.counts();
        if counts.errors > 0 {
            notes.push(format!(
                "the {side} has {}; the diff covers what could be read (run `xcs validate`)",
                crate::diag::plural(counts.errors, "validation error")
            ));
        }
    }
    Ok(Compared {
        base,
        head,
        diff,
        base_label: base_rev.to_string(),
        head_label: head_rev.unwrap_or("work tree").to_string(),
        notes,
    })
}

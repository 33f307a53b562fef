//! The declarations one XNAT should match: the repo loaded and validated, narrowed to an
//! environment when one is named. Shared by `plan`, `apply` and `review`'s live plan.

use crate::load::{LoadError, Source};
use crate::model::Repo;
use crate::model::environment::XnatVariables;
use crate::validate::{self, Environments, Validation};
use std::path::Path;

/// A repo ready to plan against one XNAT, with the variables that name that XNAT.
#[derive(Debug)]
pub struct Declarations {
    pub repo: Repo,
    pub vars: XnatVariables,
}

#[derive(Debug, thiserror::Error)]
pub enum DeclarationsError {
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Validation errors: the report is in the [`Validation`] (for the caller to print).
    #[error("{} has validation errors; fix them first (`xcs validate {}`)", .dir, .dir)]
    Invalid {
        dir: String,
        validation: Box<Validation>,
    },
    #[error("no environment `{name}` in {dir} (known: {known})")]
    UnknownEnvironment {
        name: String,
        dir: String,
        known: String,
    },
    /// The repo declares environments, so the base repo is no XNAT's state: one must be named.
    #[error("{dir} declares environments ({known}): pass --env NAME to say which XNAT this is for")]
    EnvironmentRequired { dir: String, known: String },
    #[error(transparent)]
    Overlay(#[from] crate::model::environment::OverlayError),
}

/// Load and validate `dir`, then narrow it to environment `env`. A repo that declares
/// environments needs `env`: planning its base repo against some XNAT would silently apply
/// what no environment describes.
pub fn load(dir: &Path, env: Option<&str>) -> Result<Declarations, DeclarationsError> {
    let source = Source::new(dir, None);
    let which = env.map_or(Environments::All, Environments::Only);
    let v = validate::validate_source_with(&source, which)?;
    let shown = dir.display().to_string();
    if v.has_errors() {
        return Err(DeclarationsError::Invalid {
            dir: shown,
            validation: Box::new(v),
        });
    }
    let known = crate::model::environment::known_environments(&v.repo);
    match env {
        None if !v.repo.environments.is_empty() => {
            Err(DeclarationsError::EnvironmentRequired { dir: shown, known })
        }
        None => Ok(Declarations {
            repo: v.repo,
            vars: XnatVariables::default(),
        }),
        Some(name) => {
            let Some(e) = v.repo.environment(name) else {
                return Err(DeclarationsError::UnknownEnvironment {
                    name: name.to_string(),
                    dir: shown,
                    known,
                });
            };
            let vars = e.spec.xnat.clone();
            let repo = crate::model::environment::for_environment(&v.repo, name)?;
            Ok(Declarations { repo, vars })
        }
    }
}

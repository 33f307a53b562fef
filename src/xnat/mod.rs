//! The XNAT client. Every quirk of the Container Service REST API that a reconciler must know
//! lives in this module, named and cited (`ref:` = `xnat-container-service-api.md` or
//! `xnat-core-api.md` in the project's shared reference).
//!
//! Behaviour common to all calls: one XNAT session per run (the `JSESSIONID` cookie is kept, so
//! XNAT does not open a server session per request; ref core §1.1), a non-browser User-Agent
//! (no CSRF checks, no login redirects; ref core §1.4–1.5), bounded concurrency, timeouts, and
//! retries with backoff for reads and for writes that are safe to repeat.

pub mod commands;
pub mod config_service;
pub mod docker;
pub mod events;
mod http;
pub mod images;
pub mod observe;
pub mod observe_stored;
pub mod probe;
pub mod roles;
pub mod stored_config;
pub mod wire;
pub mod wrappers;

pub use http::{Client, Stats};
pub use wire::Capabilities;

use crate::model::Secret;
use std::path::PathBuf;
use std::time::Duration;

/// Where and how to reach XNAT.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Site URL, e.g. `https://xnat.example.org` (no trailing `/xapi`).
    pub url: String,
    pub user: String,
    /// Password, or the secret of an alias token (`user` is then the alias).
    pub password: Secret,
    /// Extra trusted CA certificate (PEM) for a site with a private CA.
    pub ca_cert: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Attempts for a request that is safe to repeat.
    pub attempts: u32,
}

impl Endpoint {
    pub fn new(url: &str, user: &str, password: Secret) -> Endpoint {
        Endpoint {
            url: url.trim_end_matches('/').to_string(),
            user: user.to_string(),
            password,
            ca_cert: None,
            timeout: Duration::from_secs(30),
            concurrency: 8,
            attempts: 4,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum XnatError {
    /// XNAT answered with an error status; `message` is its plain-text body.
    #[error("{method} {path}: HTTP {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Status {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    #[error("{method} {path}: {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
    },
    #[error("{method} {path}: unexpected response: {message}")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
    #[error("cannot log in to {url} as `{user}`: {message}")]
    Login {
        url: String,
        user: String,
        message: String,
    },
    #[error("{0}")]
    Setup(String),
}

impl XnatError {
    pub fn status(&self) -> Option<u16> {
        match self {
            XnatError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A failure that may pass on retry: no answer, or a server-side error.
    pub fn is_transient(&self) -> bool {
        match self {
            XnatError::Transport { .. } => true,
            XnatError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, XnatError>;

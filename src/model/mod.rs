//! The declaration model: every kind a repo can declare, in memory, with no IO.
//!
//! Validation, diff, plan, apply and the catalog site all read this one model.

pub mod archive;
pub mod automation;
pub mod backend;
pub mod canonical;
pub mod command;
pub mod credential;
pub mod enablement;
pub mod environment;
pub mod json_schema;
pub mod lock;
pub mod redact;
pub mod registry;
pub mod repo;
pub mod secret;
pub mod source;
pub mod template;

pub use automation::{Automation, EventTrigger};
pub use backend::{BackendKind, ComputeBackend, ImageArchive};
pub use command::{
    Command, CommandInput, CommandOutput, Mount, OutputHandler, Wrapper, WrapperInput,
};
pub use enablement::{Project, Site, WrapperConfig, WrapperSetting};
pub use environment::Environment;
pub use registry::Registry;
pub use repo::{CommandRef, Declared, Origin, Repo};
pub use secret::{Secret, SecretRef};
pub use source::CommandSource;

use serde::{Deserialize, Serialize};

/// The kinds of document a declaration repo holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    Command,
    Registry,
    ComputeBackend,
    Site,
    Project,
    Automation,
    Environment,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Command,
        Kind::Registry,
        Kind::ComputeBackend,
        Kind::Site,
        Kind::Project,
        Kind::Automation,
        Kind::Environment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Command => "Command",
            Kind::Registry => "Registry",
            Kind::ComputeBackend => "ComputeBackend",
            Kind::Site => "Site",
            Kind::Project => "Project",
            Kind::Automation => "Automation",
            Kind::Environment => "Environment",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// File name of the kind's JSON Schema in `schemas/`.
    pub fn schema_file(self) -> String {
        format!("{}.schema.json", self.slug())
    }

    /// Lower-case, dash-separated name (`compute-backend`).
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Command => "command",
            Kind::Registry => "registry",
            Kind::ComputeBackend => "compute-backend",
            Kind::Site => "site",
            Kind::Project => "project",
            Kind::Automation => "automation",
            Kind::Environment => "environment",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

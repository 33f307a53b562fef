//! XNAT's wire types: the shapes the Container Service API sends and takes, with no client code.
//! Pure data, so the planner (which compares them with the model) can use them without
//! depending on the HTTP client; the client files beside this one send and read them.

use crate::model::Secret;
use crate::model::canonical::Stored;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A scope: the site, or one project.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    Site,
    Project(String),
}

impl Scope {
    /// The path prefix of this scope's wrapper endpoints.
    pub fn prefix(&self) -> String {
        match self {
            Scope::Site => "/xapi".to_string(),
            Scope::Project(p) => format!("/xapi/projects/{p}"),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Site => f.write_str("site"),
            Scope::Project(p) => write!(f, "project {p}"),
        }
    }
}

/// XNAT's `CommandConfiguration`: as GET returns it, the wrapper's own values overlaid with the
/// stored overrides (site, then project); as POST takes it, the overrides. XNAT persists exactly
/// the fields a declared configuration has (ref §5), so the model's type is the wire type too;
/// the other fields GET shows (`description`, `type`, `required`) are ignored.
pub use crate::model::enablement::{
    InputOverride as ConfigInput, OutputOverride as ConfigOutput,
    WrapperConfig as CommandConfiguration,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The Container Service plugin's version, e.g. `3.7.3`.
    pub cs_version: String,
    /// The account used (the alias, for an alias token).
    pub username: String,
}

impl Capabilities {
    fn version_parts(&self) -> (u32, u32, u32) {
        let mut parts = self
            .cs_version
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(0));
        (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        )
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        let (a, b, _) = self.version_parts();
        (a, b) >= (major, minor)
    }

    /// Fields this server stores: `visibility` and `command-metadata` arrived in CS 3.7.0
    /// (ref §12); an older server silently drops them, so they must not show as drift.
    pub fn stored(&self) -> Stored {
        let new = self.at_least(3, 7);
        Stored {
            visibility: new,
            metadata: new,
        }
    }
}

/// An image host as XNAT shows it: the password and token are write-only and never shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Hub {
    pub id: i64,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub default: bool,
}

/// What xcs sends for a hub. Secrets go only into the request body.
pub struct HubBody<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub username: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password: Option<&'a Secret>,
    pub token: Option<&'a Secret>,
}

impl HubBody<'_> {
    /// The request body (with `id` for an update).
    pub fn json(&self, id: Option<i64>) -> Value {
        let mut v = json!({
            "name": self.name,
            "url": self.url,
            "username": self.username.unwrap_or(""),
            "email": self.email.unwrap_or(""),
            // Blank keeps the stored password when url and username are unchanged (ref §2).
            "password": self.password.map_or("", |s| s.expose()),
            "token": self.token.map_or("", |s| s.expose()),
        });
        if let (Some(id), Some(o)) = (id, v.as_object_mut()) {
            o.insert("id".into(), json!(id));
        }
        v
    }
}

/// Each wrapper is one event-service action; the key names the wrapper's id (ref §7b).
pub fn action_key(wrapper_id: i64) -> String {
    format!("org.nrg.containers.services.CommandActionProvider:{wrapper_id}")
}

pub fn wrapper_of_action(key: &str) -> Option<i64> {
    key.strip_prefix("org.nrg.containers.services.CommandActionProvider:")?
        .parse()
        .ok()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Subscription {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub active: bool,
    pub action_key: String,
    #[serde(default)]
    pub attributes: IndexMap<String, String>,
    pub event_filter: EventFilter,
    #[serde(default)]
    pub act_as_event_user: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EventFilter {
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default)]
    pub project_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_filter: Option<String>,
}

/// An image as XNAT lists it (`DockerImage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Image {
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing)]
    pub labels: std::collections::BTreeMap<String, String>,
}

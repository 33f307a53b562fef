//! Who we are on this XNAT and which Container Service it runs.

use super::{Client, Result, XnatError};
use crate::model::canonical::Stored;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The Container Service plugin's version, e.g. `3.7.3`.
    pub cs_version: String,
    /// The account used (the alias, for an alias token).
    pub username: String,
    /// The account's XNAT roles (`GET /xapi/users/{me}/roles`, ref core §4), or None when XNAT
    /// would not say.
    pub roles: Option<Vec<String>>,
}

/// XNAT's site-administrator role (ref core §4: `UserRole.ROLE_ADMINISTRATOR`).
pub const ADMINISTRATOR: &str = "Administrator";
/// The Container Service's manager role (ref CS §0), from CS 3.7.0 on.
pub const CONTAINER_MANAGER: &str = "ContainerManager";

#[derive(Deserialize)]
struct Plugin {
    version: Option<String>,
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

/// `GET /xapi/plugins/containers` (ref core §5; plugin id `containers`), and who we are:
/// `GET /xapi/users/username` then that user's roles (ref core §4), so a plan can say up front
/// which role an apply would miss.
pub async fn probe(client: &Client) -> Result<Capabilities> {
    let (plugin, me) = tokio::try_join!(
        client.get_optional::<Plugin>("/xapi/plugins/containers"),
        client.get_text("/xapi/users/username"),
    )?;
    let Some(plugin) = plugin else {
        return Err(XnatError::Setup(format!(
            "{} has no Container Service plugin (GET /xapi/plugins/containers is 404)",
            client.url()
        )));
    };
    let username = me.trim().to_string();
    let roles = if username.is_empty() {
        None
    } else {
        client
            .get_json::<Option<Vec<String>>>(&format!("/xapi/users/{username}/roles"), &[])
            .await
            .ok()
            .flatten()
    };
    Ok(Capabilities {
        cs_version: plugin.version.unwrap_or_else(|| "unknown".into()),
        username: if username.is_empty() {
            client.user().to_string()
        } else {
            username
        },
        roles,
    })
}

impl Capabilities {
    /// Whether the account has `role` (None: XNAT did not say).
    pub fn has_role(&self, role: &str) -> Option<bool> {
        self.roles.as_ref().map(|r| r.iter().any(|x| x == role))
    }
}

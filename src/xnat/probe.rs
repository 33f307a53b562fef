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
}

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

/// `GET /xapi/plugins/containers` (ref core §5; plugin id `containers`): one request, so a
/// plan's reads stay within its budget. Permission problems surface on the first write, with
/// XNAT's own message.
pub async fn probe(client: &Client) -> Result<Capabilities> {
    let plugin: Option<Plugin> = client.get_optional("/xapi/plugins/containers").await?;
    let Some(plugin) = plugin else {
        return Err(XnatError::Setup(format!(
            "{} has no Container Service plugin (GET /xapi/plugins/containers is 404)",
            client.url()
        )));
    };
    Ok(Capabilities {
        cs_version: plugin.version.unwrap_or_else(|| "unknown".into()),
        username: client.user().to_string(),
    })
}

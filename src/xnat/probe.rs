//! Who we are on this XNAT and which Container Service it runs.

pub use super::wire::{ADMINISTRATOR, CONTAINER_MANAGER, Capabilities};
use super::{Client, Result, XnatError};
use serde::Deserialize;

#[derive(Deserialize)]
struct Plugin {
    version: Option<String>,
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

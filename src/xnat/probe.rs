//! Who we are on this XNAT and which Container Service it runs.

pub use super::wire::Capabilities;
use super::{Client, Result, XnatError};
use serde::Deserialize;

#[derive(Deserialize)]
struct Plugin {
    version: Option<String>,
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

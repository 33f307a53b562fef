//! The compute backend (ref §1) and image hosts (ref §2).

use super::http::{Body, Repeat, decode};
use super::{Client, Result, XnatError};
use reqwest::Method;
use serde_json::Value;

pub use super::wire::{Hub, HubBody};

/// `GET /xapi/docker/server`; 404 means none is configured.
pub async fn server(client: &Client) -> Result<Option<Value>> {
    client.get_optional("/xapi/docker/server").await
}

/// `POST /xapi/docker/server` → 201. It creates a new row with a new id and disables the old
/// one; booleans left out are stored as false, so every field is sent (ref §1). Repeating it
/// only makes another identical row.
pub async fn set_server(client: &Client, body: &Value) -> Result<()> {
    client
        .request(
            Method::POST,
            "/xapi/docker/server",
            &[],
            Body::Json(body.clone()),
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// `GET /xapi/docker/hubs`.
pub async fn hubs(client: &Client) -> Result<Vec<Hub>> {
    client.get_json("/xapi/docker/hubs", &[]).await
}

/// `POST /xapi/docker/hubs?default=…` → 201 with the hub. Verified by name on an unknown
/// outcome, since names are unique.
pub async fn create_hub(client: &Client, hub: &HubBody<'_>, default: bool) -> Result<i64> {
    let path = "/xapi/docker/hubs";
    let find = async {
        Ok(hubs(client)
            .await?
            .into_iter()
            .find(|h| h.name == hub.name)
            .map(|h| h.id))
    };
    client
        .create(
            path,
            &[("default", default.to_string())],
            hub.json(None),
            |text| decode::<Hub>(&Method::POST, path, text).map(|h| h.id),
            find,
        )
        .await
}

/// `POST /xapi/docker/hubs/{id}?default=…`: full replacement. The body id must equal the path
/// id (with `default=true` XNAT forwards the body as is; ref §2).
pub async fn update_hub(client: &Client, id: i64, hub: &HubBody<'_>, default: bool) -> Result<()> {
    let query = [("default", default.to_string())];
    client
        .request(
            Method::POST,
            &format!("/xapi/docker/hubs/{id}"),
            &query,
            Body::Json(hub.json(Some(id))),
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// `DELETE /xapi/docker/hubs/{id}`: 409 for the default hub, which xcs never deletes.
pub async fn delete_hub(client: &Client, id: i64) -> Result<()> {
    match client
        .request(
            Method::DELETE,
            &format!("/xapi/docker/hubs/{id}"),
            &[],
            Body::None,
            Repeat::Safe,
        )
        .await
    {
        Ok(_) | Err(XnatError::Status { status: 404, .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

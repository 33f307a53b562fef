//! Event-service subscriptions (ref §7b) and the event service switch (ref core §6).

use super::http::{Body, Repeat};
use super::{Client, Result};
use reqwest::Method;
use serde::Deserialize;

pub use super::wire::{EventFilter, Subscription, action_key, wrapper_of_action};

#[derive(Deserialize)]
struct Prefs {
    #[serde(default)]
    enabled: bool,
}

/// `GET /xapi/events/prefs` → `{"enabled": bool}`; the code default is false.
pub async fn enabled(client: &Client) -> Result<bool> {
    client
        .get_json::<Prefs>("/xapi/events/prefs", &[])
        .await
        .map(|p| p.enabled)
}

/// `PUT /xapi/events/prefs` (site admin).
pub async fn enable(client: &Client) -> Result<()> {
    let body = serde_json::json!({"enabled": true});
    client
        .request(
            Method::PUT,
            "/xapi/events/prefs",
            &[],
            Body::Json(body),
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// `GET /xapi/events/subscriptions` (site admin): every subscription.
pub async fn list(client: &Client) -> Result<Vec<Subscription>> {
    client.get_json("/xapi/events/subscriptions", &[]).await
}

/// `POST /xapi/events/subscription` or, for a project, `/xapi/projects/{p}/events/subscription`
/// → 201 with the text `"<name>:<id>"`. Verified by name on an unknown outcome.
pub async fn create(client: &Client, sub: &Subscription, project: Option<&str>) -> Result<i64> {
    let path = match project {
        Some(p) => format!("/xapi/projects/{p}/events/subscription"),
        None => "/xapi/events/subscription".to_string(),
    };
    let body = serde_json::to_value(sub).unwrap_or_default();
    let find = async {
        Ok(list(client)
            .await?
            .into_iter()
            .find(|s| s.name == sub.name)
            .and_then(|s| s.id))
    };
    let parse = |text: &str| {
        let text = text.trim().trim_matches('"');
        text.rsplit_once(':')
            .and_then(|(_, id)| id.trim().parse().ok())
            .ok_or_else(|| super::XnatError::Decode {
                method: "POST".into(),
                path: path.clone(),
                message: format!("expected `<name>:<id>`, got `{text}`"),
            })
    };
    client.create(&path, &[], body, parse, find).await
}

/// `PUT /xapi/events/subscription/{id}`.
pub async fn update(client: &Client, id: i64, sub: &Subscription) -> Result<()> {
    let body = serde_json::to_value(sub).unwrap_or_default();
    client
        .request(
            Method::PUT,
            &format!("/xapi/events/subscription/{id}"),
            &[],
            Body::Json(body),
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// `POST /xapi/events/subscription/{id}/activate` or `/deactivate`.
pub async fn set_active(client: &Client, id: i64, active: bool) -> Result<()> {
    let verb = if active { "activate" } else { "deactivate" };
    client
        .request(
            Method::POST,
            &format!("/xapi/events/subscription/{id}/{verb}"),
            &[],
            Body::None,
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// `DELETE /xapi/events/subscription/{id}` → 204.
pub async fn delete(client: &Client, id: i64) -> Result<()> {
    client
        .request(
            Method::DELETE,
            &format!("/xapi/events/subscription/{id}"),
            &[],
            Body::None,
            Repeat::Safe,
        )
        .await
        .map(drop)
}

//! Event-service subscriptions (ref §7b) and the event service switch (ref core §6).

use super::http::{Body, Repeat};
use super::{Client, Result};
use indexmap::IndexMap;
use reqwest::Method;
use serde::{Deserialize, Serialize};

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

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
/// Releases whose service answers `null` while disabled send 200 with an empty body: none.
pub async fn list(client: &Client) -> Result<Vec<Subscription>> {
    let path = "/xapi/events/subscriptions";
    let text = client.get_text(path).await?;
    if text.trim().is_empty() || text.trim() == "null" {
        return Ok(Vec::new());
    }
    super::http::decode(&Method::GET, path, &text)
}

/// What a create did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new subscription with this id.
    New(i64),
    /// XNAT refused the name as taken (xnat-web
    /// `EventSubscriptionEntityServiceImpl.throwExceptionIfNameExists`: 500 "Subscription with
    /// the name :<name> exists."): the existing subscription of that name, not created by this
    /// run.
    Existing(i64),
}

async fn find_by_name(client: &Client, name: &str) -> Result<Option<i64>> {
    Ok(list(client)
        .await?
        .into_iter()
        .find(|s| s.name == name)
        .and_then(|s| s.id))
}

fn name_taken(e: &super::XnatError, name: &str) -> bool {
    matches!(e, super::XnatError::Status { status: 500, message, .. }
        if message.contains(&format!("Subscription with the name :{name} exists")))
}

/// `POST /xapi/events/subscription` or, for a project, `/xapi/projects/{p}/events/subscription`
/// → 201 with the text `"<name>:<id>"` (ref §7b). Never sent twice: on an unknown outcome (no
/// answer, another 5xx) the subscription is looked up by name instead.
pub async fn create(client: &Client, sub: &Subscription, project: Option<&str>) -> Result<Created> {
    let path = match project {
        Some(p) => format!("/xapi/projects/{p}/events/subscription"),
        None => "/xapi/events/subscription".to_string(),
    };
    let body = serde_json::to_value(sub).unwrap_or_default();
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
    match client
        .request(Method::POST, &path, &[], Body::Json(body), Repeat::Once)
        .await
    {
        Ok(r) => parse(&r.text).map(Created::New),
        Err(e) if name_taken(&e, &sub.name) => match find_by_name(client, &sub.name).await? {
            Some(id) => Ok(Created::Existing(id)),
            None => Err(e),
        },
        Err(e) if e.is_transient() => match find_by_name(client, &sub.name).await {
            Ok(Some(id)) => Ok(Created::New(id)),
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
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

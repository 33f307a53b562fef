//! Commands and wrappers (ref §4).

use super::http::{Body, Repeat, decode};
use super::{Client, Result, XnatError};
use crate::model::Command;
use reqwest::Method;
use serde_json::Value;

/// `GET /xapi/commands`: every command with its wrappers and their ids, in one request.
pub async fn list(client: &Client) -> Result<Vec<Command>> {
    let values: Vec<Value> = client.get_json("/xapi/commands", &[]).await?;
    values
        .into_iter()
        .map(|v| {
            serde_json::from_value(v).map_err(|e| XnatError::Decode {
                method: "GET".into(),
                path: "/xapi/commands".into(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// `GET /xapi/commands?name=&image=&version=`: the id of the command with this identity.
pub async fn find(
    client: &Client,
    name: &str,
    image: &str,
    version: Option<&str>,
) -> Result<Option<i64>> {
    let mut query = vec![("name", name.to_string()), ("image", image.to_string())];
    if let Some(v) = version {
        query.push(("version", v.to_string()));
    }
    let found: Vec<Command> = client.get_json("/xapi/commands", &query).await?;
    Ok(found.into_iter().find_map(|c| c.id))
}

/// `POST /xapi/commands` → 201 with the new id as a bare number. Not repeated blindly: after a
/// failure whose outcome is unknown (no answer, or a 5xx), the command is looked up by its
/// identity (name, image, version), which XNAT keeps unique.
pub async fn create(
    client: &Client,
    body: &Value,
    identity: (&str, &str, Option<&str>),
) -> Result<i64> {
    let path = "/xapi/commands";
    client
        .create(
            path,
            &[],
            body.clone(),
            |text| decode::<i64>(&Method::POST, path, text.trim()),
            find(client, identity.0, identity.1, identity.2),
        )
        .await
}

/// `POST /xapi/commands/{id}`: full replacement; children matched by name, so wrapper ids,
/// enablement and subscriptions survive for wrappers whose name is kept (ref §4). Safe to
/// repeat.
pub async fn update(client: &Client, id: i64, body: &Value) -> Result<()> {
    let mut body = body.clone();
    if let Some(o) = body.as_object_mut() {
        o.insert("id".into(), Value::from(id));
    }
    client
        .request(
            Method::POST,
            &format!("/xapi/commands/{id}"),
            &[],
            Body::Json(body),
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// `DELETE /xapi/commands/{id}`: 204, also for an unknown id; deletes its wrappers.
pub async fn delete(client: &Client, id: i64) -> Result<()> {
    client
        .request(
            Method::DELETE,
            &format!("/xapi/commands/{id}"),
            &[],
            Body::None,
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// `GET /xapi/commands/{id}`: one command with its wrappers (and their ids).
pub async fn get(client: &Client, id: i64) -> Result<Command> {
    client.get_json(&format!("/xapi/commands/{id}"), &[]).await
}

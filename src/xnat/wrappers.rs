//! Wrapper enablement and configuration, site-wide (ref §5) and per project (ref §6).
//!
//! Quirks handled here: a config POST *enables* the wrapper unless `enable=false` (which leaves
//! the state alone, never disables); the `/wrappers/{id}/…` write forms do not check that the
//! wrapper exists, so ids always come from a fresh `GET /xapi/commands`.

use super::http::{Body, Repeat};
use super::{Client, Result};
use reqwest::Method;

pub use super::wire::{CommandConfiguration, ConfigInput, ConfigOutput, Scope};

/// `GET /xapi/wrappers/{id}/enabled` → bare `true`/`false` (site scope).
pub async fn site_enabled(client: &Client, wrapper: i64) -> Result<bool> {
    client
        .get_json(&format!("/xapi/wrappers/{wrapper}/enabled"), &[])
        .await
}

/// `GET /xapi/wrappers/{id}/projects`: projects whose *project-scope* flag is on (not ANDed with
/// the site flag).
pub async fn enabled_projects(client: &Client, wrapper: i64) -> Result<Vec<String>> {
    client
        .get_json(&format!("/xapi/wrappers/{wrapper}/projects"), &[])
        .await
}

/// `PUT …/wrappers/{id}/enabled` or `…/disabled`.
pub async fn set_enabled(
    client: &Client,
    scope: &Scope,
    wrapper: i64,
    enabled: bool,
) -> Result<()> {
    let verb = if enabled { "enabled" } else { "disabled" };
    let path = format!("{}/wrappers/{wrapper}/{verb}", scope.prefix());
    client
        .request(
            Method::PUT,
            &path,
            &[("reason", "xcs apply".to_string())],
            Body::None,
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// `GET …/wrappers/{id}/config`: the materialised configuration.
pub async fn config(client: &Client, scope: &Scope, wrapper: i64) -> Result<CommandConfiguration> {
    client
        .get_json(
            &format!("{}/wrappers/{wrapper}/config", scope.prefix()),
            &[],
        )
        .await
}

/// `POST …/wrappers/{id}/config?enable=…`: replaces the stored overrides. `enable` carries the
/// wrapper's intended state: true enables it, false leaves the state as it is.
pub async fn set_config(
    client: &Client,
    scope: &Scope,
    wrapper: i64,
    config: &CommandConfiguration,
    enable: bool,
) -> Result<()> {
    let path = format!("{}/wrappers/{wrapper}/config", scope.prefix());
    // Both maps always present: XNAT's binder does not expect them to be missing.
    let body = serde_json::json!({"inputs": config.inputs, "outputs": config.outputs});
    let query = [
        ("enable", enable.to_string()),
        ("reason", "xcs apply".to_string()),
    ];
    client
        .request(Method::POST, &path, &query, Body::Json(body), Repeat::Safe)
        .await
        .map(drop)
}

/// `DELETE …/wrappers/{id}/config`: removes the overrides, keeps the enabled flag.
pub async fn delete_config(client: &Client, scope: &Scope, wrapper: i64) -> Result<()> {
    let path = format!("{}/wrappers/{wrapper}/config", scope.prefix());
    client
        .request(Method::DELETE, &path, &[], Body::None, Repeat::Safe)
        .await
        .map(drop)
}

//! What apply sends, built once here while planning and carried in the plan's steps, so apply
//! needs no lookup back into the repo: the Command body (XNAT's own JSON), the server body, the
//! registry body (secrets as their references only; their values are read when the request is
//! sent, so a saved plan never holds one), and the subscription body (its action key filled in
//! with the wrapper's id when it is known only after the command is written).

use super::CommandKey;
use crate::model::{Automation, Command, Registry, SecretRef};
use crate::xnat::wire::Subscription;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A registry create or update: every field but the secrets' values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegistryRequest {
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `${env:…}` / `${file:…}`: read when the request is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretRef>,
    pub default: bool,
}

impl RegistryRequest {
    pub fn of(r: &Registry) -> RegistryRequest {
        RegistryRequest {
            name: r.name.clone(),
            url: r.url.clone(),
            username: r.username.clone(),
            email: r.email.clone(),
            password: r.password.clone(),
            token: r.token.clone(),
            default: r.default,
        }
    }

    pub fn has_credentials(&self) -> bool {
        self.password.is_some() || self.token.is_some()
    }
}

/// The body of `POST /xapi/commands` (and of an update): the declaration as XNAT's JSON.
pub fn command_body(spec: &Command) -> Value {
    let mut body = serde_json::to_value(spec).unwrap_or_default();
    // The image as XNAT stores it (`:latest` added to an untagged name), so an update in place
    // is not refused for the missing tag.
    if let (Some(image), Some(field)) = (spec.image.as_deref(), body.get_mut("image")) {
        *field = Value::String(crate::model::command::with_default_tag(image));
    }
    body
}

/// A subscription create or update. `body.action_key` is empty when the wrapper's id is known
/// only once its command is written; apply fills it from `command` and `wrapper`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SubscriptionRequest {
    pub body: Subscription,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub command: CommandKey,
    pub wrapper: String,
}

impl SubscriptionRequest {
    pub fn of(a: &Automation, command: CommandKey, wrapper_id: Option<i64>) -> SubscriptionRequest {
        SubscriptionRequest {
            body: super::compute::subscription(a, wrapper_id),
            project: a.project.clone(),
            command,
            wrapper: a.wrapper.clone(),
        }
    }
}

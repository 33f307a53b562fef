//! `kind: Registry`: an XNAT image host ("Docker hub" in XNAT's UI and API).

use super::secret::SecretRef;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An image registry XNAT pulls from. XNAT keeps one credential set per registry URL; the
/// password and token are write-only there, so xcs sends them and never reads them back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Registry {
    /// Registry name, unique in XNAT (e.g. `Docker Hub`, `lab-registry`).
    pub name: String,
    /// Registry URL, unique in XNAT, e.g. `https://index.docker.io/v1/` or `https://registry.example.org`.
    pub url: String,
    /// User name for pulls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password: a reference, `${env:NAME}` or `${file:PATH}`, never the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-sensitive" = true))]
    pub password: Option<SecretRef>,
    /// Access token: a reference, `${env:NAME}` or `${file:PATH}`, never the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-sensitive" = true))]
    pub token: Option<SecretRef>,
    /// E-mail address of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether this is XNAT's default registry, used by pulls that name none. At most one.
    #[serde(default)]
    pub default: bool,
}

impl Registry {
    pub fn has_credentials(&self) -> bool {
        self.password.is_some() || self.token.is_some()
    }
}

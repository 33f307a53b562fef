//! `kind: Environment`: one XNAT the repo is applied to (dev, staging, production…), what of the
//! repo applies there, and the values that differ there.
//!
//! The repo itself stays the single description; an environment only selects and overrides.
//! [`overlay()`] (in `overlay.rs`) turns the two into the repo for that XNAT; the rules that check
//! an environment against the repo are `validate/environments.rs`.

mod overlay;

pub use overlay::{
    OverlayError, OverlayProblem, for_environment, known_environments, overlay, overlay_lenient,
};

use crate::model::backend::ComputeBackend;
use crate::model::secret::SecretRef;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One XNAT this repo drives, what applies there and what differs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Environment {
    /// Environment name, unique in the repo, as given to `--env` (e.g. `production`). Name the
    /// file after it: `environments/production.yaml`.
    pub name: String,
    /// What this environment is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which process environment variables hold this XNAT's address and credentials.
    #[serde(default, skip_serializing_if = "XnatVariables::is_default")]
    pub xnat: XnatVariables,
    /// Which of the repo's declarations apply here; everything when absent.
    #[serde(default, skip_serializing_if = "Selection::is_everything")]
    pub only: Selection,
    /// Values that differ here.
    #[serde(default, skip_serializing_if = "Overrides::is_empty")]
    pub overrides: Overrides,
}

/// Names of the environment variables `plan` and `apply` read for this XNAT. In CI they come
/// from the secret store (GitHub: the environment's secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct XnatVariables {
    /// Variable holding the XNAT base URL. Default `XNAT_URL`.
    #[serde(default = "default_url")]
    pub url_variable: String,
    /// Variable holding the user name. Default `XNAT_USER`.
    #[serde(default = "default_user")]
    pub user_variable: String,
    /// Variable holding the password. Default `XNAT_PASS`.
    #[serde(default = "default_pass")]
    pub password_variable: String,
    /// Variable holding an alias token, used instead of user and password when set. Default
    /// `XNAT_TOKEN`.
    #[serde(default = "default_token")]
    pub token_variable: String,
}

fn default_url() -> String {
    "XNAT_URL".into()
}
fn default_user() -> String {
    "XNAT_USER".into()
}
fn default_pass() -> String {
    "XNAT_PASS".into()
}
fn default_token() -> String {
    "XNAT_TOKEN".into()
}

impl Default for XnatVariables {
    fn default() -> Self {
        XnatVariables {
            url_variable: default_url(),
            user_variable: default_user(),
            password_variable: default_pass(),
            token_variable: default_token(),
        }
    }
}

impl XnatVariables {
    pub fn is_default(&self) -> bool {
        *self == XnatVariables::default()
    }
    /// Every variable name, with the key it is declared under.
    pub fn all(&self) -> [(&'static str, &str); 4] {
        [
            ("url-variable", &self.url_variable),
            ("user-variable", &self.user_variable),
            ("password-variable", &self.password_variable),
            ("token-variable", &self.token_variable),
        ]
    }
}

/// Allow-lists. A list that is absent keeps everything of its kind; a list that is present keeps
/// only what it names. Whatever depends on a dropped declaration goes with it (a dropped command
/// takes its Site and Project entries and its Automations along; a dropped project its
/// Automations).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Selection {
    /// Commands that apply here: `name`, or `name@version` for one version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<Vec<String>>,
    /// XNAT project ids whose Project declarations apply here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects: Option<Vec<String>>,
    /// Automations (by name) that apply here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automations: Option<Vec<String>>,
}

impl Selection {
    pub fn is_everything(&self) -> bool {
        self.commands.is_none() && self.projects.is_none() && self.automations.is_none()
    }
}

/// Values that differ in this environment. Each entry names a declaration of the repo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Overrides {
    /// By registry name: the fields that differ (e.g. a mirror's URL and its credentials).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub registries: IndexMap<String, RegistryOverride>,
    /// The compute backend here, in full: it replaces the repo's ComputeBackend (or adds one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_backend: Option<ComputeBackend>,
    /// By command `name` (or `name@version`): resources and run settings that differ.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub commands: IndexMap<String, CommandOverride>,
    /// By automation name: whether it runs here, and input values that differ.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub automations: IndexMap<String, AutomationOverride>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        self.registries.is_empty()
            && self.compute_backend.is_none()
            && self.commands.is_empty()
            && self.automations.is_empty()
    }
}

/// Registry fields that may differ per environment; absent fields keep the repo's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct RegistryOverride {
    /// Registry URL here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// User name here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password here: a reference, `${env:NAME}` or `${file:PATH}`, never the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-sensitive" = true))]
    pub password: Option<SecretRef>,
    /// Access token here: a reference, `${env:NAME}` or `${file:PATH}`, never the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-sensitive" = true))]
    pub token: Option<SecretRef>,
    /// E-mail address of the account here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Command fields that may differ per environment: where the image comes from and what the
/// container gets. Wrappers, inputs and outputs are the same everywhere, so that what was
/// reviewed is what runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct CommandOverride {
    /// The image here, e.g. the same image through a local mirror. Must keep a tag or digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Memory to reserve here, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve_memory: Option<i64>,
    /// Memory limit here, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_memory: Option<i64>,
    /// CPU limit here, in CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_cpu: Option<f64>,
    /// Size of /dev/shm here, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<i64>,
    /// Container runtime here, e.g. `nvidia`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Docker network here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Swarm generic resources here (replace the command's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_resources: Option<IndexMap<String, String>>,
    /// Environment variables set or changed here (merged into the command's, key by key).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environment_variables: IndexMap<String, String>,
}

/// Automation fields that may differ per environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct AutomationOverride {
    /// Whether the subscription is active here (e.g. off on a test XNAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Input values set or changed here (merged into the automation's, key by key).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, String>,
}

//! `kind: Site` and `kind: Project`: which wrappers are enabled where, and their configuration.
//!
//! For every command the repo declares, the wrappers listed here are the enabled ones; a wrapper
//! of a declared command that a Site (or a declared Project) does not list is disabled there,
//! which is also XNAT's default. Projects the repo does not declare are left alone.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Site-wide wrapper enablement and configuration. One per repo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Site {
    /// Wrappers enabled (or configured) site-wide.
    #[serde(default)]
    pub wrappers: Vec<WrapperSetting>,
}

/// Wrapper enablement and configuration in one XNAT project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Project {
    /// XNAT project id.
    pub id: String,
    /// Wrappers enabled (or configured) in this project. XNAT runs a wrapper in a project only
    /// when it is enabled both site-wide and in the project.
    #[serde(default)]
    pub wrappers: Vec<WrapperSetting>,
}

/// One wrapper's state at a scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct WrapperSetting {
    /// The command's name, or `name@version` when the repo holds several versions.
    pub command: String,
    /// The wrapper's name within that command.
    pub wrapper: String,
    /// Whether the wrapper is enabled here. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Overrides of the wrapper's input defaults and output labels at this scope. Absent: xcs
    /// leaves whatever XNAT has; `{}`: no overrides (xcs removes any it finds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<WrapperConfig>,
}

fn yes() -> bool {
    true
}

/// The parts of XNAT's command configuration it persists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct WrapperConfig {
    /// By wrapper input name (or the name of a command input no wrapper input feeds).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, InputOverride>,
    /// By output handler name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<String, OutputOverride>,
}

impl WrapperConfig {
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty() && self.outputs.is_empty()
    }
}

/// Input settings XNAT stores per scope; anything else in XNAT's config form is ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct InputOverride {
    /// Default value at this scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// JSONPath filter expression at this scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// Whether users may change the value at launch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_settable: Option<bool>,
    /// Show the input under "advanced" in the launch form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<bool>,
}

/// Output settings XNAT stores per scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct OutputOverride {
    /// Label of the uploaded resource at this scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

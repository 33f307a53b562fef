//! A Command declared by where to find it rather than by its content.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Read the `org.nrg.commands` label of an image.
    ImageLabels,
    /// Download a command JSON document.
    Url,
}

/// `kind: Command` with `from:` — the command's JSON is fetched when it is resolved (from an
/// image's `org.nrg.commands` label, or a URL) instead of being written in the repo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct CommandSource {
    /// `image-labels` or `url`.
    pub from: SourceKind,
    /// The tagged image (`from: image-labels`), also the image the commands are installed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Address of a command JSON document (`from: url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Expected SHA-256 of the downloaded document (`from: url`), so a changed document is noticed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Names of the commands to take; all of them when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

//! A Command declared by where to find it rather than by its content.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Read the `org.nrg.commands` label of an image.
    ImageLabels,
    /// Read a JSON or YAML file at `path` inside the image, without running it.
    ImageFile,
    /// Download a command JSON document.
    Url,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::ImageLabels => "image-labels",
            SourceKind::ImageFile => "image-file",
            SourceKind::Url => "url",
        }
    }
}

/// `kind: Command` with `from:` — the command's JSON is fetched when it is resolved (from an
/// image's `org.nrg.commands` label, a file inside an image, or a URL) instead of being written
/// in the repo. `xcs lock` fetches it into `xcs.lock`; everything else reads it from there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct CommandSource {
    /// `image-labels`, `image-file` or `url`.
    pub from: SourceKind,
    /// The tagged image (`from: image-labels` / `image-file`), also the image the commands are
    /// installed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Absolute path of a JSON or YAML command file inside the image (`from: image-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
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

impl CommandSource {
    /// What the source reads, for messages: the image (and path), or the URL.
    pub fn location(&self) -> String {
        match (self.from, &self.image, &self.path, &self.url) {
            (SourceKind::ImageFile, Some(image), Some(path), _) => format!("{image}:{path}"),
            (_, Some(image), _, _) => image.clone(),
            (_, _, _, Some(url)) => url.clone(),
            _ => String::new(),
        }
    }
}

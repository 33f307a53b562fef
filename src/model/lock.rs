//! `xcs.lock`: what `xcs lock` fetched for each `from:` source, so validation, plans and the
//! catalog work offline and apply exactly what was reviewed.
//!
//! The lock holds the fetched text itself (not a cache keyed by hash elsewhere): a fresh clone
//! has everything it needs, and a pull request shows a changed label as a diff of this file.

use super::source::{CommandSource, SourceKind};
use serde::{Deserialize, Serialize};

pub const LOCK_FILE: &str = "xcs.lock";
pub const LOCK_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Lock {
    pub version: u32,
    #[serde(default)]
    pub sources: Vec<LockEntry>,
}

impl Default for Lock {
    fn default() -> Self {
        Lock {
            version: LOCK_VERSION,
            sources: Vec::new(),
        }
    }
}

/// One resolved source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LockEntry {
    pub from: SourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where the text was read: a registry host, `docker-engine`, or the URL's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The digest the image tag pointed to (`sha256:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// SHA-256 of `text` (hex).
    pub sha256: String,
    /// Content hash (hex SHA-256 of its canonical JSON) of each command in `text`, by name.
    #[serde(default)]
    pub commands: std::collections::BTreeMap<String, String>,
    /// The label value or file exactly as fetched.
    pub text: String,
}

impl LockEntry {
    /// Whether this entry records `source` (same kind, image, path and URL).
    pub fn records(&self, source: &CommandSource) -> bool {
        self.from == source.from
            && self.image == source.image
            && self.url == source.url
            && (source.from != SourceKind::ImageFile || self.path == source.path)
    }
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A source after resolution: the text it gave, or why there is none.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// Name of the text in diagnostics: image, registry and label (or file, or URL).
    pub path: std::sync::Arc<str>,
    pub text: String,
    pub shape: TextShape,
    /// Set on every command, as XNAT does on import.
    pub image: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextShape {
    /// An `org.nrg.commands` label value: a JSON list of commands.
    Label,
    Json,
    Yaml,
}

impl TextShape {
    /// By the file name (`from: image-file` / `url`); JSON unless it ends in `.yaml`/`.yml`.
    pub fn of_file(name: &str) -> TextShape {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            TextShape::Yaml
        } else {
            TextShape::Json
        }
    }
}

/// Display name of a resolved text, naming what diagnostics must name.
pub fn text_name(entry: &LockEntry) -> String {
    let registry = entry.registry.as_deref().unwrap_or("?");
    match entry.from {
        SourceKind::ImageLabels => format!(
            "{} (registry {registry}) label org.nrg.commands",
            entry.image.as_deref().unwrap_or("?")
        ),
        SourceKind::ImageFile => format!(
            "{} (registry {registry}) file {}",
            entry.image.as_deref().unwrap_or("?"),
            entry.path.as_deref().unwrap_or("?")
        ),
        SourceKind::Url => entry.url.clone().unwrap_or_default(),
    }
}

/// Content hash of a JSON value: hex SHA-256 of its JSON with object keys sorted, so key order
/// and whitespace do not count.
pub fn content_hash(value: &serde_json::Value) -> String {
    fn sorted(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                serde_json::Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    sha256_hex(&serde_json::to_vec(&sorted(value)).unwrap_or_default())
}

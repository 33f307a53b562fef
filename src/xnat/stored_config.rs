//! The Container Service's own stored documents: per wrapper and scope, CS keeps the enabled
//! flag and the persisted overrides in the config service, tool `container-service`, path
//! `wrapper-<id>` (ref core §2 "tool `container-service` (CS's own store: `wrapper-<id>`, …)";
//! CS `ContainerConfigServiceImpl`, `CommandConfigurationInternal`). One tool-level listing per
//! scope hands over every such document at once, so observing needs one request per scope
//! instead of several per wrapper, and what is compared is exactly what xcs writes.

use super::config_service::{self, Version};
use super::{Client, Result};
use crate::model::WrapperConfig;
use serde::Deserialize;
use std::collections::BTreeMap;

/// CS's tool name in the config service (`ContainerConfigService.TOOL_ID`).
pub const TOOL: &str = "container-service";

/// Listings with more rows than this (every version of every document is listed) are left for
/// the per-wrapper reads.
pub const MAX_ROWS: usize = 200_000;

/// One wrapper's stored document at one scope.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StoredDoc {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(flatten)]
    pub config: WrapperConfig,
}

/// Why the listing was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// XNAT refused it (401/403), with its message.
    Refused(String),
    /// More rows than [`MAX_ROWS`].
    TooLarge(usize),
}

/// The stored documents of a scope by wrapper id, or why the listing cannot be used.
pub async fn read(
    client: &Client,
    project: Option<&str>,
) -> Result<std::result::Result<BTreeMap<i64, StoredDoc>, Unusable>> {
    let rows = match config_service::tool_listing(client, TOOL, project).await {
        Ok(rows) => rows,
        Err(e) if matches!(e.status(), Some(401 | 403)) => {
            return Ok(Err(Unusable::Refused(e.to_string())));
        }
        Err(e) => return Err(e),
    };
    if rows.len() > MAX_ROWS {
        return Ok(Err(Unusable::TooLarge(rows.len())));
    }
    Ok(Ok(documents(rows)))
}

/// The `wrapper-<id>` documents of a listing as CS reads them: the latest version of each,
/// whatever its status (CS reads through `DefaultConfigService.getConfig`, which returns the
/// latest version even when a config-service DELETE marked it disabled, so such a document still
/// configures and enables the wrapper); blank or unparsable contents count as none (CS
/// `ContainerConfigServiceImpl.getCommandConfiguration`).
pub fn documents(rows: Vec<Version>) -> BTreeMap<i64, StoredDoc> {
    config_service::latest(rows)
        .into_iter()
        .filter_map(|v| {
            let id = v.path.strip_prefix("wrapper-")?.parse().ok()?;
            let doc = serde_json::from_str(&v.contents).ok()?;
            Some((id, doc))
        })
        .collect()
}

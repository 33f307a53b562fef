//! XNAT core's config service (ref core §2): where xcs keeps its own small documents (the
//! record of what it manages, and the apply lock) in XNAT itself.
//!
//! Quirks: a raw body must not be sent as `application/json` (XNAT would read it as a wrapper
//! object), so contents go as text; DELETE never removes, it writes a `disabled` version, and a
//! disabled entry reads as absent; any user can read site-scope entries, so nothing secret is
//! ever stored here.

use super::http::{Body, Repeat};
use super::{Client, Result, XnatError};
use reqwest::{Method, StatusCode};

/// The tool name xcs's documents live under (never `container-service`, CS's own store).
pub const TOOL: &str = "xcs";

fn path(name: &str) -> String {
    format!("/data/config/{TOOL}/{name}")
}

/// Contents of a site-scope entry, or None when absent or disabled.
pub async fn get(client: &Client, name: &str) -> Result<Option<String>> {
    let query = [
        ("contents", "true".to_string()),
        ("accept-not-found", "true".to_string()),
    ];
    match client
        .request(Method::GET, &path(name), &query, Body::None, Repeat::Safe)
        .await
    {
        Ok(r) if r.status == StatusCode::NO_CONTENT => Ok(None),
        Ok(r) => Ok(Some(r.text)),
        Err(XnatError::Status { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Store contents (a site-admin write). An unchanged PUT writes no new version.
pub async fn put(client: &Client, name: &str, contents: &str) -> Result<()> {
    let query = [
        ("inbody", "true".to_string()),
        ("status", "enabled".to_string()),
    ];
    client
        .request(
            Method::PUT,
            &path(name),
            &query,
            Body::Text(contents.to_string()),
            Repeat::Safe,
        )
        .await
        .map(drop)
}

/// Mark the entry disabled (XNAT keeps it as a new version). Absent entries are fine.
pub async fn delete(client: &Client, name: &str) -> Result<()> {
    match client
        .request(Method::DELETE, &path(name), &[], Body::None, Repeat::Safe)
        .await
    {
        Ok(_)
        | Err(XnatError::Status {
            status: 404 | 500, ..
        }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One stored version of an entry (ref core §2: a ResultSet row; every value is a string).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Version {
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub contents: String,
    /// `"1"`, `"2"`, …: the server's own order of the writes to this entry.
    #[serde(default, deserialize_with = "number_text")]
    pub version: u64,
    /// `enabled` or `disabled` (a DELETE writes a disabled version).
    #[serde(default)]
    pub status: String,
}

impl Version {
    pub fn enabled(&self) -> bool {
        self.status.is_empty() || self.status == "enabled"
    }
}

fn number_text<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    text.trim().parse().map_err(serde::de::Error::custom)
}

#[derive(serde::Deserialize)]
struct ResultSet {
    #[serde(rename = "ResultSet")]
    result_set: Rows,
}

#[derive(serde::Deserialize)]
struct Rows {
    #[serde(rename = "Result", default)]
    result: Vec<Version>,
}

/// The rows of a config-service ResultSet read (ref core §2); none when nothing is stored
/// (404, or 204 with `accept-not-found`).
async fn rows(client: &Client, path: &str, query: &[(&str, String)]) -> Result<Vec<Version>> {
    let r = match client
        .request(Method::GET, path, query, Body::None, Repeat::Safe)
        .await
    {
        Ok(r) if r.status == StatusCode::NO_CONTENT || r.text.trim().is_empty() => {
            return Ok(Vec::new());
        }
        Ok(r) => r,
        Err(XnatError::Status { status: 404, .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let set: ResultSet = super::http::decode(&Method::GET, path, &r.text)?;
    Ok(set.result_set.result)
}

/// Every version of a site-scope entry, oldest first (`?action=getHistory`, ref core §2);
/// empty when the entry was never written.
pub async fn history(client: &Client, name: &str) -> Result<Vec<Version>> {
    let query = [
        ("action", "getHistory".to_string()),
        ("format", "json".to_string()),
        ("accept-not-found", "true".to_string()),
    ];
    let mut rows = rows(client, &path(name), &query).await?;
    rows.sort_by_key(|r| r.version);
    Ok(rows)
}

/// Every stored version of every path of `tool` at a scope, in one answer (ref core §2:
/// `GET /data/config/{tool}` or `/data/projects/{p}/config/{tool}`, one row per version of every
/// path). Empty when nothing is stored (404).
pub async fn tool_listing(
    client: &Client,
    tool: &str,
    project: Option<&str>,
) -> Result<Vec<Version>> {
    let path = match project {
        Some(p) => format!("/data/projects/{p}/config/{tool}"),
        None => format!("/data/config/{tool}"),
    };
    rows(client, &path, &[("format", "json".to_string())]).await
}

/// The latest version of each path (whatever its status), from a listing.
pub fn latest(rows: Vec<Version>) -> Vec<Version> {
    let mut by_path: std::collections::BTreeMap<String, Version> =
        std::collections::BTreeMap::new();
    for row in rows {
        match by_path.get(&row.path) {
            Some(have) if have.version >= row.version => {}
            _ => {
                by_path.insert(row.path.clone(), row);
            }
        }
    }
    by_path.into_values().collect()
}

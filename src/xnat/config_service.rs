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

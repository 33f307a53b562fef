//! Downloading a command document (`from: url`): https (plain http only to this machine),
//! TLS verified, size-capped while it arrives.

use super::registry::reference::is_loopback_host;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("`{url}`: only https is allowed (plain http only to this machine)")]
    Insecure { url: String },
    #[error("`{url}`: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("`{url}`: {message}")]
    Failed { url: String, message: String },
}

/// The body at `url`, at most `cap` bytes.
/// TLS is verified against the system's roots plus `ca_cert` when given.
pub async fn fetch(
    url: &str,
    cap: u64,
    timeout: Duration,
    ca_cert: Option<&std::path::Path>,
) -> Result<Vec<u8>, DownloadError> {
    let failed = |message: String| DownloadError::Failed {
        url: url.to_string(),
        message,
    };
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split('/').next().unwrap_or("");
        if !is_loopback_host(host) {
            return Err(DownloadError::Insecure {
                url: url.to_string(),
            });
        }
    } else if !url.starts_with("https://") {
        return Err(DownloadError::Insecure {
            url: url.to_string(),
        });
    }
    let client = super::https::client(super::https::Settings {
        timeout: Some(timeout),
        // A redirect must not lead from https to plain http elsewhere: follow none.
        ..super::https::Settings::new(ca_cert)
    })
    .map_err(|e| failed(e.to_string()))?;
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| failed(super::https::describe(&e.without_url())))?;
    if !resp.status().is_success() {
        return Err(DownloadError::Status {
            url: url.to_string(),
            status: resp.status().as_u16(),
        });
    }
    super::registry::read_capped(resp, cap)
        .await
        .map_err(failed)
}

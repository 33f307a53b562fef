//! A lease lock on an XNAT, kept in its config service (entry `lock` of tool `xcs`), so two
//! applies never run at once. XNAT has no compare-and-set: the lock is written, then read back
//! to check this run holds it; a lease expires, so a crashed run does not block forever, and
//! `xcs unlock --force` clears a stale one.

use crate::xnat::{self, Client, config_service};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const ENTRY: &str = "lock";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub holder: String,
    /// Seconds since the Unix epoch.
    pub acquired: u64,
    pub expires: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another apply holds the lock: {} (since {}, until {}); wait, or run `xcs unlock --force` if it is stale", .0.holder, timestamp(.0.acquired), timestamp(.0.expires))]
    Held(Lease),
    #[error("lost the race for the lock to {}", .0.holder)]
    Lost(Lease),
    #[error(transparent)]
    Xnat(#[from] xnat::XnatError),
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-11-26T10:04:05Z`.
pub fn timestamp(secs: u64) -> String {
    crate::time::timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Who this run is: `XCS_LOCK_HOLDER`, else user, host, CI run and process id.
pub fn holder() -> String {
    if let Ok(h) = std::env::var("XCS_LOCK_HOLDER") {
        return h;
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown-host".into());
    let ci = std::env::var("GITHUB_RUN_ID")
        .map(|id| format!(" (GitHub run {id})"))
        .unwrap_or_default();
    format!("{user}@{host} pid {}{ci}", std::process::id())
}

pub async fn current(client: &Client) -> xnat::Result<Option<Lease>> {
    Ok(config_service::get(client, ENTRY)
        .await?
        .and_then(|t| serde_json::from_str(&t).ok()))
}

pub async fn acquire(client: &Client, holder: &str, ttl: Duration) -> Result<Lease, LockError> {
    let now = now();
    if let Some(lease) = current(client).await?
        && lease.expires > now
        && lease.holder != holder
    {
        return Err(LockError::Held(lease));
    }
    let lease = Lease {
        holder: holder.to_string(),
        acquired: now,
        expires: now + ttl.as_secs(),
    };
    config_service::put(
        client,
        ENTRY,
        &serde_json::to_string(&lease).unwrap_or_default(),
    )
    .await?;
    match current(client).await? {
        Some(l) if l.holder == holder => Ok(lease),
        Some(other) => Err(LockError::Lost(other)),
        None => Ok(lease),
    }
}

/// Release a lease this run holds (a newer holder's lease is left alone).
pub async fn release(client: &Client, holder: &str) -> xnat::Result<()> {
    match current(client).await? {
        Some(l) if l.holder == holder => config_service::delete(client, ENTRY).await,
        _ => Ok(()),
    }
}

/// Clear the lock whoever holds it; returns the lease that was there.
pub async fn force_unlock(client: &Client) -> xnat::Result<Option<Lease>> {
    let lease = current(client).await?;
    if lease.is_some() {
        config_service::delete(client, ENTRY).await?;
    }
    Ok(lease)
}

//! The apply lock: a lease kept in XNAT's config service (tool `xcs`, entry `lock`), exclusive
//! with nothing but what XNAT offers. `docs/lock.md` has the reasoning; in short:
//!
//! XNAT has no compare-and-set, but the config service keeps **every version** of an entry and
//! numbers them in the order the server stored them (ref core §2: "every write appends a version
//! row"; `?action=getHistory` lists them). So each apply *appends* a claim (a unique token, its
//! holder and its lease) and then reads the history back. Everyone replays the same history with
//! the same rule — the first claim made while the lock was free wins; a release by the winner's
//! token or a DELETE (`xcs unlock --force`, a `disabled` version) frees it; a lease that ended
//! before a later claim was made frees it for that claim — so every reader reaches the same
//! verdict, and a claim that lost can never win later. Two claims the server gave the same
//! version number (only possible if XNAT numbered two concurrent writes alike) are both void,
//! and a winner confirms its claim once more right before its first write, so such a tie stops
//! both runs instead of letting both go.

use crate::xnat::{self, Client, config_service};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const ENTRY: &str = "lock";

/// Who holds (or held) the lock and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub holder: String,
    /// Seconds since the Unix epoch.
    pub acquired: u64,
    pub expires: u64,
    /// This claim's random token: what makes two runs with the same holder text different.
    #[serde(default)]
    pub token: String,
}

/// One version of the lock entry, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
enum Entry {
    Claim(Lease),
    Release { token: String, holder: String },
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another apply holds the lock: {} (since {}, until {}); wait, or run `xcs unlock --force` if it is stale", .0.holder, timestamp(.0.acquired), timestamp(.0.expires))]
    Held(Lease),
    #[error("lost the race for the lock to {}; run again", .0.holder)]
    Lost(Lease),
    #[error(
        "the lock claim was not confirmed (XNAT does not list it, or another claim has the same version); run again"
    )]
    Unconfirmed,
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

/// Who this run is, for people reading the lock: user, host, CI run and process id. (The
/// claim's random token, not this text, is what tells two runs apart.)
pub fn holder() -> String {
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

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    // Without the system RNG, time and pid still make two runs' tokens differ.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes[..8].copy_from_slice(&(t as u64).to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The verdict of a history: who holds the lock after it, and whether each claim won.
#[derive(Debug, Default, PartialEq, Eq)]
struct Replay {
    holder: Option<Lease>,
    /// Tokens of the claims that took the lock.
    winners: Vec<String>,
}

/// Replay the versions in the server's order. Pure, so every reader of the same history reaches
/// the same verdict.
fn replay(versions: &[config_service::Version]) -> Replay {
    let mut out = Replay::default();
    let mut i = 0;
    while i < versions.len() {
        let v = &versions[i];
        // Rows that share a version number: the server did not order them.
        let tied = versions[i + 1..]
            .iter()
            .take_while(|w| w.version == v.version)
            .count();
        if tied > 0 {
            // Both claims are void; a release or unlock among them still counts.
            for w in &versions[i..=i + tied] {
                apply_row(&mut out, w, false);
            }
            i += tied + 1;
            continue;
        }
        apply_row(&mut out, v, true);
        i += 1;
    }
    out
}

fn apply_row(out: &mut Replay, v: &config_service::Version, may_claim: bool) {
    if !v.enabled() {
        // A DELETE (`xcs unlock --force`): whoever held it does not any more.
        out.holder = None;
        return;
    }
    let entry = match serde_json::from_str::<Entry>(&v.contents) {
        Ok(e) => e,
        // A lease written by an older xcs: a claim whose token is its holder text.
        Err(_) => match serde_json::from_str::<Lease>(&v.contents) {
            Ok(mut l) => {
                if l.token.is_empty() {
                    l.token.clone_from(&l.holder);
                }
                Entry::Claim(l)
            }
            Err(_) => return,
        },
    };
    match entry {
        Entry::Claim(lease) => {
            let free = out
                .holder
                .as_ref()
                .is_none_or(|h| h.expires <= lease.acquired);
            if free && may_claim {
                out.winners.push(lease.token.clone());
                out.holder = Some(lease);
            }
        }
        Entry::Release { token, .. } => {
            if out.holder.as_ref().is_some_and(|h| h.token == token) {
                out.holder = None;
            }
        }
    }
}

/// This run's claim on the lock: its lease, with a token no other run has.
#[derive(Debug, Clone)]
pub struct Claim {
    pub lease: Lease,
}

impl Claim {
    /// A claim for `ttl` from now, not yet written.
    pub fn new(holder: &str, ttl: Duration) -> Claim {
        let now = now();
        Claim {
            lease: Lease {
                holder: holder.to_string(),
                acquired: now,
                expires: now + ttl.as_secs(),
                token: new_token(),
            },
        }
    }
}

/// The lease in force now, if any (expired leases are not in force).
pub async fn current(client: &Client) -> xnat::Result<Option<Lease>> {
    let history = config_service::history(client, ENTRY).await?;
    Ok(replay(&history).holder.filter(|l| l.expires > now()))
}

async fn verdict(client: &Client, lease: &Lease) -> Result<(), LockError> {
    let history = config_service::history(client, ENTRY).await?;
    match replay(&history).holder {
        Some(h) if h.token == lease.token => Ok(()),
        Some(h) => Err(LockError::Lost(h)),
        None => Err(LockError::Unconfirmed),
    }
}

fn entry_text(entry: &Entry) -> xnat::Result<String> {
    serde_json::to_string(entry).map_err(|e| xnat::XnatError::Setup(e.to_string()))
}

/// Take the lock with this claim. Fails without writing when a lease is in force; a claim that
/// loses the race stays in the history as one that never held.
pub async fn acquire(client: &Client, claim: &Claim) -> Result<(), LockError> {
    if let Some(lease) = current(client).await? {
        return Err(LockError::Held(lease));
    }
    let text = entry_text(&Entry::Claim(claim.lease.clone()))?;
    config_service::put(client, ENTRY, &text).await?;
    verdict(client, &claim.lease).await
}

/// Check again that this run holds the lock (right before the first write: a tie the server
/// made, an ended lease or `xcs unlock --force` are caught here).
pub async fn confirm(client: &Client, claim: &Claim) -> Result<(), LockError> {
    if claim.lease.expires <= now() {
        return Err(LockError::Unconfirmed);
    }
    verdict(client, &claim.lease).await
}

/// Release the lock if this claim holds it: a version that frees this token only, so a release
/// by a claim that never held (or no longer holds) changes nothing for anyone.
pub async fn release(client: &Client, claim: &Claim) -> xnat::Result<()> {
    let entry = Entry::Release {
        token: claim.lease.token.clone(),
        holder: claim.lease.holder.clone(),
    };
    config_service::put(client, ENTRY, &entry_text(&entry)?).await
}

/// Clear the lock whoever holds it; returns the lease that was in force.
pub async fn force_unlock(client: &Client) -> xnat::Result<Option<Lease>> {
    let history = config_service::history(client, ENTRY).await?;
    let lease = replay(&history).holder;
    if lease.is_some() {
        config_service::delete(client, ENTRY).await?;
    }
    Ok(lease)
}

#[cfg(test)]
mod tests {
    use super::*;
    use config_service::Version;

    fn claim(version: u64, token: &str, acquired: u64, expires: u64) -> Version {
        let lease = Lease {
            holder: format!("run {token}"),
            acquired,
            expires,
            token: token.into(),
        };
        Version {
            path: ENTRY.into(),
            contents: serde_json::to_string(&Entry::Claim(lease)).expect("json"),
            version,
            status: "enabled".into(),
        }
    }

    fn release(version: u64, token: &str) -> Version {
        let e = Entry::Release {
            token: token.into(),
            holder: String::new(),
        };
        Version {
            path: ENTRY.into(),
            contents: serde_json::to_string(&e).expect("json"),
            version,
            status: "enabled".into(),
        }
    }

    #[test]
    fn the_first_claim_on_a_free_lock_wins_and_later_ones_never_do() {
        let h = [
            claim(1, "a", 10, 100),
            claim(2, "b", 11, 100),
            release(3, "a"),
        ];
        let r = replay(&h);
        assert_eq!(r.winners, vec!["a".to_string()]);
        assert_eq!(r.holder, None, "a released; b never held");
        let h = [
            claim(1, "a", 10, 100),
            release(2, "b"),
            claim(3, "c", 20, 100),
        ];
        assert_eq!(
            replay(&h).winners,
            vec!["a".to_string()],
            "only a's token frees it"
        );
    }

    #[test]
    fn an_ended_lease_frees_the_lock_for_a_later_claim() {
        let h = [claim(1, "a", 10, 20), claim(2, "b", 25, 100)];
        assert_eq!(replay(&h).winners, vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn claims_with_the_same_version_are_both_void() {
        let h = [claim(1, "a", 10, 100), claim(1, "b", 10, 100)];
        let r = replay(&h);
        assert!(r.winners.is_empty());
        assert_eq!(r.holder, None);
    }

    #[test]
    fn a_forced_unlock_frees_it() {
        let mut off = claim(2, "a", 10, 100);
        off.status = "disabled".into();
        let h = [claim(1, "a", 10, 100), off, claim(3, "b", 12, 100)];
        assert_eq!(replay(&h).holder.map(|l| l.token), Some("b".to_string()));
    }
}

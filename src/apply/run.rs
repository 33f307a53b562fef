//! `apply` as one library call: plan → lock → plan again under the lock → confirm the lock →
//! execute → release, with SIGINT/SIGTERM releasing the lock before the process ends. The CLI
//! only parses arguments and prints the [`Outcome`].

use super::lock::{self, LockError};
use super::{Journal, execute};
use crate::model::Repo;
use crate::plan::{self, Plan, PlanOptions};
use crate::xnat::{self, Client};
use std::time::Duration;

/// What to apply and how.
pub struct Request<'a> {
    pub client: &'a Client,
    pub repo: &'a Repo,
    pub opts: &'a PlanOptions,
    /// A plan saved by `xcs plan --out`: applied only if nothing it was made from changed.
    pub saved: Option<&'a Plan>,
    /// Plan only.
    pub dry_run: bool,
    pub lock_ttl: Duration,
    /// Who this run is, for the lock (see [`lock::holder`]).
    pub holder: String,
}

/// Why a saved plan was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// The declarations changed since the plan was made.
    Declarations,
    /// A secret's value differs from the one the plan was made with.
    Secrets,
    /// XNAT changed since the plan was made (or while the lock was taken).
    Xnat,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stale::Declarations => {
                "refusing: the declarations changed since the plan was made; plan again"
            }
            Stale::Secrets => "refusing: a credential changed since the plan was made; plan again",
            Stale::Xnat => "refusing: XNAT changed since the plan was made; plan again",
        })
    }
}

/// How an apply ended.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing was written: a dry run, or nothing to do.
    Planned(Plan),
    /// A saved plan no longer holds.
    Refused(Stale),
    /// The plan was carried out (the journal says how each action went).
    Applied {
        plan: Plan,
        journal: Journal,
        /// The lock could not be released (it expires by itself).
        release_error: Option<String>,
    },
    /// SIGINT or SIGTERM arrived while the lock was held or being taken; the lock was released
    /// (or the release failed, said here) and the run stopped.
    Interrupted {
        signal: Signal,
        release_error: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The conventional exit status of a process ended by this signal (128 + its number).
    pub fn exit_status(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Xnat(#[from] xnat::XnatError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot watch for SIGINT/SIGTERM: {0}")]
    Signals(String),
    /// The account lacks a role the plan needs; nothing was written.
    #[error("nothing was written: {}", .0.join("; "))]
    Roles(Vec<String>),
}

/// Resolves when SIGINT or SIGTERM arrives.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, ApplyError> {
        use tokio::signal::unix::{SignalKind, signal};
        let e = |e: std::io::Error| ApplyError::Signals(e.to_string());
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).map_err(e)?,
            terminate: signal(SignalKind::terminate()).map_err(e)?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }
}

/// Whether a saved plan still describes what would be done now.
fn check_saved(req: &Request<'_>, first: &Plan) -> Option<Stale> {
    let saved = req.saved?;
    if saved.repo_digest != first.repo_digest {
        return Some(Stale::Declarations);
    }
    if !plan::secrets_match(saved, req.repo, req.opts) {
        return Some(Stale::Secrets);
    }
    (saved.live_digest != first.live_digest).then_some(Stale::Xnat)
}

/// Apply the repo to the XNAT behind `req.client`.
pub async fn run(req: Request<'_>) -> Result<Outcome, ApplyError> {
    let (first, observed) = crate::xnat::observe::plan(req.client, req.repo, req.opts).await?;
    if let Some(stale) = check_saved(&req, &first) {
        return Ok(Outcome::Refused(stale));
    }
    if req.dry_run || !first.has_changes() {
        return Ok(Outcome::Planned(first));
    }
    // Say what role is missing before the first write (the lock claim is one).
    let missing = plan::missing_roles(&first, &observed.caps);
    if !missing.is_empty() {
        return Err(ApplyError::Roles(missing));
    }
    // From here on a signal must not leave the lock behind: watch for one before claiming.
    let mut signals = Signals::new()?;
    let claim = lock::Claim::new(&req.holder, req.lock_ttl);
    let work = locked(&req, &claim, &first);
    let result = tokio::select! {
        r = work => r,
        signal = signals.next() => {
            // The work future is dropped: requests in flight are abandoned. Releasing a claim
            // that never won is harmless, so release whatever the claim's state.
            let release_error = lock::release(req.client, &claim).await.err().map(|e| e.to_string());
            return Ok(Outcome::Interrupted { signal, release_error });
        }
    };
    let release_error = match &result {
        // Claims that never held need no release; one that lost leaves nothing to free.
        Err(ApplyError::Lock(LockError::Held(_) | LockError::Lost(_))) => None,
        _ => lock::release(req.client, &claim)
            .await
            .err()
            .map(|e| e.to_string()),
    };
    match result? {
        Locked::Stale(s) => Ok(Outcome::Refused(s)),
        Locked::Done(done) => {
            let (plan, journal) = *done;
            Ok(Outcome::Applied {
                plan,
                journal,
                release_error,
            })
        }
    }
}

enum Locked {
    Stale(Stale),
    Done(Box<(Plan, Journal)>),
}

/// Under the lock: observe again (the plan carried out is the one that is true now), confirm
/// the lock right before the first write, execute.
async fn locked(
    req: &Request<'_>,
    claim: &lock::Claim,
    first: &Plan,
) -> Result<Locked, ApplyError> {
    lock::acquire(req.client, claim).await?;
    let (plan, observed) = crate::xnat::observe::plan(req.client, req.repo, req.opts).await?;
    if req.saved.is_some() && plan.live_digest != first.live_digest {
        return Ok(Locked::Stale(Stale::Xnat));
    }
    lock::confirm(req.client, claim).await?;
    let credentials = plan::credential_states(req.repo, &observed.record, req.opts);
    let journal = execute(
        req.client,
        req.repo,
        &plan,
        &observed,
        &credentials,
        req.opts,
    )
    .await;
    Ok(Locked::Done(Box::new((plan, journal))))
}

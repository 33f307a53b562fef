//! Resolving `from:` sources: `xcs lock` fetches each one (registry, local engine or URL) and
//! records its text, digest and command hashes in `xcs.lock`; validation, plans, diffs and the
//! catalog then read the lock with no network (`validate::resolved`). Also the Kubernetes tag
//! check of `plan`: a manifest `HEAD` per command image.

mod fetch;

use crate::backend::registry::{ImageRef, RegistryClient, Stats};
use crate::diag::Diagnostic;
use crate::load::{Limits, Source};
use crate::model::lock::{LOCK_FILE, Lock, LockEntry};
use crate::model::{BackendKind, Repo};
use crate::validate::rules::SOURCE_UNRESOLVED;
use crate::validate::{Environments, LockInput, Validation};
use futures_util::StreamExt;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

pub use fetch::{ENGINE, LABEL};

/// Where image labels and files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineUse {
    /// The registry; the local engine for images the registry does not have (or cannot serve).
    Auto,
    /// Only the local engine (`--docker`).
    Only,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The declaration repo (for `${file:…}` credentials and the lock file).
    pub dir: PathBuf,
    /// `os/arch[/variant]` to pick from multi-platform images.
    pub platform: String,
    pub engine: EngineUse,
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Largest document (`from: url`, `from: image-file`) accepted.
    pub max_bytes: u64,
    /// An extra trusted CA (PEM) for registries and `from: url` servers (`--ca-cert`).
    pub ca_cert: Option<PathBuf>,
}

impl Options {
    pub fn new(dir: impl Into<PathBuf>) -> Options {
        Options {
            dir: dir.into(),
            platform: "linux/amd64".into(),
            engine: EngineUse::Auto,
            timeout: Duration::from_secs(30),
            concurrency: 8,
            max_bytes: 1024 * 1024,
            ca_cert: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Load(#[from] crate::load::LoadError),
    #[error(transparent)]
    Client(#[from] crate::backend::https::HttpsError),
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What happened to one lock entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct EntryReport {
    pub source: String,
    pub status: EntryStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_digest: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryStatus {
    Added,
    Changed,
    Unchanged,
    /// Could not be fetched; the previous entry (if any) is kept.
    Failed,
}

pub struct LockReport {
    pub path: PathBuf,
    pub entries: Vec<EntryReport>,
    /// Whether the lock file differs from what was there (and, unless checking, was written).
    pub changed: bool,
    /// The repo validated with the new lock, plus every fetch failure.
    pub validation: Validation,
    pub stats: Stats,
}

/// Fetch every source of the repo at `opts.dir` and write `xcs.lock` (unless `check_only`).
pub async fn lock(opts: &Options, check_only: bool) -> Result<LockReport, ResolveError> {
    let source = Source::new(&opts.dir, None);
    let files = source.files()?;
    let limits = Limits::default();
    let first = crate::validate::validate_with(&files, &limits, Environments::All);
    let (lock_path, old_text) = source.lock_text()?;
    let old: Lock = old_text
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let (fetched, stats) = fetch_all(&first.repo, opts).await?;
    let mut new = Lock::default();
    let mut entries = Vec::new();
    let mut failures = Vec::new();
    for (source, result) in first.repo.command_sources.iter().zip(fetched) {
        let previous = old.sources.iter().find(|e| e.records(&source.spec));
        let (entry, status) = match result {
            Ok(entry) => {
                let status = match previous {
                    None => EntryStatus::Added,
                    Some(p) if p.sha256 == entry.sha256 && p.digest == entry.digest => {
                        EntryStatus::Unchanged
                    }
                    Some(_) => EntryStatus::Changed,
                };
                (Some(entry), status)
            }
            Err(f) => {
                let key = if source.spec.url.is_some() && source.spec.image.is_none() {
                    "/url"
                } else {
                    "/image"
                };
                failures.push(SOURCE_UNRESOLVED.at(
                    &source.origin.file,
                    source.origin.locate(key),
                    f.message,
                    f.hint,
                ));
                (previous.cloned(), EntryStatus::Failed)
            }
        };
        entries.push(EntryReport {
            source: source.spec.location(),
            status,
            digest: entry.as_ref().and_then(|e| e.digest.clone()),
            previous_digest: previous.and_then(|p| p.digest.clone()),
        });
        if let Some(entry) = entry
            && !new.sources.iter().any(|e| same(e, &entry))
        {
            new.sources.push(entry);
        }
    }
    let text = serde_json::to_string_pretty(&new).unwrap_or_default() + "\n";
    let changed = old_text.as_deref() != Some(text.as_str());
    let path = PathBuf::from(lock_path.as_ref());
    if changed && !check_only {
        std::fs::write(&path, &text).map_err(|source| ResolveError::Write {
            path: path.clone(),
            source,
        })?;
    }
    let input = LockInput {
        path: lock_path,
        text: Some(text),
    };
    let mut validation =
        crate::validate::validate_locked(&files, &limits, Environments::All, Some(&input));
    add_failures(&mut validation, failures, &files);
    Ok(LockReport {
        path,
        entries,
        changed,
        validation,
        stats,
    })
}

fn same(a: &LockEntry, b: &LockEntry) -> bool {
    a.from == b.from && a.image == b.image && a.url == b.url && a.path == b.path
}

fn add_failures(v: &mut Validation, failures: Vec<Diagnostic>, files: &[crate::load::RawFile]) {
    // A failed source kept no entry: its "missing from the lock" duplicate says less.
    for f in &failures {
        v.diagnostics.retain(|d| {
            !(d.code == crate::validate::rules::LOCK_MISSING.code && d.location == f.location)
        });
    }
    crate::validate::quote_sources(v, &failures, files);
    v.diagnostics.extend(failures);
    crate::diag::sort(&mut v.diagnostics);
}

/// Each source's lock entry, or why not, in `repo.command_sources` order. Sources naming the
/// same thing are fetched once; at most `opts.concurrency` fetches (and requests) at a time.
pub async fn fetch_all(
    repo: &Repo,
    opts: &Options,
) -> Result<(Vec<Result<LockEntry, fetch::Failure>>, Stats), ResolveError> {
    let (hosts, broken) = fetch::hosts(repo, opts);
    let registry = RegistryClient::new(
        hosts,
        opts.timeout,
        opts.concurrency,
        opts.ca_cert.as_deref(),
    )?;
    let fetcher = fetch::Fetcher {
        opts,
        registry,
        broken,
        engine: tokio::sync::OnceCell::new(),
    };
    let mut unique: Vec<&crate::model::CommandSource> = Vec::new();
    let index: Vec<usize> = repo
        .command_sources
        .iter()
        .map(
            |s| match unique.iter().position(|u| same_source(u, &s.spec)) {
                Some(i) => i,
                None => {
                    unique.push(&s.spec);
                    unique.len() - 1
                }
            },
        )
        .collect();
    let results: Vec<(usize, Result<LockEntry, fetch::Failure>)> =
        futures_util::stream::iter(unique.iter().enumerate())
            .map(|(i, s)| {
                let f = &fetcher;
                async move { (i, f.fetch(s).await) }
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
    let mut by_index: Vec<Option<Result<LockEntry, fetch::Failure>>> = vec![None; unique.len()];
    for (i, r) in results {
        by_index[i] = Some(r);
    }
    let out = index
        .into_iter()
        .map(|i| {
            by_index[i].clone().unwrap_or_else(|| {
                Err(fetch::Failure {
                    message: "not fetched".into(),
                    hint: None,
                })
            })
        })
        .collect();
    Ok((out, fetcher.registry.stats()))
}

fn same_source(a: &crate::model::CommandSource, b: &crate::model::CommandSource) -> bool {
    a.from == b.from
        && a.image == b.image
        && a.url == b.url
        && a.path == b.path
        && a.sha256 == b.sha256
}

/// A command image whose tag its registry does not have (or could not be asked).
#[derive(Debug, Clone, Serialize)]
pub struct TagProblem {
    pub image: String,
    pub commands: Vec<String>,
    pub message: String,
}

/// For a `kubernetes` backend: check that every command's image tag exists in its registry (a
/// manifest `HEAD` with the registry's credentials), so a typo fails in review, not at launch.
/// Nothing to check (and no request) for other backends.
pub async fn check_tags(
    repo: &Repo,
    opts: &Options,
) -> Result<(Vec<TagProblem>, Stats), ResolveError> {
    if repo
        .backend()
        .is_none_or(|b| b.spec.backend != BackendKind::Kubernetes)
    {
        return Ok((Vec::new(), Stats::default()));
    }
    let (hosts, broken) = fetch::hosts(repo, opts);
    let client = RegistryClient::new(
        hosts,
        opts.timeout,
        opts.concurrency,
        opts.ca_cert.as_deref(),
    )?;
    let mut images: std::collections::BTreeMap<&str, Vec<String>> =
        std::collections::BTreeMap::new();
    for c in &repo.commands {
        if let Some(image) = c.spec.image.as_deref() {
            images.entry(image).or_default().push(c.spec.name.clone());
        }
    }
    let checks = futures_util::stream::iter(images)
        .map(|(image, commands)| {
            let (client, broken) = (&client, &broken);
            async move {
                let message = match ImageRef::parse(image) {
                    Err(e) => Some(e.to_string()),
                    Ok(r) => match broken.get(&r.registry) {
                        Some(m) => Some(m.clone()),
                        None => match client.exists(&r).await {
                            Ok(true) => None,
                            Ok(false) => Some(format!(
                                "tag of `{image}` not found in registry {}",
                                r.api_host()
                            )),
                            Err(e) => Some(e.to_string()),
                        },
                    },
                };
                message.map(|message| TagProblem {
                    image: image.to_string(),
                    commands,
                    message,
                })
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .filter_map(|p| async move { p })
        .collect::<Vec<_>>()
        .await;
    let mut problems = checks;
    problems.sort_by(|a, b| a.image.cmp(&b.image));
    Ok((problems, client.stats()))
}

/// Name of the lock file in a declaration repo.
pub fn lock_path(dir: &std::path::Path) -> PathBuf {
    dir.join(LOCK_FILE)
}

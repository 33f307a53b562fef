//! Fetching each `from:` source's text: the registry (default), the local engine (`--docker`,
//! or when the registry does not have the image or cannot be reached), or a URL.

use super::{EngineUse, Options};
use crate::backend::docker::{self, inspect::EngineError};
use crate::backend::registry::reference::registry_host;
use crate::backend::registry::{
    Credentials, HostSettings, ImageRef, RegistryClient, RegistryError,
};
use crate::model::lock::{LockEntry, TextShape, content_hash, sha256_hex};
use crate::model::source::{CommandSource, SourceKind};
use crate::model::{Registry, Repo};
use std::collections::HashMap;

pub const LABEL: &str = "org.nrg.commands";
/// Where texts from the local engine were read, in the lock.
pub const ENGINE: &str = "docker-engine";

/// Why a source gave no text. Never holds a secret.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
}

fn fail(message: impl Into<String>, hint: Option<&str>) -> Failure {
    Failure {
        message: message.into(),
        hint: hint.map(str::to_string),
    }
}

/// Registry settings by host, from the repo's `Registry` declarations; credentials that cannot
/// be read fail only the images of their host, naming the declaration (not the value).
pub fn hosts(
    repo: &Repo,
    opts: &Options,
) -> (HashMap<String, HostSettings>, HashMap<String, String>) {
    let mut hosts = HashMap::new();
    let mut broken = HashMap::new();
    let env = |name: &str| std::env::var(name).ok();
    for r in &repo.registries {
        let Some((host, insecure)) = registry_host(&r.spec.url) else {
            continue;
        };
        match credentials(&r.spec, &env, &opts.dir) {
            Ok(credentials) => {
                hosts.insert(
                    host,
                    HostSettings {
                        credentials,
                        insecure,
                        tls: r.spec.url.starts_with("https://"),
                    },
                );
            }
            Err(e) => {
                broken.insert(
                    host,
                    format!("credentials of Registry `{}`: {e}", r.spec.name),
                );
            }
        }
    }
    (hosts, broken)
}

fn credentials(
    r: &Registry,
    env: &dyn Fn(&str) -> Option<String>,
    dir: &std::path::Path,
) -> Result<Option<Credentials>, crate::model::secret::SecretError> {
    let secret = match (&r.password, &r.token) {
        (Some(p), _) => p.resolve(env, dir)?,
        (None, Some(t)) => t.resolve(env, dir)?,
        (None, None) => return Ok(None),
    };
    Ok(Some(Credentials {
        username: r.username.clone().unwrap_or_default(),
        password: secret,
    }))
}

/// Everything one fetch needs.
pub struct Fetcher<'a> {
    pub opts: &'a Options,
    pub registry: RegistryClient,
    pub broken: HashMap<String, String>,
    pub engine: tokio::sync::OnceCell<Result<bollard::Docker, String>>,
}

impl Fetcher<'_> {
    pub async fn fetch(&self, s: &CommandSource) -> Result<LockEntry, Failure> {
        match s.from {
            SourceKind::ImageLabels => self.labels(s).await,
            SourceKind::ImageFile => self.image_file(s).await,
            SourceKind::Url => self.url(s).await,
        }
    }

    async fn engine(&self) -> Result<&bollard::Docker, Failure> {
        self.engine
            .get_or_init(|| async {
                let address = docker::address(None, std::env::var("DOCKER_HOST").ok());
                docker::connect(&address, None)
                    .await
                    .map(|d| d.docker)
                    .map_err(|e| e.to_string())
            })
            .await
            .as_ref()
            .map_err(|e| {
                fail(
                    format!("the local Docker engine cannot be reached: {e}"),
                    Some("set DOCKER_HOST, or resolve from the registry (without --docker)"),
                )
            })
    }

    async fn labels(&self, s: &CommandSource) -> Result<LockEntry, Failure> {
        let image = s.image.clone().unwrap_or_default();
        let reference = ImageRef::parse(&image).map_err(|e| fail(e.to_string(), None))?;
        let (text, digest, registry, platform) = if self.opts.engine == EngineUse::Only {
            self.local_labels(&image).await?
        } else {
            match self.remote_labels(&reference).await {
                Ok(found) => found,
                Err((e, fallback)) if fallback => match self.local_labels(&image).await {
                    Ok(found) => found,
                    Err(_) => return Err(fail(e.to_string(), hint_of(&e))),
                },
                Err((e, _)) => return Err(fail(e.to_string(), hint_of(&e))),
            }
        };
        let Some(text) = text else {
            return Err(fail(
                format!("image `{image}` (registry {registry}) has no `{LABEL}` label"),
                Some(
                    "use `from: image-file` or a command file if the image does not carry its commands",
                ),
            ));
        };
        Ok(entry(s, text, Some(digest), registry, platform))
    }

    /// Labels from the registry; the flag says whether the local engine may have it instead.
    async fn remote_labels(
        &self,
        r: &ImageRef,
    ) -> Result<(Option<String>, String, String, Option<String>), (RegistryError, bool)> {
        if let Some(message) = self.broken.get(&r.registry) {
            let e = RegistryError::Unreachable {
                registry: r.registry.clone(),
                message: message.clone(),
            };
            return Err((e, false));
        }
        match self.registry.labels(r, &self.opts.platform).await {
            Ok(mut l) => Ok((l.labels.remove(LABEL), l.digest, l.registry, l.platform)),
            Err(e) => {
                let fallback = matches!(
                    e,
                    RegistryError::NotFound { .. } | RegistryError::Unreachable { .. }
                );
                Err((e, fallback))
            }
        }
    }

    async fn local_labels(
        &self,
        image: &str,
    ) -> Result<(Option<String>, String, String, Option<String>), Failure> {
        let engine = self.engine().await?;
        let mut found = docker::inspect::image(engine, image)
            .await
            .map_err(engine_failure)?;
        Ok((
            found.labels.remove(LABEL),
            found.digest,
            ENGINE.to_string(),
            None,
        ))
    }

    async fn image_file(&self, s: &CommandSource) -> Result<LockEntry, Failure> {
        let image = s.image.clone().unwrap_or_default();
        let path = s.path.clone().unwrap_or_default();
        let engine = self.engine().await?;
        let local = docker::inspect::image(engine, &image)
            .await
            .map_err(engine_failure)?;
        let bytes = docker::inspect::file(engine, &image, &path, self.opts.max_bytes)
            .await
            .map_err(engine_failure)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            fail(
                format!("`{path}` in image `{image}` is not UTF-8 text"),
                None,
            )
        })?;
        Ok(entry(s, text, Some(local.digest), ENGINE.to_string(), None))
    }

    async fn url(&self, s: &CommandSource) -> Result<LockEntry, Failure> {
        let url = s.url.clone().unwrap_or_default();
        let bytes = crate::backend::download::fetch(
            &url,
            self.opts.max_bytes,
            self.opts.timeout,
            self.opts.ca_cert.as_deref(),
        )
        .await
        .map_err(|e| fail(e.to_string(), None))?;
        let actual = sha256_hex(&bytes);
        if let Some(pin) = &s.sha256
            && !pin.eq_ignore_ascii_case(&actual)
        {
            return Err(fail(
                format!("`{url}` hashes to sha256 {actual}, not the pinned {pin}"),
                Some("the document changed: review it, then update `sha256`"),
            ));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| fail(format!("`{url}` is not UTF-8 text"), None))?;
        let host = url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .map(str::to_string);
        Ok(entry(s, text, None, host.unwrap_or_default(), None))
    }
}

fn hint_of(e: &RegistryError) -> Option<&'static str> {
    match e {
        RegistryError::Unauthorized {
            with_credentials: true,
            ..
        } => Some(
            "check the username and password (or token) of the Registry declaration for this host",
        ),
        RegistryError::Unauthorized { .. } => {
            Some("declare a `kind: Registry` for this host with `username` and `password`")
        }
        RegistryError::NotFound { .. } => Some(
            "check the repository and tag; images only built locally are read from the Docker engine",
        ),
        RegistryError::NoPlatform { .. } => Some("choose one with `xcs lock --platform`"),
        _ => None,
    }
}

fn engine_failure(e: EngineError) -> Failure {
    let hint = matches!(e, EngineError::NotFound { .. })
        .then_some("push it to its registry, or build it on this machine");
    fail(e.to_string(), hint)
}

/// A lock entry for a fetched text.
fn entry(
    s: &CommandSource,
    text: String,
    digest: Option<String>,
    registry: String,
    platform: Option<String>,
) -> LockEntry {
    let shape = match s.from {
        SourceKind::ImageLabels => TextShape::Label,
        SourceKind::ImageFile => TextShape::of_file(s.path.as_deref().unwrap_or("")),
        SourceKind::Url => TextShape::of_file(s.url.as_deref().unwrap_or("")),
    };
    let mut commands = std::collections::BTreeMap::new();
    if shape != TextShape::Yaml
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
    {
        let items = match value {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        for item in items {
            if let Some(name) = item.get("name").and_then(|n| n.as_str()) {
                commands.insert(name.to_string(), content_hash(&item));
            }
        }
    }
    LockEntry {
        from: s.from,
        image: s.image.clone(),
        path: s.path.clone().filter(|_| s.from == SourceKind::ImageFile),
        url: s.url.clone(),
        registry: Some(registry),
        platform,
        digest,
        sha256: sha256_hex(text.as_bytes()),
        commands,
        text,
    }
}

//! The client code: requests, the authentication dance and manifest resolution.

use super::reference::ImageRef;
use super::wire::{self, Challenge, ImageConfig, Manifest, TokenAnswer};
use crate::model::Secret;
use crate::model::lock::sha256_hex;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Manifests and configs are small; anything bigger is refused.
const MAX_DOCUMENT: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
}

/// What the repo declares about one registry host.
#[derive(Debug, Clone, Default)]
pub struct HostSettings {
    pub credentials: Option<Credentials>,
    /// Declared with an `http://` URL.
    pub insecure: bool,
    /// Declared with an `https://` URL: TLS even on a loopback address.
    pub tls: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("image `{image}` not found in registry {registry}")]
    NotFound { image: String, registry: String },
    #[error("registry {registry} refused {} for `{image}` (HTTP {status})", if *with_credentials { "the credentials of its Registry declaration" } else { "anonymous access" })]
    Unauthorized {
        image: String,
        registry: String,
        status: u16,
        with_credentials: bool,
    },
    #[error("registry {registry} cannot be reached: {message}")]
    Unreachable { registry: String, message: String },
    #[error("registry {registry} gave an unusable answer for `{image}`: {what}")]
    Protocol {
        image: String,
        registry: String,
        what: String,
    },
    #[error("`{image}` has no image for platform {platform} (it has: {available})")]
    NoPlatform {
        image: String,
        platform: String,
        available: String,
    },
}

/// The labels of one image, and what the tag resolved to.
#[derive(Debug, Clone)]
pub struct ImageLabels {
    /// What the reference points at: the index digest for a multi-platform image.
    pub digest: String,
    pub registry: String,
    pub platform: Option<String>,
    pub labels: HashMap<String, String>,
}

/// Requests sent, and the most in flight at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: usize,
    pub max_in_flight: usize,
}

pub struct RegistryClient {
    http: reqwest::Client,
    hosts: HashMap<String, HostSettings>,
    /// What each API host asked for: a challenge, or `None` when it answered without one.
    challenges: Mutex<HashMap<String, Option<Challenge>>>,
    /// Held by the first request to a host until it learns the host's challenge, so requests
    /// sent at once do not each collect a 401 first.
    learning: Mutex<HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    /// Bearer tokens by (host, repository). Kept in memory only.
    tokens: Mutex<HashMap<(String, String), Secret>>,
    limit: tokio::sync::Semaphore,
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

enum Auth {
    None,
    Basic(Credentials),
    Bearer(Secret),
}

impl RegistryClient {
    /// `hosts` by registry (`docker.io`, `host:port`), as `ImageRef::registry` names them.
    pub fn new(
        hosts: HashMap<String, HostSettings>,
        timeout: Duration,
        concurrency: usize,
        ca_cert: Option<&std::path::Path>,
    ) -> Result<RegistryClient, crate::backend::https::HttpsError> {
        let http = crate::backend::https::client(crate::backend::https::Settings {
            timeout: Some(timeout),
            // Blob downloads redirect to storage (S3, a CDN).
            redirect: reqwest::redirect::Policy::limited(4),
            ..crate::backend::https::Settings::new(ca_cert)
        })?;
        Ok(RegistryClient {
            http,
            hosts,
            challenges: Mutex::default(),
            learning: Mutex::default(),
            tokens: Mutex::default(),
            limit: tokio::sync::Semaphore::new(concurrency.max(1)),
            requests: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        })
    }

    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            max_in_flight: self.max_in_flight.load(Ordering::Relaxed),
        }
    }

    fn settings(&self, image: &ImageRef) -> HostSettings {
        self.hosts.get(&image.registry).cloned().unwrap_or_default()
    }

    fn base(&self, image: &ImageRef) -> String {
        let settings = self.settings(image);
        let plain = settings.insecure || (image.is_loopback() && !settings.tls);
        let scheme = if plain { "http" } else { "https" };
        format!("{scheme}://{}/v2/{}", image.api_host(), image.repository)
    }

    /// The labels of `image` for `platform` (`os/arch[/variant]`) when it has several.
    pub async fn labels(
        &self,
        image: &ImageRef,
        platform: &str,
    ) -> Result<ImageLabels, RegistryError> {
        let reference = image.manifest_ref().to_string();
        let (body, header_digest) = self.manifest(image, &reference).await?;
        let digest = format!("sha256:{}", sha256_hex(&body));
        if let Some(pinned) = &image.digest
            && *pinned != digest
        {
            return Err(self.protocol(image, format!("manifest digest is {digest}, not {pinned}")));
        }
        let digest = header_digest
            .filter(|_| image.digest.is_none())
            .unwrap_or(digest);
        let mut manifest: Manifest = serde_json::from_slice(&body)
            .map_err(|e| self.protocol(image, format!("manifest is not JSON: {e}")))?;
        let mut chosen = None;
        if let Some(list) = &manifest.manifests {
            let (d, shown) = pick_platform(image, list, platform)?;
            let (body, _) = self.manifest(image, &d).await?;
            check_digest(self, image, &d, &body)?;
            manifest = serde_json::from_slice(&body)
                .map_err(|e| self.protocol(image, format!("manifest is not JSON: {e}")))?;
            chosen = Some(shown);
        }
        let config = manifest
            .config
            .ok_or_else(|| self.protocol(image, "the manifest has no config".into()))?;
        let blob = self.blob(image, &config.digest).await?;
        check_digest(self, image, &config.digest, &blob)?;
        let parsed: ImageConfig = serde_json::from_slice(&blob)
            .map_err(|e| self.protocol(image, format!("image config is not JSON: {e}")))?;
        Ok(ImageLabels {
            digest,
            registry: image.api_host().to_string(),
            platform: chosen,
            labels: parsed.config.and_then(|c| c.labels).unwrap_or_default(),
        })
    }

    /// Whether the tag (or digest) exists: one manifest `HEAD`.
    pub async fn exists(&self, image: &ImageRef) -> Result<bool, RegistryError> {
        let url = format!("{}/manifests/{}", self.base(image), image.manifest_ref());
        match self.send(image, reqwest::Method::HEAD, &url).await {
            Ok(_) => Ok(true),
            Err(RegistryError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn manifest(
        &self,
        image: &ImageRef,
        reference: &str,
    ) -> Result<(Vec<u8>, Option<String>), RegistryError> {
        let url = format!("{}/manifests/{reference}", self.base(image));
        let resp = self.send(image, reqwest::Method::GET, &url).await?;
        let header = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = self.body(image, resp).await?;
        Ok((body, header))
    }

    async fn blob(&self, image: &ImageRef, digest: &str) -> Result<Vec<u8>, RegistryError> {
        let url = format!("{}/blobs/{digest}", self.base(image));
        let resp = self.send(image, reqwest::Method::GET, &url).await?;
        self.body(image, resp).await
    }

    async fn body(
        &self,
        image: &ImageRef,
        resp: reqwest::Response,
    ) -> Result<Vec<u8>, RegistryError> {
        read_capped(resp, MAX_DOCUMENT)
            .await
            .map_err(|what| self.protocol(image, what))
    }

    fn protocol(&self, image: &ImageRef, what: String) -> RegistryError {
        RegistryError::Protocol {
            image: show(image),
            registry: image.api_host().to_string(),
            what,
        }
    }

    /// One request with what the host's challenge asks for; on a 401, learn the challenge and
    /// try once more. Only the first request to a host goes out not knowing it.
    async fn send(
        &self,
        image: &ImageRef,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let host = image.api_host().to_string();
        let _learning = match self.known(&host) {
            Some(_) => None,
            None => {
                let gate = self
                    .learning
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(host.clone())
                    .or_default()
                    .clone();
                Some(gate.lock_owned().await)
            }
        };
        let known = self.known(&host).flatten();
        let auth = match &known {
            Some(c) => self.auth_for(image, c).await?,
            None => Auth::None,
        };
        let resp = self.request(image, method.clone(), url, &auth).await?;
        if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
            self.lock_challenges().entry(host).or_insert(None);
            return self.status(image, resp);
        }
        let challenge = resp
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(Challenge::parse);
        let retry = match challenge {
            Some(c) if known.as_ref() != Some(&c) || matches!(auth, Auth::None) => c,
            _ => return Err(self.unauthorized(image, 401)),
        };
        self.lock_challenges().insert(host, Some(retry.clone()));
        let auth = self.auth_for(image, &retry).await?;
        if matches!(auth, Auth::None) {
            return Err(self.unauthorized(image, 401));
        }
        let resp = self.request(image, method, url, &auth).await?;
        self.status(image, resp)
    }

    fn known(&self, host: &str) -> Option<Option<Challenge>> {
        self.lock_challenges().get(host).cloned()
    }

    fn status(
        &self,
        image: &ImageRef,
        resp: reqwest::Response,
    ) -> Result<reqwest::Response, RegistryError> {
        match resp.status().as_u16() {
            200..=299 => Ok(resp),
            404 => Err(RegistryError::NotFound {
                image: show(image),
                registry: image.api_host().to_string(),
            }),
            s @ (401 | 403) => Err(self.unauthorized(image, s)),
            s => Err(self.protocol(image, format!("HTTP {s}"))),
        }
    }

    fn unauthorized(&self, image: &ImageRef, status: u16) -> RegistryError {
        RegistryError::Unauthorized {
            image: show(image),
            registry: image.api_host().to_string(),
            status,
            with_credentials: self.settings(image).credentials.is_some(),
        }
    }

    fn lock_challenges(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<Challenge>>> {
        self.challenges.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn auth_for(
        &self,
        image: &ImageRef,
        challenge: &Challenge,
    ) -> Result<Auth, RegistryError> {
        let creds = self.settings(image).credentials;
        match challenge {
            Challenge::Basic => Ok(creds.map_or(Auth::None, Auth::Basic)),
            Challenge::Bearer { realm, service, .. } => {
                let key = (image.api_host().to_string(), image.repository.clone());
                let cached = self
                    .tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&key)
                    .cloned();
                if let Some(token) = cached {
                    return Ok(Auth::Bearer(token));
                }
                let token = self.token(image, realm, service.as_deref(), creds).await?;
                self.tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, token.clone());
                Ok(Auth::Bearer(token))
            }
        }
    }

    /// A pull token for the image's repository from the challenge's realm.
    async fn token(
        &self,
        image: &ImageRef,
        realm: &str,
        service: Option<&str>,
        creds: Option<Credentials>,
    ) -> Result<Secret, RegistryError> {
        let realm_host = realm
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or("");
        if realm.starts_with("http://")
            && !super::reference::is_loopback_host(realm_host)
            && !self.settings(image).insecure
        {
            return Err(self.protocol(image, "the token realm is plain http".into()));
        }
        let scope = format!("repository:{}:pull", image.repository);
        let mut query = vec![("scope", scope.as_str())];
        if let Some(s) = service {
            query.push(("service", s));
        }
        let auth = creds.map_or(Auth::None, Auth::Basic);
        let req = self.http.get(realm).query(&query);
        let resp = self.dispatch(image, authorize(req, &auth)).await?;
        if !resp.status().is_success() {
            return Err(self.unauthorized(image, resp.status().as_u16()));
        }
        let body = self.body(image, resp).await?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| self.protocol(image, "the token answer is not JSON".into()))?;
        answer
            .token
            .or(answer.access_token)
            .map(Secret::new)
            .ok_or_else(|| self.protocol(image, "the token answer has no token".into()))
    }

    async fn request(
        &self,
        image: &ImageRef,
        method: reqwest::Method,
        url: &str,
        auth: &Auth,
    ) -> Result<reqwest::Response, RegistryError> {
        let req = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT, wire::ACCEPT);
        self.dispatch(image, authorize(req, auth)).await
    }

    /// Send, counted, with at most the configured number in flight.
    async fn dispatch(
        &self,
        image: &ImageRef,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, RegistryError> {
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| self.protocol(image, "client closed".into()))?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let result = req.send().await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result.map_err(|e| RegistryError::Unreachable {
            registry: image.api_host().to_string(),
            message: crate::backend::https::describe(&e),
        })
    }
}

fn authorize(req: reqwest::RequestBuilder, auth: &Auth) -> reqwest::RequestBuilder {
    match auth {
        Auth::None => req,
        Auth::Basic(c) => req.basic_auth(&c.username, Some(c.password.expose())),
        Auth::Bearer(t) => req.bearer_auth(t.expose()),
    }
}

fn show(image: &ImageRef) -> String {
    let mut s = format!("{}/{}", image.registry, image.repository);
    if let Some(t) = &image.tag {
        s = format!("{s}:{t}");
    }
    if let Some(d) = &image.digest {
        s = format!("{s}@{d}");
    }
    s
}

fn check_digest(
    c: &RegistryClient,
    image: &ImageRef,
    digest: &str,
    body: &[u8],
) -> Result<(), RegistryError> {
    let actual = format!("sha256:{}", sha256_hex(body));
    if digest.starts_with("sha256:") && actual != digest {
        return Err(c.protocol(image, format!("content of {digest} hashes to {actual}")));
    }
    Ok(())
}

/// The manifest for `platform` in an index, and the platform's name.
fn pick_platform(
    image: &ImageRef,
    list: &[wire::Descriptor],
    platform: &str,
) -> Result<(String, String), RegistryError> {
    let found = list.iter().find(|d| {
        d.platform.as_ref().is_some_and(|p| {
            let shown = p.show();
            shown == platform || format!("{}/{}", p.os, p.architecture) == platform
        })
    });
    match found {
        Some(d) => Ok((
            d.digest.clone(),
            d.platform.as_ref().map(|p| p.show()).unwrap_or_default(),
        )),
        None => Err(RegistryError::NoPlatform {
            image: show(image),
            platform: platform.to_string(),
            available: list
                .iter()
                .filter_map(|d| d.platform.as_ref().map(|p| p.show()))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// A response body, refused past `cap` bytes (checked as it arrives, not only by its length).
pub async fn read_capped(mut resp: reqwest::Response, cap: u64) -> Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(format!("the answer is larger than {cap} bytes"));
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| crate::backend::https::describe(&e))?
    {
        if out.len() as u64 + chunk.len() as u64 > cap {
            return Err(format!("the answer is larger than {cap} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

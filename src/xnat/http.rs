//! Requests, the session, concurrency, retries and counting.

use super::{Endpoint, Result, XnatError};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore};

const USER_AGENT: &str = concat!(
    "xcs/",
    env!("CARGO_PKG_VERSION"),
    " (XNAT Container Service reconciler)"
);

/// Requests made, for reports and the bench.
#[derive(Debug, Default)]
pub struct Stats {
    pub reads: AtomicUsize,
    pub writes: AtomicUsize,
    pub retries: AtomicUsize,
    pub logins: AtomicUsize,
}

impl Stats {
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::Relaxed)
    }
}

/// Whether a request may be sent again after a failure whose outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads, and writes that set a state (PUT enabled, POST a full replacement, DELETE).
    Safe,
    /// Creates: a retry could create twice. The caller verifies by reading back instead.
    Once,
}

pub enum Body {
    None,
    Json(Value),
    /// Raw text (the config service stores it as is).
    Text(String),
}

pub struct Response {
    pub status: StatusCode,
    pub text: String,
    /// 401 with a `WWW-Authenticate` challenge: no (valid) session, as opposed to a refusal.
    pub session_gone: bool,
}

pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    limit: Arc<Semaphore>,
    /// Held while logging in, so concurrent requests that find the session gone log in once.
    login: Mutex<u64>,
    logged_in: std::sync::atomic::AtomicU64,
    pub stats: Arc<Stats>,
}

impl Client {
    pub fn new(endpoint: Endpoint) -> Result<Client> {
        let http = crate::backend::https::client(crate::backend::https::Settings {
            user_agent: USER_AGENT,
            timeout: Some(endpoint.timeout),
            cookies: true,
            ..crate::backend::https::Settings::new(endpoint.ca_cert.as_deref())
        })
        .map_err(|e| XnatError::Setup(e.to_string()))?;
        Ok(Client {
            http,
            limit: Arc::new(Semaphore::new(endpoint.concurrency.max(1))),
            endpoint,
            login: Mutex::new(0),
            logged_in: std::sync::atomic::AtomicU64::new(0),
            stats: Arc::new(Stats::default()),
        })
    }

    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    pub fn user(&self) -> &str {
        &self.endpoint.user
    }

    /// The private CA given with `--ca-cert`, for other downloads on the site's behalf.
    pub fn ca_cert(&self) -> Option<&std::path::Path> {
        self.endpoint.ca_cert.as_deref()
    }

    /// Open an XNAT session: `GET /data/JSESSION` with basic auth sets the `JSESSIONID` cookie
    /// every later request carries (ref core §1.2; GET, so a run that changes nothing makes no
    /// write at all). An alias token logs in the same way, alias as
    /// user and secret as password (ref core §1.1). A login that fails for a transient reason
    /// (no answer, a 5xx) is retried as a safe read is; a refused one (401) is not.
    async fn log_in(&self, seen_generation: u64) -> Result<()> {
        let mut generation = self.login.lock().await;
        if *generation != seen_generation {
            return Ok(()); // another request already logged in again
        }
        let mut delay = Duration::from_millis(200);
        let attempts = self.endpoint.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.log_in_once().await {
                Ok(()) => break,
                Err((_, true)) if attempt < attempts => {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err((e, _)) => return Err(e),
            }
        }
        *generation += 1;
        self.logged_in.store(*generation, Ordering::SeqCst);
        Ok(())
    }

    /// One login request; the error says whether trying again may help.
    async fn log_in_once(&self) -> std::result::Result<(), (XnatError, bool)> {
        let url = format!("{}/data/JSESSION", self.endpoint.url);
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|e| (XnatError::Setup(e.to_string()), false))?;
        self.stats.logins.fetch_add(1, Ordering::Relaxed);
        let failed = |message: String| XnatError::Login {
            url: self.endpoint.url.clone(),
            user: self.endpoint.user.clone(),
            message,
        };
        let response = self
            .http
            .get(&url)
            .basic_auth(&self.endpoint.user, Some(self.endpoint.password.expose()))
            .send()
            .await
            .map_err(|e| (failed(transport_message(&e)), true))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let hint = match status.as_u16() {
            401 => "wrong user name or password (or an expired alias token)".to_string(),
            s => format!("HTTP {s}"),
        };
        Err((
            failed(hint),
            status.is_server_error() || status.as_u16() == 429,
        ))
    }

    /// Send a request under `/xapi` or `/data` and return the raw answer (any status).
    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
    ) -> Result<Response> {
        let url = format!("{}{path}", self.endpoint.url);
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|e| XnatError::Setup(e.to_string()))?;
        if method == Method::GET {
            self.stats.reads.fetch_add(1, Ordering::Relaxed);
        } else {
            self.stats.writes.fetch_add(1, Ordering::Relaxed);
        }
        let mut req = self.http.request(method.clone(), &url).query(query);
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::Text(t) => req
                .header(reqwest::header::CONTENT_TYPE, "text/plain")
                .body(t.clone()),
        };
        let response = req.send().await.map_err(|e| XnatError::Transport {
            method: method.to_string(),
            path: path.to_string(),
            message: transport_message(&e),
        })?;
        let status = response.status();
        let session_gone = status == StatusCode::UNAUTHORIZED
            && response
                .headers()
                .contains_key(reqwest::header::WWW_AUTHENTICATE);
        let text = response.text().await.map_err(|e| XnatError::Transport {
            method: method.to_string(),
            path: path.to_string(),
            message: transport_message(&e),
        })?;
        Ok(Response {
            status,
            text,
            session_gone,
        })
    }

    /// A request with the session (logging in when there is none or it expired) and, for
    /// [`Repeat::Safe`] requests, retries with exponential backoff on transient failures.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        repeat: Repeat,
    ) -> Result<Response> {
        let attempts = match repeat {
            Repeat::Safe => self.endpoint.attempts.max(1),
            Repeat::Once => 1,
        };
        let mut delay = Duration::from_millis(200);
        let mut relogged = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let generation = self.logged_in.load(Ordering::SeqCst);
            if generation == 0 {
                self.log_in(0).await?;
            }
            let outcome = self
                .send_once(&method, path, query, &body)
                .await
                .and_then(|r| {
                    if r.status.is_success() || r.session_gone && !relogged {
                        Ok(r)
                    } else {
                        Err(status_error(&method, path, &r))
                    }
                });
            match outcome {
                // The session expired (XNAT idle timeout, ref core §1.2): the authentication
                // entry point answers 401 with a `WWW-Authenticate` challenge (ref core §1.5).
                // Log in again and send once more. A 401 without the challenge is a refusal by
                // the endpoint itself (e.g. the event service's "Unauthorized.", ref §7b):
                // sending it again cannot help, so it is an error at once.
                Ok(r) if r.session_gone => {
                    relogged = true;
                    self.log_in(self.logged_in.load(Ordering::SeqCst)).await?;
                    attempt -= 1;
                }
                Ok(r) => return Ok(r),
                Err(e) if e.is_transient() && attempt < attempts => {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A POST that creates something, never repeated blindly (a retry could create twice): when
    /// its outcome is unknown (no answer, a 5xx), `find` looks for what it would have made.
    pub async fn create<F>(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: Value,
        parse: impl FnOnce(&str) -> Result<i64>,
        find: F,
    ) -> Result<i64>
    where
        F: std::future::Future<Output = Result<Option<i64>>>,
    {
        match self
            .request(Method::POST, path, query, Body::Json(body), Repeat::Once)
            .await
        {
            Ok(r) => parse(&r.text),
            Err(e) if e.is_transient() => match find.await {
                Ok(Some(id)) => Ok(id),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let r = self
            .request(Method::GET, path, query, Body::None, Repeat::Safe)
            .await?;
        decode(&Method::GET, path, &r.text)
    }

    /// A GET of a plain-text answer.
    pub async fn get_text(&self, path: &str) -> Result<String> {
        self.request(Method::GET, path, &[], Body::None, Repeat::Safe)
            .await
            .map(|r| r.text)
    }

    /// A GET whose 404 means "none".
    pub async fn get_optional<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self.get_json(path, &[]).await {
            Ok(v) => Ok(Some(v)),
            Err(XnatError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

pub fn decode<T: DeserializeOwned>(method: &Method, path: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| XnatError::Decode {
        method: method.to_string(),
        path: path.to_string(),
        message: e.to_string(),
    })
}

fn status_error(method: &Method, path: &str, r: &Response) -> XnatError {
    // XNAT's error text can quote the request (a Jackson parse error echoes the body): scrub
    // every known secret before it is cut, so no cut can split a secret past the redactor.
    let scrubbed = crate::model::redact::scrub(r.text.trim());
    let mut message: String = scrubbed.chars().take(600).collect();
    if message.starts_with("<!") || message.starts_with("<html") {
        message = "(an HTML error page)".into();
    }
    if matches!(r.status.as_u16(), 401 | 403) {
        let role = super::roles::needed_for(method.as_str(), path);
        message = if message.is_empty() {
            format!("this needs {role}")
        } else {
            format!("{message} (this needs {role})")
        };
    }
    XnatError::Status {
        method: method.to_string(),
        path: path.to_string(),
        status: r.status.as_u16(),
        message,
    }
}

/// reqwest's error text without the URL's query string or anything it may echo.
fn transport_message(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else if crate::backend::https::untrusted(e) {
        format!("{kind} ({detail}); {}", crate::backend::https::UNTRUSTED)
    } else {
        format!("{kind} ({detail})")
    }
}

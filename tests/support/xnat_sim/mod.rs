//! A simulator of the XNAT Container Service configuration API and the XNAT core endpoints a
//! client needs, served over real HTTP on 127.0.0.1.
//!
//! Behaviour follows `../shared/reference/xnat-container-service-api.md` and
//! `xnat-core-api.md`; each handler cites its section (`ref: …`). Where the reference is silent
//! or unverified, the choice and what the real source shows are listed in `docs/xnat-notes.md`.
//!
//! ```ignore
//! let sim = Sim::start(SimConfig::default());           // admin:admin, CS 3.7.3
//! let url = sim.url();                                  // http://127.0.0.1:PORT
//! sim.set_faults(Faults { error_rate: 0.2, ..Faults::default() });
//! assert_eq!(sim.counters().writes, 0);
//! ```

#![allow(dead_code)]
// Handlers return `Result<Response, Response>` so `?` can answer early with XNAT's error; the
// error *is* the HTTP response, and boxing it would only add noise on a test server.
#![allow(clippy::result_large_err)]

mod access;
mod commands;
mod core;
mod docker;
mod events;
mod faults;
mod http;
mod images;
mod state;
mod wrapper_config;

#[allow(unused_imports)]
pub use faults::{Decision, FaultKind, Faults, SplitMix64};
#[allow(unused_imports)]
pub use state::{
    ADMINISTRATOR, Access, CONTAINER_MANAGER, CsConfig, CsInputConfig, CsOutputConfig, PullRecord,
    SimImage, SimProject, SimUser,
};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use state::State;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};
use tower::ServiceExt;

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    pub users: Vec<SimUser>,
    pub projects: Vec<SimProject>,
    pub images: Vec<SimImage>,
    /// Images the registries behind the hubs hold (pullable, not yet on the daemon).
    pub registry: Vec<SimImage>,
    /// Container Service version; below 3.7 there is no ContainerManager role (admins manage),
    /// and `visibility` / `command-metadata` are unknown.
    pub cs_version: String,
    pub xnat_version: String,
    /// XNAT's event-service site toggle (code default false; ref: xnat-core-api.md §6).
    pub event_service_enabled: bool,
    /// Whether the "Docker daemon" answers pings (`ping` in server and hub responses).
    pub docker_reachable: bool,
    pub faults: Faults,
    /// Site pref `concurrentMaxSessions` (default 1000; ref: xnat-core-api.md §1.1).
    pub max_sessions_per_user: usize,
    /// Site pref `sessionTimeout` (idle; default 15 minutes; ref: xnat-core-api.md §1.2).
    pub session_timeout: Duration,
    /// Seed for generated secrets (session ids, alias tokens).
    pub seed: u64,
    /// Serve HTTPS with this certificate chain and private key (PEM) instead of plain HTTP.
    pub tls: Option<Tls>,
}

/// A server certificate chain and its key, PEM.
#[derive(Debug, Clone)]
pub struct Tls {
    pub chain: Vec<u8>,
    pub key: Vec<u8>,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: vec![SimUser::admin("admin", "admin").container_manager()],
            projects: Vec::new(),
            images: Vec::new(),
            registry: Vec::new(),
            cs_version: "3.7.3".to_string(),
            xnat_version: "1.9.3".to_string(),
            event_service_enabled: false,
            docker_reachable: true,
            faults: Faults::default(),
            max_sessions_per_user: 1000,
            session_timeout: Duration::from_secs(15 * 60),
            seed: 0,
            tls: None,
        }
    }
}

impl SimConfig {
    pub fn user(mut self, user: SimUser) -> SimConfig {
        self.users.retain(|u| u.username != user.username);
        self.users.push(user);
        self
    }

    pub fn project(mut self, project: SimProject) -> SimConfig {
        self.projects.push(project);
        self
    }

    pub fn image(mut self, image: SimImage) -> SimConfig {
        self.images.push(image);
        self
    }

    /// An image a registry holds: XNAT can pull it, the daemon does not have it yet.
    pub fn registry_image(mut self, image: SimImage) -> SimConfig {
        self.registry.push(image);
        self
    }

    pub fn cs_version(mut self, version: &str) -> SimConfig {
        self.cs_version = version.to_string();
        self
    }

    pub fn event_service(mut self, enabled: bool) -> SimConfig {
        self.event_service_enabled = enabled;
        self
    }

    pub fn tls(mut self, tls: Tls) -> SimConfig {
        self.tls = Some(tls);
        self
    }

    pub fn faults(mut self, faults: Faults) -> SimConfig {
        self.faults = faults;
        self
    }
}

/// Request counts since start (or the last `reset_counters`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    pub total: u64,
    /// Requests other than GET and HEAD.
    pub writes: u64,
    /// By `"METHOD /route/{pattern}"`, e.g. `"GET /xapi/commands"`.
    pub by_route: BTreeMap<String, u64>,
    /// Most requests in flight at once.
    pub max_in_flight: u64,
    /// Server sessions created (basic-auth requests that came without a valid session cookie).
    pub sessions_created: u64,
}

impl Counters {
    pub fn get(&self, method: &str, route: &str) -> u64 {
        self.by_route
            .get(&format!("{method} {route}"))
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Default)]
struct Traffic {
    seq: AtomicU64,
    in_flight: AtomicU64,
    counters: Mutex<Counters>,
    writes: Mutex<Vec<LoggedWrite>>,
}

/// One request other than GET/HEAD, with the session it came in and when it ran, so a test can
/// tell whether two clients were writing at the same time.
#[derive(Debug, Clone)]
pub struct LoggedWrite {
    pub method: String,
    pub path: String,
    /// The `JSESSIONID` cookie it carried (empty without one).
    pub session: String,
    pub started: std::time::Instant,
    pub ended: std::time::Instant,
}

/// What every handler and middleware shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    faults: Mutex<Faults>,
    traffic: Traffic,
}

impl Shared {
    /// The state lock. A panic while holding it would be a simulator bug; recover the data
    /// rather than poisoning every later request.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn counters(&self) -> MutexGuard<'_, Counters> {
        self.traffic
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

type SharedState = Arc<Shared>;

/// Per-connection control: lets the fault layer close the connection without a response.
#[derive(Clone)]
struct ConnControl {
    drop: Arc<Notify>,
}

/// A running simulator; stops when dropped.
pub struct Sim {
    addr: SocketAddr,
    https: bool,
    shared: SharedState,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sim {
    /// Start on its own thread and runtime. Panics if it cannot listen (test support).
    pub fn start(config: SimConfig) -> Sim {
        match Sim::try_start(config) {
            Ok(sim) => sim,
            Err(e) => panic!("cannot start the XNAT simulator: {e}"),
        }
    }

    pub fn try_start(config: SimConfig) -> std::io::Result<Sim> {
        let shared = Arc::new(Shared {
            state: Mutex::new(initial_state(&config)),
            faults: Mutex::new(config.faults.clone()),
            traffic: Traffic::default(),
        });
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let router = router(shared.clone());
        let acceptor = match &config.tls {
            None => None,
            Some(tls) => Some(tls_acceptor(tls)?),
        };
        let https = acceptor.is_some();
        let thread = std::thread::Builder::new()
            .name(format!("xnat-sim-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener, router, rx, acceptor).await,
                        Err(e) => eprintln!("xnat-sim: {e}"),
                    }
                });
            })?;
        Ok(Sim {
            addr,
            https,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS), no trailing slash.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Block until the simulator stops (for the example binary; it never stops by itself).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    // ---- faults and counters ---------------------------------------------------------------

    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    pub fn faults(&self) -> Faults {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn counters(&self) -> Counters {
        self.shared.counters().clone()
    }

    /// Every write since start, in the order they finished.
    pub fn write_log(&self) -> Vec<LoggedWrite> {
        self.shared
            .traffic
            .writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every stored version of a config-service entry, oldest first: `(version, status, contents)`.
    pub fn config_history(
        &self,
        tool: &str,
        path: &str,
        project: Option<&str>,
    ) -> Vec<(u32, String, String)> {
        self.shared
            .state()
            .config_history(tool, path, project)
            .into_iter()
            .map(|r| (r.version, r.status.clone(), r.contents.clone()))
            .collect()
    }

    pub fn reset_counters(&self) {
        *self.shared.counters() = Counters::default();
    }

    // ---- seeding ---------------------------------------------------------------------------

    pub fn add_user(&self, user: SimUser) {
        self.shared
            .state()
            .users
            .insert(user.username.clone(), user);
    }

    pub fn grant_role(&self, username: &str, role: &str) {
        if let Some(u) = self.shared.state().users.get_mut(username) {
            u.roles.insert(role.to_string());
        }
    }

    pub fn revoke_role(&self, username: &str, role: &str) {
        if let Some(u) = self.shared.state().users.get_mut(username) {
            u.roles.remove(role);
        }
    }

    pub fn add_project(&self, project: SimProject) {
        self.shared
            .state()
            .projects
            .insert(project.id.clone(), project);
    }

    pub fn add_image(&self, image: SimImage) {
        let mut st = self.shared.state();
        st.images.retain(|i| i.image_id != image.image_id);
        st.images.push(image);
    }

    /// An enabled container server, as if an admin had set it (`server` as XNAT shows it).
    pub fn seed_server(&self, server: Value) {
        let mut st = self.shared.state();
        let id = st.next_id();
        for s in &mut st.servers {
            s.enabled = false;
        }
        st.servers.push(state::ServerRow {
            id,
            enabled: true,
            server,
        });
    }

    /// An image a registry now holds (pullable through XNAT).
    pub fn add_registry_image(&self, image: SimImage) {
        let mut st = self.shared.state();
        st.registry.retain(|i| i.image_id != image.image_id);
        st.registry.push(image);
    }

    /// Every pull request received, in order.
    pub fn pulls(&self) -> Vec<PullRecord> {
        self.shared.state().pulls.clone()
    }

    /// The tags of the images on the daemon.
    pub fn image_tags(&self) -> Vec<String> {
        let st = self.shared.state();
        st.images.iter().flat_map(|i| i.tags.clone()).collect()
    }

    pub fn set_cs_version(&self, version: &str) {
        self.shared.state().set_cs_version(version);
    }

    pub fn set_event_service_enabled(&self, enabled: bool) {
        self.shared.state().event_service_enabled = enabled;
    }

    /// Play a release that lists no subscriptions while the event service is off.
    pub fn set_hide_subscriptions_while_disabled(&self, hide: bool) {
        self.shared.state().hide_subscriptions_while_disabled = hide;
    }

    pub fn set_docker_reachable(&self, reachable: bool) {
        self.shared.state().docker_reachable = reachable;
    }

    /// Store a command as `POST /xapi/commands` would (same binder, `:latest` tagging,
    /// duplicate check and validation), without HTTP or counters. Returns its id, or the status
    /// XNAT would have answered.
    pub fn seed_command(&self, body: Value) -> Result<i64, u16> {
        let mut st = self.shared.state();
        commands::seed(&mut st, body).map_err(|r| r.status().as_u16())
    }

    /// Set a wrapper's site flag directly (as `PUT /xapi/wrappers/{id}/enabled|disabled`).
    pub fn set_site_enabled(&self, wrapper_id: i64, enabled: bool) {
        self.shared
            .state()
            .set_enabled("admin", None, wrapper_id, None, enabled);
    }

    /// Set a wrapper's project flag directly (effective only while site-enabled, as in XNAT).
    pub fn set_project_enabled(&self, project: &str, wrapper_id: i64, enabled: bool) {
        self.shared
            .state()
            .set_enabled("admin", None, wrapper_id, Some(project), enabled);
    }

    // ---- inspection ------------------------------------------------------------------------

    /// The command ids, in id order.
    pub fn command_ids(&self) -> Vec<i64> {
        self.shared.state().commands.keys().copied().collect()
    }

    /// A command as XNAT would return it from `GET /xapi/commands/{id}` to a manager.
    pub fn command_json(&self, id: i64) -> Option<Value> {
        let st = self.shared.state();
        st.commands.get(&id).map(|c| commands::render(c, &st))
    }

    /// The id of a wrapper, found by command name and wrapper name.
    pub fn wrapper_id(&self, command: &str, wrapper: &str) -> Option<i64> {
        let st = self.shared.state();
        st.commands
            .values()
            .filter(|c| c.name == command)
            .flat_map(|c| c.xnat.iter())
            .find(|w| w.name == wrapper)
            .and_then(|w| w.id)
    }

    pub fn site_enabled(&self, wrapper_id: i64) -> bool {
        self.shared.state().is_enabled_for_site(wrapper_id)
    }

    /// Effective project enablement (site AND project).
    pub fn project_enabled(&self, project: &str, wrapper_id: i64) -> bool {
        self.shared
            .state()
            .is_enabled_for_project(project, wrapper_id)
    }

    /// CS's stored configuration of a wrapper at a scope (what `wrapper-<id>` holds).
    pub fn stored_wrapper_config(
        &self,
        wrapper_id: i64,
        project: Option<&str>,
    ) -> Option<CsConfig> {
        self.shared.state().cs_config(wrapper_id, project)
    }

    /// Latest contents and status of a config-service entry.
    pub fn config_entry(
        &self,
        tool: &str,
        path: &str,
        project: Option<&str>,
    ) -> Option<(String, String)> {
        self.shared
            .state()
            .config_latest(tool, path, project)
            .map(|r| (r.contents.clone(), r.status.clone()))
    }

    /// The write-only credentials of a hub, by name: `(password, token)`.
    pub fn hub_credentials(&self, name: &str) -> Option<(Option<String>, Option<String>)> {
        self.shared
            .state()
            .hubs
            .values()
            .find(|h| h.name.as_deref() == Some(name))
            .map(|h| (h.password.clone(), h.token.clone()))
    }

    pub fn event_service_enabled(&self) -> bool {
        self.shared.state().event_service_enabled
    }

    pub fn user_roles(&self, username: &str) -> Vec<String> {
        self.shared
            .state()
            .users
            .get(username)
            .map(|u| u.roles.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The whole state as JSON, for assertions (hub secrets shown as `"<set>"`).
    pub fn snapshot(&self) -> Value {
        let st = self.shared.state();
        let secret = |s: &Option<String>| s.as_ref().map(|_| "<set>");
        json!({
            "cs-version": st.cs_version_text,
            "xnat-version": st.xnat_version,
            "users": st.users.values().collect::<Vec<_>>(),
            "projects": st.projects.values().collect::<Vec<_>>(),
            "commands": st.commands.values().map(|c| commands::render(c, &st)).collect::<Vec<_>>(),
            "servers": st.servers,
            "hubs": st.hubs.values().map(|h| json!({
                "id": h.id, "name": h.name, "url": h.url, "username": h.username,
                "email": h.email, "password": secret(&h.password), "token": secret(&h.token),
                "default": h.id == st.default_hub_id(),
            })).collect::<Vec<_>>(),
            "images": st.images,
            "config": st.config,
            "event-service-enabled": st.event_service_enabled,
            "subscriptions": st.subscriptions.values().map(|s| events::render(s, None)).collect::<Vec<_>>(),
            "sessions": st.sessions.len(),
            "alias-tokens": st.tokens.len(),
        })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn initial_state(config: &SimConfig) -> State {
    let mut st = State::new(config.seed);
    st.set_cs_version(&config.cs_version);
    st.xnat_version = config.xnat_version.clone();
    st.event_service_enabled = config.event_service_enabled;
    st.docker_reachable = config.docker_reachable;
    st.max_sessions_per_user = config.max_sessions_per_user;
    st.session_timeout = config.session_timeout;
    for u in &config.users {
        st.users.insert(u.username.clone(), u.clone());
    }
    for p in &config.projects {
        st.projects.insert(p.id.clone(), p.clone());
    }
    st.images = config.images.clone();
    st.registry = config.registry.clone();
    docker::seed_default_hub(&mut st);
    st
}

/// A connection's byte stream, plain or TLS.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// The accept loop: one task per connection, each of which the fault layer may cut.
/// A TLS acceptor for the simulator's certificate (rustls with aws-lc-rs, as xcs's client).
pub fn tls_acceptor(tls: &Tls) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let chain = CertificateDer::pem_slice_iter(&tls.chain)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(&tls.key).map_err(|e| bad(e.to_string()))?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serve `router` on `listener` (through `tls` when given) until `shutdown`; the one accept
/// loop of the test servers (the simulator, `support::tls::HttpsFiles`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    mut shutdown: oneshot::Receiver<()>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(_) => continue,
            },
            _ = &mut shutdown => return,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let stream: Box<dyn Io> = match tls {
                None => Box::new(stream),
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => Box::new(s),
                    // A client that refuses the certificate ends the handshake: nothing to serve.
                    Err(_) => return,
                },
            };
            let control = ConnControl {
                drop: Arc::new(Notify::new()),
            };
            let drop_signal = control.drop.clone();
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(control.clone());
                    let router = router.clone();
                    async move { router.oneshot(req.map(Body::new)).await }
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                // Dropping the connection future closes the socket with no response written.
                _ = drop_signal.notified() => {}
            }
        });
    }
}

fn router(shared: SharedState) -> Router {
    let data = core::data_routes();
    Router::new()
        .merge(commands::routes())
        .merge(wrapper_config::routes())
        .merge(docker::routes())
        .merge(images::routes())
        .merge(events::routes())
        .merge(core::xapi_routes())
        .nest("/data", data.clone())
        .nest("/REST", data)
        .fallback(http::not_found)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            core::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            inject_faults,
        ))
        .layer(middleware::from_fn_with_state(shared.clone(), count))
        .with_state(shared)
}

/// Outermost layer: request counts by method and route pattern, and the in-flight maximum.
async fn count(
    axum::extract::State(shared): axum::extract::State<SharedState>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "<unmatched>".to_string());
    let method = req.method().clone();
    let now = shared.traffic.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    {
        let mut c = shared.counters();
        c.total += 1;
        if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
            c.writes += 1;
        }
        *c.by_route.entry(format!("{method} {route}")).or_default() += 1;
        c.max_in_flight = c.max_in_flight.max(now);
    }
    struct InFlight<'a>(&'a AtomicU64);
    impl Drop for InFlight<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let _guard = InFlight(&shared.traffic.in_flight);
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return next.run(req).await;
    }
    let session = req
        .headers()
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("JSESSIONID="))
        .unwrap_or_default()
        .to_string();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    shared
        .traffic
        .writes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(LoggedWrite {
            method: method.to_string(),
            path,
            session,
            started,
            ended: std::time::Instant::now(),
        });
    response
}

/// Latency, errors, drops, hangs and slow bodies, as `Faults` says.
async fn inject_faults(
    axum::extract::State(shared): axum::extract::State<SharedState>,
    req: Request,
    next: Next,
) -> Response {
    let faults = shared
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if faults.is_quiet() {
        return next.run(req).await;
    }
    let seq = shared.traffic.seq.fetch_add(1, Ordering::SeqCst);
    let decision = faults.decide(seq);
    let control = req.extensions().get::<ConnControl>().cloned();
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    if faults
        .refuse
        .as_deref()
        .is_some_and(|prefix| req.uri().path().starts_with(prefix))
    {
        return axum::http::StatusCode::FORBIDDEN.into_response();
    }
    if faults.failed_logins > 0 && req.uri().path().ends_with("/JSESSION") {
        let mut f = shared.faults.lock().unwrap_or_else(|e| e.into_inner());
        f.failed_logins = f.failed_logins.saturating_sub(1);
        return http::text(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
        );
    }
    let echo = faults
        .echo_bodies
        .as_deref()
        .is_some_and(|prefix| req.uri().path().starts_with(prefix));
    let req = if echo {
        match http::echo_body(req).await {
            Ok(req) => req,
            Err(refusal) => return refusal,
        }
    } else {
        req
    };
    let cut = |control: Option<ConnControl>| async move {
        if let Some(c) = control {
            c.drop.notify_one();
        }
        std::future::pending::<()>().await;
    };
    match decision.kind {
        FaultKind::Error if !decision.after => return http::simulated_failure(),
        FaultKind::Drop if !decision.after => {
            cut(control).await;
            return http::simulated_failure();
        }
        FaultKind::Hang => tokio::time::sleep(faults.hang_for).await,
        _ => {}
    }
    let response = next.run(req).await;
    match decision.kind {
        FaultKind::Error if decision.after => return http::simulated_failure(),
        FaultKind::Drop if decision.after => {
            cut(control).await;
            return http::simulated_failure();
        }
        _ => {}
    }
    if decision.slow {
        return http::trickle(response, faults.slow_chunk_delay).await;
    }
    response
}

//! Real image registries for the tests: Debian's `docker-registry` on 127.0.0.1 with htpasswd
//! (bcrypt) auth, images pushed to it over the Registry HTTP API, a bearer-token front of the
//! tests' own that counts every request, and images built on the local Docker engine.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", xcs::model::lock::sha256_hex(bytes))
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// `docker-registry serve` on 127.0.0.1 with one htpasswd user; stopped when dropped.
pub struct DockerRegistry {
    child: Child,
    client: reqwest::blocking::Client,
    _dir: tempfile::TempDir,
    pub port: u16,
    pub user: String,
    pub password: String,
    scheme: &'static str,
}

impl DockerRegistry {
    pub fn start(user: &str, password: &str) -> DockerRegistry {
        DockerRegistry::start_with(user, password, true, None)
    }

    /// Without htpasswd auth (bcrypt costs ~0.1 s a request): for the bench, where the bearer
    /// front is the only gate and the registry's own cost would drown what is measured.
    pub fn start_open() -> DockerRegistry {
        DockerRegistry::start_with("open", "open", false, None)
    }

    /// Over TLS with the certificate `tls::private_ca(pki)` made in `pki` (for 127.0.0.1); the
    /// tests' own pushes trust its `ca.pem`.
    pub fn start_tls(user: &str, password: &str, pki: &Path) -> DockerRegistry {
        DockerRegistry::start_with(user, password, true, Some(pki))
    }

    fn start_with(user: &str, password: &str, auth: bool, pki: Option<&Path>) -> DockerRegistry {
        let dir = tempfile::Builder::new()
            .prefix("xcs-labels-registry-")
            .tempdir()
            .expect("tmp");
        let htpasswd = Command::new("htpasswd")
            .args(["-Bbn", user, password])
            .output()
            .expect("htpasswd (apache2-utils) must be installed: tests/run installs it");
        assert!(htpasswd.status.success(), "htpasswd failed");
        std::fs::write(dir.path().join("htpasswd"), &htpasswd.stdout).expect("write htpasswd");
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: xcs-test-secret\n",
            data = dir.path().join("data").display(),
        );
        // `tls` belongs under `http:`, which the text above ends with.
        let mut client = reqwest::blocking::Client::builder();
        if let Some(pki) = pki {
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                pki.join("server.pem").display(),
                pki.join("server.key").display()
            ));
            let ca = std::fs::read(pki.join("ca.pem")).expect("ca.pem");
            client = client
                .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA certificate"));
        }
        if auth {
            let ht = dir.path().join("htpasswd");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: xcs-test\n    path: {}\n",
                ht.display()
            ));
        }
        std::fs::write(dir.path().join("config.yml"), config).expect("write config");
        let child = Command::new("docker-registry")
            .args([
                "serve",
                &dir.path().join("config.yml").display().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry must be installed: tests/run installs it");
        let reg = DockerRegistry {
            child,
            client: client.build().expect("HTTP client"),
            _dir: dir,
            port,
            user: user.into(),
            password: password.into(),
            scheme: if pki.is_some() { "https" } else { "http" },
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reg.client.get(format!("{}/v2/", reg.url())).send().is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        reg
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The `docker-registry` process's id (for the bench's CPU figures).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn http(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// Upload a blob (POST, then PUT with its digest); returns the digest.
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha(bytes);
        let started = self
            .http()
            .post(format!("{}/v2/{repo}/blobs/uploads/", self.url()))
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .expect("start upload");
        assert_eq!(started.status().as_u16(), 202, "start upload");
        let location = started.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        let location = if location.starts_with('/') {
            format!("{}{location}", self.url())
        } else {
            location
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let done = self
            .http()
            .put(format!("{location}{sep}digest={digest}"))
            .basic_auth(&self.user, Some(&self.password))
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .expect("finish upload");
        assert_eq!(
            done.status().as_u16(),
            201,
            "finish upload: {:?}",
            done.text()
        );
        digest
    }

    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> String {
        let resp = self
            .http()
            .put(format!("{}/v2/{repo}/manifests/{reference}", self.url()))
            .basic_auth(&self.user, Some(&self.password))
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .expect("put manifest");
        assert_eq!(
            resp.status().as_u16(),
            201,
            "put manifest: {:?}",
            resp.text()
        );
        sha(body)
    }

    /// An OCI image manifest (one small layer, a config with these labels), not tagged.
    fn image_manifest(&self, repo: &str, arch: &str, labels: &Value) -> Vec<u8> {
        let layer = format!("xcs-test-layer {repo} {arch}").into_bytes();
        let layer_digest = self.push_blob(repo, &layer);
        let config = serde_json::to_vec(&json!({
            "architecture": arch, "os": "linux",
            "config": {"Labels": labels},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]}
        }))
        .expect("config");
        let config_digest = self.push_blob(repo, &config);
        serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}]
        }))
        .expect("manifest")
    }

    /// Push `repo:tag` carrying `labels`; returns the manifest digest.
    pub fn push_image(&self, repo: &str, tag: &str, labels: Value) -> String {
        let manifest = self.image_manifest(repo, "amd64", &labels);
        self.push_manifest(repo, tag, OCI_MANIFEST, &manifest)
    }

    /// Push an OCI index under `repo:tag` with one image per (architecture, labels).
    pub fn push_index(&self, repo: &str, tag: &str, platforms: &[(&str, Value)]) -> String {
        let mut manifests = Vec::new();
        for (arch, labels) in platforms {
            let m = self.image_manifest(repo, arch, labels);
            let digest = self.push_manifest(repo, &sha(&m), OCI_MANIFEST, &m);
            manifests.push(
                json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": m.len(),
                "platform": {"architecture": arch, "os": "linux"}}),
            );
        }
        let index = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
        )
        .expect("index");
        self.push_manifest(repo, tag, OCI_INDEX, &index)
    }
}

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Counters of a [`Front`].
#[derive(Default)]
pub struct Traffic {
    pub requests: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub tokens: AtomicUsize,
}

struct FrontState {
    backend: String,
    backend_user: String,
    backend_password: String,
    /// Accepted token-service login, and the token it hands out.
    login: (String, String),
    token: String,
    traffic: Arc<Traffic>,
    docs: Mutex<std::collections::HashMap<String, Vec<u8>>>,
    http: reqwest::Client,
    realm: Mutex<String>,
    jitter: AtomicUsize,
}

/// The tests' own server on 127.0.0.1: a bearer-token registry front (`/token`, `/v2/…`,
/// forwarded to a [`DockerRegistry`] with its Basic credentials) and static documents
/// (`/doc/NAME`); every request is counted.
pub struct Front {
    pub port: u16,
    state: Arc<FrontState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Front {
    /// In front of `registry`; the token service accepts `user:password`.
    pub fn start(registry: &DockerRegistry, user: &str, password: &str) -> Front {
        let state = Arc::new(FrontState {
            backend: registry.url(),
            backend_user: registry.user.clone(),
            backend_password: registry.password.clone(),
            login: (user.into(), password.into()),
            token: format!("tok-{}", free_port()),
            traffic: Arc::default(),
            docs: Mutex::default(),
            http: reqwest::Client::new(),
            realm: Mutex::default(),
            jitter: AtomicUsize::new(7),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind front");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        *state.realm.lock().expect("realm") = format!("http://127.0.0.1:{port}/token");
        let app = axum::Router::new()
            .route("/token", axum::routing::get(token))
            .route("/doc/{name}", axum::routing::get(doc))
            .fallback(proxy)
            .with_state(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("rt");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        Front {
            port,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn traffic(&self) -> &Traffic {
        &self.state.traffic
    }

    pub fn requests(&self) -> usize {
        self.state.traffic.requests.load(Ordering::SeqCst)
    }

    /// Serve `bytes` at `/doc/NAME`; returns the URL.
    pub fn doc(&self, name: &str, bytes: impl Into<Vec<u8>>) -> String {
        self.state
            .docs
            .lock()
            .expect("docs")
            .insert(name.into(), bytes.into());
        format!("http://127.0.0.1:{}/doc/{name}", self.port)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Counts the request and waits 0–4 ms, so concurrent requests really overlap.
struct Counted(Arc<Traffic>);

impl Counted {
    async fn enter(s: &FrontState) -> Counted {
        let t = s.traffic.clone();
        t.requests.fetch_add(1, Ordering::SeqCst);
        let now = t.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        t.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let j = s.jitter.fetch_add(2_654_435_761, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis((j % 5) as u64)).await;
        Counted(t)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn basic_of(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let v = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let text = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(v).ok()?).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.into(), p.into()))
}

async fn token(State(s): State<Arc<FrontState>>, headers: HeaderMap) -> Response {
    let _c = Counted::enter(&s).await;
    s.traffic.tokens.fetch_add(1, Ordering::SeqCst);
    if basic_of(&headers).as_ref() != Some(&s.login) {
        return Response::builder()
            .status(401)
            .body(Body::from("{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}"))
            .expect("resp");
    }
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(json!({"token": s.token}).to_string()))
        .expect("resp")
}

async fn doc(
    State(s): State<Arc<FrontState>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let _c = Counted::enter(&s).await;
    match s.docs.lock().expect("docs").get(&name) {
        Some(bytes) => Response::new(Body::from(bytes.clone())),
        None => Response::builder()
            .status(404)
            .body(Body::empty())
            .expect("resp"),
    }
}

async fn proxy(State(s): State<Arc<FrontState>>, req: Request) -> Response {
    let _c = Counted::enter(&s).await;
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", s.token));
    let path = req.uri().path().to_string();
    if !authorized {
        let repo = path
            .trim_start_matches("/v2/")
            .split("/manifests/")
            .next()
            .unwrap_or("")
            .split("/blobs/")
            .next()
            .unwrap_or("");
        let realm = s.realm.lock().expect("realm").clone();
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(
                "www-authenticate",
                format!(
                    "Bearer realm=\"{realm}\",service=\"xcs-test\",scope=\"repository:{repo}:pull\""
                ),
            )
            .body(Body::empty())
            .expect("resp");
    }
    let method = req.method().clone();
    let accept = req.headers().get("accept").cloned();
    let mut forward = s
        .http
        .request(method, format!("{}{}", s.backend, req.uri()))
        .basic_auth(&s.backend_user, Some(&s.backend_password));
    if let Some(a) = accept {
        forward = forward.header("accept", a);
    }
    let Ok(resp) = forward.send().await else {
        return Response::builder()
            .status(502)
            .body(Body::empty())
            .expect("resp");
    };
    let mut out = Response::builder().status(resp.status().as_u16());
    for h in ["content-type", "docker-content-digest", "content-length"] {
        if let Some(v) = resp.headers().get(h) {
            out = out.header(h, v.clone());
        }
    }
    let body: Bytes = resp.bytes().await.unwrap_or_default();
    out.body(Body::from(body)).expect("resp")
}

/// An image built on the local Docker engine (`FROM scratch` + labels + files); removed when
/// dropped. `None` (with a message) when no engine can be reached.
pub struct LocalImage {
    pub name: String,
}

impl LocalImage {
    pub fn build(
        name: &str,
        labels: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Option<LocalImage> {
        let engine =
            std::env::var_os("DOCKER_HOST").is_some() || Path::new("/var/run/docker.sock").exists();
        if !engine {
            eprintln!("skipped: no Docker engine (DOCKER_HOST or /var/run/docker.sock)");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("xcs-labels-build-")
            .tempdir()
            .expect("tmp");
        let mut dockerfile = String::from("FROM scratch\n");
        for (path, bytes) in files {
            let local = path.trim_start_matches('/').replace('/', "_");
            std::fs::write(dir.path().join(&local), bytes).expect("write file");
            dockerfile.push_str(&format!("COPY {local} {path}\n"));
        }
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).expect("Dockerfile");
        let mut cmd = Command::new("docker");
        cmd.args(["build", "-q", "-t", name]);
        for (k, v) in labels {
            cmd.arg("--label").arg(format!("{k}={v}"));
        }
        let out = cmd.arg(dir.path()).output().expect("docker build");
        assert!(
            out.status.success(),
            "docker build {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(LocalImage {
            name: name.to_string(),
        })
    }
}

impl Drop for LocalImage {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.name])
            .output();
    }
}

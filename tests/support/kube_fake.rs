//! An HTTP fake of the Kubernetes API server, enough for xcs's pull Secrets: namespaced Secrets
//! (get, list with a label selector and the metadata-only `Accept`, server-side apply, delete)
//! and ServiceAccounts (get, server-side apply). It stores objects, answers failures with
//! `Status` objects as the API server does, can refuse verbs like missing RBAC (403), and
//! records every request (method, path, query, content type, body) for tests to check.

// Handlers answer a finished `Response` on either side, as axum handlers do.
#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: String,
    pub body: String,
}

#[derive(Default)]
struct Store {
    namespaces: BTreeSet<String>,
    /// By (namespace, resource, name).
    objects: BTreeMap<(String, String, String), Value>,
    /// (verb, resource) pairs refused with 403.
    denied: BTreeSet<(String, String)>,
    /// (verb, resource) pairs that fail with a 500 (an etcd timeout, say).
    broken: BTreeSet<(String, String)>,
    requests: Vec<Recorded>,
    version: u64,
}

type Shared = Arc<Mutex<Store>>;

fn lock(s: &Shared) -> MutexGuard<'_, Store> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The fake server; stops with the test process.
pub struct KubeFake {
    addr: SocketAddr,
    store: Shared,
}

/// A `Status` failure, as the API server sends it.
fn status(code: u16, reason: &str, message: String, name: &str, kind: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason,
        "details": {"name": name, "kind": kind}, "code": code,
    });
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok(value: &Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}

impl KubeFake {
    pub fn start() -> KubeFake {
        let store: Shared = Arc::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind kube fake");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new()
            .route("/api/v1/namespaces/{ns}/{resource}", get(list))
            .route(
                "/api/v1/namespaces/{ns}/{resource}/{name}",
                get(object).patch(object).delete(object),
            )
            .fallback(unknown)
            .with_state(store.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let _ = axum::serve(listener, app).await;
            });
        });
        KubeFake { addr, store }
    }

    pub fn namespace(self, ns: &str) -> KubeFake {
        lock(&self.store).namespaces.insert(ns.to_string());
        self
    }

    /// Store an object as if someone else had made it.
    pub fn object(self, ns: &str, resource: &str, value: Value) -> KubeFake {
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        lock(&self.store)
            .objects
            .insert((ns.into(), resource.into(), name), value);
        self
    }

    /// Refuse `verb` on `resource` (403), as missing RBAC does.
    pub fn deny(&self, verb: &str, resource: &str) {
        lock(&self.store)
            .denied
            .insert((verb.to_string(), resource.to_string()));
    }

    pub fn allow_all(&self) {
        let mut st = lock(&self.store);
        st.denied.clear();
        st.broken.clear();
    }

    /// Fail `verb` on `resource` with a 500 `InternalError`, as an overloaded API server does.
    pub fn break_verb(&self, verb: &str, resource: &str) {
        lock(&self.store)
            .broken
            .insert((verb.to_string(), resource.to_string()));
    }

    pub fn get(&self, ns: &str, resource: &str, name: &str) -> Option<Value> {
        lock(&self.store)
            .objects
            .get(&(ns.into(), resource.into(), name.into()))
            .cloned()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.store).requests.clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.store).requests.clear();
    }

    /// A kubeconfig pointing at the fake, with a bearer token and `ns` as the namespace.
    pub fn kubeconfig(&self, ns: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{}\nusers:\n- name: xcs\n  user:\n    token: fake-token\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: xcs\n    namespace: {ns}\ncurrent-context: fake\n",
            self.addr
        )
    }
}

fn record(
    store: &mut Store,
    method: &Method,
    path: String,
    query: &Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
) {
    store.requests.push(Recorded {
        method: method.to_string(),
        path,
        query: query.clone().unwrap_or_default(),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: String::from_utf8_lossy(body).into_owned(),
    });
}

fn verb(method: &Method, listing: bool) -> &'static str {
    match *method {
        Method::GET if listing => "list",
        Method::GET => "get",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "create",
    }
}

/// RBAC, the way the API server words a refusal (and injected server errors).
fn check(
    store: &Store,
    verb: &str,
    resource: &str,
    ns: &str,
    name: Option<&str>,
) -> Result<(), Response> {
    if store
        .broken
        .contains(&(verb.to_string(), resource.to_string()))
    {
        return Err(status(
            500,
            "InternalError",
            "Internal error occurred: etcdserver: request timed out".into(),
            name.unwrap_or_default(),
            resource,
        ));
    }
    if !store
        .denied
        .contains(&(verb.to_string(), resource.to_string()))
    {
        return Ok(());
    }
    let subject = match name {
        Some(n) => format!("{resource} \"{n}\" is forbidden"),
        None => format!("{resource} is forbidden"),
    };
    Err(status(
        403,
        "Forbidden",
        format!(
            "{subject}: User \"system:serviceaccount:xnat:xcs\" cannot {verb} resource \"{resource}\" in API group \"\" in the namespace \"{ns}\""
        ),
        name.unwrap_or_default(),
        resource,
    ))
}

fn query_param(query: &Option<String>, key: &str) -> Option<String> {
    let q = query.as_deref()?;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn kind_of(resource: &str) -> Option<&'static str> {
    match resource {
        "secrets" => Some("Secret"),
        "serviceaccounts" => Some("ServiceAccount"),
        _ => None,
    }
}

async fn list(
    State(store): State<Shared>,
    method: Method,
    Path((ns, resource)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut st = lock(&store);
    record(
        &mut st,
        &method,
        format!("/api/v1/namespaces/{ns}/{resource}"),
        &query,
        &headers,
        &Bytes::new(),
    );
    let Some(kind) = kind_of(&resource) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource".into(),
            "",
            &resource,
        );
    };
    if let Err(r) = check(&st, "list", &resource, &ns, None) {
        return r;
    }
    let selector = query_param(&query, "labelSelector");
    let matches = |v: &Value| match selector.as_deref().and_then(|s| s.split_once('=')) {
        Some((k, want)) => v["metadata"]["labels"][k].as_str() == Some(want),
        None => true,
    };
    let metadata_only = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=PartialObjectMetadataList"));
    let items: Vec<Value> = st
        .objects
        .iter()
        .filter(|((n, r, _), v)| *n == ns && *r == resource && matches(v))
        .map(|(_, v)| {
            if metadata_only {
                json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": v["metadata"]})
            } else {
                v.clone()
            }
        })
        .collect();
    let (api, list_kind) = if metadata_only {
        ("meta.k8s.io/v1", "PartialObjectMetadataList".to_string())
    } else {
        ("v1", format!("{kind}List"))
    };
    ok(
        &json!({"apiVersion": api, "kind": list_kind, "metadata": {"resourceVersion": st.version.to_string()}, "items": items}),
    )
}

/// Server-side apply of `body` over `old`: the applied fields replace the stored ones (lists
/// such as `imagePullSecrets` are atomic), maps in metadata merge.
fn apply(old: Option<&Value>, body: &Value, version: u64) -> Value {
    let mut out = old.cloned().unwrap_or_else(|| json!({"metadata": {}}));
    if let (Some(o), Some(b)) = (out.as_object_mut(), body.as_object()) {
        for (k, v) in b {
            if k == "metadata" {
                continue;
            }
            o.insert(k.clone(), v.clone());
        }
    }
    for key in ["labels", "annotations"] {
        if let Some(map) = body["metadata"][key].as_object() {
            for (k, v) in map {
                out["metadata"][key][k] = v.clone();
            }
        }
    }
    out["metadata"]["name"] = body["metadata"]["name"].clone();
    out["metadata"]["namespace"] = body["metadata"]["namespace"].clone();
    out["metadata"]["resourceVersion"] = json!(version.to_string());
    out
}

async fn object(
    State(store): State<Shared>,
    method: Method,
    Path((ns, resource, name)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = lock(&store);
    record(
        &mut st,
        &method,
        format!("/api/v1/namespaces/{ns}/{resource}/{name}"),
        &query,
        &headers,
        &body,
    );
    let Some(kind) = kind_of(&resource) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource".into(),
            &name,
            &resource,
        );
    };
    let v = verb(&method, false);
    if let Err(r) = check(&st, v, &resource, &ns, Some(&name)) {
        return r;
    }
    let key = (ns.clone(), resource.clone(), name.clone());
    let not_found = || {
        status(
            404,
            "NotFound",
            format!("{resource} \"{name}\" not found"),
            &name,
            &resource,
        )
    };
    match method {
        Method::GET => st.objects.get(&key).map_or_else(not_found, ok),
        Method::DELETE => match st.objects.remove(&key) {
            Some(_) => ok(
                &json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "details": {"name": name, "kind": resource}}),
            ),
            None => not_found(),
        },
        _ => server_side_apply(
            &mut st,
            (&ns, &resource, &name),
            kind,
            &query,
            &headers,
            &body,
        ),
    }
}

/// `PATCH` with `application/apply-patch+yaml`: checks what the API server checks (content
/// type, field manager, namespace, body identity, `create` for a new object), then stores.
fn server_side_apply(
    st: &mut Store,
    (ns, resource, name): (&str, &str, &str),
    kind: &str,
    query: &Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let key = (ns.to_string(), resource.to_string(), name.to_string());
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if ct != "application/apply-patch+yaml" {
        return status(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {ct}"
            ),
            name,
            resource,
        );
    }
    if query_param(query, "fieldManager").is_none() {
        return status(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(), name, resource);
    }
    if !st.namespaces.contains(ns) {
        return status(
            404,
            "NotFound",
            format!("namespaces \"{ns}\" not found"),
            ns,
            "namespaces",
        );
    }
    let Ok(doc) = serde_json::from_slice::<Value>(body) else {
        return status(
            400,
            "BadRequest",
            "error decoding YAML".into(),
            name,
            resource,
        );
    };
    if doc["kind"] != kind || doc["apiVersion"] != "v1" || doc["metadata"]["name"] != name {
        return status(
            400,
            "BadRequest",
            "the name, kind or apiVersion of the object does not match the request".into(),
            name,
            resource,
        );
    }
    // An apply that creates the object is authorized as `create` too.
    if !st.objects.contains_key(&key)
        && let Err(r) = check(st, "create", resource, ns, Some(name))
    {
        return r;
    }
    if resource == "serviceaccounts" && !st.objects.contains_key(&key) {
        // A service account apply would create it; xcs must never do that. The fake
        // refuses so a test sees it.
        return status(
            409,
            "Conflict",
            format!("serviceaccounts \"{name}\" would be created"),
            name,
            resource,
        );
    }
    st.version += 1;
    let stored = apply(st.objects.get(&key), &doc, st.version);
    st.objects.insert(key, stored.clone());
    ok(&stored)
}

async fn unknown(
    State(store): State<Shared>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = lock(&store);
    let query = uri.query().map(str::to_string);
    record(
        &mut st,
        &method,
        uri.path().to_string(),
        &query,
        &headers,
        &body,
    );
    status(
        404,
        "NotFound",
        "the server could not find the requested resource".into(),
        "",
        "",
    )
}

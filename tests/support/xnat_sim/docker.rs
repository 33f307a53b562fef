//! The compute backend and image hosts ("hubs"): `DockerRestApi`
//! (ref: xnat-container-service-api.md §1–§2; images and pulls are in `images.rs`).

use super::SharedState;
// Hub and server writes: `@AuthDelegate(ContainerManagerUserAuthorization)` → 403 (ref: §0).
use super::access::require_manager_403;
use super::http::{
    Call, Query, Reply, empty, is_json, json, json_body, null_pointer, ok_empty, ok_json, ordered,
    text, unreadable,
};
use super::state::{HubRow, ServerRow, State};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as Axum};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/xapi/docker/server", get(get_server).post(set_server))
        .route("/xapi/docker/server/ping", get(ping_server))
        .route("/xapi/docker/hubs", get(list_hubs).post(create_hub))
        .route(
            "/xapi/docker/hubs/{hub}",
            get(get_hub).post(update_hub).delete(delete_hub),
        )
        .route("/xapi/docker/hubs/{hub}/ping", get(ping_hub))
}

/// The built-in default entry (ref: §2 "The built-in default entry is Docker Hub"); its id is
/// stored as the default in the config service, where CS keeps it.
pub fn seed_default_hub(st: &mut State) {
    let id = st.next_id();
    st.hubs.insert(
        id,
        HubRow {
            id,
            name: Some("Docker Hub".into()),
            url: Some("https://index.docker.io/v1/".into()),
            username: None,
            password: None,
            email: None,
            token: None,
        },
    );
    st.set_default_hub("admin", None, id);
}

/// `NoDockerServerException` → 424 (ref: §0).
fn no_server() -> Response {
    text(
        StatusCode::FAILED_DEPENDENCY,
        "Set up Docker server before using this REST endpoint.",
    )
}

pub(super) fn require_server(st: &State) -> Result<(), Response> {
    if st.servers.iter().any(|s| s.enabled) {
        Ok(())
    } else {
        Err(no_server())
    }
}

pub(super) fn docker_error(message: &str) -> Response {
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("The Docker server returned an error:\n{message}"),
    )
}

// ---- compute backend (§1) ----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PostedServer {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    cert_path: Option<String>,
    #[serde(default)]
    swarm_mode: Option<bool>,
    #[serde(default)]
    backend: Option<Backend>,
    #[serde(default)]
    path_translation_xnat_prefix: Option<String>,
    #[serde(default)]
    path_translation_docker_prefix: Option<String>,
    #[serde(default)]
    pull_images_on_xnat_init: Option<bool>,
    #[serde(default)]
    container_user: Option<String>,
    /// A primitive `boolean` in XNAT's JSON creator: absent → false (ref: §1).
    #[serde(default)]
    auto_cleanup: bool,
    #[serde(default)]
    swarm_constraints: Option<Vec<PostedConstraint>>,
    #[serde(default)]
    max_concurrent_finalizing_jobs: Option<i64>,
    #[serde(default)]
    status_email_enabled: bool,
    #[serde(default)]
    gpu_vendor: Option<String>,
    #[serde(default)]
    archive_pvc_name: Option<String>,
    #[serde(default)]
    build_pvc_name: Option<String>,
    #[serde(default)]
    combined_pvc_name: Option<String>,
    #[serde(default)]
    archive_path_translation: Option<String>,
    #[serde(default)]
    build_path_translation: Option<String>,
    #[serde(default)]
    combined_path_translation: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Backend {
    Docker,
    Swarm,
    Kubernetes,
}

impl Backend {
    fn as_str(self) -> &'static str {
        match self {
            Backend::Docker => "docker",
            Backend::Swarm => "swarm",
            Backend::Kubernetes => "kubernetes",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PostedConstraint {
    #[serde(default)]
    user_settable: bool,
    #[serde(default)]
    attribute: Option<String>,
    #[serde(default)]
    comparator: Option<String>,
    #[serde(default)]
    values: Option<Vec<String>>,
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// `DockerServer.validate()`: errors joined by newlines (ref: §1).
fn validate_server(s: &PostedServer, backend: Backend) -> Vec<String> {
    let mut errors = Vec::new();
    let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
    if backend == Backend::Kubernetes {
        if let Some(user) = s.container_user.as_deref().filter(|u| !u.trim().is_empty())
            && user.parse::<i64>().is_err()
        {
            errors.push("If set, container user must be a string with integer value with kubernetes backend".into());
        }
        if let Some(v) = s.gpu_vendor.as_deref().filter(|v| !v.is_empty())
            && !v.eq_ignore_ascii_case("nvidia")
            && !v.eq_ignore_ascii_case("amd")
        {
            errors.push("The value of the GPU Vendor can only be nvidia or amd".into());
        }
        if set(&s.combined_pvc_name) && (set(&s.archive_pvc_name) || set(&s.build_pvc_name)) {
            errors.push("You cannot have a Kubernetes server setup which uses mounts from a PVC with separate and combined locations for build and archive. Please choose one or the other.".into());
        }
        if set(&s.combined_path_translation)
            && (set(&s.archive_path_translation) || set(&s.build_path_translation))
        {
            errors.push("You cannot have a Kubernetes server setup which has path translations for both separate and combined locations for build and archive directories. Please choose one or the other.".into());
        }
    } else if blank(&s.host) {
        errors.push(format!(
            "Host cannot be empty for {} server setting",
            backend.as_str()
        ));
    }
    if let Some(constraints) = &s.swarm_constraints {
        if constraints.iter().any(|c| blank(&c.attribute)) {
            errors.push("Constraint node attribute cannot be blank".into());
        }
        if constraints.iter().any(|c| {
            c.values
                .as_ref()
                .is_none_or(|v| v.is_empty() || v.iter().any(|x| x.trim().is_empty()))
        }) {
            errors.push("Constraint values cannot be blank".into());
        }
    }
    errors
}

fn server_with_ping(row: &ServerRow, ping: bool) -> Value {
    let mut v = row.server.clone();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("ping".into(), json!(ping));
    }
    v
}

/// ref: §1 `GET /docker/server`: 404 text when none is enabled.
async fn get_server(Axum(shared): Axum<SharedState>) -> Reply {
    let st = shared.state();
    match st.servers.iter().find(|s| s.enabled) {
        Some(row) => ok_json(&server_with_ping(row, st.docker_reachable)),
        None => Err(text(StatusCode::NOT_FOUND, "No container server defined.")),
    }
}

/// ref: §1 `POST /docker/server`: a new row (new id) every time, the previous one disabled;
/// omitted booleans stored false; `validate()` failures → 400 text.
async fn set_server(Call { shared, caller }: Call, headers: HeaderMap, body: Bytes) -> Reply {
    let posted: PostedServer = json_body(&headers, &body)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    let backend = posted
        .backend
        .unwrap_or(if posted.swarm_mode == Some(true) {
            Backend::Swarm
        } else {
            Backend::Docker
        });
    let errors = validate_server(&posted, backend);
    if !errors.is_empty() {
        return Err(text(StatusCode::BAD_REQUEST, errors.join("\n")));
    }
    let id = st.next_id();
    let constraints: Vec<Value> = posted
        .swarm_constraints
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            json!({
                "id": 0,
                "user-settable": c.user_settable,
                "attribute": c.attribute,
                "comparator": c.comparator,
                "values": c.values.unwrap_or_default(),
            })
        })
        .collect();
    let name = if blank(&posted.name) {
        posted.host.clone()
    } else {
        posted.name.clone()
    };
    let server = ordered(vec![
        ("id", json!(id)),
        ("name", json!(name)),
        ("host", json!(posted.host)),
        ("cert-path", json!(posted.cert_path)),
        ("swarm-mode", json!(backend == Backend::Swarm)),
        ("backend", json!(backend.as_str())),
        (
            "path-translation-xnat-prefix",
            json!(posted.path_translation_xnat_prefix),
        ),
        (
            "path-translation-docker-prefix",
            json!(posted.path_translation_docker_prefix),
        ),
        (
            "pull-images-on-xnat-init",
            json!(posted.pull_images_on_xnat_init.unwrap_or(false)),
        ),
        ("container-user", json!(posted.container_user)),
        ("auto-cleanup", json!(posted.auto_cleanup)),
        ("swarm-constraints", json!(constraints)),
        (
            "max-concurrent-finalizing-jobs",
            json!(posted.max_concurrent_finalizing_jobs),
        ),
        ("status-email-enabled", json!(posted.status_email_enabled)),
        ("gpu-vendor", json!(posted.gpu_vendor)),
        ("archive-pvc-name", json!(posted.archive_pvc_name)),
        ("build-pvc-name", json!(posted.build_pvc_name)),
        ("combined-pvc-name", json!(posted.combined_pvc_name)),
        (
            "archive-path-translation",
            json!(posted.archive_path_translation),
        ),
        (
            "build-path-translation",
            json!(posted.build_path_translation),
        ),
        (
            "combined-path-translation",
            json!(posted.combined_path_translation),
        ),
    ]);
    for s in &mut st.servers {
        s.enabled = false;
    }
    let row = ServerRow {
        id,
        enabled: true,
        server,
    };
    let body = server_with_ping(&row, st.docker_reachable);
    st.servers.push(row);
    Ok(json(StatusCode::CREATED, &body))
}

/// ref: §1 `GET /docker/server/ping`: "OK"; 424 without a server; 500 on a backend error.
async fn ping_server(Axum(shared): Axum<SharedState>) -> Reply {
    let st = shared.state();
    require_server(&st)?;
    if st.docker_reachable {
        Ok(text(StatusCode::OK, "OK"))
    } else {
        Err(docker_error("Cannot connect to the Docker daemon"))
    }
}

// ---- hubs (§2) ---------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct PostedHub {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

fn hub_status(st: &State) -> Value {
    if st.docker_reachable {
        json!({ "ping": true, "response": "OK", "message": "Ping successful." })
    } else {
        json!({ "ping": false, "response": "", "message": "Could not reach the hub." })
    }
}

/// `DockerHubWithPing`: password and token are write-only, never shown (ref: §2).
fn render_hub(st: &State, h: &HubRow) -> Value {
    ordered(vec![
        ("id", json!(h.id)),
        ("name", json!(h.name)),
        ("url", json!(h.url)),
        ("default", json!(h.id == st.default_hub_id())),
        ("username", json!(h.username)),
        ("email", json!(h.email)),
        ("status", hub_status(st)),
    ])
}

/// `{id}` is all digits; anything else is a name, which also falls back to a numeric id.
pub(super) fn find_hub(st: &State, key: &str) -> Result<i64, Response> {
    if let Ok(id) = key.parse::<i64>() {
        return st.hubs.contains_key(&id).then_some(id).ok_or_else(|| {
            text(
                StatusCode::NOT_FOUND,
                format!("org.nrg.framework.exceptions.NotFoundException: Could not find entity with ID {id}"),
            )
        });
    }
    let matches: Vec<i64> = st
        .hubs
        .values()
        .filter(|h| h.name.as_deref() == Some(key))
        .map(|h| h.id)
        .collect();
    match matches.as_slice() {
        [id] => Ok(*id),
        [] => Err(text(
            StatusCode::NOT_FOUND,
            format!("Could not find hub with name {key}"),
        )),
        _ => Err(text(
            StatusCode::BAD_REQUEST,
            format!("More than one hub with name {key}"),
        )),
    }
}

async fn list_hubs(Axum(shared): Axum<SharedState>) -> Reply {
    let st = shared.state();
    ok_json(&json!(
        st.hubs
            .values()
            .map(|h| render_hub(&st, h))
            .collect::<Vec<_>>()
    ))
}

async fn get_hub(Axum(shared): Axum<SharedState>, Path(key): Path<String>) -> Reply {
    let st = shared.state();
    let id = find_hub(&st, &key)?;
    match st.hubs.get(&id) {
        Some(h) => ok_json(&render_hub(&st, h)),
        None => Err(text(
            StatusCode::NOT_FOUND,
            format!("Could not find hub with name {key}"),
        )),
    }
}

fn invalid_hub() -> Response {
    // `DockerRestApi.handleInvalidDockerHub` for any NrgServiceRuntimeException.
    text(StatusCode::BAD_REQUEST, "Body was not a valid Docker Hub.")
}

/// Names and URLs are DB-unique (ref: §2); a clash surfaces as the hub handler's 400
/// (unverified: it may also be a 500).
fn unique(
    st: &State,
    except: Option<i64>,
    name: &Option<String>,
    url: &Option<String>,
) -> Result<(), Response> {
    let clash = st.hubs.values().any(|h| {
        Some(h.id) != except
            && ((name.is_some() && h.name == *name) || (url.is_some() && h.url == *url))
    });
    if clash { Err(invalid_hub()) } else { Ok(()) }
}

/// ref: §2 `POST /docker/hubs`: 201 + hub; `default=true` makes it the default.
async fn create_hub(
    Call { shared, caller }: Call,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let posted: PostedHub = json_body(&headers, &body)?;
    let set_default = super::http::bool_param(&query, "default", false)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    unique(&st, None, &posted.name, &posted.url)?;
    let id = st.next_id();
    st.hubs.insert(
        id,
        HubRow {
            id,
            name: posted.name,
            url: posted.url,
            username: posted.username,
            password: posted.password,
            email: posted.email,
            token: posted.token,
        },
    );
    if set_default {
        st.set_default_hub(
            &caller.username,
            query.get("reason").map(String::as_str),
            id,
        );
    }
    let hub = st
        .hubs
        .get(&id)
        .map(|h| render_hub(&st, h))
        .unwrap_or(Value::Null);
    Ok(json(StatusCode::CREATED, &hub))
}

/// `DockerHubEntity.fromPojoWithTemplate`: full replacement; the password is kept when sent
/// blank and url and username are unchanged; the token is always overwritten.
fn apply_hub_update(old: &HubRow, new: PostedHub) -> HubRow {
    let same_login = old.url == new.url && old.username == new.username;
    let password = if same_login && new.password.as_deref().is_none_or(|p| p.trim().is_empty()) {
        old.password.clone()
    } else {
        new.password
    };
    HubRow {
        id: old.id,
        name: new.name,
        url: new.url,
        username: new.username,
        password,
        email: new.email,
        token: new.token,
    }
}

/// ref: §2 `POST /docker/hubs/{id}`: 200 empty; no body = only "make this the default"; with
/// `default=true` the body is forwarded as is, so the *body* id is the hub updated.
async fn update_hub(
    Call { shared, caller }: Call,
    Path(key): Path<String>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let Ok(path_id) = key.parse::<i64>() else {
        // Only the numeric form maps POST.
        return Err(text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request method 'POST' not supported",
        ));
    };
    let posted: Option<PostedHub> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else if !is_json(&headers) {
        return Err(text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content type not supported; send application/json",
        ));
    } else {
        Some(serde_json::from_slice(&body).map_err(unreadable)?)
    };
    let set_default = super::http::bool_param(&query, "default", false)?;
    let reason = query.get("reason").cloned();
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    let Some(posted) = posted else {
        // No existence check: any id can be made the default.
        st.set_default_hub(&caller.username, reason.as_deref(), path_id);
        return ok_empty();
    };
    let target = if set_default {
        posted.id.unwrap_or(0)
    } else {
        path_id
    };
    let Some(old) = st.hubs.get(&target).cloned() else {
        // Hibernate update of a row that is not there.
        return Err(invalid_hub());
    };
    unique(&st, Some(target), &posted.name, &posted.url)?;
    let updated = apply_hub_update(&old, posted);
    st.hubs.insert(target, updated);
    if set_default {
        st.set_default_hub(&caller.username, reason.as_deref(), target);
    }
    ok_empty()
}

/// ref: §2 DELETE: 204; 409 for the default hub. An unknown hub dereferences null in
/// `HibernateDockerHubService.delete` → 500.
async fn delete_hub(Call { shared, caller }: Call, Path(key): Path<String>) -> Reply {
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    let id = match find_hub(&st, &key) {
        Ok(id) => id,
        Err(r) if r.status() == StatusCode::BAD_REQUEST => return Err(r),
        Err(_) => return Err(null_pointer()),
    };
    if st.default_hub_id() == id {
        return Err(text(
            StatusCode::CONFLICT,
            "Cannot delete default docker hub. Make another hub default first.",
        ));
    }
    st.hubs.remove(&id);
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn ping_hub(Axum(shared): Axum<SharedState>, Path(key): Path<String>) -> Reply {
    let st = shared.state();
    require_server(&st)?;
    find_hub(&st, &key)?;
    ok_json(&hub_status(&st))
}

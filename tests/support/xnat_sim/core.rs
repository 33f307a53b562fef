//! XNAT core: authentication (basic, session cookie, alias tokens), `/data/JSESSION`, users and
//! roles, projects, the config service and the version/plugin probes
//! (ref: xnat-core-api.md throughout).

use super::SharedState;
use super::access::require_admin;
use super::http::{
    Call, Caller, Query, Reply, empty, forbidden, json, not_found_text, ok_empty, ok_json, text,
    with_header,
};
use super::state::{Access, ConfigRow, Session, State};
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State as Axum};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Instant;

const REALM: &str = "XNAT";

pub fn xapi_routes() -> Router<SharedState> {
    Router::new()
        .route("/xapi/users/username", get(username))
        .route("/xapi/users/roles", get(all_roles))
        .route("/xapi/users/{user}/roles", get(user_roles))
        .route(
            "/xapi/users/{user}/roles/{role}",
            axum::routing::put(set_role::<true>).delete(set_role::<false>),
        )
        .route("/xapi/siteConfig/buildInfo", get(build_info))
        .route("/xapi/siteConfig/buildInfo/version", get(build_version))
        .route("/xapi/plugins", get(plugins))
        .route("/xapi/plugins/{id}", get(plugin))
        .route("/xapi/containers/version", get(containers_version))
}

/// Restlet routes, mounted under both `/data` and `/REST` (ref: xnat-core-api.md §0).
pub fn data_routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/JSESSION",
            get(jsession).post(jsession).delete(end_session),
        )
        .route(
            "/services/tokens/validate/{alias}/{secret}",
            get(validate_token),
        )
        .route("/services/tokens/invalidate/{alias}", get(invalidate_token))
        .route("/projects", get(list_projects))
        .route("/projects/{project}", get(get_project))
        .route(
            "/projects/{project}/accessibility",
            get(project_accessibility),
        )
        .merge(token_routes())
        .merge(config_routes())
}

/// Alias tokens, each issued or shown for the caller or, by the `/user/{user}` form, for another
/// user.
fn token_routes() -> Router<SharedState> {
    let mut router = Router::new();
    for user in ["", "/user/{user}"] {
        router = router
            .route(&format!("/services/tokens/issue{user}"), get(issue_token))
            .route(&format!("/services/tokens/show{user}"), get(show_tokens));
    }
    router
}

/// The config service at site scope (`/config/…`) and at project scope
/// (`/projects/{project}/config/…`), one handler for both.
fn config_routes() -> Router<SharedState> {
    let mut router = Router::new();
    for scope in ["", "/projects/{project}"] {
        router = router
            .route(&format!("{scope}/config"), get(config_tools))
            .route(&format!("{scope}/config/{{tool}}"), get(config_tool))
            .route(
                &format!("{scope}/config/{{tool}}/{{*path}}"),
                get(config_get).put(config_put).delete(config_delete),
            );
    }
    router
}

// ---- authentication ------------------------------------------------------------------------

/// ref: xnat-core-api.md §5: buildInfo is an open URL.
fn is_open(path: &str) -> bool {
    path.starts_with("/xapi/siteConfig/buildInfo")
}

fn challenge(message: &str) -> Response {
    // ref: xnat-core-api.md §1.5: 401 with `WWW-Authenticate: Basic realm="<siteId>"` for a
    // non-interactive agent.
    with_header(
        text(StatusCode::UNAUTHORIZED, message),
        header::WWW_AUTHENTICATE,
        &format!("Basic realm=\"{REALM}\""),
    )
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("JSESSIONID=").map(str::to_string))
}

fn basic_credentials(headers: &HeaderMap) -> Option<Option<(String, String)>> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = raw.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    // Present but undecodable is a failed login, not an anonymous request.
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    Some(decoded.and_then(|d| {
        d.split_once(':')
            .map(|(u, p)| (u.to_string(), p.to_string()))
    }))
}

/// The user a password or an alias token logs in as.
/// ref: xnat-core-api.md §1.1: a username that is an alias token's alias logs in by token.
fn login(st: &State, user: &str, password: &str) -> Option<String> {
    let user = user.rsplit_once('/').map_or(user, |(_, u)| u); // `provider/username`
    if let Some(u) = st.users.get(user) {
        return (u.enabled && u.password == password).then(|| u.username.clone());
    }
    let token = st
        .tokens
        .values()
        .find(|t| t.alias == user || t.id.to_string() == user)?;
    let owner = st.users.get(&token.xdat_user_id)?;
    (token.secret == password && owner.enabled).then(|| owner.username.clone())
}

enum AuthOutcome {
    Session(Caller),
    NewSession(Caller),
    Refused(Response),
}

/// Authentication layer: a live `JSESSIONID` cookie wins; otherwise basic auth logs in and
/// creates a server session (cookie set on the response); otherwise 401.
/// ref: xnat-core-api.md §1.1 (session per basic-auth request without a cookie), §1.2.
pub async fn authenticate(
    Axum(shared): Axum<SharedState>,
    mut req: Request,
    next: Next,
) -> Response {
    if is_open(req.uri().path()) {
        return next.run(req).await;
    }
    let cookie = session_cookie(req.headers());
    let basic = basic_credentials(req.headers());
    let outcome = {
        let mut st = shared.state();
        let timeout = st.session_timeout;
        st.sessions.retain(|_, s| s.last_access.elapsed() < timeout);
        let from_cookie = cookie.as_ref().and_then(|sid| {
            let s = st.sessions.get_mut(sid)?;
            let same_user = match &basic {
                Some(Some((u, _))) => *u == s.user,
                _ => true,
            };
            same_user.then(|| {
                s.last_access = Instant::now();
                Caller {
                    username: s.user.clone(),
                    session: sid.clone(),
                }
            })
        });
        match (from_cookie, basic) {
            (Some(caller), _) => AuthOutcome::Session(caller),
            (None, Some(Some((user, password)))) => match login(&st, &user, &password) {
                None => AuthOutcome::Refused(challenge("Login attempt failed. Please try again.")),
                Some(username) => {
                    let open = st.sessions.values().filter(|s| s.user == username).count();
                    if open >= st.max_sessions_per_user {
                        // ref: xnat-core-api.md §1.1: maxSessionsPreventsLogin (status unverified).
                        AuthOutcome::Refused(challenge(&format!(
                            "Maximum sessions of {} for this principal exceeded",
                            st.max_sessions_per_user
                        )))
                    } else {
                        let sid = st.rng.alphanumeric(32).to_ascii_uppercase();
                        let csrf = st.rng.uuid();
                        st.sessions.insert(
                            sid.clone(),
                            Session {
                                user: username.clone(),
                                last_access: Instant::now(),
                                csrf,
                            },
                        );
                        AuthOutcome::NewSession(Caller {
                            username,
                            session: sid,
                        })
                    }
                }
            },
            (None, Some(None)) => {
                AuthOutcome::Refused(challenge("Login attempt failed. Please try again."))
            }
            (None, None) => AuthOutcome::Refused(challenge(
                "Full authentication is required to access this resource",
            )),
        }
    };
    match outcome {
        AuthOutcome::Refused(r) => r,
        AuthOutcome::Session(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        AuthOutcome::NewSession(caller) => {
            shared.counters().sessions_created += 1;
            let cookie = format!("JSESSIONID={}; Path=/; HttpOnly", caller.session);
            req.extensions_mut().insert(caller);
            let response = next.run(req).await;
            with_header(response, header::SET_COOKIE, &cookie)
        }
    }
}

// ---- sessions --------------------------------------------------------------------------------

/// ref: xnat-core-api.md §1.2: body = the session id; `CSRF=true` appends the CSRF token.
async fn jsession(Call { shared, caller }: Call, query: Query) -> Reply {
    let st = shared.state();
    let mut body = caller.session.clone();
    if is_true(&query, "CSRF")
        && let Some(s) = st.sessions.get(&caller.session)
    {
        body = format!("{body}; XNAT_CSRF={}", s.csrf);
    }
    Ok(text(StatusCode::OK, body))
}

/// ref: xnat-core-api.md §1.2: DELETE invalidates the session (status unverified; 200 chosen).
async fn end_session(Call { shared, caller }: Call) -> Reply {
    shared.state().sessions.remove(&caller.session);
    ok_empty()
}

// ---- users and roles -------------------------------------------------------------------------

/// ref: xnat-core-api.md §4: `text/plain` caller username.
async fn username(Extension(caller): Extension<Caller>) -> Reply {
    Ok(text(StatusCode::OK, caller.username))
}

async fn all_roles(Call { shared, caller }: Call) -> Reply {
    let st = shared.state();
    require_admin(&st, &caller)?;
    let mut roles: Vec<&String> = st.users.values().flat_map(|u| u.roles.iter()).collect();
    roles.sort();
    roles.dedup();
    ok_json(&json!(roles))
}

/// ref: xnat-core-api.md §4: level User (self or admin); admin asking about an unknown user →
/// 200 with an empty body.
async fn user_roles(Call { shared, caller }: Call, Path(user): Path<String>) -> Reply {
    let st = shared.state();
    if !may_act_for(&st, &caller, &user) {
        return Err(forbidden());
    }
    match st.users.get(&user) {
        Some(u) => ok_json(&json!(u.roles)),
        None => ok_empty(),
    }
}

/// `PUT` grants the role, `DELETE` revokes it.
/// ref: xnat-core-api.md §4: Admin; unknown user 404.
async fn set_role<const GRANT: bool>(
    Call { shared, caller }: Call,
    Path((user, role)): Path<(String, String)>,
) -> Reply {
    let mut st = shared.state();
    require_admin(&st, &caller)?;
    let Some(u) = st.users.get_mut(&user) else {
        return Err(not_found_text(format!("User {user} not found")));
    };
    if GRANT {
        u.roles.insert(role);
    } else {
        u.roles.remove(&role);
    }
    ok_empty()
}

/// The caller is `user`, or a site admin.
fn may_act_for(st: &State, caller: &Caller, user: &str) -> bool {
    caller.username == user || st.is_admin(&caller.username)
}

// ---- alias tokens (ref: xnat-core-api.md §1.3; all GET) ---------------------------------------

/// The `…/user/{user}` forms of the token routes name another user than the caller.
#[derive(serde::Deserialize)]
struct TokenUser {
    #[serde(default)]
    user: Option<String>,
}

async fn issue_token(Call { shared, caller }: Call, Path(path): Path<TokenUser>) -> Reply {
    let mut st = shared.state();
    if let Some(user) = &path.user {
        if !st.is_admin(&caller.username) {
            return Err(text(
                StatusCode::FORBIDDEN,
                "Only site admins can issue tokens for other users",
            ));
        }
        if !st.users.contains_key(user) {
            return Err(not_found_text(format!("Couldn't find user {user}")));
        }
    }
    let token = st.new_token(path.user.as_deref().unwrap_or(&caller.username));
    let body = token.to_json();
    st.tokens.insert(token.alias.clone(), token);
    ok_json(&body)
}

async fn show_tokens(Call { shared, caller }: Call, Path(path): Path<TokenUser>) -> Reply {
    let st = shared.state();
    let user = path.user.as_deref().unwrap_or(&caller.username);
    if !may_act_for(&st, &caller, user) {
        return Err(text(StatusCode::FORBIDDEN, "Access denied"));
    }
    ok_json(&json!(
        st.tokens
            .values()
            .filter(|t| t.xdat_user_id == user)
            .map(|t| t.to_json())
            .collect::<Vec<_>>()
    ))
}

/// A token by alias (or id) that the caller owns, or any token for a site admin.
fn owned_token<'a>(
    st: &'a State,
    caller: &Caller,
    alias: &str,
) -> Result<&'a super::state::AliasToken, Response> {
    let Some(token) = st
        .tokens
        .values()
        .find(|t| t.alias == alias || t.id.to_string() == alias)
    else {
        return Err(not_found_text(format!(
            "Couldn't find token with alias {alias}"
        )));
    };
    if !may_act_for(st, caller, &token.xdat_user_id) {
        return Err(text(StatusCode::FORBIDDEN, "Access denied"));
    }
    Ok(token)
}

async fn validate_token(
    Call { shared, caller }: Call,
    Path((alias, secret)): Path<(String, String)>,
) -> Reply {
    let st = shared.state();
    let token = owned_token(&st, &caller, &alias)?;
    let valid = (token.secret == secret).then(|| token.xdat_user_id.clone());
    ok_json(&json!({ "valid": valid }))
}

async fn invalidate_token(Call { shared, caller }: Call, Path(alias): Path<String>) -> Reply {
    let mut st = shared.state();
    let key = owned_token(&st, &caller, &alias)?.alias.clone();
    st.tokens.remove(&key);
    ok_json(&json!({ "result": "OK" }))
}

// ---- projects (ref: xnat-core-api.md §3) ------------------------------------------------------

async fn list_projects(Call { shared, caller }: Call, query: Query) -> Reply {
    let st = shared.state();
    let needed = match query.get("restrict").map(String::as_str) {
        Some("edit") => Some(Access::Member),
        Some("delete") => Some(Access::Owner),
        _ => None,
    };
    let rows: Vec<Value> = st
        .projects
        .values()
        .filter(|p| match needed {
            Some(level) => st.has_access(&caller.username, &p.id, level),
            None => st.can_read_project(&caller.username, &p.id),
        })
        .map(|p| {
            json!({
                "ID": p.id,
                "secondary_ID": p.secondary_id,
                "name": p.name,
                "description": p.description,
                "pi_firstname": p.pi_firstname,
                "pi_lastname": p.pi_lastname,
                "URI": format!("/data/projects/{}", p.id),
            })
        })
        .collect();
    ok_json(&json!({
        "ResultSet": { "Result": rows, "totalRecords": rows.len().to_string() }
    }))
}

/// ref: xnat-core-api.md §3: unknown → 404 "Unable to find the specified experiment." (sic);
/// an unreadable private project answers the same 404 here (404 vs 403 unverified).
fn readable_project<'a>(
    st: &'a State,
    caller: &Caller,
    project: &str,
) -> Result<&'a super::state::SimProject, Response> {
    st.projects
        .get(project)
        .filter(|p| st.can_read_project(&caller.username, &p.id))
        .ok_or_else(|| not_found_text("Unable to find the specified experiment."))
}

async fn get_project(Call { shared, caller }: Call, Path(project): Path<String>) -> Reply {
    let st = shared.state();
    let p = readable_project(&st, &caller, &project)?;
    ok_json(&json!({
        "items": [{
            "meta": { "xsi:type": "xnat:projectData", "isHistory": false },
            "data_fields": {
                "ID": p.id, "secondary_ID": p.secondary_id, "name": p.name,
                "description": p.description,
            }
        }]
    }))
}

async fn project_accessibility(
    Call { shared, caller }: Call,
    Path(project): Path<String>,
) -> Reply {
    let st = shared.state();
    let p = readable_project(&st, &caller, &project)?;
    Ok(text(StatusCode::OK, p.accessibility.clone()))
}

// ---- version probes (ref: xnat-core-api.md §5, xnat-container-service-api.md §9) --------------

async fn build_info(Axum(shared): Axum<SharedState>) -> Reply {
    let st = shared.state();
    ok_json(&json!({
        "version": st.xnat_version,
        "buildNumber": "1",
        "buildDate": "Thu Jan 01 00:00:00 UTC 2025",
        "timestamp": "0",
        "sha": "0000000",
        "shaFull": "0000000000000000000000000000000000000000",
        "isDirty": "false",
        "branch": "HEAD",
        "commit": "0000000",
        "tag": st.xnat_version,
        "hostName": "xnat-sim",
        "displayHostName": "xnat-sim",
        "nodeId": "",
    }))
}

async fn build_version(Axum(shared): Axum<SharedState>) -> Reply {
    Ok(text(StatusCode::OK, shared.state().xnat_version.clone()))
}

fn containers_plugin(st: &State) -> Value {
    json!({
        "id": "containers",
        "name": "Container Service",
        "version": st.cs_version_text,
        "description": "Runs containers on XNAT data",
        "namespace": "org.nrg.containers",
        "pluginClass": "org.nrg.containers.ContainersConfig",
        "beanName": "containersConfig",
        "logConfigurationFile": "",
        "entityPackages": ["org.nrg.containers"],
        "dataModelBeans": [],
        "extendedAttributes": {},
    })
}

async fn plugins(Axum(shared): Axum<SharedState>) -> Reply {
    ok_json(&json!({ "containers": containers_plugin(&shared.state()) }))
}

async fn plugin(Axum(shared): Axum<SharedState>, Path(id): Path<String>) -> Reply {
    if id == "containers" {
        return ok_json(&containers_plugin(&shared.state()));
    }
    Err(not_found_text(format!(
        "No plugin with ID {id} could be found on this system"
    )))
}

async fn containers_version(Axum(shared): Axum<SharedState>) -> Reply {
    let st = shared.state();
    ok_json(&json!({
        "compatible": true,
        "xnat-version-detected": st.xnat_version,
        "min-xnat-version-required": "1.8.5",
        "message": "",
    }))
}

// ---- config service (ref: xnat-core-api.md §2) ------------------------------------------------

/// `yyyy-MM-dd HH:mm:ss.S` in UTC (the exact rendering is unverified).
fn format_date(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}.{}",
        xcs::time::date(secs),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        (ms % 1000) / 100
    )
}

fn config_row_json(row: &ConfigRow, url_project: Option<&str>, with_contents: bool) -> Value {
    let mut v = json!({
        "tool": row.tool,
        "path": row.path,
        "project": url_project.unwrap_or(""),
        "user": row.user,
        "create_date": format_date(row.created),
        "reason": row.reason.clone().unwrap_or_default(),
        "unversioned": row.unversioned.to_string(),
        "version": row.version.to_string(),
        "status": row.status,
    });
    if with_contents && let Some(obj) = v.as_object_mut() {
        obj.insert("contents".to_string(), json!(row.contents));
    }
    v
}

fn result_set(rows: Vec<Value>) -> Response {
    json(StatusCode::OK, &json!({ "ResultSet": { "Result": rows } }))
}

/// Project-scope reads need an existing, readable project; site scope is open to any user.
fn check_config_read(st: &State, user: &str, project: Option<&str>) -> Result<(), Response> {
    if let Some(p) = project {
        if !st.projects.contains_key(p) {
            return Err(not_found_text(format!(
                "The requested project {p} does not exist."
            )));
        }
        if !st.can_read_project(user, p) {
            return Err(text(StatusCode::FORBIDDEN, "Access denied"));
        }
    }
    Ok(())
}

/// Site scope: admin only. Project scope: owner (Delete) or admin; the project's existence is
/// not checked (ref: xnat-core-api.md §2 PUT).
fn check_config_write(st: &State, user: &str, project: Option<&str>) -> Result<(), Response> {
    let allowed = match project {
        None => st.is_admin(user),
        Some(p) => st.is_admin(user) || st.has_access(user, p, Access::Owner),
    };
    if allowed {
        Ok(())
    } else {
        Err(text(
            StatusCode::FORBIDDEN,
            "User does not have privileges to modify config for this project",
        ))
    }
}

/// A config-service path at either scope: `project` is absent at site scope; `tool` and `path`
/// are empty on the routes above them.
#[derive(serde::Deserialize)]
struct ConfigPath {
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    tool: String,
    #[serde(default)]
    path: String,
}

impl ConfigPath {
    /// A new version of the entry at this path (`config_replace`).
    fn write(
        &self,
        st: &mut State,
        caller: &Caller,
        contents: &str,
        status: Option<&str>,
        unversioned: Option<bool>,
    ) {
        st.config_replace(
            &caller.username,
            None,
            &self.tool,
            &self.path,
            self.project.as_deref(),
            contents,
            status,
            unversioned,
        );
    }
}

/// A Restlet query flag: set when its value is `true`, in any case.
fn is_true(query: &HashMap<String, String>, name: &str) -> bool {
    query
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

async fn config_tools(Call { shared, caller }: Call, Path(at): Path<ConfigPath>) -> Reply {
    let st = shared.state();
    let project = at.project.as_deref();
    check_config_read(&st, &caller.username, project)?;
    // At site scope:
    // ref: xnat-core-api.md §2: distinct tools across all scopes.
    let mut tools: Vec<&str> = st
        .config
        .iter()
        .filter(|r| project.is_none_or(|p| r.project.as_deref() == Some(p)))
        .map(|r| r.tool.as_str())
        .collect();
    tools.sort();
    tools.dedup();
    Ok(result_set(
        tools.into_iter().map(|t| json!({ "tool": t })).collect(),
    ))
}

async fn config_tool(Call { shared, caller }: Call, Path(at): Path<ConfigPath>) -> Reply {
    let st = shared.state();
    let (project, tool) = (at.project.as_deref(), at.tool.as_str());
    check_config_read(&st, &caller.username, project)?;
    // One row per version of every path of the tool.
    let mut rows: Vec<&ConfigRow> = st
        .config
        .iter()
        .filter(|r| r.tool == tool && r.project.as_deref() == project)
        .collect();
    if rows.is_empty() {
        return Ok(not_found_text(format!(
            "Couldn't find config for tool {tool}"
        )));
    }
    rows.sort_by(|a, b| a.path.cmp(&b.path).then(a.version.cmp(&b.version)));
    Ok(result_set(
        rows.into_iter()
            .map(|r| config_row_json(r, project, true))
            .collect(),
    ))
}

fn missing(query: &HashMap<String, String>) -> Response {
    if is_true(query, "accept-not-found") {
        empty(StatusCode::NO_CONTENT)
    } else {
        not_found_text("Couldn't find the requested configuration.")
    }
}

async fn config_get(
    Call { shared, caller }: Call,
    Path(at): Path<ConfigPath>,
    query: Query,
) -> Reply {
    let st = shared.state();
    let (tool, path) = (at.tool.as_str(), at.path.as_str());
    // `defaultToSiteWide=true` reads the site entry when the project has none.
    let project = at.project.as_deref().filter(|p| {
        !(is_true(&query, "defaultToSiteWide") && st.config_latest(tool, path, Some(p)).is_none())
    });
    check_config_read(&st, &caller.username, project)?;
    if query.get("action").is_some_and(|a| a == "getHistory") {
        let rows = st.config_history(tool, path, project);
        if rows.is_empty() {
            return Err(missing(&query));
        }
        return Ok(result_set(
            rows.into_iter()
                .map(|r| config_row_json(r, project, !is_true(&query, "meta")))
                .collect(),
        ));
    }
    let row = match query.get("version").and_then(|v| v.parse::<u32>().ok()) {
        Some(v) => st
            .config_history(tool, path, project)
            .into_iter()
            .find(|r| r.version == v),
        None => st.config_latest(tool, path, project),
    };
    let Some(row) = row else {
        return Err(missing(&query));
    };
    if is_true(&query, "contents") {
        // ref: xnat-core-api.md §2: a disabled entry's contents are absent (404 / 204).
        if row.status != "enabled" {
            return Err(missing(&query));
        }
        return Ok(text(StatusCode::OK, row.contents.clone()));
    }
    // Plain GET: the latest row whatever its status.
    Ok(result_set(vec![config_row_json(
        row,
        project,
        !is_true(&query, "meta"),
    )]))
}

async fn config_put(
    Call { shared, caller }: Call,
    Path(at): Path<ConfigPath>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let mut st = shared.state();
    let (project, tool, path) = (at.project.as_deref(), at.tool.as_str(), at.path.as_str());
    check_config_write(&st, &caller.username, project)?;
    let status = match query.get("status").map(|s| s.to_ascii_lowercase()) {
        None => None,
        Some(s) if s == "enabled" || s == "true" => Some("enabled"),
        Some(s) if s == "disabled" || s == "false" => Some("disabled"),
        Some(s) => {
            return Err(text(
                StatusCode::BAD_REQUEST,
                format!("Invalid status value: {s}"),
            ));
        }
    };
    let unversioned = query
        .get("unversioned")
        .map(|v| v.eq_ignore_ascii_case("true"));
    // ref: xnat-core-api.md §2 PUT body (a)/(b): JSON bodies are a wrapper object of strings;
    // anything else (or `inbody=true`) is the raw contents.
    let (contents, body_status) = if body.is_empty() {
        (None, None)
    } else if super::http::is_json(&headers) && !is_true(&query, "inbody") {
        // ref: xnat-core-api.md §2: a non-string value fails to bind → 500 (as coded).
        let Ok(mut strings) = serde_json::from_slice::<HashMap<String, String>>(&body) else {
            return Err(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Unable to read the configuration from the request body",
            ));
        };
        (strings.remove("contents"), strings.remove("status"))
    } else {
        (Some(String::from_utf8_lossy(&body).into_owned()), None)
    };
    let status = status.map(str::to_string).or(body_status);
    let latest = st
        .config_latest(tool, path, project)
        .map(|r| (r.contents.clone(), r.status.clone()));
    let Some(contents) = contents else {
        // Status-only PUT.
        let Some(status) = status else {
            return Err(text(
                StatusCode::BAD_REQUEST,
                "You must specify either a configuration or a status",
            ));
        };
        let Some((old, _)) = latest else {
            return Err(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Couldn't find the configuration {tool}/{path} to set its status"),
            ));
        };
        at.write(&mut st, &caller, &old, Some(&status), unversioned);
        return ok_empty();
    };
    if contents.trim().is_empty() {
        return Err(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No contents provided",
        ));
    }
    match latest {
        // ref: xnat-core-api.md §2: identical contents on an enabled entry → 200, no new version.
        Some((old, old_status))
            if old == contents
                && old_status == "enabled"
                && status.as_deref().is_none_or(|s| s == "enabled") =>
        {
            ok_empty()
        }
        latest => {
            at.write(&mut st, &caller, &contents, status.as_deref(), unversioned);
            if latest.is_none() {
                Ok(empty(StatusCode::CREATED))
            } else {
                ok_empty()
            }
        }
    }
}

/// ref: xnat-core-api.md §2 DELETE: nothing is removed; a new `disabled` version is written.
async fn config_delete(Call { shared, caller }: Call, Path(at): Path<ConfigPath>) -> Reply {
    let mut st = shared.state();
    let (project, tool, path) = (at.project.as_deref(), at.tool.as_str(), at.path.as_str());
    check_config_write(&st, &caller.username, project)?;
    let Some(old) = st
        .config_latest(tool, path, project)
        .map(|r| r.contents.clone())
    else {
        return Err(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Couldn't find the site configuration {tool}/{path}"),
        ));
    };
    at.write(&mut st, &caller, &old, Some("disabled"), None);
    ok_empty()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_render_in_utc() {
        assert_eq!(super::format_date(0), "1970-01-01 00:00:00.0");
        assert_eq!(
            super::format_date(1_700_000_000_123),
            "2023-11-14 22:13:20.1"
        );
    }
}

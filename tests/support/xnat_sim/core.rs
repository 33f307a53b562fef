//! XNAT core: authentication (basic, session cookie, alias tokens), `/data/JSESSION`, users and
//! roles, projects, the config service and the version/plugin probes
//! (ref: xnat-core-api.md throughout).

use super::SharedState;
use super::http::{
    Caller, Query, Reply, empty, forbidden, json, not_found_text, ok_empty, ok_json, text,
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
            axum::routing::put(add_role).delete(remove_role),
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
        .route("/services/tokens/issue", get(issue_token))
        .route("/services/tokens/issue/user/{user}", get(issue_token_for))
        .route("/services/tokens/show", get(show_tokens))
        .route("/services/tokens/show/user/{user}", get(show_tokens_for))
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
        .route("/config", get(config_tools))
        .route("/config/{tool}", get(config_tool))
        .route(
            "/config/{tool}/{*path}",
            get(config_get).put(config_put).delete(config_delete),
        )
        .route("/projects/{project}/config", get(project_config_tools))
        .route(
            "/projects/{project}/config/{tool}",
            get(project_config_tool),
        )
        .route(
            "/projects/{project}/config/{tool}/{*path}",
            get(project_config_get)
                .put(project_config_put)
                .delete(project_config_delete),
        )
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
async fn jsession(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    query: Query,
) -> Reply {
    let st = shared.state();
    let mut body = caller.session.clone();
    if query
        .get("CSRF")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        && let Some(s) = st.sessions.get(&caller.session)
    {
        body = format!("{body}; XNAT_CSRF={}", s.csrf);
    }
    Ok(text(StatusCode::OK, body))
}

/// ref: xnat-core-api.md §1.2: DELETE invalidates the session (status unverified; 200 chosen).
async fn end_session(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
) -> Reply {
    shared.state().sessions.remove(&caller.session);
    ok_empty()
}

// ---- users and roles -------------------------------------------------------------------------

/// ref: xnat-core-api.md §4: `text/plain` caller username.
async fn username(Extension(caller): Extension<Caller>) -> Reply {
    Ok(text(StatusCode::OK, caller.username))
}

async fn all_roles(Axum(shared): Axum<SharedState>, Extension(caller): Extension<Caller>) -> Reply {
    let st = shared.state();
    if !st.is_admin(&caller.username) {
        return Err(forbidden());
    }
    let mut roles: Vec<&String> = st.users.values().flat_map(|u| u.roles.iter()).collect();
    roles.sort();
    roles.dedup();
    ok_json(&json!(roles))
}

/// ref: xnat-core-api.md §4: level User (self or admin); admin asking about an unknown user →
/// 200 with an empty body.
async fn user_roles(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(user): Path<String>,
) -> Reply {
    let st = shared.state();
    if caller.username != user && !st.is_admin(&caller.username) {
        return Err(forbidden());
    }
    match st.users.get(&user) {
        Some(u) => ok_json(&json!(u.roles)),
        None => ok_empty(),
    }
}

/// ref: xnat-core-api.md §4: Admin; unknown user 404.
async fn add_role(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((user, role)): Path<(String, String)>,
) -> Reply {
    let mut st = shared.state();
    if !st.is_admin(&caller.username) {
        return Err(forbidden());
    }
    match st.users.get_mut(&user) {
        Some(u) => {
            u.roles.insert(role);
            ok_empty()
        }
        None => Err(not_found_text(format!("User {user} not found"))),
    }
}

async fn remove_role(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((user, role)): Path<(String, String)>,
) -> Reply {
    let mut st = shared.state();
    if !st.is_admin(&caller.username) {
        return Err(forbidden());
    }
    match st.users.get_mut(&user) {
        Some(u) => {
            u.roles.remove(&role);
            ok_empty()
        }
        None => Err(not_found_text(format!("User {user} not found"))),
    }
}

// ---- alias tokens (ref: xnat-core-api.md §1.3; all GET) ---------------------------------------

async fn issue_token(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
) -> Reply {
    let mut st = shared.state();
    let token = st.new_token(&caller.username);
    let body = token.to_json();
    st.tokens.insert(token.alias.clone(), token);
    ok_json(&body)
}

async fn issue_token_for(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(user): Path<String>,
) -> Reply {
    let mut st = shared.state();
    if !st.is_admin(&caller.username) {
        return Err(text(
            StatusCode::FORBIDDEN,
            "Only site admins can issue tokens for other users",
        ));
    }
    if !st.users.contains_key(&user) {
        return Err(not_found_text(format!("Couldn't find user {user}")));
    }
    let token = st.new_token(&user);
    let body = token.to_json();
    st.tokens.insert(token.alias.clone(), token);
    ok_json(&body)
}

fn tokens_of(st: &State, user: &str) -> Value {
    json!(
        st.tokens
            .values()
            .filter(|t| t.xdat_user_id == user)
            .map(|t| t.to_json())
            .collect::<Vec<_>>()
    )
}

async fn show_tokens(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
) -> Reply {
    ok_json(&tokens_of(&shared.state(), &caller.username))
}

async fn show_tokens_for(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(user): Path<String>,
) -> Reply {
    let st = shared.state();
    if caller.username != user && !st.is_admin(&caller.username) {
        return Err(text(StatusCode::FORBIDDEN, "Access denied"));
    }
    ok_json(&tokens_of(&st, &user))
}

fn find_token<'a>(st: &'a State, alias: &str) -> Option<&'a super::state::AliasToken> {
    st.tokens
        .values()
        .find(|t| t.alias == alias || t.id.to_string() == alias)
}

async fn validate_token(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((alias, secret)): Path<(String, String)>,
) -> Reply {
    let st = shared.state();
    let Some(token) = find_token(&st, &alias) else {
        return Err(not_found_text(format!(
            "Couldn't find token with alias {alias}"
        )));
    };
    if token.xdat_user_id != caller.username && !st.is_admin(&caller.username) {
        return Err(text(StatusCode::FORBIDDEN, "Access denied"));
    }
    let valid = (token.secret == secret).then(|| token.xdat_user_id.clone());
    ok_json(&json!({ "valid": valid }))
}

async fn invalidate_token(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(alias): Path<String>,
) -> Reply {
    let mut st = shared.state();
    let Some(token) = find_token(&st, &alias) else {
        return Err(not_found_text(format!(
            "Couldn't find token with alias {alias}"
        )));
    };
    if token.xdat_user_id != caller.username && !st.is_admin(&caller.username) {
        return Err(text(StatusCode::FORBIDDEN, "Access denied"));
    }
    let key = token.alias.clone();
    st.tokens.remove(&key);
    ok_json(&json!({ "result": "OK" }))
}

// ---- projects (ref: xnat-core-api.md §3) ------------------------------------------------------

async fn list_projects(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    query: Query,
) -> Reply {
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
async fn get_project(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> Reply {
    let st = shared.state();
    let Some(p) = st
        .projects
        .get(&project)
        .filter(|p| st.can_read_project(&caller.username, &p.id))
    else {
        return Err(not_found_text("Unable to find the specified experiment."));
    };
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
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> Reply {
    let st = shared.state();
    match st
        .projects
        .get(&project)
        .filter(|p| st.can_read_project(&caller.username, &p.id))
    {
        Some(p) => Ok(text(StatusCode::OK, p.accessibility.clone())),
        None => Err(not_found_text("Unable to find the specified experiment.")),
    }
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

fn list_tools(st: &State, project: Option<Option<&str>>) -> Response {
    let mut tools: Vec<&str> = st
        .config
        .iter()
        .filter(|r| project.is_none_or(|p| r.project.as_deref() == p))
        .map(|r| r.tool.as_str())
        .collect();
    tools.sort();
    tools.dedup();
    result_set(tools.into_iter().map(|t| json!({ "tool": t })).collect())
}

async fn config_tools(Axum(shared): Axum<SharedState>) -> Reply {
    // ref: xnat-core-api.md §2: distinct tools across all scopes.
    Ok(list_tools(&shared.state(), None))
}

async fn project_config_tools(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> Reply {
    let st = shared.state();
    check_config_read(&st, &caller.username, Some(&project))?;
    Ok(list_tools(&st, Some(Some(&project))))
}

fn tool_rows(st: &State, tool: &str, project: Option<&str>) -> Response {
    // One row per version of every path of the tool.
    let mut rows: Vec<&ConfigRow> = st
        .config
        .iter()
        .filter(|r| r.tool == tool && r.project.as_deref() == project)
        .collect();
    if rows.is_empty() {
        return not_found_text(format!("Couldn't find config for tool {tool}"));
    }
    rows.sort_by(|a, b| a.path.cmp(&b.path).then(a.version.cmp(&b.version)));
    result_set(
        rows.into_iter()
            .map(|r| config_row_json(r, project, true))
            .collect(),
    )
}

async fn config_tool(Axum(shared): Axum<SharedState>, Path(tool): Path<String>) -> Reply {
    Ok(tool_rows(&shared.state(), &tool, None))
}

async fn project_config_tool(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, tool)): Path<(String, String)>,
) -> Reply {
    let st = shared.state();
    check_config_read(&st, &caller.username, Some(&project))?;
    Ok(tool_rows(&st, &tool, Some(&project)))
}

fn missing(query: &HashMap<String, String>) -> Response {
    if query
        .get("accept-not-found")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        empty(StatusCode::NO_CONTENT)
    } else {
        not_found_text("Couldn't find the requested configuration.")
    }
}

fn read_config(
    st: &State,
    caller: &Caller,
    project: Option<&str>,
    tool: &str,
    path: &str,
    query: &HashMap<String, String>,
) -> Reply {
    check_config_read(st, &caller.username, project)?;
    let flag = |name: &str| {
        query
            .get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    if query.get("action").is_some_and(|a| a == "getHistory") {
        let rows = st.config_history(tool, path, project);
        if rows.is_empty() {
            return Err(missing(query));
        }
        return Ok(result_set(
            rows.into_iter()
                .map(|r| config_row_json(r, project, !flag("meta")))
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
        return Err(missing(query));
    };
    if flag("contents") {
        // ref: xnat-core-api.md §2: a disabled entry's contents are absent (404 / 204).
        if row.status != "enabled" {
            return Err(missing(query));
        }
        return Ok(text(StatusCode::OK, row.contents.clone()));
    }
    // Plain GET: the latest row whatever its status.
    Ok(result_set(vec![config_row_json(
        row,
        project,
        !flag("meta"),
    )]))
}

async fn config_get(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((tool, path)): Path<(String, String)>,
    query: Query,
) -> Reply {
    read_config(&shared.state(), &caller, None, &tool, &path, &query)
}

async fn project_config_get(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, tool, path)): Path<(String, String, String)>,
    query: Query,
) -> Reply {
    let st = shared.state();
    if query
        .get("defaultToSiteWide")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        && st.config_latest(&tool, &path, Some(&project)).is_none()
    {
        return read_config(&st, &caller, None, &tool, &path, &query);
    }
    read_config(&st, &caller, Some(&project), &tool, &path, &query)
}

#[allow(clippy::too_many_arguments)]
fn write_config(
    st: &mut State,
    caller: &Caller,
    project: Option<&str>,
    tool: &str,
    path: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Reply {
    check_config_write(st, &caller.username, project)?;
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
    let inbody = query
        .get("inbody")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    // ref: xnat-core-api.md §2 PUT body (a)/(b): JSON bodies are a wrapper object of strings;
    // anything else (or `inbody=true`) is the raw contents.
    let (contents, body_status) = if body.is_empty() {
        (None, None)
    } else if super::http::is_json(headers) && !inbody {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Err(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Unable to read the configuration from the request body",
            ));
        };
        let mut strings = HashMap::new();
        for (k, v) in map {
            match v {
                Value::String(s) => {
                    strings.insert(k, s);
                }
                // ref: xnat-core-api.md §2: a non-string value fails to bind → 500 (as coded).
                _ => {
                    return Err(text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Unable to read the configuration from the request body",
                    ));
                }
            }
        }
        (strings.remove("contents"), strings.remove("status"))
    } else {
        (Some(String::from_utf8_lossy(body).into_owned()), None)
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
        st.config_replace(
            &caller.username,
            None,
            tool,
            path,
            project,
            &old,
            Some(&status),
            unversioned,
        );
        return ok_empty();
    };
    if contents.trim().is_empty() {
        return Err(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No contents provided",
        ));
    }
    match latest {
        None => {
            st.config_replace(
                &caller.username,
                None,
                tool,
                path,
                project,
                &contents,
                status.as_deref(),
                unversioned,
            );
            Ok(empty(StatusCode::CREATED))
        }
        // ref: xnat-core-api.md §2: identical contents on an enabled entry → 200, no new version.
        Some((old, old_status))
            if old == contents
                && old_status == "enabled"
                && status.as_deref().is_none_or(|s| s == "enabled") =>
        {
            ok_empty()
        }
        Some(_) => {
            st.config_replace(
                &caller.username,
                None,
                tool,
                path,
                project,
                &contents,
                status.as_deref(),
                unversioned,
            );
            ok_empty()
        }
    }
}

async fn config_put(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((tool, path)): Path<(String, String)>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    write_config(
        &mut shared.state(),
        &caller,
        None,
        &tool,
        &path,
        &query,
        &headers,
        &body,
    )
}

async fn project_config_put(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, tool, path)): Path<(String, String, String)>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    write_config(
        &mut shared.state(),
        &caller,
        Some(&project),
        &tool,
        &path,
        &query,
        &headers,
        &body,
    )
}

/// ref: xnat-core-api.md §2 DELETE: nothing is removed; a new `disabled` version is written.
fn delete_config(
    st: &mut State,
    caller: &Caller,
    project: Option<&str>,
    tool: &str,
    path: &str,
) -> Reply {
    check_config_write(st, &caller.username, project)?;
    let Some(old) = st
        .config_latest(tool, path, project)
        .map(|r| r.contents.clone())
    else {
        return Err(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Couldn't find the site configuration {tool}/{path}"),
        ));
    };
    st.config_replace(
        &caller.username,
        None,
        tool,
        path,
        project,
        &old,
        Some("disabled"),
        None,
    );
    ok_empty()
}

async fn config_delete(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((tool, path)): Path<(String, String)>,
) -> Reply {
    delete_config(&mut shared.state(), &caller, None, &tool, &path)
}

async fn project_config_delete(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, tool, path)): Path<(String, String, String)>,
) -> Reply {
    delete_config(&mut shared.state(), &caller, Some(&project), &tool, &path)
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

//! Site and project wrapper configuration and enablement: `CommandConfigurationRestApi`
//! (ref: xnat-container-service-api.md §5 and §6). Stored in the config service under tool
//! `container-service`, path `wrapper-<id>` (site or project scope), the same store
//! `/data/config` serves.

use super::SharedState;
use super::commands::render_wrapper;
use super::http::{
    Caller, Query, Reply, empty, forbidden, json, json_body, long_param, ok_empty, ok_json, text,
};
use super::state::{Access, CsConfig, CsInputConfig, CsOutputConfig, State};
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as Axum};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};
use xcs::model::Command;

pub fn routes() -> Router<SharedState> {
    Router::new()
        // Site, by wrapper id and by command id + wrapper name.
        .route(
            "/xapi/wrappers/{wrapper}/config",
            post(site_config_post_id)
                .get(site_config_get_id)
                .delete(site_config_delete_id),
        )
        .route(
            "/xapi/commands/{command}/wrappers/{wrapper}/config",
            post(site_config_post_name)
                .get(site_config_get_name)
                .delete(site_config_delete_name),
        )
        .route(
            "/xapi/wrappers/{wrapper}/enabled",
            get(site_enabled_id).put(site_enable_id),
        )
        .route("/xapi/wrappers/{wrapper}/disabled", put(site_disable_id))
        .route(
            "/xapi/commands/{command}/wrappers/{wrapper}/enabled",
            get(site_enabled_name).put(site_enable_name),
        )
        .route(
            "/xapi/commands/{command}/wrappers/{wrapper}/disabled",
            put(site_disable_name),
        )
        .route(
            "/xapi/wrappers/{wrapper}/projects",
            get(projects_of_wrapper),
        )
        // Project, both forms.
        .route(
            "/xapi/projects/{project}/wrappers/{wrapper}/config",
            post(project_config_post_id)
                .get(project_config_get_id)
                .delete(project_config_delete_id),
        )
        .route(
            "/xapi/projects/{project}/commands/{command}/wrappers/{wrapper}/config",
            post(project_config_post_name)
                .get(project_config_get_name)
                .delete(project_config_delete_name),
        )
        .route(
            "/xapi/projects/{project}/wrappers/{wrapper}/enabled",
            get(project_enabled_id).put(project_enable_id),
        )
        .route(
            "/xapi/projects/{project}/wrappers/{wrapper}/disabled",
            put(project_disable_id),
        )
        .route(
            "/xapi/projects/{project}/commands/{command}/wrappers/{wrapper}/enabled",
            get(project_enabled_name).put(project_enable_name),
        )
        .route(
            "/xapi/projects/{project}/commands/{command}/wrappers/{wrapper}/disabled",
            put(project_disable_name),
        )
}

/// How the request names the wrapper.
enum Target {
    /// `/wrappers/{id}/…`: written and read without checking that the wrapper exists.
    Id(i64),
    /// `/commands/{cid}/wrappers/{name}/…`: resolved first (404 when it does not resolve).
    Name(i64, String),
}

impl Target {
    fn id(raw: &str) -> Result<Target, Response> {
        Ok(Target::Id(long_param(raw)?))
    }

    fn name(command: &str, wrapper: String) -> Result<Target, Response> {
        Ok(Target::Name(long_param(command)?, wrapper))
    }

    /// ref: §5 "Existence checks differ by path form".
    fn resolve(&self, st: &State) -> Result<i64, Response> {
        match self {
            Target::Id(id) => Ok(*id),
            Target::Name(cid, name) => st
                .wrapper_id_by_name(*cid, name)
                .map_err(|m| text(StatusCode::NOT_FOUND, m)),
        }
    }
}

/// Site forms are gated by `@AuthDelegate(ContainerManagerUserAuthorization)`: 403 from the
/// access aspect (ref: §0, §5).
fn require_manager_403(st: &State, caller: &Caller) -> Result<(), Response> {
    if st.is_container_manager(&caller.username) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// Project forms with `restrictTo=Edit/Delete`: the access aspect answers 404 for an unknown
/// project and 403 for too little access.
fn require_project_level(
    st: &State,
    caller: &Caller,
    project: &str,
    level: Access,
) -> Result<(), Response> {
    if !st.projects.contains_key(project) {
        return Err(text(
            StatusCode::NOT_FOUND,
            format!("Couldn't find project {project}"),
        ));
    }
    if st.has_access(&caller.username, project, level) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// ref: §6 `checkPermissionsOrThrow`: ContainerManager, or the project access level, checked
/// in the method → CS `UnauthorizedException` (401).
fn require_manager_or_level_401(
    st: &State,
    caller: &Caller,
    project: &str,
    level: Access,
) -> Result<(), Response> {
    if st.is_container_manager(&caller.username) || st.has_access(&caller.username, project, level)
    {
        return Ok(());
    }
    let name = match level {
        Access::Collaborator => "Read",
        Access::Member => "Edit",
        Access::Owner => "Delete",
    };
    Err(text(
        StatusCode::UNAUTHORIZED,
        format!("User {} does not have {name} access.", caller.username),
    ))
}

// ---- the configuration body and the materialized view ------------------------------------------

/// `CommandConfiguration` as posted; only some sub-fields are persisted (ref: §5).
#[derive(Debug, Default, Deserialize)]
struct PostedConfig {
    #[serde(default)]
    inputs: Option<IndexMap<String, Option<PostedInput>>>,
    #[serde(default)]
    outputs: Option<IndexMap<String, Option<PostedOutput>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PostedInput {
    #[serde(default)]
    default_value: Option<String>,
    #[serde(default)]
    matcher: Option<String>,
    #[serde(default)]
    user_settable: Option<bool>,
    #[serde(default)]
    advanced: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct PostedOutput {
    #[serde(default)]
    label: Option<String>,
}

/// `CommandConfigurationInternal.create(enabled, configuration)`.
fn to_internal(enabled: bool, posted: PostedConfig) -> Result<CsConfig, Response> {
    let mut config = CsConfig {
        enabled: Some(enabled),
        ..CsConfig::default()
    };
    for (name, input) in posted.inputs.unwrap_or_default() {
        // A null entry dereferences null in CS → 500.
        let Some(i) = input else {
            return Err(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "java.lang.NullPointerException",
            ));
        };
        config.inputs.insert(
            name,
            CsInputConfig {
                default_value: i.default_value,
                matcher: i.matcher,
                user_settable: i.user_settable,
                advanced: i.advanced,
            },
        );
    }
    for (name, output) in posted.outputs.unwrap_or_default() {
        let Some(o) = output else {
            return Err(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "java.lang.NullPointerException",
            ));
        };
        config
            .outputs
            .insert(name, CsOutputConfig { label: o.label });
    }
    Ok(config)
}

/// `CommandConfigurationInternal.merge`: overlay values that are not null win.
fn merge(base: CsConfig, overlay: Option<CsConfig>) -> CsConfig {
    let Some(overlay) = overlay else {
        return base;
    };
    let mut out = base;
    for (name, o) in overlay.inputs {
        let merged = match out.inputs.get(&name) {
            None => o,
            Some(b) => CsInputConfig {
                default_value: o.default_value.or(b.default_value.clone()),
                matcher: o.matcher.or(b.matcher.clone()),
                user_settable: o.user_settable.or(b.user_settable),
                advanced: o.advanced.or(b.advanced),
            },
        };
        out.inputs.insert(name, merged);
    }
    for (name, o) in overlay.outputs {
        let merged = match out.outputs.get(&name) {
            None => o,
            Some(b) => CsOutputConfig {
                label: o.label.or(b.label.clone()),
            },
        };
        out.outputs.insert(name, merged);
    }
    out
}

fn input_view(
    description: &Option<String>,
    input_type: &str,
    default_value: &Option<String>,
    matcher: &Option<String>,
    user_settable: Option<bool>,
    advanced: Option<bool>,
    required: Option<bool>,
) -> Value {
    // `@JsonInclude(ALWAYS)`: nulls are shown.
    json!({
        "description": description,
        "type": input_type,
        "default-value": default_value,
        "matcher": matcher,
        "user-settable": user_settable,
        "advanced": advanced,
        "required": required,
    })
}

/// `CommandConfiguration.create(command, wrapper, stored)`: the wrapper's and command's own
/// values, overlaid with the stored overrides (nulls in the store do not override).
fn materialize(
    cmd: &Command,
    wrapper_id: i64,
    stored: Option<&CsConfig>,
) -> Result<Value, Response> {
    let Some(w) = cmd.xnat.iter().find(|w| w.id == Some(wrapper_id)) else {
        return Err(text(
            StatusCode::NOT_FOUND,
            format!("No command with wrapper with id {wrapper_id}"),
        ));
    };
    let mut inputs = serde_json::Map::new();
    let mut handled: Vec<&str> = Vec::new();
    let insert = |inputs: &mut serde_json::Map<String, Value>, name: &str, v: Value| {
        // Guava's ImmutableMap.Builder refuses a duplicate key at build time → 500.
        if inputs.contains_key(name) {
            return Err(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Multiple entries with same key: {name}"),
            ));
        }
        inputs.insert(name.to_string(), v);
        Ok(())
    };
    for i in w.inputs() {
        let conf = stored.and_then(|s| s.inputs.get(&i.name));
        let (mut default, mut matcher, mut settable, mut advanced) = (
            i.default_value.clone(),
            i.matcher.clone(),
            i.user_settable,
            Some(false),
        );
        if let Some(c) = conf {
            advanced = c.advanced;
            if c.default_value.is_some() {
                default = c.default_value.clone();
            }
            if c.matcher.is_some() {
                matcher = c.matcher.clone();
            }
            if c.user_settable.is_some() {
                settable = c.user_settable;
            }
        }
        let view = input_view(
            &i.description,
            i.input_type(),
            &default,
            &matcher,
            settable,
            advanced,
            None,
        );
        insert(&mut inputs, &i.name, view)?;
        if let Some(p) = &i.provides_value_for_command_input {
            handled.push(p);
        }
    }
    for i in &cmd.inputs {
        if handled.contains(&i.name.as_str()) {
            continue;
        }
        let conf = stored.and_then(|s| s.inputs.get(&i.name));
        let (mut default, mut matcher, mut settable, mut advanced) = (
            i.default_value.clone(),
            i.matcher.clone(),
            Some(true),
            Some(false),
        );
        if let Some(c) = conf {
            settable = c.user_settable;
            advanced = c.advanced;
            if c.default_value.is_some() {
                default = c.default_value.clone();
            }
            if c.matcher.is_some() {
                matcher = c.matcher.clone();
            }
        }
        let view = input_view(
            &i.description,
            i.input_type(),
            &default,
            &matcher,
            settable,
            advanced,
            i.required,
        );
        insert(&mut inputs, &i.name, view)?;
    }
    let mut outputs = serde_json::Map::new();
    for h in &w.output_handlers {
        let label = stored
            .and_then(|s| s.outputs.get(&h.name))
            .and_then(|o| o.label.clone())
            .or_else(|| h.label.clone());
        outputs.insert(
            h.name.clone(),
            json!({ "type": h.handler_type(), "label": label }),
        );
    }
    Ok(json!({ "inputs": inputs, "outputs": outputs }))
}

fn command_of_wrapper(st: &State, wrapper_id: i64) -> Result<&Command, Response> {
    st.find_wrapper(wrapper_id)
        .and_then(|(cid, _)| st.commands.get(&cid))
        .ok_or_else(|| {
            text(
                StatusCode::NOT_FOUND,
                format!("No command with wrapper with id {wrapper_id}"),
            )
        })
}

/// Used by the event service to check an action's wrapper exists.
pub fn wrapper_json(st: &State, wrapper_id: i64) -> Option<Value> {
    let (cid, i) = st.find_wrapper(wrapper_id)?;
    st.commands.get(&cid).map(|c| render_wrapper(&c.xnat[i]))
}

// ---- shared implementations ----------------------------------------------------------------------

fn post_config(
    st: &mut State,
    caller: &Caller,
    target: Target,
    project: Option<&str>,
    query: &Query,
    posted: PostedConfig,
) -> Reply {
    let wrapper_id = target.resolve(st)?;
    let enable = super::http::bool_param(query, "enable", true)?;
    let reason = query.get("reason").map(String::as_str);
    // ref: §5: `enable` defaults to true; `enable=false` keeps the *current* status — for a
    // project that is `isEnabledForProject`, already ANDed with the site flag, so a project
    // flag is stored false while the site is disabled (CommandServiceImpl.configureForProject).
    let enabled = enable
        || match project {
            None => st.is_enabled_for_site(wrapper_id),
            Some(p) => st.is_enabled_for_project(p, wrapper_id),
        };
    let config = to_internal(enabled, posted)?;
    st.set_cs_config(&caller.username, reason, wrapper_id, project, &config);
    Ok(empty(StatusCode::CREATED))
}

fn get_config(st: &State, target: Target, project: Option<&str>) -> Reply {
    let wrapper_id = target.resolve(st)?;
    let cmd = command_of_wrapper(st, wrapper_id)?;
    let stored = match project {
        None => st.cs_config(wrapper_id, None),
        Some(p) => Some(merge(
            st.cs_config(wrapper_id, None).unwrap_or_default(),
            st.cs_config(wrapper_id, Some(p)),
        )),
    };
    ok_json(&materialize(cmd, wrapper_id, stored.as_ref())?)
}

/// ref: §5 DELETE config: drops the overrides, keeps the enabled flag (a config whose flag was
/// never set is removed outright).
fn delete_config(st: &mut State, caller: &Caller, target: Target, project: Option<&str>) -> Reply {
    let wrapper_id = target.resolve(st)?;
    if let Some(existing) = st.cs_config(wrapper_id, project) {
        match existing.enabled {
            None => st.config_remove(
                super::state::CS_TOOL,
                &State::wrapper_config_path(wrapper_id),
                project,
            ),
            Some(enabled) => {
                let config = CsConfig {
                    enabled: Some(enabled),
                    ..CsConfig::default()
                };
                st.set_cs_config(
                    &caller.username,
                    Some("Deleting command configuration"),
                    wrapper_id,
                    project,
                    &config,
                );
            }
        }
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

fn set_enabled(
    st: &mut State,
    caller: &Caller,
    target: Target,
    project: Option<&str>,
    query: &Query,
    enabled: bool,
) -> Reply {
    let wrapper_id = target.resolve(st)?;
    let reason = query.get("reason").map(String::as_str);
    st.set_enabled(&caller.username, reason, wrapper_id, project, enabled);
    ok_empty()
}

// ---- site handlers -------------------------------------------------------------------------------

async fn site_config_post_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(wrapper): Path<String>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let posted: PostedConfig = json_body(&headers, &body)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    post_config(&mut st, &caller, target, None, &query, posted)
}

async fn site_config_post_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((command, wrapper)): Path<(String, String)>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let posted: PostedConfig = json_body(&headers, &body)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    post_config(&mut st, &caller, target, None, &query, posted)
}

async fn site_config_get_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(wrapper): Path<String>,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let st = shared.state();
    require_manager_403(&st, &caller)?;
    get_config(&st, target, None)
}

async fn site_config_get_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((command, wrapper)): Path<(String, String)>,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let st = shared.state();
    require_manager_403(&st, &caller)?;
    get_config(&st, target, None)
}

async fn site_config_delete_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(wrapper): Path<String>,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    delete_config(&mut st, &caller, target, None)
}

async fn site_config_delete_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((command, wrapper)): Path<(String, String)>,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    delete_config(&mut st, &caller, target, None)
}

/// ref: §5 GET enabled: bare JSON `true`/`false`; by id it does not check the wrapper exists.
fn site_enabled(st: &State, target: Target) -> Reply {
    let id = target.resolve(st)?;
    Ok(json(StatusCode::OK, &json!(st.is_enabled_for_site(id))))
}

async fn site_enabled_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(wrapper): Path<String>,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let st = shared.state();
    require_manager_403(&st, &caller)?;
    site_enabled(&st, target)
}

async fn site_enabled_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((command, wrapper)): Path<(String, String)>,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let st = shared.state();
    require_manager_403(&st, &caller)?;
    site_enabled(&st, target)
}

async fn site_enable_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(wrapper): Path<String>,
    query: Query,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    set_enabled(&mut st, &caller, target, None, &query, true)
}

async fn site_enable_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((command, wrapper)): Path<(String, String)>,
    query: Query,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    set_enabled(&mut st, &caller, target, None, &query, true)
}

async fn site_disable_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(wrapper): Path<String>,
    query: Query,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    set_enabled(&mut st, &caller, target, None, &query, false)
}

async fn site_disable_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((command, wrapper)): Path<(String, String)>,
    query: Query,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    set_enabled(&mut st, &caller, target, None, &query, false)
}

/// ref: §5 `GET /wrappers/{id}/projects`: projects whose own stored flag is enabled (not ANDed
/// with the site flag); CM (403).
async fn projects_of_wrapper(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(wrapper): Path<String>,
) -> Reply {
    let id = long_param(&wrapper)?;
    let st = shared.state();
    require_manager_403(&st, &caller)?;
    ok_json(&json!(st.projects_enabled_for(id)))
}

// ---- project handlers ------------------------------------------------------------------------------

async fn project_config_post_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, wrapper)): Path<(String, String)>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let posted: PostedConfig = json_body(&headers, &body)?;
    let mut st = shared.state();
    require_project_level(&st, &caller, &project, Access::Owner)?;
    post_config(&mut st, &caller, target, Some(&project), &query, posted)
}

async fn project_config_post_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, command, wrapper)): Path<(String, String, String)>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let posted: PostedConfig = json_body(&headers, &body)?;
    let mut st = shared.state();
    require_project_level(&st, &caller, &project, Access::Owner)?;
    post_config(&mut st, &caller, target, Some(&project), &query, posted)
}

async fn project_config_get_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, wrapper)): Path<(String, String)>,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let st = shared.state();
    require_project_level(&st, &caller, &project, Access::Member)?;
    get_config(&st, target, Some(&project))
}

async fn project_config_get_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, command, wrapper)): Path<(String, String, String)>,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let st = shared.state();
    require_project_level(&st, &caller, &project, Access::Member)?;
    get_config(&st, target, Some(&project))
}

async fn project_config_delete_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, wrapper)): Path<(String, String)>,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let mut st = shared.state();
    require_project_level(&st, &caller, &project, Access::Owner)?;
    delete_config(&mut st, &caller, target, Some(&project))
}

async fn project_config_delete_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, command, wrapper)): Path<(String, String, String)>,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let mut st = shared.state();
    require_project_level(&st, &caller, &project, Access::Owner)?;
    delete_config(&mut st, &caller, target, Some(&project))
}

/// ref: §6 GET enabled: `{"enabled-for-site", "enabled-for-project", "project"}`, the project
/// flag already ANDed with the site flag.
fn project_report(st: &State, target: Target, project: &str) -> Reply {
    let id = target.resolve(st)?;
    ok_json(&json!({
        "enabled-for-site": st.is_enabled_for_site(id),
        "enabled-for-project": st.is_enabled_for_project(project, id),
        "project": project,
    }))
}

async fn project_enabled_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, wrapper)): Path<(String, String)>,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let st = shared.state();
    require_manager_or_level_401(&st, &caller, &project, Access::Member)?;
    project_report(&st, target, &project)
}

async fn project_enabled_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, command, wrapper)): Path<(String, String, String)>,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let st = shared.state();
    require_manager_or_level_401(&st, &caller, &project, Access::Member)?;
    project_report(&st, target, &project)
}

async fn project_enable_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, wrapper)): Path<(String, String)>,
    query: Query,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let mut st = shared.state();
    require_manager_or_level_401(&st, &caller, &project, Access::Owner)?;
    set_enabled(&mut st, &caller, target, Some(&project), &query, true)
}

async fn project_enable_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, command, wrapper)): Path<(String, String, String)>,
    query: Query,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let mut st = shared.state();
    require_manager_or_level_401(&st, &caller, &project, Access::Owner)?;
    set_enabled(&mut st, &caller, target, Some(&project), &query, true)
}

async fn project_disable_id(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, wrapper)): Path<(String, String)>,
    query: Query,
) -> Reply {
    let target = Target::id(&wrapper)?;
    let mut st = shared.state();
    require_manager_or_level_401(&st, &caller, &project, Access::Owner)?;
    set_enabled(&mut st, &caller, target, Some(&project), &query, false)
}

async fn project_disable_name(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, command, wrapper)): Path<(String, String, String)>,
    query: Query,
) -> Reply {
    let target = Target::name(&command, wrapper)?;
    let mut st = shared.state();
    require_manager_or_level_401(&st, &caller, &project, Access::Owner)?;
    set_enabled(&mut st, &caller, target, Some(&project), &query, false)
}

//! Site and project wrapper configuration and enablement: `CommandConfigurationRestApi`
//! (ref: xnat-container-service-api.md §5 and §6). Stored in the config service under tool
//! `container-service`, path `wrapper-<id>` (site or project scope), the same store
//! `/data/config` serves.

use super::SharedState;
use super::access::{require_manager_403, require_project_level};
use super::commands::render_wrapper;
use super::http::{
    Call, Caller, Query, Reply, empty, json, json_body, long_param, null_pointer, ok_empty,
    ok_json, text,
};
use super::state::{Access, CsConfig, CsInputConfig, CsOutputConfig, State};
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};
use xcs::model::Command;

/// Every handler serves the four forms of its path: site or project, and the wrapper by id or by
/// command id + wrapper name.
pub fn routes() -> Router<SharedState> {
    let mut router = Router::new().route(
        "/xapi/wrappers/{wrapper}/projects",
        get(projects_of_wrapper),
    );
    for scope in ["/xapi", "/xapi/projects/{project}"] {
        for wrapper in [
            "/wrappers/{wrapper}",
            "/commands/{command}/wrappers/{wrapper}",
        ] {
            router = router
                .route(
                    &format!("{scope}{wrapper}/config"),
                    post(config_post).get(config_get).delete(config_delete),
                )
                .route(
                    &format!("{scope}{wrapper}/enabled"),
                    get(enabled).put(set_enabled::<true>),
                )
                .route(
                    &format!("{scope}{wrapper}/disabled"),
                    put(set_enabled::<false>),
                );
        }
    }
    router
}

/// The path of any form: `project` is absent on the site forms, `command` on the by-id forms.
#[derive(Deserialize)]
struct WrapperPath {
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    command: Option<String>,
    wrapper: String,
}

impl WrapperPath {
    fn project(&self) -> Option<&str> {
        self.project.as_deref()
    }

    fn target(&self) -> Result<Target, Response> {
        match &self.command {
            None => Ok(Target::Id(long_param(&self.wrapper)?)),
            Some(command) => Ok(Target::Name(long_param(command)?, self.wrapper.clone())),
        }
    }
}

/// How the request names the wrapper.
enum Target {
    /// `/wrappers/{id}/…`: written and read without checking that the wrapper exists.
    Id(i64),
    /// `/commands/{cid}/wrappers/{name}/…`: resolved first (404 when it does not resolve).
    Name(i64, String),
}

impl Target {
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

/// Who may call a project form; site forms are gated by
/// `@AuthDelegate(ContainerManagerUserAuthorization)`: 403 from the access aspect (ref: §0, §5).
#[derive(Clone, Copy)]
enum Gate {
    /// `restrictTo=Edit/Delete`: the access aspect answers 404 for an unknown project and 403
    /// for too little access.
    Aspect(Access),
    /// ref: §6 `checkPermissionsOrThrow`: ContainerManager, or the project access level, checked
    /// in the method → CS `UnauthorizedException` (401).
    InMethod(Access),
}

fn authorize(
    st: &State,
    caller: &Caller,
    project: Option<&str>,
    gate: Gate,
) -> Result<(), Response> {
    match (project, gate) {
        (None, _) => require_manager_403(st, caller),
        (Some(p), Gate::Aspect(level)) => require_project_level(st, caller, p, level),
        (Some(p), Gate::InMethod(level)) => require_manager_or_level_401(st, caller, p, level),
    }
}

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
            return Err(null_pointer());
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
            return Err(null_pointer());
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

/// One input of the materialized view: its own default and matcher, overridden by the stored
/// ones that are set; `advanced` is the stored one (false without a stored config).
/// `user_settable` is resolved by the caller: wrapper and command inputs differ.
fn input_view(
    description: &Option<String>,
    input_type: &str,
    default_value: &Option<String>,
    matcher: &Option<String>,
    conf: Option<&CsInputConfig>,
    user_settable: Option<bool>,
    required: Option<bool>,
) -> Value {
    let (default_value, matcher, advanced) = match conf {
        None => (default_value.clone(), matcher.clone(), Some(false)),
        Some(c) => (
            c.default_value.clone().or_else(|| default_value.clone()),
            c.matcher.clone().or_else(|| matcher.clone()),
            c.advanced,
        ),
    };
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
        // A stored `user-settable` overrides the wrapper input's only when it is set.
        let settable = conf.and_then(|c| c.user_settable).or(i.user_settable);
        let view = input_view(
            &i.description,
            i.input_type(),
            &i.default_value,
            &i.matcher,
            conf,
            settable,
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
        // A command input is user-settable unless a stored config says otherwise, null included.
        let settable = conf.map_or(Some(true), |c| c.user_settable);
        let view = input_view(
            &i.description,
            i.input_type(),
            &i.default_value,
            &i.matcher,
            conf,
            settable,
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

// ---- handlers -------------------------------------------------------------------------------------

async fn config_post(
    Call { shared, caller }: Call,
    Path(path): Path<WrapperPath>,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let target = path.target()?;
    let posted: PostedConfig = json_body(&headers, &body)?;
    let mut st = shared.state();
    authorize(&st, &caller, path.project(), Gate::Aspect(Access::Owner))?;
    post_config(&mut st, &caller, target, path.project(), &query, posted)
}

async fn config_get(Call { shared, caller }: Call, Path(path): Path<WrapperPath>) -> Reply {
    let target = path.target()?;
    let st = shared.state();
    authorize(&st, &caller, path.project(), Gate::Aspect(Access::Member))?;
    get_config(&st, target, path.project())
}

async fn config_delete(Call { shared, caller }: Call, Path(path): Path<WrapperPath>) -> Reply {
    let target = path.target()?;
    let mut st = shared.state();
    authorize(&st, &caller, path.project(), Gate::Aspect(Access::Owner))?;
    delete_config(&mut st, &caller, target, path.project())
}

async fn enabled(Call { shared, caller }: Call, Path(path): Path<WrapperPath>) -> Reply {
    let target = path.target()?;
    let st = shared.state();
    authorize(&st, &caller, path.project(), Gate::InMethod(Access::Member))?;
    let id = target.resolve(&st)?;
    match path.project() {
        // ref: §5 GET enabled: bare JSON `true`/`false`; by id it does not check the wrapper exists.
        None => Ok(json(StatusCode::OK, &json!(st.is_enabled_for_site(id)))),
        // ref: §6 GET enabled: `{"enabled-for-site", "enabled-for-project", "project"}`, the
        // project flag already ANDed with the site flag.
        Some(project) => ok_json(&json!({
            "enabled-for-site": st.is_enabled_for_site(id),
            "enabled-for-project": st.is_enabled_for_project(project, id),
            "project": project,
        })),
    }
}

/// `PUT …/enabled` and `PUT …/disabled`.
async fn set_enabled<const ENABLED: bool>(
    Call { shared, caller }: Call,
    Path(path): Path<WrapperPath>,
    query: Query,
) -> Reply {
    let target = path.target()?;
    let mut st = shared.state();
    authorize(&st, &caller, path.project(), Gate::InMethod(Access::Owner))?;
    let wrapper_id = target.resolve(&st)?;
    let reason = query.get("reason").map(String::as_str);
    st.set_enabled(
        &caller.username,
        reason,
        wrapper_id,
        path.project(),
        ENABLED,
    );
    ok_empty()
}

/// ref: §5 `GET /wrappers/{id}/projects`: projects whose own stored flag is enabled (not ANDed
/// with the site flag); CM (403).
async fn projects_of_wrapper(Call { shared, caller }: Call, Path(wrapper): Path<String>) -> Reply {
    let id = long_param(&wrapper)?;
    let st = shared.state();
    require_manager_403(&st, &caller)?;
    ok_json(&json!(st.projects_enabled_for(id)))
}

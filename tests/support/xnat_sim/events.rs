//! XNAT event service: site toggle and subscriptions (ref: xnat-container-service-api.md §7b,
//! xnat-core-api.md §6; as coded in xnat-web `EventServiceRestApi`, `EventServiceImpl`,
//! `EventSubscriptionEntityServiceImpl`).

use super::SharedState;
use super::http::{
    Caller, Reply, empty, forbidden, json_value, long_param, ok_empty, ok_json, text, unreadable,
};
use super::state::{Access, EventFilter, State, SubscriptionRow, now_ms};
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as Axum};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};

/// CS registers one action per wrapper under this provider (ref: §7b).
pub const CS_ACTION_PROVIDER: &str = "org.nrg.containers.services.CommandActionProvider";
const EVENT_PACKAGE: &str = "org.nrg.xnat.eventservice.events.";
/// The event classes XNAT ships (the model's `EVENT_TYPES`).
const EVENTS: [&str; 8] = [
    "ProjectEvent",
    "SubjectEvent",
    "SessionEvent",
    "ScanEvent",
    "SubjectAssessorEvent",
    "ImageAssessorEvent",
    "ProjectAssetEvent",
    "ScheduledEvent",
];

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/xapi/events/prefs", get(get_prefs).put(put_prefs))
        .route("/xapi/events/subscription", post(create_site))
        .route("/xapi/events/subscriptions", get(list_site))
        .route(
            "/xapi/events/subscription/{id}",
            get(get_site).put(update_site).delete(delete_site),
        )
        .route(
            "/xapi/events/subscription/{id}/activate",
            post(activate_site),
        )
        .route(
            "/xapi/events/subscription/{id}/deactivate",
            post(deactivate_site),
        )
        .route(
            "/xapi/projects/{project}/events/subscription",
            post(create_project),
        )
        .route(
            "/xapi/projects/{project}/events/subscriptions",
            get(list_project),
        )
        .route(
            "/xapi/projects/{project}/events/subscription/{id}",
            get(get_project).put(update_project).delete(delete_project),
        )
        .route(
            "/xapi/projects/{project}/events/subscription/{id}/activate",
            post(activate_project),
        )
        .route(
            "/xapi/projects/{project}/events/subscription/{id}/deactivate",
            post(deactivate_project),
        )
}

// ---- errors ------------------------------------------------------------------------------------

/// `EventServiceImpl.throwIfDisabled` throws `SubscriptionAccessException`, annotated
/// `@ResponseStatus(METHOD_NOT_ALLOWED)`: the "405-style" refusal of the reference, verified.
fn disabled() -> Response {
    text(StatusCode::METHOD_NOT_ALLOWED, "Event Service disabled.")
}

fn throw_if_disabled(st: &State) -> Result<(), Response> {
    if st.event_service_enabled {
        Ok(())
    } else {
        Err(disabled())
    }
}

/// `handleFailedSubscriptionValidation` → 424.
fn invalid(message: &str) -> Response {
    text(
        StatusCode::FAILED_DEPENDENCY,
        format!("Subscription format failed to validate.\n{message}"),
    )
}

/// `handleUnauthorized` → 401.
fn unauthorized(message: &str) -> Response {
    text(
        StatusCode::UNAUTHORIZED,
        format!("Unauthorized.\n{message}"),
    )
}

fn not_found(id: i64) -> Response {
    text(
        StatusCode::NOT_FOUND,
        format!("Could not find entity with ID {id}"),
    )
}

fn require_admin(st: &State, caller: &Caller) -> Result<(), Response> {
    if st.is_admin(&caller.username) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// `restrictTo = Delete` on a `@Project`: unknown project 404, too little access 403.
fn require_owner(st: &State, caller: &Caller, project: &str) -> Result<(), Response> {
    if !st.projects.contains_key(project) {
        return Err(text(
            StatusCode::NOT_FOUND,
            format!("Couldn't find project {project}"),
        ));
    }
    if st.has_access(&caller.username, project, Access::Owner) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

// ---- prefs (xnat-core-api.md §6) ----------------------------------------------------------------

async fn get_prefs(Axum(shared): Axum<SharedState>) -> Reply {
    ok_json(&json!({ "enabled": shared.state().event_service_enabled }))
}

#[derive(Deserialize)]
struct Prefs {
    #[serde(default)]
    enabled: Option<bool>,
}

/// Admin; an absent or null `enabled` changes nothing.
async fn put_prefs(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let prefs: Prefs = serde_json::from_value(json_value(&headers, &body)?).map_err(unreadable)?;
    let mut st = shared.state();
    require_admin(&st, &caller)?;
    if let Some(enabled) = prefs.enabled {
        st.event_service_enabled = enabled;
    }
    ok_empty()
}

// ---- bodies ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Creator {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    active: Option<bool>,
    /// `@Nonnull` in the creator: a missing key fails to bind (400).
    action_key: String,
    #[serde(default)]
    attributes: Option<IndexMap<String, String>>,
    #[serde(default)]
    event_filter: Option<EventFilter>,
    #[serde(default)]
    act_as_event_user: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Update {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    action_key: Option<String>,
    #[serde(default)]
    attributes: Option<IndexMap<String, String>>,
    #[serde(default)]
    event_filter: Option<EventFilter>,
    #[serde(default)]
    act_as_event_user: Option<bool>,
}

// ---- validation (`EventSubscriptionEntityServiceImpl.validate`) ----------------------------------

/// Why a subscription is invalid, as the message XNAT puts after
/// "Subscription format failed to validate.\n".
fn validate(st: &State, s: &SubscriptionRow) -> Result<(), String> {
    let event_type = s.event_filter.event_type.clone().unwrap_or_default();
    let known = event_type
        .strip_prefix(EVENT_PACKAGE)
        .is_some_and(|short| EVENTS.contains(&short));
    if !known {
        // `"Could not load Event class: " + eventType != null ? eventType : "unknown"`: Java's
        // precedence makes the message the event type alone.
        return Err(event_type);
    }
    if let Some(filter) = s
        .event_filter
        .payload_filter
        .as_deref()
        .filter(|f| !f.is_empty())
        && (filter.starts_with('$') || filter.contains("$[?"))
    {
        return Err("Could not compile jsonPath filter. \"Payload JsonPath filter contains $ or $[?. Filter string should include only predicate path.\"".into());
    }
    let key = &s.action_key;
    let Some((provider, action)) = key.split_once(':') else {
        return Err(format!(
            "Could not validate Action: {key}\nCould not load Action Provider for key:{key}"
        ));
    };
    if provider != CS_ACTION_PROVIDER {
        return Err(format!(
            "Could not validate Action: {key}\nCould not load Action Provider for key:{key}"
        ));
    }
    // `CommandActionProvider.isActionAvailable`: an existing wrapper enabled where the
    // subscription applies (site, or each listed project).
    let wrapper_id = action
        .parse::<i64>()
        .ok()
        .filter(|id| st.find_wrapper(*id).is_some());
    let available = wrapper_id.is_some_and(|id| match s.event_filter.project_ids.as_deref() {
        None | Some([]) => st.is_enabled_for_site(id),
        Some(projects) => projects.iter().all(|p| st.is_enabled_for_project(p, id)),
    });
    if !available {
        // The second line is the action key again (another precedence slip in XNAT's message).
        return Err(format!("Could not validate Action: {key}\n{key}"));
    }
    Ok(())
}

/// `autoGenerateUniqueSubscriptionName` (approximated: action = wrapper name).
fn generated_name(st: &State, s: &SubscriptionRow) -> String {
    let action = s
        .action_key
        .split_once(':')
        .and_then(|(_, id)| id.parse::<i64>().ok())
        .and_then(|id| st.find_wrapper(id))
        .and_then(|(cid, i)| st.commands.get(&cid).map(|c| c.xnat[i].name.clone()))
        .unwrap_or_else(|| "Action".into());
    let event = s
        .event_filter
        .event_type
        .as_deref()
        .and_then(|t| t.strip_prefix(EVENT_PACKAGE))
        .unwrap_or("Event");
    let status = s
        .event_filter
        .status
        .as_ref()
        .map(|st| format!(" {st}"))
        .unwrap_or_default();
    let scope = match s.event_filter.project_ids.as_deref() {
        None | Some([]) => "Site".to_string(),
        Some([one]) => one.clone(),
        Some(_) => "Multiple Projects".to_string(),
    };
    let base = format!("{action} on {event}{status} for {scope}");
    let taken = |n: &str| {
        st.subscriptions
            .values()
            .any(|s| s.name.as_deref() == Some(n))
    };
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base} v{i}"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// `Subscription` JSON (NON_NULL); `editable` is added for the project display type.
pub fn render(s: &SubscriptionRow, validity: Option<Result<(), String>>) -> Value {
    let mut v = json!({
        "id": s.id,
        "name": s.name,
        "active": s.active,
        "action-key": s.action_key,
        "attributes": s.attributes,
        "event-filter": s.event_filter,
        "act-as-event-user": s.act_as_event_user,
        "subscription-owner": s.owner,
        "created": s.created,
    });
    if let Some(validity) = validity
        && let Some(obj) = v.as_object_mut()
    {
        match validity {
            Ok(()) => {
                obj.insert("valid".into(), json!(true));
            }
            Err(m) => {
                obj.insert("valid".into(), json!(false));
                obj.insert(
                    "validation-message".into(),
                    json!(format!("Subscription format failed to validate.\n{m}")),
                );
            }
        }
    }
    if let Some(obj) = v.as_object_mut() {
        obj.retain(|_, v| !v.is_null());
    }
    v
}

fn render_checked(st: &State, s: &SubscriptionRow) -> Value {
    render(s, Some(validate(st, s)))
}

// ---- create ------------------------------------------------------------------------------------

fn create(st: &mut State, mut row: SubscriptionRow) -> Reply {
    throw_if_disabled(st)?;
    validate(st, &row).map_err(|m| invalid(&m))?;
    if row.name.as_deref().is_none_or(str::is_empty) {
        row.name = Some(generated_name(st, &row));
    }
    row.id = st.next_id();
    let body = format!("{}:{}", row.name.clone().unwrap_or_default(), row.id);
    st.subscriptions.insert(row.id, row);
    // ref: §7b: 201, text body "<name>:<id>".
    Ok(text(StatusCode::CREATED, body))
}

fn bind_creator(headers: &HeaderMap, body: &Bytes) -> Result<Creator, Response> {
    serde_json::from_value(json_value(headers, body)?).map_err(unreadable)
}

/// ref: §7b `POST /events/subscription` (Admin).
async fn create_site(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let creator = bind_creator(&headers, &body)?;
    let mut st = shared.state();
    require_admin(&st, &caller)?;
    let Some(filter) = creator.event_filter else {
        // `EventFilter.create(null)` dereferences null.
        return Err(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "java.lang.NullPointerException",
        ));
    };
    let row = SubscriptionRow {
        id: 0,
        name: creator.name,
        // The entity defaults a missing `active` to true.
        active: creator.active.unwrap_or(true),
        action_key: creator.action_key,
        attributes: Some(creator.attributes.unwrap_or_default()),
        event_filter: filter,
        act_as_event_user: Some(creator.act_as_event_user.unwrap_or(false)),
        owner: caller.username.clone(),
        created: now_ms(),
    };
    create(&mut st, row)
}

/// `checkProjectSubscriptionAccess`: the filter's projects must include the path project and the
/// caller must be admin or own every listed project; else 401.
fn check_project_access(
    st: &State,
    caller: &Caller,
    filter: &EventFilter,
    project: &str,
) -> Result<(), Response> {
    let ids = filter.project_ids.clone().unwrap_or_default();
    let owner_of_all = !ids.is_empty()
        && ids
            .iter()
            .all(|p| st.access(&caller.username, p) == Some(Access::Owner));
    if ids.is_empty()
        || !ids.iter().any(|p| p == project)
        || !(st.is_admin(&caller.username) || owner_of_all)
    {
        let scope = if ids.is_empty() {
            "Site".to_string()
        } else {
            ids.join(",")
        };
        return Err(unauthorized(&format!(
            "{} not authorized to modify subscriptions for project(s): {scope}",
            caller.username
        )));
    }
    Ok(())
}

/// ref: §7b `POST /projects/{p}/events/subscription` (Owner; the filter must name the project).
async fn create_project(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let creator = bind_creator(&headers, &body)?;
    let mut st = shared.state();
    require_owner(&st, &caller, &project)?;
    let Some(filter) = creator.event_filter else {
        return Err(unreadable("event-filter is required"));
    };
    check_project_access(&st, &caller, &filter, &project)?;
    let row = SubscriptionRow {
        id: 0,
        name: creator.name,
        active: creator.active.unwrap_or(true),
        action_key: creator.action_key,
        attributes: Some(creator.attributes.unwrap_or_default()),
        event_filter: EventFilter {
            schedule: None,
            schedule_description: None,
            ..filter
        },
        // `Subscription.createOnProject` forces it off.
        act_as_event_user: Some(false),
        owner: caller.username.clone(),
        created: now_ms(),
    };
    create(&mut st, row)
}

// ---- read ----------------------------------------------------------------------------------------

/// `getSubscriptions()` returns null while the service is disabled → 200 with an empty body.
async fn list_site(Axum(shared): Axum<SharedState>, Extension(caller): Extension<Caller>) -> Reply {
    let st = shared.state();
    require_admin(&st, &caller)?;
    if !st.event_service_enabled {
        return ok_empty();
    }
    ok_json(&json!(
        st.subscriptions
            .values()
            .map(|s| render_checked(&st, s))
            .collect::<Vec<_>>()
    ))
}

fn display(st: &State, s: &SubscriptionRow, project: &str) -> Value {
    let mut v = render_checked(st, s);
    let editable = matches!(s.event_filter.project_ids.as_deref(), Some([only]) if only == project);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("editable".into(), json!(editable));
    }
    v
}

fn applies_to(s: &SubscriptionRow, project: &str) -> bool {
    s.event_filter
        .project_ids
        .as_ref()
        .is_none_or(|ids| ids.is_empty() || ids.iter().any(|p| p == project))
}

async fn list_project(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> Reply {
    let st = shared.state();
    require_owner(&st, &caller, &project)?;
    if !st.event_service_enabled {
        return ok_empty();
    }
    ok_json(&json!(
        st.subscriptions
            .values()
            .filter(|s| applies_to(s, &project))
            .map(|s| display(&st, s, &project))
            .collect::<Vec<_>>()
    ))
}

/// `EventServiceImpl.getSubscription`: refused while disabled, 404 when unknown.
fn fetch(st: &State, id: i64) -> Result<SubscriptionRow, Response> {
    throw_if_disabled(st)?;
    st.subscriptions
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(id))
}

async fn get_site(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    let id = long_param(&id)?;
    let st = shared.state();
    require_admin(&st, &caller)?;
    let s = fetch(&st, id)?;
    ok_json(&render_checked(&st, &s))
}

async fn get_project(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, id)): Path<(String, String)>,
) -> Reply {
    let id = long_param(&id)?;
    let st = shared.state();
    require_owner(&st, &caller, &project)?;
    let s = fetch(&st, id)?;
    if !applies_to(&s, &project) {
        return Err(unauthorized(&format!(
            "{} not authorized to read subscriptions for other projects",
            caller.username
        )));
    }
    ok_json(&display(&st, &s, &project))
}

// ---- update, delete, (de)activate ------------------------------------------------------------------

/// `Subscription.update` + `EventFilter.update`: set fields replace, except that the filter's
/// `project-ids`, `schedule` and `schedule-description` are always taken from the update (a
/// filter update without `project-ids` clears them).
fn apply(s: &SubscriptionRow, u: Update) -> SubscriptionRow {
    let event_filter = match u.event_filter {
        None => s.event_filter.clone(),
        Some(f) => EventFilter {
            name: f.name.or(s.event_filter.name.clone()),
            event_type: f.event_type.or(s.event_filter.event_type.clone()),
            project_ids: f.project_ids,
            status: f.status.or(s.event_filter.status.clone()),
            schedule: f.schedule,
            schedule_description: f.schedule_description,
            payload_filter: f.payload_filter.or(s.event_filter.payload_filter.clone()),
            filter_nodes: f.filter_nodes.or(s.event_filter.filter_nodes.clone()),
        },
    };
    SubscriptionRow {
        id: s.id,
        name: u.name.or(s.name.clone()),
        active: u.active.unwrap_or(s.active),
        action_key: u.action_key.unwrap_or(s.action_key.clone()),
        attributes: u.attributes.or(s.attributes.clone()),
        event_filter,
        act_as_event_user: u.act_as_event_user.or(s.act_as_event_user),
        owner: s.owner.clone(),
        created: s.created,
    }
}

fn update(st: &mut State, id: i64, u: Update, project: Option<(&Caller, &str)>) -> Reply {
    let current = fetch(st, id)?;
    let updated = apply(&current, u);
    if let Some((caller, p)) = project {
        // The check runs on the subscription as it was.
        check_project_access(st, caller, &current.event_filter, p)?;
    }
    throw_if_disabled(st)?;
    validate(st, &updated).map_err(|m| invalid(&m))?;
    st.subscriptions.insert(id, updated);
    ok_empty()
}

async fn update_site(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let id = long_param(&id)?;
    let u: Update = serde_json::from_value(json_value(&headers, &body)?).map_err(unreadable)?;
    let mut st = shared.state();
    require_admin(&st, &caller)?;
    update(&mut st, id, u, None)
}

async fn update_project(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let id = long_param(&id)?;
    let u: Update = serde_json::from_value(json_value(&headers, &body)?).map_err(unreadable)?;
    let mut st = shared.state();
    require_owner(&st, &caller, &project)?;
    update(&mut st, id, u, Some((&caller, &project)))
}

async fn delete_site(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    let id = long_param(&id)?;
    let mut st = shared.state();
    require_admin(&st, &caller)?;
    fetch(&st, id)?;
    st.subscriptions.remove(&id);
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn delete_project(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, id)): Path<(String, String)>,
) -> Reply {
    let id = long_param(&id)?;
    let mut st = shared.state();
    require_owner(&st, &caller, &project)?;
    let s = fetch(&st, id)?;
    check_project_access(&st, &caller, &s.event_filter, &project)?;
    st.subscriptions.remove(&id);
    Ok(empty(StatusCode::NO_CONTENT))
}

/// Activation does not check the service toggle (`EventServiceImpl.activateSubscription`).
fn set_active(st: &mut State, id: i64, active: bool) -> Reply {
    match st.subscriptions.get_mut(&id) {
        Some(s) => {
            s.active = active;
            ok_empty()
        }
        None => Err(not_found(id)),
    }
}

async fn activate_site(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    let id = long_param(&id)?;
    let mut st = shared.state();
    require_admin(&st, &caller)?;
    set_active(&mut st, id, true)
}

async fn deactivate_site(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    let id = long_param(&id)?;
    let mut st = shared.state();
    require_admin(&st, &caller)?;
    set_active(&mut st, id, false)
}

fn project_toggle(st: &mut State, caller: &Caller, project: &str, id: i64, active: bool) -> Reply {
    require_owner(st, caller, project)?;
    // `checkProjectSubscriptionAccess(id, …)` fetches through the service (refused while disabled).
    let s = fetch(st, id)?;
    check_project_access(st, caller, &s.event_filter, project)?;
    set_active(st, id, active)
}

async fn activate_project(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, id)): Path<(String, String)>,
) -> Reply {
    let id = long_param(&id)?;
    project_toggle(&mut shared.state(), &caller, &project, id, true)
}

async fn deactivate_project(
    Axum(shared): Axum<SharedState>,
    Extension(caller): Extension<Caller>,
    Path((project, id)): Path<(String, String)>,
) -> Reply {
    let id = long_param(&id)?;
    project_toggle(&mut shared.state(), &caller, &project, id, false)
}

//! XNAT event service: site toggle and subscriptions (ref: xnat-container-service-api.md §7b,
//! xnat-core-api.md §6; as coded in xnat-web `EventServiceRestApi`, `EventServiceImpl`,
//! `EventSubscriptionEntityServiceImpl`).

use super::SharedState;
use super::access::{require_admin, require_project_level};
use super::http::{
    Call, Caller, Reply, empty, entity_not_found, json_body, long_param, null_pointer, ok_empty,
    ok_json, text, unreadable,
};
use super::state::{Access, EventFilter, State, SubscriptionRow, now_ms};
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

/// Every handler serves the site form of its path (`/xapi/events/…`) and the project form
/// (`/xapi/projects/{project}/events/…`).
pub fn routes() -> Router<SharedState> {
    let mut router = Router::new().route("/xapi/events/prefs", get(get_prefs).put(put_prefs));
    for scope in ["/xapi", "/xapi/projects/{project}"] {
        router = router
            .route(&format!("{scope}/events/subscription"), post(create))
            .route(&format!("{scope}/events/subscriptions"), get(list))
            .route(
                &format!("{scope}/events/subscription/{{id}}"),
                get(get_one).put(update).delete(delete),
            )
            .route(
                &format!("{scope}/events/subscription/{{id}}/activate"),
                post(set_active::<true>),
            )
            .route(
                &format!("{scope}/events/subscription/{{id}}/deactivate"),
                post(set_active::<false>),
            );
    }
    router
}

/// The path of the site or the project form; `id` is absent on the collection routes.
#[derive(Deserialize)]
struct ScopePath {
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

impl ScopePath {
    fn project(&self) -> Option<&str> {
        self.project.as_deref()
    }

    fn id(&self) -> Result<i64, Response> {
        long_param(self.id.as_deref().unwrap_or_default())
    }
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

/// Site forms: Admin (403). Project forms: `restrictTo = Delete` on a `@Project`: unknown
/// project 404, too little access 403.
fn authorize(st: &State, caller: &Caller, project: Option<&str>) -> Result<(), Response> {
    match project {
        None => require_admin(st, caller),
        Some(p) => require_project_level(st, caller, p, Access::Owner),
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
async fn put_prefs(Call { shared, caller }: Call, headers: HeaderMap, body: Bytes) -> Reply {
    let prefs: Prefs = json_body(&headers, &body)?;
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
    let Some((_, action)) = key
        .split_once(':')
        .filter(|(provider, _)| *provider == CS_ACTION_PROVIDER)
    else {
        return Err(format!(
            "Could not validate Action: {key}\nCould not load Action Provider for key:{key}"
        ));
    };
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

/// ref: §7b `POST /events/subscription` (Admin).
/// ref: §7b `POST /projects/{p}/events/subscription` (Owner; the filter must name the project).
async fn create(
    Call { shared, caller }: Call,
    Path(path): Path<ScopePath>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let creator: Creator = json_body(&headers, &body)?;
    let mut st = shared.state();
    authorize(&st, &caller, path.project())?;
    let (event_filter, act_as_event_user) = match path.project() {
        None => {
            let Some(filter) = creator.event_filter else {
                // `EventFilter.create(null)` dereferences null.
                return Err(null_pointer());
            };
            (filter, creator.act_as_event_user.unwrap_or(false))
        }
        Some(project) => {
            let Some(filter) = creator.event_filter else {
                return Err(unreadable("event-filter is required"));
            };
            check_project_access(&st, &caller, &filter, project)?;
            let filter = EventFilter {
                schedule: None,
                schedule_description: None,
                ..filter
            };
            // `Subscription.createOnProject` forces `act-as-event-user` off.
            (filter, false)
        }
    };
    let mut row = SubscriptionRow {
        id: 0,
        name: creator.name,
        // The entity defaults a missing `active` to true.
        active: creator.active.unwrap_or(true),
        action_key: creator.action_key,
        attributes: Some(creator.attributes.unwrap_or_default()),
        event_filter,
        act_as_event_user: Some(act_as_event_user),
        owner: caller.username.clone(),
        created: now_ms(),
    };
    // xnat-web `EventServiceRestApi.createSubscription` calls
    // `eventService.throwExceptionIfNameExists` before `createSubscription` (which is where the
    // service's state is checked); `EventSubscriptionEntityServiceImpl.throwExceptionIfNameExists`
    // throws `NrgServiceRuntimeException("Subscription with the name :<name> exists.")`, which
    // no handler maps, so XNAT answers 500 with that text.
    if let Some(name) = row.name.as_deref().filter(|n| !n.is_empty())
        && st
            .subscriptions
            .values()
            .any(|s| s.name.as_deref() == Some(name))
    {
        return Err(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Subscription with the name :{name} exists."),
        ));
    }
    throw_if_disabled(&st)?;
    validate(&st, &row).map_err(|m| invalid(&m))?;
    if row.name.as_deref().is_none_or(str::is_empty) {
        row.name = Some(generated_name(&st, &row));
    }
    row.id = st.next_id();
    let body = format!("{}:{}", row.name.clone().unwrap_or_default(), row.id);
    st.subscriptions.insert(row.id, row);
    // ref: §7b: 201, text body "<name>:<id>".
    Ok(text(StatusCode::CREATED, body))
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

// ---- read ----------------------------------------------------------------------------------------

/// Every subscription, whatever the service's state: `EventServiceImpl.getSubscriptions()`
/// returns `subscriptionService.getAllSubscriptions()` (`EventSubscriptionEntityServiceImpl`)
/// with no check of the event-service preference (xnat-web 1.8.x; see docs/xnat-notes.md for the
/// releases that hide them while the service is off, which xcs also handles).
async fn list(Call { shared, caller }: Call, Path(path): Path<ScopePath>) -> Reply {
    let st = shared.state();
    authorize(&st, &caller, path.project())?;
    if !st.event_service_enabled && st.hide_subscriptions_while_disabled {
        return ok_json(&json!([]));
    }
    let shown: Vec<Value> = match path.project() {
        None => st
            .subscriptions
            .values()
            .map(|s| render_checked(&st, s))
            .collect(),
        Some(project) => st
            .subscriptions
            .values()
            .filter(|s| applies_to(s, project))
            .map(|s| display(&st, s, project))
            .collect(),
    };
    ok_json(&json!(shown))
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

/// `EventServiceImpl.getSubscription`: refused while disabled, 404 when unknown.
fn fetch(st: &State, id: i64) -> Result<SubscriptionRow, Response> {
    throw_if_disabled(st)?;
    st.subscriptions
        .get(&id)
        .cloned()
        .ok_or_else(|| entity_not_found(id))
}

/// `fetch`, and on a project form `checkProjectSubscriptionAccess` on the subscription as it is.
fn fetch_to_modify(
    st: &State,
    caller: &Caller,
    id: i64,
    project: Option<&str>,
) -> Result<SubscriptionRow, Response> {
    let s = fetch(st, id)?;
    if let Some(p) = project {
        check_project_access(st, caller, &s.event_filter, p)?;
    }
    Ok(s)
}

async fn get_one(Call { shared, caller }: Call, Path(path): Path<ScopePath>) -> Reply {
    let id = path.id()?;
    let st = shared.state();
    authorize(&st, &caller, path.project())?;
    let s = fetch(&st, id)?;
    let Some(project) = path.project() else {
        return ok_json(&render_checked(&st, &s));
    };
    if !applies_to(&s, project) {
        return Err(unauthorized(&format!(
            "{} not authorized to read subscriptions for other projects",
            caller.username
        )));
    }
    ok_json(&display(&st, &s, project))
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

async fn update(
    Call { shared, caller }: Call,
    Path(path): Path<ScopePath>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let id = path.id()?;
    let u: Update = json_body(&headers, &body)?;
    let mut st = shared.state();
    authorize(&st, &caller, path.project())?;
    // The project check runs on the subscription as it was.
    let current = fetch_to_modify(&st, &caller, id, path.project())?;
    let updated = apply(&current, u);
    throw_if_disabled(&st)?;
    validate(&st, &updated).map_err(|m| invalid(&m))?;
    st.subscriptions.insert(id, updated);
    ok_empty()
}

async fn delete(Call { shared, caller }: Call, Path(path): Path<ScopePath>) -> Reply {
    let id = path.id()?;
    let mut st = shared.state();
    authorize(&st, &caller, path.project())?;
    fetch_to_modify(&st, &caller, id, path.project())?;
    st.subscriptions.remove(&id);
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `POST …/activate` and `POST …/deactivate`. Activation does not check the service toggle
/// (`EventServiceImpl.activateSubscription`); the project forms' access check,
/// `checkProjectSubscriptionAccess(id, …)`, fetches through the service (refused while disabled).
async fn set_active<const ACTIVE: bool>(
    Call { shared, caller }: Call,
    Path(path): Path<ScopePath>,
) -> Reply {
    let id = path.id()?;
    let mut st = shared.state();
    authorize(&st, &caller, path.project())?;
    if path.project().is_some() {
        fetch_to_modify(&st, &caller, id, path.project())?;
    }
    let Some(s) = st.subscriptions.get_mut(&id) else {
        return Err(entity_not_found(id));
    };
    s.active = ACTIVE;
    ok_empty()
}

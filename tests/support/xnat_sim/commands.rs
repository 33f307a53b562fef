//! Commands and wrappers: `CommandRestApi` and `CommandVisibilityRestApi`
//! (ref: xnat-container-service-api.md §4; formats and read-back in command-format.md §9–§10).

use super::SharedState;
use super::access::require_manager_403;
use super::http::{
    Call, Caller, Query, Reply, empty, entity_not_found, json_value, long_param, non_blank,
    not_found_text, ok_empty, ok_json, ordered, text, unreadable,
};
use super::state::State;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde_json::{Value, json};
use xcs::model::command::COMMAND_INPUT_TYPES;
use xcs::model::{
    Command, CommandInput, CommandOutput, Mount, OutputHandler, Wrapper, WrapperInput,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/xapi/commands", get(list).post(create))
        .route(
            "/xapi/commands/{command}",
            get(get_one).post(update).delete(delete_command),
        )
        .route("/xapi/commands/{command}/wrappers", post(add_wrapper))
        .route(
            "/xapi/commands/{command}/wrappers/{wrapper}",
            post(update_wrapper),
        )
        .route("/xapi/wrappers/{wrapper}", delete(delete_wrapper))
        .route(
            "/xapi/command/{command}/visibility/{visibility}",
            post(set_visibility),
        )
}

// ---- error bodies ------------------------------------------------------------------------------

/// `CommandRestApi.handleBadRequest`.
fn bad_request(message: &str) -> Response {
    text(StatusCode::BAD_REQUEST, format!("Bad request:\n{message}"))
}

/// `CommandRestApi.handleBadCommand`: `Invalid command:\n\t<e1>\n\t<e2>`.
pub fn invalid_command(errors: &[String]) -> Response {
    text(
        StatusCode::BAD_REQUEST,
        format!("Invalid command:\n\t{}", errors.join("\n\t")),
    )
}

/// ref: xnat-container-service-api.md §0: the in-method ContainerManager check throws the CS
/// `UnauthorizedException`, annotated 401 (not XNAT's 403).
pub fn not_manager(user: &str) -> Response {
    text(
        StatusCode::UNAUTHORIZED,
        format!("User {user} is not a Container Manager."),
    )
}

fn require_manager(st: &State, caller: &Caller) -> Result<(), Response> {
    if st.is_container_manager(&caller.username) {
        Ok(())
    } else {
        Err(not_manager(&caller.username))
    }
}

/// XNAT's command validation (`CommandValidationException` → `invalid_command`).
fn check_valid(cmd: &Command) -> Result<(), Response> {
    let errors = xcs::validate::xnat_errors(cmd);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid_command(&errors))
    }
}

// ---- binding -----------------------------------------------------------------------------------

/// Which binder XNAT uses: the id-less creation types on create, the full type on update.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Binder {
    Create,
    Update,
}

/// Strip what the binder does not read, then bind to the model.
fn bind_command(mut value: Value, binder: Binder, st: &State) -> Result<Command, Response> {
    let Some(obj) = value.as_object_mut() else {
        return Err(unreadable("expected a JSON object"));
    };
    // XNAT's command name is nullable (a missing name is a validation error, not a binding one).
    obj.entry("name").or_insert(json!(""));
    if binder == Binder::Create {
        // ref: xnat-container-service-api.md §4 (known quirk): `CommandCreation.create` reads
        // `ipcMode`, so `ipc-mode` is dropped on create.
        let camel = obj.remove("ipcMode");
        obj.remove("ipc-mode");
        if let Some(v) = camel {
            obj.insert("ipc-mode".into(), v);
        }
        // Ids sent on create are ignored (creation types have none).
        obj.remove("id");
    }
    if !st.cs_has_3_7() {
        // ref: xnat-container-service-api.md §12: before CS 3.7 these fields do not exist and
        // XNAT's mapper ignores unknown properties.
        obj.remove("visibility");
        obj.remove("command-metadata");
    }
    if let Some(Value::Array(wrappers)) = obj.get_mut("xnat") {
        for w in wrappers.iter_mut() {
            prepare_wrapper(w, binder);
        }
    }
    serde_json::from_value(value).map_err(unreadable)
}

fn prepare_wrapper(wrapper: &mut Value, binder: Binder) {
    let Some(w) = wrapper.as_object_mut() else {
        return;
    };
    if binder == Binder::Create {
        w.remove("id");
    }
    if let Some(Value::Array(handlers)) = w.get_mut("output-handlers") {
        for h in handlers.iter_mut().filter_map(Value::as_object_mut) {
            let legacy = h.remove("as-a-child-of-wrapper-input");
            // ref: command-format.md §7: the legacy key is read on create only, and
            // `as-a-child-of` wins when both are sent.
            if binder == Binder::Create
                && let Some(legacy) = legacy
                && h.get("as-a-child-of").is_none_or(Value::is_null)
            {
                h.insert("as-a-child-of".into(), legacy);
            }
        }
    }
}

fn bind_wrapper(mut value: Value, binder: Binder) -> Result<Wrapper, Response> {
    if !value.is_object() {
        return Err(unreadable("expected a JSON object"));
    }
    prepare_wrapper(&mut value, binder);
    serde_json::from_value(value).map_err(unreadable)
}

/// ref: command-format.md §1: on create an untagged image gets `:latest`.
fn default_tag(image: &str) -> String {
    if image.is_empty() || xcs::validate::image_has_tag(image) {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

// ---- normalisation (what XNAT stores; ref: command-format.md §10) -----------------------------

fn command_input_type(t: Option<&str>) -> String {
    match t {
        Some(t) if COMMAND_INPUT_TYPES.contains(&t) => t.to_string(),
        // ref: xnat-container-service-api.md §4: `File` → `file`, anything unknown → `string`.
        Some("File") => "file".to_string(),
        _ => "string".to_string(),
    }
}

fn normalize_input(i: &mut CommandInput) {
    i.input_type = Some(command_input_type(i.input_type.as_deref()));
    i.required = Some(i.required.unwrap_or(false));
}

fn normalize_wrapper_input(i: &mut WrapperInput, derived: bool) {
    i.input_type = Some(i.input_type.clone().unwrap_or_else(|| "string".into()));
    i.required = Some(i.required.unwrap_or(true));
    i.load_children = Some(i.load_children.unwrap_or(true));
    if derived {
        i.multiple = Some(i.multiple.unwrap_or(false));
    } else {
        // External inputs have no derived-only properties in XNAT's model.
        i.derived_from_wrapper_input = None;
        i.derived_from_xnat_object_property = None;
        i.multiple = None;
        i.parser = None;
    }
}

fn normalize_wrapper(w: &mut Wrapper) {
    // ref: command-format.md §5/§10: contexts are a set. Rendered sorted, a deterministic order.
    w.contexts.sort();
    w.contexts.dedup();
    for i in &mut w.external_inputs {
        normalize_wrapper_input(i, false);
    }
    for i in &mut w.derived_inputs {
        normalize_wrapper_input(i, true);
    }
    for h in &mut w.output_handlers {
        h.handler_type = Some(h.handler_type.clone().unwrap_or_else(|| "Resource".into()));
    }
}

fn normalize(cmd: &mut Command, st: &State) {
    cmd.command_type = Some(cmd.command_type.clone().unwrap_or_else(|| "docker".into()));
    if st.cs_has_3_7() {
        cmd.visibility = Some(cmd.visibility.clone().unwrap_or_else(|| "public".into()));
    } else {
        cmd.visibility = None;
        cmd.command_metadata = None;
    }
    for i in &mut cmd.inputs {
        normalize_input(i);
    }
    for o in &mut cmd.outputs {
        o.required = Some(o.required.unwrap_or(false));
    }
    for w in &mut cmd.xnat {
        normalize_wrapper(w);
    }
}

/// A child of a command or wrapper, identified by its name on update.
trait Named: Clone {
    fn name(&self) -> &str;
}

macro_rules! named {
    ($($t:ty),*) => {
        $(impl Named for $t {
            fn name(&self) -> &str {
                &self.name
            }
        })*
    };
}

named!(
    Wrapper,
    WrapperInput,
    OutputHandler,
    Mount,
    CommandInput,
    CommandOutput
);

/// ref: xnat-container-service-api.md §4 "How identity works": children matched by name; kept
/// ones stay where they were, new ones are appended in body order, missing ones are removed
/// (`CommandEntity.update`: entity lists keep their order, new rows get new ids).
fn merge_by_name<T: Named>(old: &[T], new: &[T], mut update: impl FnMut(&T, &T) -> T) -> Vec<T> {
    let mut out: Vec<T> = old
        .iter()
        .filter_map(|o| {
            new.iter()
                .find(|n| n.name() == o.name())
                .map(|n| update(o, n))
        })
        .collect();
    for n in new {
        if !old.iter().any(|o| o.name() == n.name()) {
            out.push(n.clone());
        }
    }
    out
}

/// `merge_by_name` where a kept child is replaced by the new one.
fn replace_by_name<T: Named>(old: &[T], new: &[T]) -> Vec<T> {
    merge_by_name(old, new, |_, n| n.clone())
}

/// Full replacement of a wrapper, its id kept, its children matched by name.
fn update_wrapper_in_place(old: &Wrapper, new: &Wrapper) -> Wrapper {
    Wrapper {
        id: old.id,
        external_inputs: replace_by_name(&old.external_inputs, &new.external_inputs),
        derived_inputs: replace_by_name(&old.derived_inputs, &new.derived_inputs),
        output_handlers: replace_by_name(&old.output_handlers, &new.output_handlers),
        ..new.clone()
    }
}

/// `CommandEntity.update` (+ `DockerCommandEntity.update`): every scalar replaced except
/// `type` (the entity class is fixed at creation), children merged by name.
fn apply_update(old: &Command, new: &Command, st: &mut State) -> Command {
    let mut wrappers = merge_by_name(&old.xnat, &new.xnat, update_wrapper_in_place);
    for w in &mut wrappers {
        if !old.xnat.iter().any(|o| o.name == w.name) {
            w.id = Some(st.next_id());
        }
    }
    Command {
        id: old.id,
        command_type: old.command_type.clone(),
        mounts: replace_by_name(&old.mounts, &new.mounts),
        inputs: replace_by_name(&old.inputs, &new.inputs),
        outputs: replace_by_name(&old.outputs, &new.outputs),
        xnat: wrappers,
        ..new.clone()
    }
}

// ---- rendering (read-back; XNAT's mapper omits nulls: ObjectMapperConfig NON_NULL) ------------

fn opt<T: serde::Serialize>(v: &Option<T>) -> Option<Value> {
    v.as_ref().and_then(|v| serde_json::to_value(v).ok())
}

fn val<T: serde::Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// A list of children, each rendered.
fn rendered<T>(items: &[T], render: impl Fn(&T) -> Value) -> Option<Value> {
    Some(Value::Array(items.iter().map(render).collect()))
}

fn render_mount(m: &Mount) -> Value {
    ordered(vec![
        ("name", val(&m.name)),
        ("writable", val(&m.writable)),
        ("path", opt(&m.path)),
    ])
}

fn render_input(i: &CommandInput) -> Value {
    ordered(vec![
        ("name", val(&i.name)),
        ("label", opt(&i.label)),
        ("description", opt(&i.description)),
        ("type", val(&command_input_type(i.input_type.as_deref()))),
        ("matcher", opt(&i.matcher)),
        ("default-value", opt(&i.default_value)),
        ("required", val(&i.required.unwrap_or(false))),
        ("replacement-key", opt(&i.replacement_key)),
        ("sensitive", opt(&i.sensitive)),
        ("command-line-flag", opt(&i.command_line_flag)),
        ("command-line-separator", opt(&i.command_line_separator)),
        ("true-value", opt(&i.true_value)),
        ("false-value", opt(&i.false_value)),
        ("select-values", val(&i.select_values)),
        ("multiple-delimiter", opt(&i.multiple_delimiter)),
    ])
}

fn render_output(o: &CommandOutput) -> Value {
    ordered(vec![
        ("name", val(&o.name)),
        ("description", opt(&o.description)),
        ("required", val(&o.required.unwrap_or(false))),
        ("mount", val(&o.mount)),
        ("path", opt(&o.path)),
        ("glob", opt(&o.glob)),
    ])
}

fn render_wrapper_input(i: &WrapperInput, derived: bool) -> Value {
    let mut pairs = vec![
        ("name", val(&i.name)),
        ("label", opt(&i.label)),
        ("description", opt(&i.description)),
        (
            "type",
            val(&i.input_type.clone().unwrap_or_else(|| "string".into())),
        ),
        ("matcher", opt(&i.matcher)),
        ("default-value", opt(&i.default_value)),
        ("required", val(&i.required.unwrap_or(true))),
        ("replacement-key", opt(&i.replacement_key)),
        ("sensitive", opt(&i.sensitive)),
        (
            "provides-value-for-command-input",
            opt(&i.provides_value_for_command_input),
        ),
        (
            "provides-files-for-command-mount",
            opt(&i.provides_files_for_command_mount),
        ),
        ("via-setup-command", opt(&i.via_setup_command)),
        ("user-settable", opt(&i.user_settable)),
        ("load-children", val(&i.load_children.unwrap_or(true))),
    ];
    if derived {
        pairs.extend([
            (
                "derived-from-wrapper-input",
                opt(&i.derived_from_wrapper_input),
            ),
            (
                "derived-from-xnat-object-property",
                opt(&i.derived_from_xnat_object_property),
            ),
            ("multiple", val(&i.multiple.unwrap_or(false))),
            ("parser", opt(&i.parser)),
        ]);
    }
    ordered(pairs)
}

fn render_handler(h: &OutputHandler) -> Value {
    ordered(vec![
        ("name", val(&h.name)),
        ("accepts-command-output", val(&h.accepts_command_output)),
        ("via-wrapup-command", opt(&h.via_wrapup_command)),
        ("as-a-child-of", opt(&h.as_a_child_of)),
        ("type", val(&h.handler_type())),
        ("xsi-type", opt(&h.xsi_type)),
        ("label", opt(&h.label)),
        ("format", opt(&h.format)),
        ("description", opt(&h.description)),
        ("content", opt(&h.content)),
        ("tags", val(&h.tags)),
    ])
}

pub fn render_wrapper(w: &Wrapper) -> Value {
    ordered(vec![
        ("id", val(&w.id.unwrap_or(0))),
        ("name", val(&w.name)),
        ("label", opt(&w.label)),
        ("description", opt(&w.description)),
        ("contexts", val(&w.contexts)),
        (
            "external-inputs",
            rendered(&w.external_inputs, |i| render_wrapper_input(i, false)),
        ),
        (
            "derived-inputs",
            rendered(&w.derived_inputs, |i| render_wrapper_input(i, true)),
        ),
        (
            "output-handlers",
            rendered(&w.output_handlers, render_handler),
        ),
    ])
}

/// A stored command as `GET /xapi/commands/{id}` returns it: ids of command and wrappers shown,
/// never those of mounts, inputs, outputs and handlers; defaults filled; empty lists and maps
/// present; nulls omitted.
pub fn render(c: &Command, st: &State) -> Value {
    let v37 = st.cs_has_3_7();
    ordered(vec![
        ("id", val(&c.id.unwrap_or(0))),
        ("name", val(&c.name)),
        ("label", opt(&c.label)),
        ("description", opt(&c.description)),
        ("version", opt(&c.version)),
        ("schema-version", opt(&c.schema_version)),
        ("info-url", opt(&c.info_url)),
        ("image", opt(&c.image)),
        ("container-name", opt(&c.container_name)),
        ("type", val(&c.command_type())),
        ("index", opt(&c.index)),
        ("hash", opt(&c.hash)),
        ("working-directory", opt(&c.working_directory)),
        ("command-line", opt(&c.command_line)),
        (
            "command-metadata",
            if v37 { opt(&c.command_metadata) } else { None },
        ),
        ("override-entrypoint", opt(&c.override_entrypoint)),
        ("mounts", rendered(&c.mounts, render_mount)),
        ("environment-variables", val(&c.environment_variables)),
        ("ports", val(&c.ports)),
        ("inputs", rendered(&c.inputs, render_input)),
        ("outputs", rendered(&c.outputs, render_output)),
        ("xnat", rendered(&c.xnat, render_wrapper)),
        ("reserve-memory", opt(&c.reserve_memory)),
        ("limit-memory", opt(&c.limit_memory)),
        ("limit-cpu", opt(&c.limit_cpu)),
        ("runtime", opt(&c.runtime)),
        ("ipc-mode", opt(&c.ipc_mode)),
        ("auto-remove", opt(&c.auto_remove)),
        ("shm-size", opt(&c.shm_size)),
        ("network", opt(&c.network)),
        ("container-labels", opt(&c.container_labels)),
        ("gpus", opt(&c.gpus)),
        ("generic-resources", opt(&c.generic_resources)),
        ("ulimits", opt(&c.ulimits)),
        ("secrets", val(&c.secrets)),
        ("visibility", if v37 { opt(&c.visibility) } else { None }),
    ])
}

// ---- visibility filtering ------------------------------------------------------------------------

/// ref: xnat-container-service-api.md §4 (`CommandRestApi.filter`): managers see everything;
/// others see public and protected commands, and private ones with a wrapper enabled in a
/// project they can read.
fn visible(st: &State, user: &str, c: &Command) -> bool {
    if st.is_container_manager(user) || !st.cs_has_3_7() {
        return true;
    }
    match c.visibility.as_deref() {
        Some("private") => c.xnat.iter().any(|w| {
            st.projects_enabled_for(w.id.unwrap_or(0))
                .iter()
                .any(|p| st.can_read_project(user, p))
        }),
        _ => true,
    }
}

// ---- handlers ------------------------------------------------------------------------------------

/// ref: xnat-container-service-api.md §4 `GET /commands`: exact-match filters; `version`
/// without `name` → 400; `restrictToEnabledForSite`.
async fn list(Call { shared, caller }: Call, query: Query) -> Reply {
    let st = shared.state();
    let restrict = super::http::bool_param(&query, "restrictToEnabledForSite", false)?;
    let name = non_blank(&query, "name");
    let version = non_blank(&query, "version");
    let image = non_blank(&query, "image");
    if name.is_none() && version.is_some() {
        return Err(bad_request(
            "If \"version\" is specified, must specify \"name\" as well.",
        ));
    }
    let out: Vec<Value> = st
        .commands
        .values()
        .filter(|c| name.is_none_or(|n| c.name == n))
        .filter(|c| version.is_none_or(|v| c.version.as_deref() == Some(v)))
        .filter(|c| image.is_none_or(|i| c.image.as_deref() == Some(i)))
        .filter(|c| {
            !restrict
                || c.xnat
                    .iter()
                    .any(|w| st.is_enabled_for_site(w.id.unwrap_or(0)))
        })
        .filter(|c| visible(&st, &caller.username, c))
        .map(|c| render(c, &st))
        .collect();
    ok_json(&Value::Array(out))
}

/// ref: §4 `GET /commands/{id}`: 404 unknown; 200 with an empty body when the caller may not
/// see a private command.
async fn get_one(Call { shared, caller }: Call, Path(id): Path<String>) -> Reply {
    let id = long_param(&id)?;
    let st = shared.state();
    let Some(c) = st.commands.get(&id) else {
        return Err(entity_not_found(id));
    };
    if !visible(&st, &caller.username, c) {
        return ok_empty();
    }
    ok_json(&render(c, &st))
}

/// Create a command, as `POST /commands` and as the label import do: validate, refuse a
/// duplicate (name, image, version), store with new ids.
pub fn create_command(st: &mut State, mut cmd: Command) -> Result<i64, Response> {
    // ref: §4 identity: duplicate pre-check (`throwExceptionIfCommandExists`) comes first. A
    // null version never matches (SQL NULL), so two version-less commands do not collide.
    let duplicate = st.commands.values().any(|c| {
        c.name == cmd.name
            && c.image == cmd.image
            && c.version.is_some()
            && c.version == cmd.version
    });
    if duplicate {
        return Err(bad_request(
            "org.nrg.framework.exceptions.NrgServiceRuntimeException: This command duplicates a command already in the database.",
        ));
    }
    check_valid(&cmd)?;
    let id = st.next_id();
    cmd.id = Some(id);
    for w in &mut cmd.xnat {
        w.id = Some(st.next_id());
    }
    normalize(&mut cmd, st);
    st.commands.insert(id, cmd);
    Ok(id)
}

/// The create path without HTTP, for seeding a simulator's state.
pub fn seed(st: &mut State, body: Value) -> Result<i64, Response> {
    let mut cmd = bind_command(body, Binder::Create, st)?;
    cmd.image = cmd.image.as_deref().map(default_tag);
    create_command(st, cmd)
}

/// ref: §4 `POST /commands`: 201 with the bare id; `?image=` overrides the body's image; an
/// untagged image gets `:latest` (create only).
async fn create(
    Call { shared, caller }: Call,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    // Spring binds the body before the method runs its role check.
    let value = json_value(&headers, &body)?;
    let mut st = shared.state();
    let mut cmd = bind_command(value, Binder::Create, &st)?;
    require_manager(&st, &caller)?;
    if let Some(image) = non_blank(&query, "image") {
        cmd.image = Some(image.to_string());
    }
    cmd.image = cmd.image.as_deref().map(default_tag);
    let id = create_command(&mut st, cmd)?;
    Ok(text(StatusCode::CREATED, id.to_string()))
}

/// ref: §4 `POST /commands/{id}`: full replacement by id, children matched by name, wrapper ids
/// kept for unchanged names; no tag defaulting; body id replaced by the path id.
async fn update(
    Call { shared, caller }: Call,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let id = long_param(&id)?;
    let value = json_value(&headers, &body)?;
    let mut st = shared.state();
    let mut cmd = bind_command(value, Binder::Update, &st)?;
    require_manager(&st, &caller)?;
    cmd.id = Some(id);
    check_valid(&cmd)?;
    let Some(old) = st.commands.get(&id).cloned() else {
        // ref: §4: updating an unknown id is not a clean 404 (likely 500, unverified).
        return Err(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "Batch update returned unexpected row count from update [0]; actual row count: 0; expected: 1 (command {id})"
            ),
        ));
    };
    let mut updated = apply_update(&old, &cmd, &mut st);
    normalize(&mut updated, &st);
    st.commands.insert(id, updated);
    ok_empty()
}

/// ref: §4 `DELETE /commands/{id}`: 204, also for an unknown id; its wrappers go with it.
async fn delete_command(Call { shared, caller }: Call, Path(id): Path<String>) -> Reply {
    let id = long_param(&id)?;
    let mut st = shared.state();
    require_manager(&st, &caller)?;
    st.commands.remove(&id);
    Ok(empty(StatusCode::NO_CONTENT))
}

/// ref: §4 `POST /commands/{id}/wrappers`: 201 + new wrapper id; 404 unknown command; the whole
/// command is validated *after* the write, and a checked exception does not roll the
/// `@Transactional` write back, so the wrapper stays even when the answer is 400.
async fn add_wrapper(
    Call { shared, caller }: Call,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let id = long_param(&id)?;
    let value = json_value(&headers, &body)?;
    let mut wrapper = bind_wrapper(value, Binder::Create)?;
    let mut st = shared.state();
    require_manager(&st, &caller)?;
    if !st.commands.contains_key(&id) {
        return Err(entity_not_found(id));
    }
    let wid = st.next_id();
    wrapper.id = Some(wid);
    normalize_wrapper(&mut wrapper);
    let Some(cmd) = st.commands.get_mut(&id) else {
        return Err(entity_not_found(id));
    };
    cmd.xnat.push(wrapper);
    check_valid(cmd)?;
    Ok(text(StatusCode::CREATED, wid.to_string()))
}

/// ref: §4 `POST /commands/{cid}/wrappers/{wid}`: full replacement of the wrapper (children by
/// name); 404 for an unknown command or wrapper; it does not check that the wrapper belongs to
/// that command; the path command is validated after the write (kept on 400, as above).
async fn update_wrapper(
    Call { shared, caller }: Call,
    Path((command_id, wrapper_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let command_id = long_param(&command_id)?;
    let wrapper_id = long_param(&wrapper_id)?;
    let value = json_value(&headers, &body)?;
    let new = bind_wrapper(value, Binder::Update)?;
    let mut st = shared.state();
    require_manager(&st, &caller)?;
    if !st.commands.contains_key(&command_id) {
        return Err(entity_not_found(command_id));
    }
    let Some((owner, index)) = st.find_wrapper(wrapper_id) else {
        return Err(not_found_text(format!(
            "No command wrapper for id {wrapper_id}"
        )));
    };
    if let Some(cmd) = st.commands.get_mut(&owner) {
        let mut updated = update_wrapper_in_place(&cmd.xnat[index], &new);
        normalize_wrapper(&mut updated);
        cmd.xnat[index] = updated;
    }
    if let Some(cmd) = st.commands.get(&command_id) {
        check_valid(cmd)?;
    }
    ok_empty()
}

/// ref: §4 `DELETE /wrappers/{id}`: 204, also when unknown.
async fn delete_wrapper(Call { shared, caller }: Call, Path(wrapper_id): Path<String>) -> Reply {
    let wrapper_id = long_param(&wrapper_id)?;
    let mut st = shared.state();
    require_manager(&st, &caller)?;
    if let Some((owner, index)) = st.find_wrapper(wrapper_id)
        && let Some(cmd) = st.commands.get_mut(&owner)
    {
        cmd.xnat.remove(index);
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

/// ref: §4 `POST /command/{id}/visibility/{v}` (singular `/command/`): CM (403 via the access
/// aspect, then 401 in-method); 400 for an unknown id; an invalid value fails command
/// validation, whose body here is the error list's `toString()` (`[e1, e2]`,
/// `CommandVisibilityRestApi.handleInValid`). CS 3.7 and later only.
async fn set_visibility(
    Call { shared, caller }: Call,
    Path((id, visibility)): Path<(String, String)>,
) -> Reply {
    let mut st = shared.state();
    if !st.cs_has_3_7() {
        return Err(not_found_text("Not Found"));
    }
    require_manager_403(&st, &caller)?;
    let id = long_param(&id)?;
    let Some(mut cmd) = st.commands.get(&id).cloned() else {
        return Err(text(
            StatusCode::BAD_REQUEST,
            format!("The command identified by id {id} does not exist."),
        ));
    };
    cmd.visibility = Some(visibility);
    let errors = xcs::validate::xnat_errors(&cmd);
    if !errors.is_empty() {
        return Err(text(
            StatusCode::BAD_REQUEST,
            format!("[{}]", errors.join(", ")),
        ));
    }
    st.commands.insert(id, cmd);
    ok_empty()
}

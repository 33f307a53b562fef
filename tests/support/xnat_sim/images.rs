//! Images and pulls: the image endpoints of `DockerRestApi`
//! (ref: xnat-container-service-api.md §3).

use super::SharedState;
use super::access::require_manager_403;
use super::commands::{create_command, render};
use super::docker::{docker_error, find_hub, require_server};
use super::http::{Call, Query, Reply, empty, non_blank, ok_empty, ok_json, text};
use super::state::{SimImage, State};
use axum::Router;
use axum::extract::{Path, State as Axum};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/xapi/docker/hubs/{hub}/pull", post(pull_from_hub))
        .route("/xapi/docker/pull", post(pull))
        .route("/xapi/docker/images", get(list_images))
        .route("/xapi/docker/image-summaries", get(image_summaries))
        .route(
            "/xapi/docker/images/save",
            get(save_hint).post(save_from_labels),
        )
        .route(
            "/xapi/docker/images/{image}",
            get(get_image).delete(delete_image),
        )
}

fn render_image(i: &SimImage) -> Value {
    json!({ "image-id": i.image_id, "tags": i.tags, "labels": i.labels })
}

/// An image by id (or id prefix, as Docker allows) or by name.
fn find_image<'a>(st: &'a State, key: &str) -> Option<&'a SimImage> {
    st.images.iter().find(|i| {
        i.image_id == key
            || i.tags.iter().any(|t| t == key)
            || (key.len() >= 12 && i.image_id.contains(key))
    })
}

/// ref: §3 `GET /docker/images`: `installed=false` adds tag-only placeholders for images named by
/// saved commands but not present.
async fn list_images(Axum(shared): Axum<SharedState>, query: Query) -> Reply {
    let st = shared.state();
    require_server(&st)?;
    let installed = super::http::bool_param(&query, "installed", false)?;
    let mut out: Vec<Value> = st.images.iter().map(render_image).collect();
    if !installed {
        let mut seen: Vec<&str> = Vec::new();
        for c in st.commands.values() {
            if let Some(image) = c.image.as_deref()
                && !image.trim().is_empty()
                && !st.images.iter().any(|i| i.tags.iter().any(|t| t == image))
                && !seen.contains(&image)
            {
                seen.push(image);
                out.push(json!({ "tags": [image], "labels": {} }));
            }
        }
    }
    ok_json(&Value::Array(out))
}

/// ref: §3: installed images with the saved commands that use them (label-only commands with
/// id 0 are not simulated).
async fn image_summaries(Axum(shared): Axum<SharedState>) -> Reply {
    let st = shared.state();
    require_server(&st)?;
    let server = st
        .servers
        .iter()
        .find(|s| s.enabled)
        .and_then(|s| s.server.get("name").cloned());
    let out: Vec<Value> = st
        .images
        .iter()
        .map(|i| {
            let commands: Vec<Value> = st
                .commands
                .values()
                .filter(|c| c.image.as_ref().is_some_and(|img| i.tags.contains(img)))
                .map(|c| render(c, &st))
                .collect();
            json!({ "image-id": i.image_id, "server": server, "names": i.tags, "commands": commands })
        })
        .collect();
    ok_json(&Value::Array(out))
}

async fn get_image(Axum(shared): Axum<SharedState>, Path(key): Path<String>) -> Reply {
    let st = shared.state();
    require_server(&st)?;
    match find_image(&st, &key) {
        Some(i) => ok_json(&render_image(i)),
        // CS-62: `save` here means they meant POST /images/save.
        None if key == "save" => Err(text(
            StatusCode::BAD_REQUEST,
            "To save commands from image labels POST to /images/save.",
        )),
        None => Err(text(
            StatusCode::NOT_FOUND,
            format!("Image not found: {key}"),
        )),
    }
}

/// `GET /images/save` is `GET /images/{id}` with id `save` (CS-62 hint).
async fn save_hint(axum_state: Axum<SharedState>) -> Reply {
    get_image(axum_state, Path("save".to_string())).await
}

/// ref: §3 DELETE image: 204; an image unknown to the daemon → 500 (not 404). Side effect:
/// every saved command whose image is that image is deleted, with its wrappers.
async fn delete_image(Call { shared, caller }: Call, Path(key): Path<String>) -> Reply {
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    require_server(&st)?;
    let Some(image) = find_image(&st, &key).cloned() else {
        return Err(docker_error(&format!("Image not found: {key}")));
    };
    st.images.retain(|i| i.image_id != image.image_id);
    st.commands
        .retain(|_, c| c.image.as_ref().is_none_or(|img| !image.tags.contains(img)));
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `CommandLabelServiceImpl` + `CommandServiceImpl.save`: parse the `org.nrg.commands` label
/// (a JSON array of commands), force `image` to the requested name and `hash` to the image id,
/// then create each; invalid or duplicate ones are skipped silently (ref: §3).
fn import_labels(st: &mut State, image_name: &str, image: &SimImage) -> Vec<Value> {
    let Some(label) = image.labels.get("org.nrg.commands") else {
        return Vec::new();
    };
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(label) else {
        return Vec::new();
    };
    let mut created = Vec::new();
    for mut item in items {
        let Some(obj) = item.as_object_mut() else {
            continue;
        };
        obj.insert("image".into(), json!(image_name));
        obj.insert("hash".into(), json!(image.image_id));
        obj.entry("name").or_insert(json!(""));
        obj.remove("id");
        if !st.cs_has_3_7() {
            obj.remove("visibility");
            obj.remove("command-metadata");
        }
        let Ok(cmd) = serde_json::from_value::<xcs::model::Command>(item) else {
            continue;
        };
        if let Ok(id) = create_command(st, cmd)
            && let Some(c) = st.commands.get(&id)
        {
            created.push(render(c, st));
        }
    }
    created
}

/// The required `image` query parameter of the save and pull routes.
fn image_param(query: &Query) -> Result<String, Response> {
    non_blank(query, "image")
        .map(str::to_string)
        .ok_or_else(|| {
            text(
                StatusCode::BAD_REQUEST,
                "Required String parameter 'image' is not present",
            )
        })
}

/// An image to import from: 404 when the daemon does not have it.
fn image_to_import(st: &State, name: &str) -> Result<SimImage, Response> {
    find_image(st, name)
        .cloned()
        .ok_or_else(|| text(StatusCode::NOT_FOUND, format!("Image not found: {name}")))
}

/// ref: §3 `POST /docker/images/save?image=`: 200 + the commands actually created.
async fn save_from_labels(Call { shared, caller }: Call, query: Query) -> Reply {
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    let name = image_param(&query)?;
    require_server(&st)?;
    let image = image_to_import(&st, &name)?;
    let created = import_labels(&mut st, &name, &image);
    ok_json(&Value::Array(created))
}

/// Pulling (`DockerServiceImpl.pullFromHub` → `DockerControlApi.pullImage`, container-service
/// 3.7.3): the image name goes to the daemon's pull as is, with the hub's credentials. An image
/// the registry holds is copied onto the daemon; one the daemon already has pulls again fine.
/// docker-java's NotFoundException → 404 with the daemon's message; other daemon errors → 500
/// (ref: §3). `save-commands` (default true) imports the labels as `/images/save` does.
fn pull_image(st: &mut State, query: &Query, hub_user: Option<&str>) -> Reply {
    let name = image_param(query)?;
    // ref: §3: a bare sha256 id cannot be pulled.
    if !name.contains('/') && name.contains("sha256:") {
        return Err(text(
            StatusCode::BAD_REQUEST,
            "Cannot pull an image by sha256 ID. Use image label instead.",
        ));
    }
    require_server(st)?;
    let save = super::http::bool_param(query, "save-commands", true)?;
    if !st.docker_reachable {
        return Err(docker_error("Cannot connect to the Docker daemon"));
    }
    let image = match st.registry.iter().find(|i| i.tags.contains(&name)) {
        Some(remote) if remote.pull_user.is_some() && remote.pull_user.as_deref() != hub_user => {
            let repo = name.rsplit_once(':').map_or(name.as_str(), |(r, _)| r);
            return Err(text(
                StatusCode::NOT_FOUND,
                format!("Status 404: {{\"message\":\"pull access denied for {repo}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\"}}"),
            ));
        }
        Some(remote) => {
            let remote = remote.clone();
            st.images.retain(|i| i.image_id != remote.image_id);
            st.images.push(remote.clone());
            remote
        }
        None => find_image(st, &name).cloned().ok_or_else(|| {
            text(
                StatusCode::NOT_FOUND,
                format!("Status 404: {{\"message\":\"manifest for {name} not found: manifest unknown: manifest unknown\"}}"),
            )
        })?,
    };
    if save {
        import_labels(st, &name, &image);
    }
    ok_empty()
}

/// Record what was asked and what XNAT answered, for tests to check.
fn recorded(st: &mut State, hub: Option<String>, query: &Query, reply: Reply) -> Reply {
    let status = match &reply {
        Ok(r) | Err(r) => r.status().as_u16(),
    };
    st.pulls.push(super::state::PullRecord {
        hub,
        image: query.get("image").cloned().unwrap_or_default(),
        save_commands: query.get("save-commands").cloned(),
        status,
    });
    reply
}

async fn pull(Call { shared, caller }: Call, query: Query) -> Reply {
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    let default = st.default_hub_id();
    let user = st.hubs.get(&default).and_then(|h| h.username.clone());
    let reply = pull_image(&mut st, &query, user.as_deref());
    recorded(&mut st, None, &query, reply)
}

async fn pull_from_hub(
    Call { shared, caller }: Call,
    Path(key): Path<String>,
    query: Query,
) -> Reply {
    let mut st = shared.state();
    require_manager_403(&st, &caller)?;
    let id = find_hub(&st, &key)?;
    // ref: §3: `username` and `password` are both required if either is given (no mapping
    // matches otherwise).
    if query.contains_key("username") != query.contains_key("password") {
        return Err(text(
            StatusCode::BAD_REQUEST,
            "Both username and password are required",
        ));
    }
    let user = match query.get("username") {
        Some(u) => Some(u.clone()),
        None => st.hubs.get(&id).and_then(|h| h.username.clone()),
    };
    let name = st.hubs.get(&id).and_then(|h| h.name.clone());
    let reply = pull_image(&mut st, &query, user.as_deref());
    recorded(&mut st, name, &query, reply)
}

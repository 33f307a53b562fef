//! The XNAT simulator over real HTTP: every quirk the reference documents, plus auth, sessions,
//! alias tokens, roles, faults and request counting. Each test names the reference section it
//! holds the simulator to.

use crate::support::xnat_sim::{Faults, Sim, SimConfig, SimImage, SimProject, SimUser};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

// ---- a tiny client ---------------------------------------------------------------------------

struct Resp {
    status: u16,
    body: String,
    set_cookie: Option<String>,
    challenge: Option<String>,
}

impl Resp {
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} (status {})", self.body, self.status))
    }

    #[track_caller]
    fn expect(self, status: u16) -> Resp {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }
}

struct As {
    base: String,
    user: Option<(String, String)>,
    cookie: Option<String>,
    http: Client,
}

fn client() -> Client {
    Client::builder()
        .user_agent("xcs-sim-test/1.0")
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

impl As {
    fn new(sim: &Sim, user: &str, pass: &str) -> As {
        As {
            base: sim.url(),
            user: Some((user.into(), pass.into())),
            cookie: None,
            http: client(),
        }
    }

    fn anonymous(sim: &Sim) -> As {
        As {
            base: sim.url(),
            user: None,
            cookie: None,
            http: client(),
        }
    }

    fn send(&self, rb: RequestBuilder) -> Resp {
        let mut rb = rb;
        if let Some((u, p)) = &self.user {
            rb = rb.basic_auth(u, Some(p));
        }
        if let Some(c) = &self.cookie {
            rb = rb.header(COOKIE, c.as_str());
        }
        let r = rb.send().expect("request");
        let header = |name| {
            r.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let set_cookie = header(SET_COOKIE);
        let challenge = header(WWW_AUTHENTICATE);
        let status = r.status().as_u16();
        Resp {
            status,
            body: r.text().expect("body"),
            set_cookie,
            challenge,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> Resp {
        self.send(self.http.get(self.url(path)))
    }

    fn delete(&self, path: &str) -> Resp {
        self.send(self.http.delete(self.url(path)))
    }

    fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(
            self.http
                .post(self.url(path))
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        )
    }

    fn post_empty(&self, path: &str) -> Resp {
        self.send(self.http.post(self.url(path)))
    }

    fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(
            self.http
                .put(self.url(path))
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        )
    }

    fn put_empty(&self, path: &str) -> Resp {
        self.send(self.http.put(self.url(path)))
    }

    fn put_text(&self, path: &str, text: &str) -> Resp {
        self.send(
            self.http
                .put(self.url(path))
                .header(CONTENT_TYPE, "text/plain")
                .body(text.to_string()),
        )
    }
}

/// A simulator with an admin+manager (`admin`), a plain admin (`root`), project owner `olivia`,
/// member `mike`, collaborator `cora`, and nobody `nora`; projects P1 and P2.
fn fixture() -> Sim {
    Sim::start(
        SimConfig::default()
            .user(SimUser::admin("root", "root"))
            .user(SimUser::new("olivia", "pw"))
            .user(SimUser::new("mike", "pw"))
            .user(SimUser::new("cora", "pw"))
            .user(SimUser::new("nora", "pw"))
            .project(
                SimProject::new("P1")
                    .owner("olivia")
                    .member("mike")
                    .collaborator("cora"),
            )
            .project(SimProject::new("P2").owner("nora")),
    )
}

fn admin(sim: &Sim) -> As {
    As::new(sim, "admin", "admin")
}

/// A valid command with one output and two wrappers (`session-w`, `scan-w`).
fn command(name: &str, image: &str, version: &str) -> Value {
    json!({
        "name": name,
        "image": image,
        "version": version,
        "command-line": "run #FLAG# /out",
        "mounts": [{"name": "out", "path": "/out", "writable": true}],
        "inputs": [{"name": "FLAG", "default-value": "-v"}],
        "outputs": [{"name": "result", "mount": "out"}],
        "xnat": [
            {
                "name": "session-w",
                "contexts": ["xnat:imageSessionData"],
                "external-inputs": [{"name": "session", "type": "Session"}],
                "output-handlers": [{"name": "h", "accepts-command-output": "result",
                                      "as-a-child-of": "session", "label": "OUT"}]
            },
            {
                "name": "scan-w",
                "contexts": ["xnat:imageScanData"],
                "external-inputs": [{"name": "scan", "type": "Scan"}],
                "output-handlers": [{"name": "h", "accepts-command-output": "result",
                                      "as-a-child-of": "scan", "label": "OUT"}]
            }
        ]
    })
}

fn create(client: &As, body: &Value) -> i64 {
    let r = client.post("/xapi/commands", body).expect(201);
    r.body.parse().expect("bare id")
}

fn wrapper_ids(cmd: &Value) -> Vec<(String, i64)> {
    cmd["xnat"]
        .as_array()
        .expect("xnat")
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap_or("").to_string(),
                w["id"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

fn wid(cmd: &Value, name: &str) -> i64 {
    wrapper_ids(cmd)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| id)
        .expect("wrapper")
}

// ---- authentication, sessions, alias tokens (xnat-core-api.md §1) ------------------------------

#[test]
fn unauthenticated_and_bad_credentials_get_a_basic_challenge() {
    let sim = fixture();
    let r = As::anonymous(&sim).get("/xapi/commands").expect(401);
    assert_eq!(r.challenge.as_deref(), Some("Basic realm=\"XNAT\""));
    let r = As::new(&sim, "admin", "wrong")
        .get("/xapi/commands")
        .expect(401);
    assert_eq!(r.challenge.as_deref(), Some("Basic realm=\"XNAT\""));
    let r = admin(&sim).get("/xapi/users/username").expect(200);
    assert_eq!(r.body, "admin");
    // buildInfo is an open URL.
    let r = As::anonymous(&sim)
        .get("/xapi/siteConfig/buildInfo")
        .expect(200);
    assert_eq!(r.json()["version"], "1.9.3");
}

#[test]
fn basic_auth_without_cookie_creates_a_session_and_the_cookie_is_honoured() {
    let sim = fixture();
    let mut c = admin(&sim);
    let first = c.get("/data/JSESSION").expect(200);
    let cookie = first.set_cookie.expect("Set-Cookie");
    assert!(
        cookie.starts_with(&format!("JSESSIONID={}", first.body)),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly"));
    assert_eq!(sim.counters().sessions_created, 1);
    // Two more cookieless basic-auth requests: two more sessions.
    c.get("/xapi/users/username");
    c.get("/xapi/users/username");
    assert_eq!(sim.counters().sessions_created, 3);
    // The cookie alone (no credentials) is enough and creates nothing.
    c.user = None;
    c.cookie = Some(format!("JSESSIONID={}", first.body));
    let r = c.get("/xapi/users/username").expect(200);
    assert_eq!(r.body, "admin");
    assert!(r.set_cookie.is_none());
    assert_eq!(c.get("/data/JSESSION").body, first.body);
    assert_eq!(sim.counters().sessions_created, 3);
    // Logging out ends it.
    c.delete("/data/JSESSION").expect(200);
    c.get("/xapi/users/username").expect(401);
}

#[test]
fn session_cap_refuses_new_logins() {
    let sim = Sim::start(SimConfig {
        max_sessions_per_user: 2,
        ..SimConfig::default()
    });
    let c = admin(&sim);
    c.get("/xapi/users/username").expect(200);
    c.get("/xapi/users/username").expect(200);
    c.get("/xapi/users/username").expect(401);
}

#[test]
fn alias_tokens_work_as_basic_auth_until_invalidated() {
    let sim = fixture();
    let olivia = As::new(&sim, "olivia", "pw");
    let token = olivia.get("/data/services/tokens/issue").expect(200).json();
    let alias = token["alias"].as_str().expect("alias").to_string();
    let secret = token["secret"].as_str().expect("secret").to_string();
    assert_eq!(secret.len(), 64);
    assert_eq!(token["xdatUserId"], "olivia");
    let by_token = As::new(&sim, &alias, &secret);
    assert_eq!(
        by_token.get("/xapi/users/username").expect(200).body,
        "olivia"
    );
    As::new(&sim, &alias, "nope")
        .get("/xapi/users/username")
        .expect(401);
    let v = olivia
        .get(&format!("/data/services/tokens/validate/{alias}/{secret}"))
        .expect(200);
    assert_eq!(v.json(), json!({"valid": "olivia"}));
    // Someone else's token: 403; admins may issue for others.
    As::new(&sim, "mike", "pw")
        .get(&format!("/data/services/tokens/invalidate/{alias}"))
        .expect(403);
    As::new(&sim, "mike", "pw")
        .get("/data/services/tokens/issue/user/olivia")
        .expect(403);
    admin(&sim)
        .get("/data/services/tokens/issue/user/olivia")
        .expect(200);
    let r = olivia
        .get(&format!("/data/services/tokens/invalidate/{alias}"))
        .expect(200);
    assert_eq!(r.json(), json!({"result": "OK"}));
    by_token.get("/xapi/users/username").expect(401);
    olivia
        .get(&format!("/data/services/tokens/invalidate/{alias}"))
        .expect(404);
}

// ---- users and roles (xnat-core-api.md §4; CS §0) ------------------------------------------------

#[test]
fn roles_are_listed_and_granted_by_admins_only() {
    let sim = fixture();
    let r = As::new(&sim, "root", "root")
        .get("/xapi/users/root/roles")
        .expect(200);
    assert_eq!(r.json(), json!(["Administrator"]));
    As::new(&sim, "mike", "pw")
        .get("/xapi/users/root/roles")
        .expect(403);
    assert_eq!(
        As::new(&sim, "mike", "pw")
            .get("/xapi/users/mike/roles")
            .expect(200)
            .json(),
        json!([])
    );
    As::new(&sim, "mike", "pw")
        .put_empty("/xapi/users/mike/roles/ContainerManager")
        .expect(403);
    As::new(&sim, "root", "root")
        .put_empty("/xapi/users/ghost/roles/ContainerManager")
        .expect(404);
    // A site admin is not a ContainerManager until granted.
    let root = As::new(&sim, "root", "root");
    let r = root
        .post("/xapi/commands", &command("c", "img/c:1", "1"))
        .expect(401);
    assert_eq!(r.body, "User root is not a Container Manager.");
    root.post(
        "/xapi/docker/server",
        &json!({"host": "unix:///var/run/docker.sock"}),
    )
    .expect(403);
    root.post(
        "/xapi/docker/hubs",
        &json!({"name": "h", "url": "https://h"}),
    )
    .expect(403);
    root.put_empty("/xapi/users/root/roles/ContainerManager")
        .expect(200);
    assert_eq!(
        sim.user_roles("root"),
        vec!["Administrator", "ContainerManager"]
    );
    root.post("/xapi/commands", &command("c", "img/c:1", "1"))
        .expect(201);
}

// ---- commands (CS §4, command-format §9–§10) -------------------------------------------------------

#[test]
fn create_returns_a_bare_id_tags_untagged_images_and_honours_the_image_param() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "img/c", "1"));
    let got = a.get(&format!("/xapi/commands/{id}")).expect(200).json();
    assert_eq!(got["id"], id);
    assert_eq!(got["image"], "img/c:latest");
    let id2 = a
        .post(
            "/xapi/commands?image=other/img",
            &command("d", "img/d:1", "1"),
        )
        .expect(201);
    let got = a
        .get(&format!("/xapi/commands/{}", id2.body))
        .expect(200)
        .json();
    assert_eq!(got["image"], "other/img:latest");
    // Missing content type → 415; unknown id → 404 text.
    let r = a.send(
        a.http
            .post(a.url("/xapi/commands"))
            .body(command("e", "i:1", "1").to_string()),
    );
    assert_eq!(r.status, 415);
    let r = a.get("/xapi/commands/99999").expect(404);
    assert_eq!(r.body, "Could not find entity with ID 99999");
}

#[test]
fn duplicate_identity_is_refused_and_versions_differ() {
    let sim = fixture();
    let a = admin(&sim);
    create(&a, &command("c", "img/c:1", "1"));
    let r = a
        .post("/xapi/commands", &command("c", "img/c:1", "1"))
        .expect(400);
    assert_eq!(
        r.body,
        "Bad request:\norg.nrg.framework.exceptions.NrgServiceRuntimeException: This command duplicates a command already in the database."
    );
    create(&a, &command("c", "img/c:1", "2"));
    create(&a, &command("c", "img/c:2", "1"));
    assert_eq!(sim.command_ids().len(), 3);
}

#[test]
fn validation_errors_use_xnat_text() {
    let sim = fixture();
    let a = admin(&sim);
    let mut bad = command("c", "img/c:1", "1");
    bad["outputs"][0]["mount"] = json!("nowhere");
    bad["inputs"][0]["multiple-delimiter"] = json!("semicolon");
    let model: xcs::model::Command = serde_json::from_value(bad.clone()).expect("model");
    let expected = xcs::validate::xnat_errors(&model);
    assert!(expected.len() >= 2, "{expected:?}");
    let r = a.post("/xapi/commands", &bad).expect(400);
    assert_eq!(
        r.body,
        format!("Invalid command:\n\t{}", expected.join("\n\t"))
    );
    assert!(sim.command_ids().is_empty());
}

#[test]
fn read_back_fills_defaults_and_hides_child_ids() {
    let sim = fixture();
    let a = admin(&sim);
    let body = json!({
        "name": "n", "image": "i/n:1", "version": "1",
        "mounts": [{"name": "in", "path": "/in"}],
        "inputs": [
            {"name": "a", "type": "weird"},
            {"name": "b", "type": "File"},
            {"name": "c", "type": "boolean", "required": true, "id": 77}
        ],
        "xnat": [{
            "name": "w", "id": 555,
            "contexts": ["xnat:b", "xnat:a", "xnat:b"],
            "external-inputs": [{"name": "session", "type": "Session", "provides-files-for-command-mount": "in"}],
            "derived-inputs": [{"name": "label", "derived-from-wrapper-input": "session",
                                "derived-from-xnat-object-property": "label"}]
        }]
    });
    let id = create(&a, &body);
    let c = a.get(&format!("/xapi/commands/{id}")).expect(200).json();
    assert_eq!(c["type"], "docker");
    assert_eq!(c["visibility"], "public");
    assert_eq!(c["environment-variables"], json!({}));
    assert_eq!(c["ports"], json!({}));
    assert_eq!(c["outputs"], json!([]));
    assert_eq!(c["secrets"], json!([]));
    assert!(
        c.get("label").is_none() && c.get("ipc-mode").is_none(),
        "nulls omitted: {c}"
    );
    assert_eq!(
        c["mounts"][0],
        json!({"name": "in", "writable": false, "path": "/in"})
    );
    let inputs = c["inputs"].as_array().expect("inputs");
    assert_eq!(inputs[0]["type"], "string");
    assert_eq!(inputs[1]["type"], "file");
    assert_eq!(inputs[0]["required"], false);
    assert_eq!(inputs[2]["required"], true);
    assert_eq!(inputs[0]["select-values"], json!([]));
    assert!(inputs.iter().all(|i| i.get("id").is_none()));
    let w = &c["xnat"][0];
    assert_ne!(w["id"], 555, "ids sent on create are ignored");
    assert!(w["id"].as_i64().is_some_and(|i| i > 0));
    assert_eq!(w["contexts"], json!(["xnat:a", "xnat:b"]));
    let session = &w["external-inputs"][0];
    assert_eq!(session["required"], true);
    assert_eq!(session["load-children"], true);
    assert!(session.get("multiple").is_none());
    assert_eq!(w["derived-inputs"][0]["type"], "string");
    assert_eq!(w["derived-inputs"][0]["multiple"], false);
    assert_eq!(w["output-handlers"], json!([]));
    // Handler defaults.
    let id = create(&a, &command("h", "i/h:1", "1"));
    let c = a.get(&format!("/xapi/commands/{id}")).expect(200).json();
    let h = &c["xnat"][0]["output-handlers"][0];
    assert_eq!(h["type"], "Resource");
    assert_eq!(h["tags"], json!([]));
    assert!(h.get("id").is_none());
    assert_eq!(c["outputs"][0]["required"], false);
}

#[test]
fn ipc_mode_and_the_legacy_handler_key_follow_the_create_binder() {
    let sim = fixture();
    let a = admin(&sim);
    let mut body = command("c", "i/c:1", "1");
    body["ipc-mode"] = json!("host");
    body["xnat"][0]["output-handlers"][0] = json!({"name": "h", "accepts-command-output": "result",
        "as-a-child-of-wrapper-input": "session", "label": "OUT"});
    let id = create(&a, &body);
    let c = a.get(&format!("/xapi/commands/{id}")).expect(200).json();
    assert!(c.get("ipc-mode").is_none(), "ipc-mode is dropped on create");
    assert_eq!(
        c["xnat"][0]["output-handlers"][0]["as-a-child-of"],
        "session"
    );
    // `ipcMode` is what the creation binder reads.
    let mut camel = command("d", "i/d:1", "1");
    camel["ipcMode"] = json!("host");
    let id2 = create(&a, &camel);
    assert_eq!(
        a.get(&format!("/xapi/commands/{id2}")).json()["ipc-mode"],
        "host"
    );
    // Update reads `ipc-mode`, and ignores the legacy key (so the handler has no parent).
    let mut upd = c.clone();
    upd["ipc-mode"] = json!("host");
    a.post(&format!("/xapi/commands/{id}"), &upd).expect(200);
    assert_eq!(
        a.get(&format!("/xapi/commands/{id}")).json()["ipc-mode"],
        "host"
    );
    let mut legacy = upd.clone();
    legacy["xnat"][0]["output-handlers"][0] = json!({"name": "h", "accepts-command-output": "result",
        "as-a-child-of-wrapper-input": "session", "label": "OUT"});
    let r = a.post(&format!("/xapi/commands/{id}"), &legacy).expect(400);
    assert!(r.body.starts_with("Invalid command:\n\t"), "{}", r.body);
}

#[test]
fn update_is_a_full_replacement_matching_children_by_name() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    let before = a.get(&format!("/xapi/commands/{id}")).json();
    let session_id = wid(&before, "session-w");
    let scan_id = wid(&before, "scan-w");
    let mut next = command("c", "i/c:1", "1");
    // Drop scan-w, keep session-w (changed label), add assessor-w first in the body.
    let mut added = next["xnat"][1].clone();
    added["name"] = json!("assessor-w");
    next["xnat"] = json!([added, next["xnat"][0].clone()]);
    next["xnat"][1]["label"] = json!("Changed");
    next["id"] = json!(424242);
    a.post(&format!("/xapi/commands/{id}"), &next).expect(200);
    let after = a.get(&format!("/xapi/commands/{id}")).json();
    assert_eq!(after["id"], id, "the path id wins over the body id");
    let ids = wrapper_ids(&after);
    assert_eq!(
        ids[0],
        ("session-w".to_string(), session_id),
        "kept wrappers keep id and place"
    );
    assert_eq!(ids[1].0, "assessor-w");
    assert!(ids[1].1 != session_id && ids[1].1 != scan_id);
    assert_eq!(ids.len(), 2, "scan-w was deleted");
    assert_eq!(after["xnat"][0]["label"], "Changed");
}

#[test]
fn update_does_not_tag_images_keeps_type_and_resets_visibility() {
    let sim = fixture();
    let a = admin(&sim);
    let mut body = command("c", "i/c:1", "1");
    body["visibility"] = json!("private");
    let id = create(&a, &body);
    let mut untagged = command("c", "i/c", "1");
    let r = a
        .post(&format!("/xapi/commands/{id}"), &untagged)
        .expect(400);
    assert!(
        r.body.contains("image name must include version tag"),
        "{}",
        r.body
    );
    untagged["image"] = json!("i/c:1");
    untagged["type"] = json!("docker-setup");
    untagged["mounts"] = json!([]);
    untagged["inputs"] = json!([]);
    untagged["outputs"] = json!([]);
    untagged["xnat"] = json!([]);
    a.post(&format!("/xapi/commands/{id}"), &untagged)
        .expect(200);
    let c = a.get(&format!("/xapi/commands/{id}")).json();
    assert_eq!(c["type"], "docker", "the entity class fixes the type");
    assert_eq!(
        c["visibility"], "public",
        "absent visibility defaults on update too"
    );
    // Unknown id: not a clean 404.
    a.post("/xapi/commands/99999", &command("z", "i/z:1", "1"))
        .expect(500);
}

#[test]
fn list_filters_and_deletes() {
    let sim = fixture();
    let a = admin(&sim);
    let c1 = create(&a, &command("c", "i/c:1", "1"));
    create(&a, &command("c", "i/c:2", "2"));
    create(&a, &command("d", "i/d:1", "1"));
    assert_eq!(
        a.get("/xapi/commands").json().as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(
        a.get("/xapi/commands?name=c")
            .json()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        a.get("/xapi/commands?name=c&version=2").json()[0]["image"],
        "i/c:2"
    );
    assert_eq!(a.get("/xapi/commands?image=i/d:1").json()[0]["name"], "d");
    let r = a.get("/xapi/commands?version=1").expect(400);
    assert_eq!(
        r.body,
        "Bad request:\nIf \"version\" is specified, must specify \"name\" as well."
    );
    assert_eq!(
        a.get("/xapi/commands?restrictToEnabledForSite=true").json(),
        json!([])
    );
    let w = wid(&a.get(&format!("/xapi/commands/{c1}")).json(), "session-w");
    a.put_empty(&format!("/xapi/wrappers/{w}/enabled"))
        .expect(200);
    let only = a.get("/xapi/commands?restrictToEnabledForSite=true").json();
    assert_eq!(only.as_array().map(Vec::len), Some(1));
    assert_eq!(only[0]["id"], c1);
    // Deletes: 204 even when unknown.
    a.delete("/xapi/wrappers/987654").expect(204);
    a.delete(&format!("/xapi/wrappers/{w}")).expect(204);
    assert_eq!(
        wrapper_ids(&a.get(&format!("/xapi/commands/{c1}")).json()).len(),
        1
    );
    a.delete(&format!("/xapi/commands/{c1}")).expect(204);
    a.delete(&format!("/xapi/commands/{c1}")).expect(204);
    a.get(&format!("/xapi/commands/{c1}")).expect(404);
    As::new(&sim, "mike", "pw")
        .delete("/xapi/commands/1")
        .expect(401);
}

#[test]
fn wrapper_add_and_update_endpoints() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    let mut w = command("x", "i:1", "1")["xnat"][0].clone();
    w["name"] = json!("third");
    let r = a
        .post(&format!("/xapi/commands/{id}/wrappers"), &w)
        .expect(201);
    let third: i64 = r.body.parse().expect("id");
    assert_eq!(
        wid(&a.get(&format!("/xapi/commands/{id}")).json(), "third"),
        third
    );
    a.post("/xapi/commands/99999/wrappers", &w).expect(404);
    // Update by id: full replacement, id kept.
    w["label"] = json!("Third");
    a.post(&format!("/xapi/commands/{id}/wrappers/{third}"), &w)
        .expect(200);
    let c = a.get(&format!("/xapi/commands/{id}")).json();
    assert_eq!(c["xnat"][2]["label"], "Third");
    assert_eq!(c["xnat"][2]["id"], third);
    a.post(&format!("/xapi/commands/{id}/wrappers/99999"), &w)
        .expect(404);
    // An invalid added wrapper answers 400 but stays (validated after the write).
    let mut bad = w.clone();
    bad["name"] = json!("bad");
    bad["output-handlers"] = json!([]);
    let r = a
        .post(&format!("/xapi/commands/{id}/wrappers"), &bad)
        .expect(400);
    assert!(
        r.body.contains("is not handled by any output handler"),
        "{}",
        r.body
    );
    assert_eq!(
        wrapper_ids(&a.get(&format!("/xapi/commands/{id}")).json()).len(),
        4
    );
    As::new(&sim, "root", "root")
        .post(&format!("/xapi/commands/{id}/wrappers"), &w)
        .expect(401);
}

#[test]
fn visibility_endpoint_and_private_command_filtering() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    a.post_empty(&format!("/xapi/command/{id}/visibility/private"))
        .expect(200);
    assert_eq!(
        a.get(&format!("/xapi/commands/{id}")).json()["visibility"],
        "private"
    );
    let r = a
        .post_empty(&format!("/xapi/command/{id}/visibility/secret"))
        .expect(400);
    assert!(
        r.body.starts_with('[') && r.body.contains("visibility"),
        "{}",
        r.body
    );
    a.post_empty("/xapi/command/99999/visibility/public")
        .expect(400);
    As::new(&sim, "mike", "pw")
        .post_empty(&format!("/xapi/command/{id}/visibility/public"))
        .expect(403);
    // Non-managers do not see a private command until a wrapper is enabled in a project they read.
    let mike = As::new(&sim, "mike", "pw");
    assert_eq!(mike.get("/xapi/commands").json(), json!([]));
    let r = mike.get(&format!("/xapi/commands/{id}")).expect(200);
    assert_eq!(r.body, "", "hidden command: 200 with an empty body");
    let w = wid(&a.get(&format!("/xapi/commands/{id}")).json(), "session-w");
    a.put_empty(&format!("/xapi/projects/P2/wrappers/{w}/enabled"))
        .expect(200);
    assert_eq!(
        mike.get("/xapi/commands").json(),
        json!([]),
        "P2 is not readable by mike"
    );
    a.put_empty(&format!("/xapi/projects/P1/wrappers/{w}/enabled"))
        .expect(200);
    assert_eq!(mike.get("/xapi/commands").json()[0]["id"], id);
}

#[test]
fn older_cs_versions_drop_visibility_and_metadata_and_gate_on_admin() {
    let sim = Sim::start(
        SimConfig::default()
            .cs_version("3.6.1")
            .user(SimUser::admin("root", "root")),
    );
    let root = As::new(&sim, "root", "root");
    let mut body = command("c", "i/c:1", "1");
    body["visibility"] = json!("private");
    body["command-metadata"] = json!({"authors": ["x"]});
    let id = create(&root, &body);
    let c = root.get(&format!("/xapi/commands/{id}")).json();
    assert!(
        c.get("visibility").is_none() && c.get("command-metadata").is_none(),
        "{c}"
    );
    root.post_empty(&format!("/xapi/command/{id}/visibility/public"))
        .expect(404);
    assert_eq!(
        root.get("/xapi/plugins").json()["containers"]["version"],
        "3.6.1"
    );
}

// ---- site and project configuration (CS §5, §6) ------------------------------------------------------

#[test]
fn site_config_post_enables_and_stores_only_persisted_fields() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    let w = wid(&a.get(&format!("/xapi/commands/{id}")).json(), "session-w");
    assert_eq!(
        a.get(&format!("/xapi/wrappers/{w}/enabled")).json(),
        json!(false)
    );
    let conf = json!({
        "inputs": {"session": {"default-value": "S1", "description": "ignored", "type": "ignored",
                                "required": false, "advanced": true},
                   "FLAG": {"matcher": "m", "user-settable": false}},
        "outputs": {"h": {"label": "NEW", "type": "ignored"}}
    });
    a.post(&format!("/xapi/wrappers/{w}/config"), &conf)
        .expect(201);
    assert_eq!(
        a.get(&format!("/xapi/wrappers/{w}/enabled")).json(),
        json!(true)
    );
    let stored = sim.stored_wrapper_config(w, None).expect("stored");
    assert_eq!(stored.enabled, Some(true));
    let stored_json = serde_json::to_value(&stored).expect("json");
    assert_eq!(
        stored_json["inputs"]["session"],
        json!({"default-value": "S1", "matcher": null, "user-settable": null, "advanced": true})
    );
    // Materialized view: definition overlaid with the stored overrides.
    let view = a
        .get(&format!("/xapi/wrappers/{w}/config"))
        .expect(200)
        .json();
    assert_eq!(view["inputs"]["session"]["default-value"], "S1");
    assert_eq!(view["inputs"]["session"]["type"], "Session");
    assert_eq!(view["inputs"]["session"]["description"], Value::Null);
    assert_eq!(view["inputs"]["FLAG"]["default-value"], "-v");
    assert_eq!(view["inputs"]["FLAG"]["matcher"], "m");
    assert_eq!(view["inputs"]["FLAG"]["user-settable"], false);
    assert_eq!(
        view["outputs"]["h"],
        json!({"type": "Resource", "label": "NEW"})
    );
    // The same entry, through XNAT core's config service.
    let row = a
        .get(&format!(
            "/data/config/container-service/wrapper-{w}?format=json"
        ))
        .expect(200)
        .json();
    assert!(
        row["ResultSet"]["Result"][0]["contents"]
            .as_str()
            .is_some_and(|c| c.contains("\"S1\""))
    );
    // enable=false never disables; disabled only by PUT …/disabled.
    a.put_empty(&format!("/xapi/wrappers/{w}/disabled"))
        .expect(200);
    a.post(&format!("/xapi/wrappers/{w}/config?enable=false"), &conf)
        .expect(201);
    assert_eq!(
        a.get(&format!("/xapi/wrappers/{w}/enabled")).json(),
        json!(false)
    );
    a.put_empty(&format!("/xapi/wrappers/{w}/enabled"))
        .expect(200);
    a.post(
        &format!("/xapi/wrappers/{w}/config?enable=false"),
        &json!({}),
    )
    .expect(201);
    assert!(sim.site_enabled(w));
    // DELETE config drops overrides, keeps the flag.
    a.post(&format!("/xapi/wrappers/{w}/config"), &conf)
        .expect(201);
    a.delete(&format!("/xapi/wrappers/{w}/config")).expect(204);
    assert!(sim.site_enabled(w));
    assert_eq!(
        a.get(&format!("/xapi/wrappers/{w}/config")).json()["inputs"]["session"]["default-value"],
        Value::Null
    );
}

#[test]
fn wrapper_id_forms_do_not_check_existence_but_name_forms_do() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    let w = wid(&a.get(&format!("/xapi/commands/{id}")).json(), "scan-w");
    a.post("/xapi/wrappers/777777/config", &json!({}))
        .expect(201);
    a.put_empty("/xapi/wrappers/777778/enabled").expect(200);
    assert_eq!(
        a.get("/xapi/wrappers/777779/enabled").expect(200).json(),
        json!(false)
    );
    assert_eq!(a.get("/xapi/wrappers/777777/enabled").json(), json!(true));
    let r = a.get("/xapi/wrappers/777777/config").expect(404);
    assert_eq!(r.body, "No command with wrapper with id 777777");
    let r = a
        .get(&format!("/xapi/commands/{id}/wrappers/nope/config"))
        .expect(404);
    assert_eq!(r.body, format!("Command {id} has no wrapper nope"));
    let r = a
        .put_empty("/xapi/commands/99999/wrappers/scan-w/enabled")
        .expect(404);
    assert_eq!(r.body, "No command with id 99999");
    // By name, and by a numeric "name" that is the wrapper id.
    a.put_empty(&format!("/xapi/commands/{id}/wrappers/scan-w/enabled"))
        .expect(200);
    assert_eq!(
        a.get(&format!("/xapi/commands/{id}/wrappers/{w}/enabled"))
            .json(),
        json!(true)
    );
    // Site forms are CM-only with 403.
    let root = As::new(&sim, "root", "root");
    root.get(&format!("/xapi/wrappers/{w}/enabled")).expect(403);
    root.post(&format!("/xapi/wrappers/{w}/config"), &json!({}))
        .expect(403);
    root.get(&format!("/xapi/wrappers/{w}/projects"))
        .expect(403);
}

#[test]
fn project_enablement_is_anded_with_site_and_listed_per_wrapper() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    let w = wid(&a.get(&format!("/xapi/commands/{id}")).json(), "session-w");
    let olivia = As::new(&sim, "olivia", "pw");
    olivia
        .post(
            &format!("/xapi/projects/P1/wrappers/{w}/config"),
            &json!({"inputs": {"session": {"default-value": "P"}}}),
        )
        .expect(201);
    let report = olivia
        .get(&format!("/xapi/projects/P1/wrappers/{w}/enabled"))
        .expect(200)
        .json();
    assert_eq!(
        report,
        json!({"enabled-for-site": false, "enabled-for-project": false, "project": "P1"})
    );
    // The list reads the project's own flag, not ANDed with the site.
    assert_eq!(
        a.get(&format!("/xapi/wrappers/{w}/projects"))
            .expect(200)
            .json(),
        json!(["P1"])
    );
    a.put_empty(&format!("/xapi/wrappers/{w}/enabled"))
        .expect(200);
    let report = olivia
        .get(&format!(
            "/xapi/projects/P1/commands/{id}/wrappers/session-w/enabled"
        ))
        .json();
    assert_eq!(report["enabled-for-project"], true);
    // Project view: site overrides, then project ones on top.
    a.post(
        &format!("/xapi/wrappers/{w}/config"),
        &json!({"inputs": {"session": {"default-value": "S", "matcher": "sm"}}}),
    )
    .expect(201);
    let view = As::new(&sim, "mike", "pw")
        .get(&format!("/xapi/projects/P1/wrappers/{w}/config"))
        .expect(200)
        .json();
    assert_eq!(view["inputs"]["session"]["default-value"], "P");
    assert_eq!(view["inputs"]["session"]["matcher"], "sm");
    // Roles: members read (Edit) but may not write; outsiders get 401 in-method / 403 aspect.
    let mike = As::new(&sim, "mike", "pw");
    mike.put_empty(&format!("/xapi/projects/P1/wrappers/{w}/disabled"))
        .expect(401);
    mike.post(
        &format!("/xapi/projects/P1/wrappers/{w}/config"),
        &json!({}),
    )
    .expect(403);
    let cora = As::new(&sim, "cora", "pw");
    cora.get(&format!("/xapi/projects/P1/wrappers/{w}/config"))
        .expect(403);
    let r = cora
        .get(&format!("/xapi/projects/P1/wrappers/{w}/enabled"))
        .expect(401);
    assert_eq!(r.body, "User cora does not have Edit access.");
    olivia
        .put_empty(&format!("/xapi/projects/P1/wrappers/{w}/disabled"))
        .expect(200);
    assert!(!sim.project_enabled("P1", w));
    assert_eq!(
        a.get(&format!("/xapi/wrappers/{w}/projects")).json(),
        json!([])
    );
}

#[test]
fn project_config_with_enable_false_stores_the_anded_flag() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    let w = wid(&a.get(&format!("/xapi/commands/{id}")).json(), "session-w");
    a.put_empty(&format!("/xapi/projects/P1/wrappers/{w}/enabled"))
        .expect(200);
    assert_eq!(
        sim.stored_wrapper_config(w, Some("P1"))
            .and_then(|c| c.enabled),
        Some(true)
    );
    // Site disabled: `enable=false` keeps isEnabledForProject, which is false.
    a.post(
        &format!("/xapi/projects/P1/wrappers/{w}/config?enable=false"),
        &json!({}),
    )
    .expect(201);
    assert_eq!(
        sim.stored_wrapper_config(w, Some("P1"))
            .and_then(|c| c.enabled),
        Some(false)
    );
}

// ---- XNAT core config service (xnat-core-api.md §2) ------------------------------------------------

#[test]
fn config_service_put_get_delete_semantics() {
    let sim = fixture();
    let root = As::new(&sim, "root", "root");
    let path = "/data/config/xcs/managed/state";
    root.put_text(path, "v1").expect(201);
    root.put_text(path, "v1").expect(200);
    let row =
        &root.get(&format!("{path}?format=json")).expect(200).json()["ResultSet"]["Result"][0];
    assert_eq!(row["version"], "1", "unchanged contents: no new version");
    assert_eq!(row["status"], "enabled");
    root.put_text(path, "v2").expect(200);
    assert_eq!(
        root.get(&format!("{path}?contents=true")).expect(200).body,
        "v2"
    );
    // A JSON body is a wrapper of strings; the document itself is the `contents` string.
    root.put(path, &json!({"contents": "{\"a\":1}"}))
        .expect(200);
    assert_eq!(root.get(&format!("{path}?contents=true")).body, "{\"a\":1}");
    root.put(path, &json!({"contents": {"a": 1}})).expect(500);
    root.send(
        root.http
            .put(root.url(&format!("{path}?inbody=true")))
            .header(CONTENT_TYPE, "application/json")
            .body("{\"raw\":true}"),
    )
    .expect(200);
    assert_eq!(
        root.get(&format!("{path}?contents=true")).body,
        "{\"raw\":true}"
    );
    let history = root.get(&format!("{path}?action=getHistory")).json();
    assert_eq!(
        history["ResultSet"]["Result"].as_array().map(Vec::len),
        Some(4)
    );
    // Anyone reads site config; only admins write it.
    let mike = As::new(&sim, "mike", "pw");
    assert_eq!(
        mike.get(&format!("{path}?contents=true")).expect(200).body,
        "{\"raw\":true}"
    );
    mike.put_text(path, "x").expect(403);
    // DELETE disables; disabled counts as absent for contents.
    root.delete(path).expect(200);
    let row = &root.get(path).expect(200).json()["ResultSet"]["Result"][0];
    assert_eq!(row["status"], "disabled");
    root.get(&format!("{path}?contents=true")).expect(404);
    root.get(&format!("{path}?contents=true&accept-not-found=true"))
        .expect(204);
    root.put_text(path, "v3").expect(200);
    root.get("/data/config/xcs/absent").expect(404);
    root.delete("/data/config/xcs/absent").expect(500);
    root.send(root.http.put(root.url(path))).expect(400);
    root.put_text(path, "   ").expect(500);
    // Project scope: the project must exist for reads; owners write.
    As::new(&sim, "olivia", "pw")
        .put_text("/data/projects/P1/config/xcs/p", "x")
        .expect(201);
    mike.put_text("/data/projects/P1/config/xcs/p", "y")
        .expect(403);
    mike.get("/data/projects/P1/config/xcs/p?contents=true")
        .expect(200);
    root.get("/data/projects/NOPE/config/xcs/p").expect(404);
    let tools = root.get("/data/config").json();
    assert!(
        tools["ResultSet"]["Result"]
            .as_array()
            .is_some_and(|r| r.contains(&json!({"tool": "xcs"})))
    );
}

// ---- compute backend, hubs, images (CS §1–§3) ----------------------------------------------------------

#[test]
fn server_post_creates_a_new_row_with_false_defaults() {
    let sim = fixture();
    let a = admin(&sim);
    let r = a.get("/xapi/docker/server").expect(404);
    assert_eq!(r.body, "No container server defined.");
    a.get("/xapi/docker/server/ping").expect(424);
    let first = a
        .post(
            "/xapi/docker/server",
            &json!({"host": "unix:///var/run/docker.sock"}),
        )
        .expect(201)
        .json();
    assert_eq!(
        first["name"], "unix:///var/run/docker.sock",
        "blank name → host"
    );
    assert_eq!(first["auto-cleanup"], false);
    assert_eq!(first["status-email-enabled"], false);
    assert_eq!(first["pull-images-on-xnat-init"], false);
    assert_eq!(first["backend"], "docker");
    assert_eq!(first["swarm-mode"], false);
    assert_eq!(first["ping"], true);
    let second = a
        .post(
            "/xapi/docker/server",
            &json!({"name": "s", "host": "tcp://h:2376", "swarm-mode": true, "auto-cleanup": true}),
        )
        .expect(201)
        .json();
    assert_ne!(first["id"], second["id"]);
    assert_eq!(second["backend"], "swarm");
    let current = a.get("/xapi/docker/server").expect(200).json();
    assert_eq!(current["id"], second["id"]);
    assert_eq!(current["auto-cleanup"], true);
    assert_eq!(a.get("/xapi/docker/server/ping").expect(200).body, "OK");
    let r = a
        .post(
            "/xapi/docker/server",
            &json!({"backend": "kubernetes", "container-user": "bob", "gpu-vendor": "intel"}),
        )
        .expect(400);
    assert_eq!(
        r.body,
        "If set, container user must be a string with integer value with kubernetes backend\nThe value of the GPU Vendor can only be nvidia or amd"
    );
    let r = a
        .post("/xapi/docker/server", &json!({"backend": "docker"}))
        .expect(400);
    assert_eq!(r.body, "Host cannot be empty for docker server setting");
    a.post(
        "/xapi/docker/server",
        &json!({"backend": "podman", "host": "x"}),
    )
    .expect(400);
    sim.set_docker_reachable(false);
    assert_eq!(a.get("/xapi/docker/server").json()["ping"], false);
}

#[test]
fn hub_credentials_are_write_only_and_defaults_live_apart() {
    let sim = fixture();
    let a = admin(&sim);
    let hubs = a.get("/xapi/docker/hubs").expect(200).json();
    assert_eq!(hubs[0]["name"], "Docker Hub");
    assert_eq!(hubs[0]["default"], true);
    let dh = hubs[0]["id"].as_i64().expect("id");
    let created = a
        .post("/xapi/docker/hubs?default=true", &json!({"name": "lab", "url": "https://reg.lab", "username": "u", "password": "canary-pw", "token": "tok"}))
        .expect(201)
        .json();
    assert!(
        created.get("password").is_none() && created.get("token").is_none(),
        "{created}"
    );
    assert!(!a.get("/xapi/docker/hubs").body.contains("canary-pw"));
    assert_eq!(created["default"], true);
    assert_eq!(created["status"]["ping"], true);
    let lab = created["id"].as_i64().expect("id");
    assert_eq!(
        sim.config_entry("container-service", "default-docker-hub-id", None)
            .map(|e| e.0),
        Some(lab.to_string())
    );
    // Unique name and url.
    a.post(
        "/xapi/docker/hubs",
        &json!({"name": "lab", "url": "https://other"}),
    )
    .expect(400);
    let r = a
        .post(
            "/xapi/docker/hubs",
            &json!({"name": "other", "url": "https://reg.lab"}),
        )
        .expect(400);
    assert_eq!(r.body, "Body was not a valid Docker Hub.");
    // Blank password with the same url and username keeps it; the token is overwritten.
    a.post(&format!("/xapi/docker/hubs/{lab}"), &json!({"id": lab, "name": "lab", "url": "https://reg.lab", "username": "u", "password": ""}))
        .expect(200);
    assert_eq!(
        sim.hub_credentials("lab"),
        Some((Some("canary-pw".into()), None))
    );
    a.post(
        &format!("/xapi/docker/hubs/{lab}"),
        &json!({"id": lab, "name": "lab", "url": "https://reg.lab", "username": "v"}),
    )
    .expect(200);
    assert_eq!(
        sim.hub_credentials("lab"),
        Some((None, None)),
        "new username: the blank password is stored"
    );
    // Default: delete refused with 409; no body = make default.
    let r = a.delete(&format!("/xapi/docker/hubs/{lab}")).expect(409);
    assert_eq!(
        r.body,
        "Cannot delete default docker hub. Make another hub default first."
    );
    a.post_empty(&format!("/xapi/docker/hubs/{dh}")).expect(200);
    assert_eq!(
        a.get("/xapi/docker/hubs/lab").expect(200).json()["default"],
        false
    );
    a.delete("/xapi/docker/hubs/lab").expect(204);
    a.get(&format!("/xapi/docker/hubs/{lab}")).expect(404);
    As::new(&sim, "root", "root")
        .delete(&format!("/xapi/docker/hubs/{dh}"))
        .expect(403);
}

#[test]
fn images_list_placeholders_delete_commands_and_import_labels() {
    let label = json!([
        command("from-label", "ignored", "1"),
        command("from-label", "ignored", "1"),
        "not a command",
        {"version": "1"},
        {"name": "invalid", "version": "1", "outputs": [{"name": "o", "mount": "none"}]}
    ]);
    let sim = Sim::start(
        SimConfig::default()
            .image(SimImage::new("lab/tool:1.0").commands_label(&label.to_string())),
    );
    let a = admin(&sim);
    a.get("/xapi/docker/images").expect(424);
    a.post(
        "/xapi/docker/server",
        &json!({"host": "unix:///var/run/docker.sock"}),
    )
    .expect(201);
    create(&a, &command("other", "lab/absent:2", "1"));
    let images = a.get("/xapi/docker/images").expect(200).json();
    assert_eq!(images.as_array().map(Vec::len), Some(2));
    assert_eq!(images[1]["tags"], json!(["lab/absent:2"]));
    assert!(images[1].get("image-id").is_none());
    assert_eq!(
        a.get("/xapi/docker/images?installed=true")
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Import: one command created; the duplicate and the invalid ones skipped silently.
    let saved = a
        .post_empty("/xapi/docker/images/save?image=lab/tool:1.0")
        .expect(200)
        .json();
    assert_eq!(saved.as_array().map(Vec::len), Some(1));
    assert_eq!(saved[0]["image"], "lab/tool:1.0");
    assert!(
        saved[0]["hash"]
            .as_str()
            .is_some_and(|h| h.starts_with("sha256:"))
    );
    assert_eq!(
        a.post_empty("/xapi/docker/images/save?image=lab/tool:1.0")
            .json(),
        json!([])
    );
    // Deleting the image deletes its commands.
    let before = sim.command_ids().len();
    let image_id = images[0]["image-id"]
        .as_str()
        .expect("image id")
        .to_string();
    a.delete(&format!("/xapi/docker/images/{image_id}"))
        .expect(204);
    assert_eq!(sim.command_ids().len(), before - 1);
    let r = a
        .delete(&format!("/xapi/docker/images/{image_id}"))
        .expect(500);
    assert!(r.body.starts_with("The Docker server returned an error:\n"));
    a.get("/xapi/docker/images/save").expect(400);
}

// ---- event service (CS §7b, core §6) ----------------------------------------------------------------------

fn subscription(action: &str, projects: Option<Vec<&str>>) -> Value {
    let mut filter =
        json!({"event-type": "org.nrg.xnat.eventservice.events.SessionEvent", "status": "CREATED"});
    if let Some(p) = projects {
        filter["project-ids"] = json!(p);
    }
    json!({"name": "auto", "active": true, "action-key": action, "attributes": {"FLAG": "-x"},
           "event-filter": filter, "act-as-event-user": false})
}

#[test]
fn subscriptions_need_the_event_service_and_an_enabled_wrapper() {
    let sim = fixture();
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    let w = wid(&a.get(&format!("/xapi/commands/{id}")).json(), "session-w");
    let key = format!("org.nrg.containers.services.CommandActionProvider:{w}");
    assert_eq!(
        a.get("/xapi/events/prefs").expect(200).json(),
        json!({"enabled": false})
    );
    let r = a
        .post("/xapi/events/subscription", &subscription(&key, None))
        .expect(405);
    assert_eq!(r.body, "Event Service disabled.");
    a.get("/xapi/events/subscriptions").expect(200);
    As::new(&sim, "mike", "pw")
        .put("/xapi/events/prefs", &json!({"enabled": true}))
        .expect(403);
    a.put("/xapi/events/prefs", &json!({"enabled": true}))
        .expect(200);
    assert!(sim.event_service_enabled());
    // Wrapper not enabled at site → 424.
    let r = a
        .post("/xapi/events/subscription", &subscription(&key, None))
        .expect(424);
    assert_eq!(
        r.body,
        format!("Subscription format failed to validate.\nCould not validate Action: {key}\n{key}")
    );
    a.put_empty(&format!("/xapi/wrappers/{w}/enabled"))
        .expect(200);
    let r = a
        .post("/xapi/events/subscription", &subscription(&key, None))
        .expect(201);
    let (name, sid) = r.body.split_once(':').expect("name:id");
    assert_eq!(name, "auto");
    let got = a
        .get(&format!("/xapi/events/subscription/{sid}"))
        .expect(200)
        .json();
    assert_eq!(got["action-key"], key);
    assert_eq!(got["subscription-owner"], "admin");
    assert_eq!(got["valid"], true);
    assert!(got["created"].as_u64().is_some());
    assert_eq!(got["event-filter"]["status"], "CREATED");
    // Non-admin: 403; unknown provider and event type: 424.
    As::new(&sim, "root", "root")
        .get("/xapi/events/subscriptions")
        .expect(200);
    As::new(&sim, "mike", "pw")
        .get("/xapi/events/subscriptions")
        .expect(403);
    // A taken name: 500 from `throwExceptionIfNameExists`, checked before validation.
    let r = a
        .post("/xapi/events/subscription", &subscription(&key, None))
        .expect(500);
    assert_eq!(r.body, "Subscription with the name :auto exists.");
    let mut other = subscription("other.Provider:1", None);
    other["name"] = json!("auto-2");
    a.post("/xapi/events/subscription", &other).expect(424);
    let mut bad_event = subscription(&key, None);
    bad_event["name"] = json!("auto-3");
    bad_event["event-filter"]["event-type"] = json!("SessionEvent");
    let r = a.post("/xapi/events/subscription", &bad_event).expect(424);
    assert_eq!(
        r.body,
        "Subscription format failed to validate.\nSessionEvent"
    );
    // Update, deactivate, validity after the wrapper is disabled, delete.
    a.put(
        &format!("/xapi/events/subscription/{sid}"),
        &json!({"name": "renamed"}),
    )
    .expect(200);
    a.post_empty(&format!("/xapi/events/subscription/{sid}/deactivate"))
        .expect(200);
    let got = a.get(&format!("/xapi/events/subscription/{sid}")).json();
    assert_eq!(
        (got["name"].as_str(), got["active"].as_bool()),
        (Some("renamed"), Some(false))
    );
    a.put_empty(&format!("/xapi/wrappers/{w}/disabled"))
        .expect(200);
    let list = a.get("/xapi/events/subscriptions").json();
    assert_eq!(list[0]["valid"], false);
    a.delete(&format!("/xapi/events/subscription/{sid}"))
        .expect(204);
    a.get(&format!("/xapi/events/subscription/{sid}"))
        .expect(404);
}

#[test]
fn project_subscriptions_are_for_owners_of_that_project() {
    let sim = Sim::start(
        SimConfig::default()
            .event_service(true)
            .user(SimUser::new("olivia", "pw"))
            .user(SimUser::new("mike", "pw"))
            .project(SimProject::new("P1").owner("olivia").member("mike"))
            .project(SimProject::new("P2")),
    );
    let a = admin(&sim);
    let id = create(&a, &command("c", "i/c:1", "1"));
    let w = wid(&a.get(&format!("/xapi/commands/{id}")).json(), "session-w");
    let key = format!("org.nrg.containers.services.CommandActionProvider:{w}");
    a.put_empty(&format!("/xapi/wrappers/{w}/enabled"))
        .expect(200);
    let olivia = As::new(&sim, "olivia", "pw");
    // Enabled at site but not in the project → 424.
    olivia
        .post(
            "/xapi/projects/P1/events/subscription",
            &subscription(&key, Some(vec!["P1"])),
        )
        .expect(424);
    olivia
        .put_empty(&format!("/xapi/projects/P1/wrappers/{w}/enabled"))
        .expect(200);
    let r = olivia
        .post(
            "/xapi/projects/P1/events/subscription",
            &subscription(&key, Some(vec!["P1"])),
        )
        .expect(201);
    let sid = r
        .body
        .split_once(':')
        .map(|(_, id)| id.to_string())
        .expect("id");
    let r = olivia
        .post(
            "/xapi/projects/P1/events/subscription",
            &subscription(&key, Some(vec!["P2"])),
        )
        .expect(401);
    assert_eq!(
        r.body,
        "Unauthorized.\nolivia not authorized to modify subscriptions for project(s): P2"
    );
    As::new(&sim, "mike", "pw")
        .post(
            "/xapi/projects/P1/events/subscription",
            &subscription(&key, Some(vec!["P1"])),
        )
        .expect(403);
    let list = olivia
        .get("/xapi/projects/P1/events/subscriptions")
        .expect(200)
        .json();
    assert_eq!(list[0]["editable"], true);
    assert_eq!(list[0]["act-as-event-user"], false);
    olivia
        .post_empty(&format!(
            "/xapi/projects/P1/events/subscription/{sid}/deactivate"
        ))
        .expect(200);
    olivia
        .delete(&format!("/xapi/projects/P1/events/subscription/{sid}"))
        .expect(204);
}

// ---- core probes and projects -----------------------------------------------------------------------------

#[test]
fn projects_plugins_and_versions() {
    let sim = fixture();
    let mike = As::new(&sim, "mike", "pw");
    let list = mike.get("/data/projects?format=json").expect(200).json();
    assert_eq!(list["ResultSet"]["totalRecords"], "1");
    assert_eq!(list["ResultSet"]["Result"][0]["ID"], "P1");
    assert_eq!(list["ResultSet"]["Result"][0]["URI"], "/data/projects/P1");
    assert_eq!(
        admin(&sim).get("/data/projects?format=json").json()["ResultSet"]["totalRecords"],
        "2"
    );
    assert_eq!(
        As::new(&sim, "olivia", "pw")
            .get("/data/projects?restrict=delete")
            .json()["ResultSet"]["totalRecords"],
        "1"
    );
    assert_eq!(
        mike.get("/data/projects?restrict=delete").json()["ResultSet"]["totalRecords"],
        "0"
    );
    let r = mike.get("/data/projects/P2").expect(404);
    assert_eq!(r.body, "Unable to find the specified experiment.");
    assert_eq!(
        mike.get("/REST/projects/P1/accessibility").expect(200).body,
        "private"
    );
    assert_eq!(
        mike.get("/xapi/plugins").expect(200).json()["containers"]["version"],
        "3.7.3"
    );
    mike.get("/xapi/plugins/nope").expect(404);
    assert_eq!(
        mike.get("/xapi/containers/version").expect(200).json()["compatible"],
        true
    );
}

// ---- faults and counters ----------------------------------------------------------------------------------

#[test]
fn counters_track_routes_writes_and_concurrency() {
    let sim = fixture();
    let a = admin(&sim);
    a.get("/xapi/commands");
    a.get("/xapi/commands/5");
    a.get("/xapi/commands/6");
    a.put_empty("/xapi/wrappers/9/enabled");
    let c = sim.counters();
    assert_eq!(c.total, 4);
    assert_eq!(c.writes, 1);
    assert_eq!(c.get("GET", "/xapi/commands/{command}"), 2);
    assert_eq!(c.get("PUT", "/xapi/wrappers/{wrapper}/enabled"), 1);
    sim.reset_counters();
    sim.set_faults(Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    });
    let url = sim.url();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                client()
                    .get(format!("{url}/xapi/users/username"))
                    .basic_auth("admin", Some("admin"))
                    .send()
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread").expect("request"), 200);
    }
    let c = sim.counters();
    assert!(c.max_in_flight >= 2, "{c:?}");
    assert_eq!(c.total, 4);
}

#[test]
fn faults_errors_drops_latency_and_determinism() {
    let sim = fixture();
    let a = admin(&sim);
    sim.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let r = a.get("/xapi/users/username").expect(500);
    assert!(r.body.contains("Simulated failure"));
    sim.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    assert!(
        a.http
            .get(a.url("/xapi/users/username"))
            .basic_auth("admin", Some("admin"))
            .send()
            .is_err()
    );
    // After the handler: the write happens, the client never hears of it.
    sim.set_faults(Faults {
        error_rate: 1.0,
        after_handler_share: 1.0,
        ..Faults::default()
    });
    a.post("/xapi/commands", &command("c", "i/c:1", "1"))
        .expect(500);
    assert_eq!(sim.command_ids().len(), 1);
    sim.set_faults(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    });
    let start = Instant::now();
    a.get("/xapi/users/username").expect(200);
    assert!(start.elapsed() >= Duration::from_millis(150));
    // Same seed, same sequence.
    let run = |seed| {
        let sim = fixture();
        sim.set_faults(Faults {
            seed,
            error_rate: 0.5,
            ..Faults::default()
        });
        let a = admin(&sim);
        (0..20)
            .map(|_| a.get("/xapi/users/username").status)
            .collect::<Vec<_>>()
    };
    let first = run(42);
    assert_eq!(first, run(42));
    assert!(first.contains(&500) && first.contains(&200), "{first:?}");
    sim.set_faults(Faults::none());
    a.get("/xapi/users/username").expect(200);
}

#[test]
fn faults_hangs_and_slow_bodies() {
    let sim = fixture();
    sim.set_faults(Faults {
        hang_rate: 1.0,
        hang_for: Duration::from_secs(5),
        ..Faults::default()
    });
    let quick = Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let err = quick
        .get(format!("{}/xapi/users/username", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .expect_err("hangs past the timeout");
    assert!(err.is_timeout(), "{err}");
    sim.set_faults(Faults {
        slow_rate: 1.0,
        slow_chunk_delay: Duration::from_millis(40),
        ..Faults::default()
    });
    let a = admin(&sim);
    let start = Instant::now();
    let r = a.get("/xapi/containers/version").expect(200);
    assert!(r.json()["compatible"].as_bool().is_some());
    let chunks = r.body.len().div_ceil(16) as u32;
    assert!(
        start.elapsed() >= Duration::from_millis(40) * chunks,
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn snapshot_holds_the_whole_state_without_secrets() {
    let sim = fixture();
    let a = admin(&sim);
    create(&a, &command("c", "i/c:1", "1"));
    a.post(
        "/xapi/docker/hubs",
        &json!({"name": "lab", "url": "https://reg.lab", "password": "canary"}),
    )
    .expect(201);
    let snap = sim.snapshot();
    assert_eq!(snap["commands"][0]["name"], "c");
    assert_eq!(snap["hubs"][1]["password"], "<set>");
    assert!(!snap.to_string().contains("canary"));
    assert!(sim.wrapper_id("c", "scan-w").is_some());
    assert_eq!(snap["cs-version"], "3.7.3");
}

#[test]
fn state_can_be_seeded_without_http() {
    let sim = fixture();
    let id = sim.seed_command(command("c", "i/c", "1")).expect("seeded");
    assert_eq!(sim.seed_command(command("c", "i/c:latest", "1")), Err(400));
    let w = sim.wrapper_id("c", "session-w").expect("wrapper");
    sim.set_site_enabled(w, true);
    sim.set_project_enabled("P1", w, true);
    assert_eq!(sim.counters().total, 0);
    let a = admin(&sim);
    assert_eq!(
        a.get(&format!("/xapi/commands/{id}")).json()["image"],
        "i/c:latest"
    );
    let report = a
        .get(&format!("/xapi/projects/P1/wrappers/{w}/enabled"))
        .json();
    assert_eq!(report["enabled-for-project"], true);
}

#[test]
fn fault_decisions_are_deterministic_and_follow_rates() {
    use crate::support::xnat_sim::{FaultKind, Faults};
    let f = Faults {
        seed: 7,
        error_rate: 0.2,
        ..Faults::default()
    };
    let a: Vec<_> = (0..1000).map(|n| f.decide(n)).collect();
    let b: Vec<_> = (0..1000).map(|n| f.decide(n)).collect();
    assert_eq!(a, b);
    let errors = a.iter().filter(|d| d.kind == FaultKind::Error).count();
    assert!((150..250).contains(&errors), "{errors}");
}

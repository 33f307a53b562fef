//! `from:` command sources against real parts: Debian's `docker-registry` with htpasswd auth,
//! a bearer-token front of our own that counts requests, images on the local Docker engine,
//! documents over HTTP; and `xcs.lock` fresh, stale and missing.

use crate::support::registry::{DockerRegistry, Front, LocalImage};
use crate::support::{Xcs, corpus_dir};
use serde_json::{Value, json};

pub const CANARY: &str = "CANARY-s3cr3t-labels-7731";

/// A small valid command, as a label holds it (no `image`: XNAT sets it on import).
pub fn command(name: &str) -> Value {
    json!({"name": name, "version": "1.0", "type": "docker", "command-line": "echo #X#",
        "inputs": [{"name": "x", "replacement-key": "#X#", "type": "string"}],
        "xnat": [{"name": format!("{name}-session"), "contexts": ["xnat:imageSessionData"],
            "external-inputs": [{"name": "session", "type": "Session"}]}]})
}

pub fn label(names: &[&str]) -> String {
    Value::Array(names.iter().map(|n| command(n)).collect()).to_string()
}

pub fn labels(text: &str) -> Value {
    json!({"org.nrg.commands": text})
}

pub fn registry_doc(host: &str, user: &str) -> String {
    format!(
        "kind: Registry\nname: lab\nurl: http://{host}\nusername: {user}\npassword: ${{env:XCS_TEST_REG_PASS}}\n"
    )
}

pub fn source(image: &str) -> String {
    format!("from: image-labels\nimage: {image}\n")
}

fn diagnostics(run: &Value) -> Vec<Value> {
    run["diagnostics"].as_array().cloned().unwrap_or_default()
}

pub fn with_code(run: &Value, code: &str) -> Vec<Value> {
    diagnostics(run)
        .into_iter()
        .filter(|d| d["code"] == code)
        .collect()
}

pub fn no_canary(outputs: &[&str]) {
    for o in outputs {
        assert!(!o.contains(CANARY), "the secret leaked:\n{o}");
    }
}

pub fn lock_json(x: &Xcs) -> Value {
    lock_at(&x.root().join("xcs.lock"))
}

/// The lock file at `path`, parsed; it must not hold the canary.
pub fn lock_at(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).expect("xcs.lock written");
    assert!(!text.contains(CANARY), "the secret is in xcs.lock");
    serde_json::from_str(&text).expect("xcs.lock is JSON")
}

#[test]
fn corpus_label_resolves_from_the_registry_and_validates_offline() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("skipped: ../shared/corpus is not beside this checkout");
        return;
    };
    let text =
        std::fs::read_to_string(corpus.join("labels/nrg-docker-images__dcm2niix.label.json"))
            .expect("corpus label");
    let reg = DockerRegistry::start("tester", CANARY);
    let digest = reg.push_image("xcs-labels/dcm2niix", "1.5", labels(&text));
    let image = format!("{}/xcs-labels/dcm2niix:1.5", reg.host());
    let x = Xcs::new()
        .file("registries/lab.yaml", registry_doc(&reg.host(), "tester"))
        .file("commands/dcm2niix.yaml", source(&image))
        .file(
            "site.yaml",
            "kind: Site\nwrappers:\n  - command: dcm2niix\n    wrapper: dcm2niix-scan\n",
        )
        .env("XCS_TEST_REG_PASS", CANARY);
    // Before locking, validation says the source is missing from the lock, at its `image`.
    let before = x.exec(["validate", ".", "--format", "json"]).code(1);
    let missing = with_code(&before.json(), "XCS322");
    assert_eq!(missing.len(), 1, "{}", before.stdout);
    assert_eq!(
        (missing[0]["file"].as_str(), missing[0]["line"].as_u64()),
        (Some("commands/dcm2niix.yaml"), Some(2))
    );

    let locked = x.exec(["lock", ".", "--format", "json"]).code(0);
    let report = locked.json();
    assert_eq!(report["command"], "lock");
    assert_eq!(report["sources"][0]["status"], "added");
    assert_eq!(report["sources"][0]["digest"], digest.as_str());
    let lock = lock_json(&x);
    let entry = &lock["sources"][0];
    assert_eq!(entry["digest"], digest.as_str());
    assert_eq!(entry["registry"], reg.host().as_str());
    assert_eq!(entry["text"], text.as_str());
    assert!(
        entry["commands"]["dcm2niix"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );

    // The registry goes away: validation needs nothing but the lock.
    drop(reg);
    let v = x.exec(["validate", ".", "--format", "json"]).code(0);
    assert_eq!(v.json()["summary"]["errors"], 0, "{}", v.stdout);
    let again = x.exec(["lock", ".", "--check"]);
    assert_eq!(
        again.status, 1,
        "an unreachable registry fails the check:\n{}",
        again.stdout
    );
    no_canary(&[
        &before.stdout,
        &locked.stdout,
        &locked.stderr,
        &v.stdout,
        &again.stdout,
        &again.stderr,
    ]);
}

#[test]
fn wrong_or_absent_credentials_name_the_image_and_registry_never_the_secret() {
    let reg = DockerRegistry::start("tester", "right-password");
    reg.push_image("xcs-labels/tool", "1.0", labels(&label(&["tool"])));
    let image = format!("{}/xcs-labels/tool:1.0", reg.host());
    let x = Xcs::new()
        .file("registries/lab.yaml", registry_doc(&reg.host(), "tester"))
        .file("commands/tool.yaml", source(&image))
        .env("XCS_TEST_REG_PASS", CANARY);
    let run = x.exec(["lock", ".", "--format", "json"]).code(1);
    let json = run.json();
    let problem = &with_code(&json, "XCS320")[0];
    let message = problem["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("xcs-labels/tool:1.0") && message.contains(&reg.host()),
        "{message}"
    );
    assert!(message.contains("refused the credentials"), "{message}");
    assert!(
        problem["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("username and password")
    );
    assert_eq!(json["sources"][0]["status"], "failed");
    let text = x.exec(["lock", "."]).code(1);
    assert!(
        text.stdout.contains("commands/tool.yaml:2:"),
        "{}",
        text.stdout
    );
    no_canary(&[&run.stdout, &run.stderr, &text.stdout, &text.stderr]);
    assert!(
        !x.root().join("xcs.lock").exists()
            || !std::fs::read_to_string(x.root().join("xcs.lock"))
                .unwrap_or_default()
                .contains(CANARY)
    );

    let anonymous = Xcs::new().file("commands/tool.yaml", source(&image));
    let run = anonymous.exec(["lock", ".", "--format", "json"]).code(1);
    let message = with_code(&run.json(), "XCS320")[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("anonymous access"), "{message}");
}

#[test]
fn bearer_tokens_three_requests_per_image_and_none_for_a_fresh_lock() {
    let reg = DockerRegistry::start("tester", "backend-password");
    let front = Front::start(&reg, "bob", CANARY);
    let mut x = Xcs::new()
        .file("registries/lab.yaml", registry_doc(&front.host(), "bob"))
        .env("XCS_TEST_REG_PASS", CANARY);
    let n = 6;
    for i in 0..n {
        reg.push_image(
            &format!("xcs-labels/b{i}"),
            "2.0",
            labels(&label(&[&format!("b{i}")])),
        );
        x = x.file(
            &format!("commands/b{i}.yaml"),
            source(&format!("{}/xcs-labels/b{i}:2.0", front.host())),
        );
    }
    let run = x.exec(["lock", ".", "--format", "json"]).code(0);
    let requests = front.requests();
    // Token, manifest, config per image; one 401 teaches the client the challenge.
    assert!(requests <= 3 * n + 1, "{requests} requests for {n} images");
    assert_eq!(run.json()["requests"], requests);
    let max = front
        .traffic()
        .max_in_flight
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(max <= 8, "{max} in flight");
    let v = x.exec(["validate", ".", "--format", "json"]).code(0);
    assert_eq!(
        front.requests(),
        requests,
        "validate with a fresh lock sent requests"
    );
    no_canary(&[&run.stdout, &run.stderr, &v.stdout]);

    // A wrong password is refused at the token service.
    let wrong = x
        .env("XCS_TEST_REG_PASS", "not-it")
        .exec(["lock", ".", "--check", "--format", "json"])
        .code(1);
    let errors = with_code(&wrong.json(), "XCS320");
    assert_eq!(errors.len(), n, "{}", wrong.stdout);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("refused the credentials")
    );
}

#[test]
fn an_oci_index_gives_the_platform_asked_for() {
    let reg = DockerRegistry::start("tester", "pw");
    let digest = reg.push_index(
        "xcs-labels/multi",
        "3.0",
        &[
            ("amd64", labels(&label(&["on-amd64"]))),
            ("arm64", labels(&label(&["on-arm64"]))),
        ],
    );
    let x = Xcs::new()
        .file("registries/lab.yaml", registry_doc(&reg.host(), "tester"))
        .file(
            "commands/multi.yaml",
            source(&format!("{}/xcs-labels/multi:3.0", reg.host())),
        )
        .env("XCS_TEST_REG_PASS", "pw");
    x.exec(["lock", "."]).code(0);
    let lock = lock_json(&x);
    assert_eq!(
        lock["sources"][0]["digest"],
        digest.as_str(),
        "the tag's digest is the index's"
    );
    assert_eq!(lock["sources"][0]["platform"], "linux/amd64");
    assert!(
        lock["sources"][0]["commands"].get("on-amd64").is_some(),
        "{lock:#}"
    );
    x.exec(["lock", ".", "--platform", "linux/arm64"]).code(0);
    assert!(
        lock_json(&x)["sources"][0]["commands"]
            .get("on-arm64")
            .is_some()
    );
    let none = x
        .exec(["lock", ".", "--platform", "linux/s390x", "--check"])
        .code(1);
    assert!(
        none.stdout
            .contains("no image for platform linux/s390x (it has: linux/amd64, linux/arm64)"),
        "{}",
        none.stdout
    );
}

#[test]
fn broken_object_missing_labels_and_unknown_images_are_positioned() {
    let reg = DockerRegistry::start("tester", CANARY);
    reg.push_image(
        "xcs-labels/broken",
        "1.0",
        labels("[{\"name\": \"x\",\n  \"version\": }]"),
    );
    reg.push_image(
        "xcs-labels/object",
        "1.0",
        labels(&command("single").to_string()),
    );
    reg.push_image("xcs-labels/bare", "1.0", json!({"maintainer": "nobody"}));
    let h = reg.host();
    let x = Xcs::new()
        .file("registries/lab.yaml", registry_doc(&h, "tester"))
        .file(
            "commands/broken.yaml",
            source(&format!("{h}/xcs-labels/broken:1.0")),
        )
        .file(
            "commands/object.yaml",
            source(&format!("{h}/xcs-labels/object:1.0")),
        )
        .file(
            "commands/bare.yaml",
            source(&format!("{h}/xcs-labels/bare:1.0")),
        )
        .file(
            "commands/typo.yaml",
            source(&format!("{h}/xcs-labels/bare:1.1")),
        )
        .file(
            "commands/nowhere.yaml",
            source(&format!("{h}/xcs-labels/nowhere:1.0")),
        )
        .env("XCS_TEST_REG_PASS", CANARY);
    let run = x.exec(["lock", ".", "--format", "json"]).code(1);
    let json = run.json();
    // Problems inside a label: at image, registry and the line and column in the label text.
    let in_label = |code: &str, image: &str| {
        let found = with_code(&json, code);
        let d = found
            .iter()
            .find(|d| {
                d["file"]
                    .as_str()
                    .is_some_and(|f| f.contains(&format!("{h}/xcs-labels/{image}")))
            })
            .unwrap_or_else(|| panic!("no {code} for {image}: {}", run.stdout))
            .clone();
        assert_eq!(
            d["file"],
            format!("{h}/xcs-labels/{image} (registry {h}) label org.nrg.commands"),
            "{d}"
        );
        assert!(d["line"].as_u64().is_some() && d["column"].as_u64().is_some());
        d
    };
    let syntax = in_label("XCS001", "broken:1.0");
    assert_eq!(
        (syntax["line"].as_u64(), syntax["column"].as_u64()),
        (Some(2), Some(14)),
        "{syntax}"
    );
    let object = in_label("XCS006", "object:1.0");
    assert!(
        object["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not a list"),
        "{object}"
    );
    assert_eq!(object["line"], 1, "{object}");
    // Problems fetching: at the source's `image`, naming image, registry and the reason.
    let fetch: Vec<(String, u64, String)> = with_code(&json, "XCS320")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for (file, image, reason) in [
        (
            "commands/bare.yaml",
            "bare:1.0",
            "has no `org.nrg.commands` label",
        ),
        ("commands/typo.yaml", "bare:1.1", "not found"),
        ("commands/nowhere.yaml", "nowhere:1.0", "not found"),
    ] {
        assert!(
            fetch.iter().any(|(f, line, m)| f == file
                && *line == 2
                && m.contains(&format!("{h}/xcs-labels/{image}"))
                && m.contains(&format!("registry {h}"))
                && m.contains(reason)),
            "{file}: {image} {reason:?} in {fetch:#?}"
        );
    }
    // The human form quotes the label line with a caret.
    let human = x.exec(["validate", "."]).code(1);
    assert!(human.stdout.contains("\"version\": }"), "{}", human.stdout);
    let text = x.exec(["lock", "."]).code(1);
    no_canary(&[
        &run.stdout,
        &run.stderr,
        &human.stdout,
        &human.stderr,
        &text.stdout,
        &text.stderr,
    ]);
}

#[test]
fn names_pick_commands_and_unknown_names_are_errors() {
    let reg = DockerRegistry::start("tester", "pw");
    reg.push_image(
        "xcs-labels/pair",
        "1.0",
        labels(&label(&["first", "second"])),
    );
    let image = format!("{}/xcs-labels/pair:1.0", reg.host());
    let x = Xcs::new()
        .file("registries/lab.yaml", registry_doc(&reg.host(), "tester"))
        .file(
            "commands/pair.yaml",
            format!("{}names: [second, third]\n", source(&image)),
        )
        .file(
            "site.yaml",
            "kind: Site\nwrappers:\n  - command: first\n    wrapper: first-session\n",
        )
        .env("XCS_TEST_REG_PASS", "pw");
    let run = x.exec(["lock", ".", "--format", "json"]).code(1);
    let json = run.json();
    let names = with_code(&json, "XCS321");
    assert_eq!(names.len(), 1, "{}", run.stdout);
    assert!(
        names[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no command `third` (it has: first, second)")
    );
    assert_eq!(names[0]["line"], 3);
    // `first` was not picked, so the Site names an unknown command.
    assert_eq!(with_code(&json, "XCS202").len(), 1, "{}", run.stdout);
}

#[test]
fn lock_entries_stale_missing_and_unused() {
    let reg = DockerRegistry::start("tester", "pw");
    reg.push_image("xcs-labels/s", "1.0", labels(&label(&["s"])));
    let image = format!("{}/xcs-labels/s:1.0", reg.host());
    let x = Xcs::new()
        .file("registries/lab.yaml", registry_doc(&reg.host(), "tester"))
        .file("commands/s.yaml", source(&image))
        .env("XCS_TEST_REG_PASS", "pw");
    x.exec(["lock", "."]).code(0);
    x.exec(["lock", ".", "--check"])
        .code(0)
        .stdout_has("up to date");
    let path = x.root().join("xcs.lock");
    let good = std::fs::read_to_string(&path).expect("lock");

    // Edited by hand: the text no longer matches its hash.
    let mut edited: Value = serde_json::from_str(&good).expect("json");
    edited["sources"][0]["text"] = Value::from(label(&["s", "sneaked-in"]));
    std::fs::write(&path, serde_json::to_string_pretty(&edited).expect("json")).expect("write");
    let run = x.exec(["validate", ".", "--format", "json"]).code(1);
    assert_eq!(with_code(&run.json(), "XCS323").len(), 1, "{}", run.stdout);

    // A new source without an entry; the old entry's source removed.
    std::fs::write(&path, &good).expect("write");
    std::fs::remove_file(x.root().join("commands/s.yaml")).expect("rm");
    let x = x.file(
        "commands/t.yaml",
        source(&format!("{}/xcs-labels/t:1.0", reg.host())),
    );
    let run = x.exec(["validate", ".", "--format", "json"]).code(1);
    let json = run.json();
    assert_eq!(with_code(&json, "XCS322")[0]["file"], "commands/t.yaml");
    let unused = &with_code(&json, "XCS324")[0];
    assert_eq!(
        (unused["severity"].as_str(), unused["line"].as_u64()),
        (Some("warning"), Some(4))
    );

    // No lock at all.
    std::fs::remove_file(&path).expect("rm");
    let run = x.exec(["validate", ".", "--format", "json"]).code(1);
    assert!(
        with_code(&run.json(), "XCS322")[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no `xcs.lock`")
    );
    // Not JSON.
    std::fs::write(&path, "{\"version\": 1,,}").expect("write");
    let run = x.exec(["validate", ".", "--format", "json"]).code(1);
    let broken = &with_code(&run.json(), "XCS323")[0];
    assert!(
        broken["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("xcs.lock"),
        "{broken}"
    );
}

#[test]
fn url_sources_are_pinned_and_size_capped() {
    let reg = DockerRegistry::start("tester", "pw");
    let front = Front::start(&reg, "bob", "pw");
    let body = serde_json::to_vec(&json!(command("remote")).as_object().map(|o| {
        let mut o = o.clone();
        o.insert("image".into(), json!("example/remote:1.0"));
        Value::Object(o)
    }))
    .expect("json");
    let url = front.doc("remote.json", body.clone());
    let pin = xcs::model::lock::sha256_hex(&body);
    let x = Xcs::new().file(
        "commands/remote.yaml",
        format!("from: url\nurl: {url}\nsha256: {pin}\n"),
    );
    x.exec(["lock", "."]).code(0);
    let lock = lock_json(&x);
    assert_eq!(lock["sources"][0]["sha256"], pin.as_str());
    x.exec(["validate", "."]).code(0);

    let wrong = Xcs::new().file(
        "commands/remote.yaml",
        format!("from: url\nurl: {url}\nsha256: {}\n", "0".repeat(64)),
    );
    let run = wrong.exec(["lock", ".", "--format", "json"]).code(1);
    assert!(
        with_code(&run.json(), "XCS320")[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not the pinned")
    );

    let big = front.doc("big.json", vec![b' '; 2 * 1024 * 1024]);
    let run = Xcs::new()
        .file("commands/big.yaml", format!("from: url\nurl: {big}\n"))
        .exec(["lock", ".", "--format", "json"])
        .code(1);
    assert!(
        with_code(&run.json(), "XCS320")[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("larger than"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_local_engine_reads_labels_and_files_and_is_the_fallback() {
    // 127.0.0.1:1 refuses connections: the image exists only on the local engine.
    let name = "127.0.0.1:1/xcs-labels-local/tool:1.0";
    let file_cmd = {
        let mut c = command("from-file");
        c["image"] = json!("ignored/by:import");
        c.to_string()
    };
    let Some(_image) = LocalImage::build(
        name,
        &[("org.nrg.commands", &label(&["from-label"]))],
        &[("/xcs/command.json", file_cmd.as_bytes())],
    ) else {
        return;
    };
    let x = Xcs::new()
        .file("commands/labels.yaml", source(name))
        .file("commands/file.yaml", format!("from: image-file\nimage: {name}\npath: /xcs/command.json\n"))
        .file("site.yaml", "kind: Site\nwrappers:\n  - command: from-label\n    wrapper: from-label-session\n  - command: from-file\n    wrapper: from-file-session\n");
    let run = x.exec(["lock", ".", "--format", "json"]).code(0);
    let lock = lock_json(&x);
    for entry in lock["sources"].as_array().expect("sources") {
        assert_eq!(entry["registry"], "docker-engine", "{entry}");
        assert!(
            entry["digest"]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:"))
        );
    }
    let from_file = lock["sources"]
        .as_array()
        .and_then(|s| s.iter().find(|e| e["from"] == "image-file").cloned());
    assert_eq!(
        from_file.expect("image-file entry")["text"],
        file_cmd.as_str()
    );
    x.exec(["validate", "."]).code(0);
    assert_eq!(run.json()["summary"]["errors"], 0);
    x.exec(["lock", ".", "--docker", "--check"]).code(0);

    let missing = Xcs::new().file(
        "commands/m.yaml",
        source("127.0.0.1:1/xcs-labels-local/absent:1.0"),
    );
    let run = missing
        .exec(["lock", ".", "--docker", "--format", "json"])
        .code(1);
    assert!(
        with_code(&run.json(), "XCS320")[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not on the local Docker engine")
    );
    let no_file = Xcs::new().file(
        "commands/f.yaml",
        format!("from: image-file\nimage: {name}\npath: /nope.json\n"),
    );
    let run = no_file.exec(["lock", ".", "--format", "json"]).code(1);
    assert!(
        with_code(&run.json(), "XCS320")[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not a file in image"),
        "{}",
        run.stdout
    );
}

#[test]
fn diff_shows_the_digest_a_tag_moved_to() {
    let reg = DockerRegistry::start("tester", "pw");
    let first = reg.push_image("xcs-labels/moving", "1.0", labels(&label(&["moving"])));
    let image = format!("{}/xcs-labels/moving:1.0", reg.host());
    let x = Xcs::new()
        .git_init()
        .file(
            "decl/registries/lab.yaml",
            registry_doc(&reg.host(), "tester"),
        )
        .file("decl/commands/moving.yaml", source(&image))
        .env("XCS_TEST_REG_PASS", "pw");
    x.exec(["lock", "decl"]).code(0);
    x.commit("first");
    let mut moved = command("moving");
    moved["command-line"] = json!("echo moved #X#");
    let second = reg.push_image(
        "xcs-labels/moving",
        "1.0",
        labels(&Value::Array(vec![moved]).to_string()),
    );
    assert_ne!(first, second);
    x.exec(["lock", "decl", "--format", "json"]).code(0);
    x.commit("second");
    let run = x.exec([
        "diff", "--base", "HEAD~1", "--head", "HEAD", "decl", "--format", "json",
    ]);
    assert!(
        run.stdout.contains(&first) && run.stdout.contains(&second),
        "{}",
        run.stdout
    );
    let text = x.exec(["diff", "--base", "HEAD~1", "--head", "HEAD", "decl"]);
    assert!(
        text.stdout.contains("digest") && text.stdout.contains("echo moved"),
        "{}",
        text.stdout
    );
}

#[test]
fn plan_on_kubernetes_fails_on_a_tag_the_registry_does_not_have() {
    use crate::support::xnat_sim::{Sim, SimConfig};
    let reg = DockerRegistry::start("tester", CANARY);
    reg.push_image("xcs-labels/k8s", "1.0", labels(&label(&["k8s-labelled"])));
    let h = reg.host();
    let mut typo = command("k8s-typo");
    typo["image"] = json!(format!("{h}/xcs-labels/k8s:1.1"));
    let sim = Sim::start(SimConfig::default());
    let x = Xcs::new()
        .file("registries/lab.yaml", registry_doc(&h, "tester"))
        .file(
            "backend.yaml",
            "kind: ComputeBackend\nname: cluster\nbackend: kubernetes\n",
        )
        .file(
            "commands/k8s.yaml",
            source(&format!("{h}/xcs-labels/k8s:1.0")),
        )
        .file("commands/typo.json", typo.to_string())
        .env("XCS_TEST_REG_PASS", CANARY)
        .xnat(&sim);
    x.exec(["lock", "."]).code(0);
    let run = x.exec(["plan", "."]).code(1);
    assert!(
        run.stdout.contains(&format!(
            "tag of `{h}/xcs-labels/k8s:1.1` not found in registry {h}"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("k8s-typo") && !run.stdout.contains("k8s:1.0` not found"),
        "{}",
        run.stdout
    );
    no_canary(&[&run.stdout, &run.stderr]);
    // The same repo on a Docker backend asks the registry nothing at plan time.
    let docker = x.file(
        "backend.yaml",
        "kind: ComputeBackend\nname: local\nbackend: docker\nhost: unix:///var/run/docker.sock\n",
    );
    docker.exec(["plan", "."]).code(0);
}

//! `xcs site build`: golden pages of `catalog/`, every valid corpus command, working links,
//! escaping, secrets, git history, and refusing to build (or overwrite) what it should not.

use crate::snapshot;
use crate::support::site::{broken_links, files, main_of};
use crate::support::{Xcs, corpus_dir, project_dir};

fn built_catalog() -> Xcs {
    let xcs = Xcs::new().catalog("catalog");
    xcs.exec(["site", "build", "catalog", "--out", "public"])
        .code(0);
    xcs
}

fn read(xcs: &Xcs, rel: &str) -> String {
    std::fs::read_to_string(xcs.root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn catalog_pages_golden() {
    let xcs = built_catalog();
    for (name, page) in [
        ("site_index", "public/index.html"),
        (
            "site_command_dcm2niix",
            "public/commands/dcm2niix/index.html",
        ),
        (
            "site_command_batch_launch",
            "public/commands/batch-launch/index.html",
        ),
        (
            "site_project_brainage",
            "public/projects/brainage/index.html",
        ),
        ("site_projects", "public/projects/index.html"),
        ("site_registries", "public/registries/index.html"),
        (
            "site_image_dcm2niix",
            "public/images/xnat-dcm2niix/index.html",
        ),
    ] {
        snapshot!(name, main_of(&read(&xcs, page)));
    }
    let api: serde_json::Value =
        serde_json::from_str(&read(&xcs, "public/api/commands/dcm2niix.json")).expect("json");
    snapshot!(
        "site_api_dcm2niix",
        serde_json::to_string_pretty(&api).expect("json")
    );
}

#[test]
fn catalog_has_every_page_and_no_broken_link() {
    let xcs = built_catalog();
    let site = xcs.root().join("public");
    let all = files(&site);
    for expected in [
        "index.html",
        "404.html",
        "api/commands.json",
        "static/site.css",
        "static/site.js",
        "pagefind/pagefind.js",
        "pagefind/pagefind-entry.json",
        "schema/command/index.html",
        "schema/automation/index.html",
        "site/index.html",
        "registries/index.html",
        "commands/dcm2niix/dcm2niix.json",
    ] {
        assert!(all.iter().any(|f| f == expected), "missing {expected}");
    }
    let api: serde_json::Value =
        serde_json::from_str(&read(&xcs, "public/api/commands.json")).expect("json");
    let commands = api["commands"].as_array().expect("commands");
    assert!(commands.len() >= 8, "{}", commands.len());
    for c in commands {
        let slug = c["slug"].as_str().expect("slug");
        assert!(site.join(format!("commands/{slug}/index.html")).is_file());
        assert!(site.join(format!("api/commands/{slug}.json")).is_file());
    }
    assert_eq!(broken_links(&site), Vec::<(String, String)>::new());
}

#[test]
fn every_page_is_small_has_a_language_and_a_csp() {
    let xcs = built_catalog();
    let site = xcs.root().join("public");
    for f in files(&site).iter().filter(|f| f.ends_with(".html")) {
        let html = std::fs::read_to_string(site.join(f)).expect("page");
        assert!(html.contains("<html lang=\"en\">"), "{f}: no lang");
        assert!(
            html.contains("http-equiv=\"Content-Security-Policy\"")
                && html.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{f}: no CSP"
        );
        assert!(
            !html.contains("style=\""),
            "{f}: inline style breaks the CSP"
        );
        assert!(
            !html.contains("<script>"),
            "{f}: inline script breaks the CSP"
        );
        assert!(html.len() < 300 * 1024, "{f}: {} bytes", html.len());
    }
}

/// The raw JSON a page offers for download is XNAT's command, and the YAML snippet validates.
#[test]
fn install_snippets_round_trip() {
    let xcs = built_catalog();
    let raw: serde_json::Value =
        serde_json::from_str(&read(&xcs, "public/commands/dcm2niix/dcm2niix.json")).expect("json");
    assert_eq!(raw["name"], "dcm2niix");
    assert!(raw.get("kind").is_none());
    let page = read(&xcs, "public/commands/dcm2niix/index.html");
    assert!(page.contains("/xapi/commands?image=xnat%2Fdcm2niix%3A1.0.20240202"));
    assert!(page.contains("LABEL org.nrg.commands="));
    // The raw JSON, dropped into a repo as is, validates.
    Xcs::new()
        .file(
            "commands/dcm2niix.json",
            serde_json::to_vec(&raw).expect("bytes"),
        )
        .args(["validate", ".", "--deny-warnings"])
        .run()
        .code(0);
}

const HOSTILE: &str = r#"kind: Command
name: hostile
label: "Hostile <script>window.__xss = 1</script>"
description: "Shows <img src=x onerror=\"window.__xss=2\"> as text; `code` stays code"
version: "1.0"
image: example/hostile:1.0
info-url: "javascript:window.__xss=3"
command-line: "run #IN#"
inputs:
  - name: IN
    description: "<b onmouseover=alert(1)>bold?</b>"
    default-value: "\"><script>window.__xss=4</script>"
environment-variables:
  API_TOKEN: canary-env-8d1f
  MODE: fast
xnat:
  - name: hostile-session
    contexts: ["xnat:imageSessionData"]
    external-inputs:
      - name: session
        type: Session
      - name: secret-key
        type: string
        sensitive: true
        default-value: canary-input-5b2e
        provides-value-for-command-input: IN
"#;

#[test]
fn command_text_is_escaped() {
    let xcs = Xcs::new().file("repo/commands/hostile.yaml", HOSTILE);
    xcs.exec(["site", "build", "repo", "--out", "public"])
        .code(0);
    let site = xcs.root().join("public");
    for f in files(&site).iter().filter(|f| f.ends_with(".html")) {
        let html = std::fs::read_to_string(site.join(f)).expect("page");
        for bad in [
            "<script>window",
            "<img src=x",
            "<b onmouseover",
            "href=\"javascript:",
        ] {
            assert!(!html.contains(bad), "{f} contains {bad}");
        }
    }
    let page = std::fs::read_to_string(site.join("commands/hostile/index.html")).expect("page");
    assert!(page.contains("Shows &lt;img src=x onerror=&quot;window.__xss=2&quot;&gt; as text"));
    assert!(page.contains("<code>code</code>"), "backticks become code");
    assert!(
        page.contains("<code>javascript:window.__xss=3</code>"),
        "a non-web info URL is text"
    );
}

#[test]
fn secrets_never_reach_the_site() {
    let xcs = Xcs::new()
        .file("repo/commands/hostile.yaml", HOSTILE)
        .file(
            "repo/registries.yaml",
            "kind: Registry\nname: lab\nurl: https://reg.example.org\nusername: robot\npassword: ${env:REG_PASS}\n",
        )
        .file(
            "repo/site.yaml",
            "kind: Site\nwrappers:\n  - command: hostile\n    wrapper: hostile-session\n    config:\n      inputs:\n        secret-key:\n          default-value: canary-config-77aa\n",
        )
        .file(
            "repo/automation.yaml",
            "kind: Automation\nname: auto\nevent: {type: SessionEvent, status: CREATED}\ncommand: hostile\nwrapper: hostile-session\ninputs:\n  secret-key: canary-auto-1c9d\n",
        )
        .env("REG_PASS", "canary-registry-3e4f");
    xcs.exec(["site", "build", "repo", "--out", "public"])
        .code(0);
    let site = xcs.root().join("public");
    let mut checked = 0;
    for f in files(&site) {
        let bytes = std::fs::read(site.join(&f)).expect("file");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("canary"), "{f} leaks a secret");
        assert!(
            !text.contains("REG_PASS"),
            "{f} names the registry's secret reference"
        );
        checked += 1;
    }
    assert!(checked > 20);
    let page = std::fs::read_to_string(site.join("commands/hostile/index.html")).expect("page");
    assert!(page.contains("withheld: sensitive"));
    assert!(
        page.contains("<code>fast</code>"),
        "ordinary variables are shown"
    );
}

#[test]
fn validation_errors_stop_the_build() {
    let text =
        std::fs::read_to_string(project_dir().join("tests/fixtures/broken/commands/dcm2niix.yaml"))
            .expect("fixture");
    let xcs = Xcs::new().file("repo/commands/dcm2niix.yaml", text);
    xcs.exec(["site", "build", "repo", "--out", "public"])
        .code(1)
        .stdout_has("error[XCS")
        .stdout_has("the site was not built");
    assert!(!xcs.root().join("public").exists());
    let json = xcs.exec([
        "site", "build", "repo", "--out", "public", "--format", "json",
    ]);
    assert_eq!(json.status, 1);
    let doc = json.json();
    assert_eq!(doc["built"], false);
    assert!(doc["errors"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn json_summary() {
    let xcs = Xcs::new().catalog("catalog");
    let run = xcs
        .exec([
            "site", "build", "catalog", "--out", "public", "--format", "json",
        ])
        .code(0);
    let mut doc = run.json();
    assert!(
        doc["summary"]["largest_page"]["bytes"]
            .as_u64()
            .unwrap_or(0)
            > 1000
    );
    for volatile in ["elapsed_ms", "bytes", "files"] {
        doc["summary"][volatile] = serde_json::json!("[redacted]");
    }
    doc["summary"]["largest_page"]["bytes"] = serde_json::json!("[redacted]");
    snapshot!(
        "site_build_json",
        serde_json::to_string_pretty(&doc).expect("json")
    );
}

#[test]
fn output_directory_is_guarded() {
    let xcs = Xcs::new().catalog("catalog");
    xcs.exec(["site", "build", "catalog", "--out", "catalog/public"])
        .code(2)
        .stderr_has("inside the declaration directory");
    std::fs::create_dir_all(xcs.root().join("mine")).expect("mkdir");
    std::fs::write(xcs.root().join("mine/notes.txt"), "keep me").expect("write");
    xcs.exec(["site", "build", "catalog", "--out", "mine"])
        .code(2)
        .stderr_has("refusing to replace it");
    assert!(xcs.root().join("mine/notes.txt").is_file());
    // A site it built is replaced, stale files and all.
    xcs.exec(["site", "build", "catalog", "--out", "public"])
        .code(0);
    std::fs::write(xcs.root().join("public/stale.html"), "old").expect("write");
    xcs.exec(["site", "build", "catalog", "--out", "public"])
        .code(0);
    assert!(!xcs.root().join("public/stale.html").exists());
}

#[test]
fn history_comes_from_git() {
    let xcs = Xcs::new().git_init().catalog("catalog");
    xcs.commit("Add the catalog");
    let path = xcs.root().join("catalog/commands/dcm2niix.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace("limit-memory: 2048", "limit-memory: 3072"),
    )
    .expect("write");
    let second = xcs.commit("dcm2niix: more memory");
    xcs.exec(["site", "build", "catalog", "--out", "public"])
        .code(0);
    let page = read(&xcs, "public/commands/dcm2niix/index.html");
    let history = &page[page.find("id=\"history\"").expect("history")..];
    assert!(history.contains("<strong>added</strong>"), "{history}");
    assert!(history.contains("dcm2niix: more memory"), "{history}");
    assert!(history.contains(&second[..10]), "{history}");
    let api: serde_json::Value =
        serde_json::from_str(&read(&xcs, "public/api/commands/dcm2niix.json")).expect("json");
    assert_eq!(api["history"].as_array().map(Vec::len), Some(2));
    // The site of the first commit, built without a checkout.
    xcs.exec([
        "site", "build", "catalog", "--rev", "HEAD~1", "--out", "old",
    ])
    .code(0);
    assert!(read(&xcs, "old/commands/dcm2niix/index.html").contains("2 GiB"));
    assert!(read(&xcs, "public/commands/dcm2niix/index.html").contains("3 GiB"));
}

/// Every valid command of the real-world corpus (odd names, huge command lines) renders, and
/// the whole site's links resolve.
#[test]
fn corpus_site_builds_with_working_links() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("skipped: ../shared/corpus is not beside this checkout");
        return;
    };
    let mut xcs = Xcs::new();
    for entry in std::fs::read_dir(corpus.join("commands")).expect("corpus") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        xcs = xcs.file(
            &format!("repo/commands/{name}"),
            std::fs::read(&path).expect("read"),
        );
    }
    // Drop the files validation rejects (the corpus keeps broken ones on purpose).
    let report = xcs.exec(["validate", "repo", "--format", "json"]).json();
    let mut invalid: Vec<String> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .filter_map(|d| d["file"].as_str().map(str::to_string))
        .collect();
    invalid.sort();
    invalid.dedup();
    for f in &invalid {
        std::fs::remove_file(xcs.root().join(f)).expect("remove");
    }
    let run = xcs
        .exec([
            "site", "build", "repo", "--out", "public", "--format", "json",
        ])
        .code(0);
    let commands = run.json()["summary"]["commands"].as_u64().unwrap_or(0);
    assert!(commands >= 40, "only {commands} corpus commands rendered");
    let site = xcs.root().join("public");
    assert_eq!(broken_links(&site), Vec::<(String, String)>::new());
    for f in files(&site).iter().filter(|f| f.ends_with(".html")) {
        let len = std::fs::metadata(site.join(f)).expect("meta").len();
        assert!(len < 300 * 1024, "{f}: {len} bytes");
    }
}

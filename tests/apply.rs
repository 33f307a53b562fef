//! `xcs plan`, `apply`, `import` and `unlock` through the CLI, against the XNAT simulator over
//! real HTTP.

use crate::snapshot;
use crate::support::Xcs;
use crate::support::xnat_sim::{Faults, Sim, SimConfig, SimImage, SimProject, SimUser};
use std::time::Duration;

/// Never printed, never stored anywhere but XNAT's write-only hub password.
const CANARY: &str = "canary-4f1e0c-registry-secret";

fn sim() -> Sim {
    Sim::start(crate::support::with_catalog_images(
        SimConfig::default()
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    ))
}

/// The catalog without its environments and without an XNAT configured.
fn bare() -> Xcs {
    let repo = Xcs::new().catalog("repo");
    std::fs::remove_dir_all(repo.root().join("repo/environments")).expect("drop environments");
    repo
}

/// The catalog without its environments: the base repo is then what the XNAT should match
/// (a repo that declares environments needs `--env`, see `environments_need_env`).
fn catalog(sim: &Sim) -> Xcs {
    bare().xnat(sim).env("LAB_REGISTRY_PASSWORD", CANARY)
}

fn no_canary(run: &crate::support::Run) {
    run.assert_no_secret(CANARY);
}

#[test]
fn plan_of_the_catalog_on_an_empty_xnat() {
    let sim = sim();
    let run = catalog(&sim).args(["plan", "repo"]).run().code(0);
    no_canary(&run);
    assert!(
        run.stdout
            .starts_with("Plan: 30 to create, 21 to update, 0 to delete"),
        "{}",
        run.stdout
    );
    snapshot!("plan_catalog_text", &run.stdout);
    assert_eq!(sim.counters().writes, 0, "plan writes nothing");
    let md = catalog(&sim)
        .args(["plan", "repo", "--format", "markdown"])
        .run()
        .code(0);
    snapshot!("plan_catalog_markdown", &md.stdout);
    let json = catalog(&sim)
        .args(["plan", "repo", "--format", "json"])
        .run()
        .code(0)
        .json();
    assert_eq!(
        json["version"], 2,
        "plan format 2: steps carry their requests"
    );
    assert_eq!(json["summary"]["create"], 30);
    no_canary(
        &catalog(&sim)
            .args(["plan", "repo", "--format", "json"])
            .run(),
    );
}

#[test]
fn apply_converges_and_a_second_apply_writes_nothing() {
    let sim = sim();
    let repo = catalog(&sim);
    let run = repo.exec(["apply", "repo"]).code(0);
    no_canary(&run);
    assert!(
        run.stdout.contains("Apply: 51 done, 0 failed, 0 skipped"),
        "{}",
        run.stdout
    );
    assert_eq!(
        sim.hub_credentials("neuro-lab")
            .and_then(|c| c.0)
            .as_deref(),
        Some(CANARY),
        "the credential reached XNAT"
    );
    repo.exec(["plan", "repo", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");
    sim.reset_counters();
    repo.exec(["apply", "repo"])
        .code(0)
        .stdout_has("No changes");
    let c = sim.counters();
    assert_eq!(c.writes, 0, "re-apply wrote: {:?}", c.by_route);
    assert_eq!(c.sessions_created, 1, "one XNAT session per run");
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
}

#[test]
fn detailed_exitcode_says_changes() {
    let sim = sim();
    catalog(&sim)
        .args(["plan", "repo", "--detailed-exitcode"])
        .run()
        .code(2);
}

#[test]
fn a_changed_command_is_updated_in_place() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    let wrapper = sim
        .wrapper_id("dcm2niix", "dcm2niix-scan")
        .expect("wrapper");
    assert!(sim.site_enabled(wrapper));
    // A new version and tag: the same command, updated, so the wrapper keeps its id.
    let path = repo.root().join("repo/commands/dcm2niix.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("1.0.20240202", "1.0.20241211")).expect("write");
    sim.add_registry_image(SimImage::new("xnat/dcm2niix:1.0.20241211"));
    let plan = repo.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout
            .contains("+ create  image xnat/dcm2niix:1.0.20241211"),
        "the new tag is pulled: {}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ update  command dcm2niix@1.0.20241211"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("version: \"1.0.20240202\" → \"1.0.20241211\""),
        "{}",
        plan.stdout
    );
    repo.exec(["apply", "repo"]).code(0);
    assert_eq!(
        sim.wrapper_id("dcm2niix", "dcm2niix-scan"),
        Some(wrapper),
        "wrapper id kept"
    );
    assert!(
        sim.site_enabled(wrapper) && sim.project_enabled("BRAINAGE", wrapper),
        "enablement kept"
    );
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_changed_credential_is_sent_and_an_unchanged_one_is_not() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    let rotated = bare()
        .xnat(&sim)
        .env("LAB_REGISTRY_PASSWORD", "rotated-canary-2");
    let plan = rotated.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout.contains("~ update  registry neuro-lab")
            && plan
                .stdout
                .contains("credentials: (changed; value not shown)"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("rotated-canary-2"));
    rotated.exec(["apply", "repo"]).code(0);
    assert_eq!(
        sim.hub_credentials("neuro-lab")
            .and_then(|c| c.0)
            .as_deref(),
        Some("rotated-canary-2")
    );
    rotated
        .exec(["plan", "repo", "--detailed-exitcode"])
        .code(0);
    // The record XNAT keeps holds a fingerprint, never the value.
    let record = sim.config_entry("xcs", "managed", None).expect("record");
    let record = format!("{record:?}");
    assert!(
        record.contains("fingerprint") || record.contains("credential"),
        "{record}"
    );
    assert!(!record.contains("rotated-canary-2") && !record.contains(CANARY));
}

#[test]
fn a_saved_plan_is_applied_only_if_nothing_changed() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["plan", "repo", "--out", "plan.json"]).code(0);
    // XNAT changes behind the plan's back.
    sim.seed_command(serde_json::json!({"name": "other", "image": "x/other:1", "version": "1"}))
        .expect("seed");
    repo.exec(["apply", "plan.json"]).code(1);
    let stale = repo.exec(["apply", "plan.json"]);
    assert!(
        stale
            .stderr
            .contains("XNAT changed since the plan was made"),
        "{}",
        stale.stderr
    );
    repo.exec(["plan", "repo", "--out", "plan.json"]).code(0);
    // Now the repo changes.
    let path = repo.root().join("repo/site.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("{text}\n# a comment changes nothing\n")).expect("write");
    repo.exec(["apply", "plan.json"]).code(0);
    std::fs::write(&path, text.replacen("enabled: true", "enabled: false", 1)).expect("write");
    let refused = repo.exec(["apply", "plan.json"]).code(1);
    assert!(
        refused
            .stderr
            .contains("the declarations changed since the plan was made"),
        "{}",
        refused.stderr
    );
}

#[test]
fn prune_deletes_only_what_xcs_created() {
    let sim = sim();
    let foreign = sim
        .seed_command(serde_json::json!({"name": "hand-made", "image": "x/hand:1", "version": "1", "xnat": [{"name": "w", "contexts": ["site"]}]}))
        .expect("seed");
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    std::fs::remove_file(repo.root().join("repo/commands/fastsurfer.yaml")).expect("rm");
    for f in ["repo/site.yaml", "repo/projects/brainage.yaml"] {
        let path = repo.root().join(f);
        let text = std::fs::read_to_string(&path).expect("read");
        let kept: Vec<&str> = text
            .split("\n  - ")
            .filter(|e| !e.contains("fastsurfer"))
            .collect();
        std::fs::write(&path, kept.join("\n  - ")).expect("write");
    }
    let plan = repo.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout
            .contains("kept (apply with --prune to delete): command fastsurfer@2.2.0"),
        "{}",
        plan.stdout
    );
    repo.exec(["apply", "repo"]).code(0);
    assert!(
        sim.wrapper_id("fastsurfer", "fastsurfer-session").is_some(),
        "not pruned without --prune"
    );
    repo.exec(["apply", "repo", "--prune"])
        .code(0)
        .stdout_has("- delete  command fastsurfer@2.2.0");
    assert!(
        sim.wrapper_id("fastsurfer", "fastsurfer-session").is_none(),
        "pruned"
    );
    assert!(
        sim.command_ids().contains(&foreign),
        "a command xcs did not create is never deleted"
    );
    repo.exec(["plan", "repo", "--prune", "--detailed-exitcode"])
        .code(0);
}

#[test]
fn a_held_lock_stops_apply_and_unlock_says_who_held_it() {
    let sim = sim();
    let repo = catalog(&sim);
    let other = repo.exec(["plan", "repo"]);
    assert_eq!(other.status, 0);
    // Another run holds the lock.
    let lease = serde_json::json!({"holder": "ci@runner-7 pid 42", "acquired": 1_900_000_000u64, "expires": 4_000_000_000u64});
    let put = reqwest::blocking::Client::new()
        .put(format!("{}/data/config/xcs/lock?inbody=true", sim.url()))
        .basic_auth("admin", Some("admin"))
        .header("Content-Type", "text/plain")
        .body(lease.to_string())
        .send()
        .expect("put lock");
    assert!(put.status().is_success());
    let held = repo.exec(["apply", "repo"]).code(1);
    assert!(
        held.stderr
            .contains("another apply holds the lock: ci@runner-7 pid 42"),
        "{}",
        held.stderr
    );
    assert_eq!(
        sim.wrapper_id("dcm2niix", "dcm2niix-scan"),
        None,
        "nothing applied"
    );
    repo.exec(["unlock"]).code(2).stderr_has("--force");
    repo.exec(["unlock", "--force"])
        .code(0)
        .stdout_has("held by ci@runner-7 pid 42");
    repo.exec(["apply", "repo"]).code(0);
    repo.exec(["unlock", "--force"])
        .code(0)
        .stdout_has("No apply lock was held");
}

#[test]
fn import_round_trips_the_catalog() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    repo.exec(["import", "--out", "imported"])
        .code(0)
        .stdout_has("It validates clean");
    repo.exec(["validate", "imported", "--deny-warnings"])
        .code(0);
    repo.exec(["plan", "imported", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");
    repo.exec(["import", "--out", "imported"])
        .code(2)
        .stderr_has("not empty");
}

#[test]
fn an_older_container_service_drops_fields_without_phantom_diffs() {
    let sim = Sim::start(crate::support::with_catalog_images(
        SimConfig::default()
            .cs_version("3.6.2")
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    ));
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
}

/// Without `ContainerManager`, apply says so before any write (issue 11 item 7).
#[test]
fn without_the_container_manager_role_apply_names_it_before_writing() {
    let sim = Sim::start(
        SimConfig::default()
            .user(SimUser::admin("admin", "admin"))
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    );
    let plan = catalog(&sim).args(["plan", "repo"]).run().code(0);
    assert!(
        plan.stdout
            .contains("missing role: `admin` lacks the `ContainerManager` role"),
        "{}",
        plan.stdout
    );
    let run = catalog(&sim).args(["apply", "repo"]).run().code(2);
    assert!(
        run.stderr.contains("nothing was written")
            && run
                .stderr
                .contains("`ContainerManager` role, which apply needs for commands"),
        "{}",
        run.stderr
    );
    assert_eq!(sim.counters().writes, 0, "{:?}", sim.counters().by_route);
    no_canary(&run);
}

/// 20% 500s, dropped connections and hung requests: a few re-runs converge, nothing outside
/// the repo is touched, and the secret never shows.
#[test]
fn apply_converges_through_faults() {
    let sim = sim();
    let foreign = sim
        .seed_command(serde_json::json!({"name": "hand-made", "image": "x/hand:1", "version": "1"}))
        .expect("seed");
    let before = sim.command_json(foreign);
    sim.set_faults(Faults {
        seed: 7,
        error_rate: 0.2,
        drop_rate: 0.05,
        hang_rate: 0.02,
        hang_for: Duration::from_secs(4),
        after_handler_share: 0.5,
        ..Faults::default()
    });
    let repo = catalog(&sim);
    let mut runs = 0;
    loop {
        runs += 1;
        let run = repo.exec(["apply", "repo", "--timeout", "2", "--format", "json"]);
        no_canary(&run);
        if run.status == 0 {
            break;
        }
        assert!(
            runs < 8,
            "no convergence after {runs} runs:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    sim.set_faults(Faults::default());
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
    assert_eq!(
        sim.command_json(foreign),
        before,
        "the foreign command is untouched"
    );
    eprintln!("converged after {runs} runs");
}

#[test]
fn review_embeds_the_live_plan_when_an_xnat_is_configured() {
    let sim = sim();
    let repo = Xcs::new()
        .git_init()
        .catalog("repo")
        .xnat(&sim)
        .env("LAB_REGISTRY_PASSWORD", CANARY);
    repo.commit("catalog");
    let path = repo.root().join("repo/commands/dcm2niix.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace("limit-memory: 2048", "limit-memory: 1024"),
    )
    .expect("write");
    let run = repo.exec(["review", "repo", "--base", "HEAD"]).code(0);
    no_canary(&run);
    assert!(run.stdout.contains("<!-- xcs-review -->"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Plan: 30 to create, 21 to update, 0 to delete"),
        "{}",
        run.stdout
    );
    let offline = Xcs::new().git_init().catalog("repo");
    offline.commit("catalog");
    let run = offline.exec(["review", "repo", "--base", "HEAD"]).code(0);
    assert!(run.stdout.contains("no XNAT configured"), "{}", run.stdout);
    let json = offline
        .exec(["review", "repo", "--base", "HEAD", "--format", "json"])
        .code(0)
        .json();
    assert_eq!(json["marker"], "<!-- xcs-review -->");
    assert!(
        json["body"]
            .as_str()
            .is_some_and(|b| b.starts_with("<!-- xcs-review -->"))
    );
}

#[test]
fn plan_and_apply_take_an_environment() {
    let sim = sim();
    let repo = Xcs::new()
        .catalog("repo")
        .env("XNAT_STAGING_URL", &sim.url())
        .env("XNAT_STAGING_USER", "admin")
        .env("XNAT_STAGING_PASS", "admin")
        .env("STAGING_REGISTRY_PASSWORD", CANARY);
    let plan = repo.exec(["plan", "repo", "--env", "staging"]).code(0);
    no_canary(&plan);
    assert!(
        plan.stdout.contains("+ create  command pydeface@2.0.2"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("command fastsurfer"),
        "staging applies three commands only:\n{}",
        plan.stdout
    );
    repo.exec(["apply", "repo", "--env", "staging"]).code(0);
    assert_eq!(
        sim.hub_credentials("neuro-lab")
            .and_then(|c| c.0)
            .as_deref(),
        Some(CANARY)
    );
    repo.exec(["plan", "repo", "--env", "staging", "--detailed-exitcode"])
        .code(0);
    repo.exec([
        "site", "build", "repo", "--env", "staging", "--out", "public",
    ])
    .code(0)
    .stdout_has("Built 3 commands");
}

/// An alias token in `$XNAT_TOKEN` logs in instead of a user and password, and is never shown.
#[test]
fn an_alias_token_from_the_environment_works() {
    let sim = sim();
    let token: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{}/data/services/tokens/issue", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .and_then(|r| r.json())
        .expect("token");
    let alias = token["alias"].as_str().expect("alias");
    let secret = token["secret"].as_str().expect("secret");
    let repo = bare()
        .env("XNAT_URL", &sim.url())
        .env("XNAT_TOKEN", &format!("{alias}:{secret}"))
        .env("LAB_REGISTRY_PASSWORD", CANARY);
    let run = repo.exec(["apply", "repo"]).code(0);
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
    let bad = bare()
        .env("XNAT_URL", &sim.url())
        .env("XNAT_TOKEN", &format!("{alias}:wrong-secret"));
    let run = bad.exec(["plan", "repo"]).code(2);
    assert!(
        run.stderr.contains("cannot log in") && !run.stderr.contains("wrong-secret"),
        "{}",
        run.stderr
    );
}

/// The password from standard input instead of the environment; `--dry-run` changes nothing.
#[test]
fn password_from_stdin_and_dry_run() {
    let sim = sim();
    let repo = bare()
        .env("XNAT_URL", &sim.url())
        .env("LAB_REGISTRY_PASSWORD", CANARY);
    let without = repo.exec(["plan", "repo", "--user", "admin"]).code(2);
    assert!(without.stderr.contains("no password"), "{}", without.stderr);
    let repo = repo.stdin("admin\n");
    let run = repo
        .exec([
            "apply",
            "repo",
            "--user",
            "admin",
            "--password-stdin",
            "--dry-run",
        ])
        .code(0);
    assert!(
        run.stdout.starts_with("Plan: 30 to create"),
        "{}",
        run.stdout
    );
    assert_eq!(sim.counters().writes, 0, "a dry run writes nothing");
    assert_eq!(sim.wrapper_id("dcm2niix", "dcm2niix-scan"), None);
    repo.exec(["apply", "repo", "--user", "admin", "--password-stdin"])
        .code(0)
        .stdout_has("Apply: 51 done");
}

/// `--ca-cert` is read before anything is sent; a bad one is a clear error, not a TLS failure.
#[test]
fn a_bad_ca_certificate_is_reported() {
    let sim = sim();
    let repo = catalog(&sim).file("not-a-cert.pem", "hello");
    repo.exec(["plan", "repo", "--ca-cert", "missing.pem"])
        .code(2)
        .stderr_has("cannot read CA certificate missing.pem");
    repo.exec(["plan", "repo", "--ca-cert", "not-a-cert.pem"])
        .code(2)
        .stderr_has("not-a-cert.pem is not a PEM certificate");
    assert_eq!(sim.counters().total, 0, "nothing was sent");
}

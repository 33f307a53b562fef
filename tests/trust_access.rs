//! Apply you can trust in production (issue 11), continued: saved plans bound to their
//! secrets, roles checked up front, logins retried and refusals not re-sent, environments
//! required, TLS through a private CA, and wrapper state read from CS's stored documents.

use super::trust::{CANARY, apply_until, catalog, sim};
use crate::support::tls::private_ca;
use crate::support::xnat_sim::{Faults, Sim, SimConfig, SimProject, SimUser};
use crate::support::{Run, Xcs};
use std::time::Duration;

// ---- 5. saved plans and secrets --------------------------------------------------------------

#[test]
fn a_saved_plan_refuses_a_changed_secret_and_applies_from_another_directory() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["plan", "repo", "--out", "plan.json"]).code(0);
    let saved = std::fs::read_to_string(repo.root().join("plan.json")).expect("plan");
    assert!(!saved.contains(CANARY));
    let plan_path = repo.root().join("plan.json");
    let rotated = Xcs::new()
        .xnat(&sim)
        .env("LAB_REGISTRY_PASSWORD", "another-password-77")
        .arg("apply")
        .arg(&plan_path)
        .run();
    assert_eq!(rotated.status, 1, "{}\n{}", rotated.stdout, rotated.stderr);
    assert!(
        rotated
            .stderr
            .contains("a credential changed since the plan was made"),
        "{}",
        rotated.stderr
    );
    assert_eq!(sim.counters().writes, 0, "refused before any write");
    std::fs::create_dir_all(repo.root().join("elsewhere")).expect("mkdir");
    let from = repo.cwd("elsewhere");
    from.exec(["apply", "../plan.json"])
        .code(0)
        .stdout_has("Apply: 51 done");
}

// ---- 7. roles -------------------------------------------------------------------------------

#[test]
fn a_manager_who_is_not_site_admin_is_told_before_any_write() {
    let sim = Sim::start(crate::support::with_catalog_images(
        SimConfig::default()
            .user(SimUser::new("mgr", "manager-pw").container_manager())
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    ));
    let repo = catalog(&sim)
        .env("XNAT_USER", "mgr")
        .env("XNAT_PASS", "manager-pw");
    let plan = repo.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout.contains("missing role: `mgr` lacks the `Administrator` role, which apply needs for the apply lock and the ownership record"),
        "{}",
        plan.stdout
    );
    let run = repo.exec(["apply", "repo"]).code(2);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(sim.counters().writes, 0);
    // A refusal names the role it needed.
    let lease =
        serde_json::json!({"holder": "someone", "acquired": 1u64, "expires": 4_000_000_000u64});
    reqwest::blocking::Client::new()
        .put(format!("{}/data/config/xcs/lock?inbody=true", sim.url()))
        .basic_auth("admin", Some("admin"))
        .header("Content-Type", "text/plain")
        .body(lease.to_string())
        .send()
        .expect("put");
    repo.exec(["unlock", "--force"])
        .code(2)
        .stderr_has("HTTP 403")
        .stderr_has("this needs the `Administrator` role");
}

// ---- 8. logins, environments -----------------------------------------------------------------

#[test]
fn a_failed_login_is_retried() {
    let sim = sim();
    sim.set_faults(Faults {
        failed_logins: 2,
        ..Faults::default()
    });
    catalog(&sim).args(["plan", "repo"]).run().code(0);
    assert_eq!(
        sim.counters().get("GET", "/data/JSESSION"),
        3,
        "{:?}",
        sim.counters()
    );
}

/// A 401 that is a refusal (no `WWW-Authenticate` challenge: CS's "not a Container Manager")
/// is reported with the role it needs and not sent again after a new login.
#[test]
fn a_refusal_401_is_not_sent_twice() {
    let sim = sim();
    let repo = catalog(&sim);
    let child = apply_until(&sim, &repo, Duration::from_millis(30), |w| {
        w.path.ends_with("/config/xcs/lock")
    });
    // The role goes while the apply runs (checked up front, it was there).
    sim.revoke_role("admin", "ContainerManager");
    let run = Run::of(child.wait_with_output().expect("wait"), repo.root());
    assert_eq!(run.status, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("HTTP 401: User admin is not a Container Manager. (this needs the `ContainerManager` role"),
        "{}",
        run.stdout
    );
    let c = sim.counters();
    assert_eq!(
        c.get("GET", "/data/JSESSION"),
        1,
        "no new login for a refusal: {:?}",
        c.by_route
    );
}

#[test]
fn a_repo_with_environments_needs_env() {
    let sim = sim();
    let repo = Xcs::new().catalog("repo").xnat(&sim);
    for cmd in ["plan", "apply"] {
        repo.exec([cmd, "repo"])
            .code(2)
            .stderr_has("declares environments (`production`, `staging`): pass --env NAME");
    }
    assert_eq!(sim.counters().total, 0, "refused before talking to XNAT");
}

// ---- 10. TLS ------------------------------------------------------------------------------------

#[test]
fn tls_through_a_private_ca() {
    let pki = tempfile::tempdir().expect("tmp");
    let tls = private_ca(pki.path());
    let sim = Sim::start(crate::support::with_catalog_images(
        SimConfig::default()
            .tls(tls)
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    ));
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    let repo = catalog(&sim);
    let ca = pki.path().join("ca.pem");
    let refused = repo.exec(["plan", "repo"]).code(2);
    assert!(
        refused.stderr.contains("certificate") && refused.stderr.contains("--ca-cert"),
        "says why and what to do:\n{}",
        refused.stderr
    );
    repo.exec(["plan", "repo", "--ca-cert", ca.to_str().expect("path")])
        .code(0)
        .stdout_has("Plan: 30 to create");
    // Plain http to a host other than loopback: a warning, before anything is sent.
    let clear = Xcs::new()
        .catalog("repo")
        .env("XNAT_USER", "admin")
        .args([
            "plan",
            "repo",
            "--env",
            "staging",
            "--xnat",
            "http://xnat.example.org",
        ])
        .run()
        .code(2);
    assert!(
        clear.stderr.contains(
            "warning: http://xnat.example.org is not encrypted: the password travels in clear"
        ),
        "{}",
        clear.stderr
    );
}

// ---- issue 12 / item 6: CS's stored documents by one listing per scope ------------------------

/// The plan reads wrapper flags and overrides from CS's stored documents (one config-service
/// listing per scope) and plans exactly as the per-wrapper reads do, which remain the fallback
/// when the listing is refused.
#[test]
fn wrapper_state_comes_from_the_stored_documents_with_a_per_wrapper_fallback() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    // Drift on both paths: a project override changed by hand.
    let path = repo.root().join("repo/site.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replacen("enabled: true", "enabled: false", 1)).expect("write");
    sim.reset_counters();
    let listing = repo
        .exec(["plan", "repo", "--format", "json"])
        .code(0)
        .json();
    assert_eq!(listing["read_via"], "listing", "{listing}");
    let c = sim.counters();
    assert_eq!(
        c.get("GET", "/xapi/wrappers/{id}/enabled"),
        0,
        "{:?}",
        c.by_route
    );
    assert_eq!(c.get("GET", "/data/config/{tool}"), 1, "{:?}", c.by_route);
    sim.set_faults(Faults {
        refuse: Some("/data/config/container-service".into()),
        ..Faults::default()
    });
    let fallback = repo
        .exec(["plan", "repo", "--format", "json"])
        .code(0)
        .json();
    assert!(
        fallback["read_via"]["per-wrapper"]
            .as_str()
            .is_some_and(|w| w.contains("refused")),
        "{fallback}"
    );
    assert_eq!(
        listing["actions"], fallback["actions"],
        "both paths plan alike"
    );
    // The two paths read different things (stored documents, materialised views), so their
    // digests differ; the fallback says which it used.
    assert!(
        fallback["notes"].as_array().into_iter().flatten().any(|n| n
            .as_str()
            .is_some_and(|n| n.contains("could not be listed"))),
        "{fallback}"
    );
}

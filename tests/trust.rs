//! Apply you can trust in production (issue 11), through the CLI against the simulator: the
//! lock is exclusive under jittered latency and released on signals, secrets never come back
//! out (even when XNAT echoes them), prune deletes only what xcs created, automations are
//! observed while the event service is off, saved plans are bound to their secrets, roles are
//! checked up front, logins are retried, environments are required, TLS through a private CA.

use crate::support::xnat_sim::{Faults, LoggedWrite, Sim, SimConfig, SimProject, SimUser, Tls};
use crate::support::{Run, Xcs};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CANARY: &str = "CANARY-s3cr3t-9d2f7e-registry";
const XNAT_CANARY: &str = "CANARY-s3cr3t-41ab0c-login";

fn sim() -> Sim {
    Sim::start(
        SimConfig::default()
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    )
}

/// The catalog without its environments, against `sim` as its admin.
fn catalog(sim: &Sim) -> Xcs {
    let repo = Xcs::new()
        .catalog("repo")
        .xnat(sim)
        .env("LAB_REGISTRY_PASSWORD", CANARY);
    std::fs::remove_dir_all(repo.root().join("repo/environments")).expect("drop environments");
    repo
}

fn lacks(run: &Run, secret: &str) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(!text.contains(secret), "the secret reached {name}:\n{text}");
    }
}

// ---- 1. the lock ---------------------------------------------------------------------------

/// When each session wrote (lock claims and releases left out): `(first start, last end)`.
fn write_spans(log: &[LoggedWrite]) -> BTreeMap<String, (Instant, Instant)> {
    let mut spans: BTreeMap<String, (Instant, Instant)> = BTreeMap::new();
    for w in log.iter().filter(|w| !w.path.ends_with("/config/xcs/lock")) {
        let e = spans
            .entry(w.session.clone())
            .or_insert((w.started, w.ended));
        e.0 = e.0.min(w.started);
        e.1 = e.1.max(w.ended);
    }
    spans
}

/// Ten pairs of applies, each pair started at once against its own XNAT with 2–42 ms of
/// jittered latency per request: no two runs of a pair may ever write at the same time.
#[test]
fn the_lock_is_exclusive_in_ten_simultaneous_pairs() {
    let pairs: Vec<(Sim, Xcs)> = (0..10u64)
        .map(|seed| {
            let sim = sim();
            sim.set_faults(Faults {
                seed,
                latency: Duration::from_millis(2),
                jitter: Duration::from_millis(40),
                ..Faults::default()
            });
            let repo = catalog(&sim);
            (sim, repo)
        })
        .collect();
    let children: Vec<_> = pairs
        .iter()
        .map(|(_, repo)| (repo.spawn(["apply", "repo"]), repo.spawn(["apply", "repo"])))
        .collect();
    let mut together = 0;
    let mut refused = 0;
    for ((sim, repo), (a, b)) in pairs.iter().zip(children) {
        let runs = [a, b].map(|c| Run::of(c.wait_with_output().expect("wait"), repo.root()));
        for r in &runs {
            lacks(r, CANARY);
            assert!(
                r.status == 0
                    || r.stderr.contains("another apply holds the lock")
                    || r.stderr.contains("lost the race for the lock"),
                "unexpected end: {}\n{}\n{}",
                r.status,
                r.stdout,
                r.stderr
            );
            refused += usize::from(r.status != 0);
        }
        let spans = write_spans(&sim.write_log());
        let spans: Vec<_> = spans.values().collect();
        for (i, a) in spans.iter().enumerate() {
            for b in &spans[i + 1..] {
                if a.0 < b.1 && b.0 < a.1 {
                    together += 1;
                }
            }
        }
        // Whoever won, the XNAT ends converged.
        repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
    }
    println!("lock: 10 pairs, {refused} runs refused, {together} runs proceeded together");
    assert_eq!(together, 0, "two applies wrote at the same time");
    assert!(refused > 0, "no pair contended: the test proved nothing");
}

fn kill(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// SIGTERM and SIGINT in the middle of an apply (slowed to 60 ms a request) release the lock:
/// the next apply does not wait for the lease.
#[test]
fn a_signal_mid_apply_releases_the_lock() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let sim = sim();
        sim.set_faults(Faults {
            latency: Duration::from_millis(60),
            ..Faults::default()
        });
        let repo = catalog(&sim);
        let child = repo.spawn(["apply", "repo"]);
        let deadline = Instant::now() + Duration::from_secs(60);
        // Wait for the first write under the lock (not the claim itself).
        while !sim
            .write_log()
            .iter()
            .any(|w| !w.path.ends_with("/config/xcs/lock"))
        {
            assert!(Instant::now() < deadline, "apply never wrote");
            std::thread::sleep(Duration::from_millis(20));
        }
        kill(&child, signal);
        let run = Run::of(child.wait_with_output().expect("wait"), repo.root());
        assert_eq!(run.status, code, "{signal}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "interrupted by SIG{signal}: stopped and released the apply lock"
            )),
            "{}",
            run.stderr
        );
        sim.set_faults(Faults::default());
        repo.exec(["unlock", "--force"])
            .code(0)
            .stdout_has("No apply lock was held");
        repo.exec(["apply", "repo"]).code(0);
    }
}

// ---- 4. the redactor -----------------------------------------------------------------------

/// XNAT echoes the registry body (with its password) into a 400: the canary, and the XNAT
/// password, reach no output — stdout, stderr, JSON, a saved plan, the review comment.
#[test]
fn a_secret_echoed_by_xnat_never_reaches_any_output() {
    let sim = Sim::start(
        SimConfig::default()
            .user(SimUser::admin("ci-deployer", XNAT_CANARY).container_manager())
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    );
    sim.set_faults(Faults {
        echo_bodies: Some("/xapi/docker/hubs".into()),
        ..Faults::default()
    });
    let repo = catalog(&sim)
        .env("XNAT_USER", "ci-deployer")
        .env("XNAT_PASS", XNAT_CANARY);
    let text = repo.exec(["apply", "repo"]).code(1);
    assert!(
        text.stdout.contains("FAILED  create registry neuro-lab")
            && text.stdout.contains("[REDACTED]"),
        "XNAT echoed the body and the redactor caught it:\n{}",
        text.stdout
    );
    let json = repo.exec(["apply", "repo", "--format", "json"]).code(1);
    assert!(json.stdout.contains("[REDACTED]"), "{}", json.stdout);
    let plan = repo.exec(["plan", "repo", "--out", "plan.json", "--format", "json"]);
    let saved = std::fs::read_to_string(repo.root().join("plan.json")).expect("saved plan");
    let from_saved = repo.exec(["apply", "plan.json"]);
    let review = {
        let r = Xcs::new()
            .git_init()
            .catalog("repo")
            .xnat(&sim)
            .env("XNAT_USER", "ci-deployer")
            .env("XNAT_PASS", XNAT_CANARY)
            .env("LAB_REGISTRY_PASSWORD", CANARY);
        r.commit("catalog");
        r.exec(["review", "repo", "--base", "HEAD"])
    };
    for run in [&text, &json, &plan, &from_saved, &review] {
        lacks(run, CANARY);
        lacks(run, XNAT_CANARY);
    }
    assert!(!saved.contains(CANARY) && !saved.contains(XNAT_CANARY));
}

// ---- 3. prune only what xcs created --------------------------------------------------------

/// xcs adopted the built-in "Docker Hub" and a hand-made command; after they leave the repo,
/// `--prune` releases them (and says so) instead of deleting; only what xcs created goes.
#[test]
fn prune_deletes_only_what_xcs_created_and_releases_what_it_adopted() {
    let sim = sim();
    let hand = sim
        .seed_command(
            serde_json::json!({"name": "hand-made", "image": "x/hand:1", "version": "1",
            "xnat": [{"name": "w", "contexts": ["xnat:projectData"]}]}),
        )
        .expect("seed");
    let repo = catalog(&sim).file(
        "repo/commands/hand-made.yaml",
        "kind: Command\nname: hand-made\nimage: x/hand:1\nversion: \"1\"\ntype: docker\ncommand-line: hand\nxnat:\n  - name: w\n    contexts: [xnat:projectData]\n",
    );
    repo.exec(["apply", "repo"]).code(0);
    let record = sim.config_entry("xcs", "managed", None).expect("record").0;
    assert!(record.contains("\"origin\": \"adopted\""), "{record}");
    // The default moves to neuro-lab; Docker Hub, fastsurfer and hand-made leave the repo.
    let regs = repo.root().join("repo/registries.yaml");
    let text = std::fs::read_to_string(&regs).expect("read");
    let lab = text.split("---\n").nth(1).expect("neuro-lab");
    std::fs::write(&regs, lab.replace("default: false", "default: true")).expect("write");
    std::fs::remove_file(repo.root().join("repo/commands/hand-made.yaml")).expect("rm");
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
    let plan = repo.exec(["plan", "repo", "--prune"]).code(0);
    assert!(
        plan.stdout.contains("- delete  command fastsurfer@2.2.0")
            && plan
                .stdout
                .contains("released — xcs forgets them and XNAT keeps them")
            && plan.stdout.contains("command hand-made@1")
            && !plan.stdout.contains("- delete  registry Docker Hub")
            && !plan.stdout.contains("- delete  command hand-made"),
        "{}",
        plan.stdout
    );
    repo.exec(["apply", "repo", "--prune"]).code(0);
    assert!(
        sim.wrapper_id("fastsurfer", "fastsurfer-session").is_none(),
        "created: pruned"
    );
    assert!(sim.command_ids().contains(&hand), "adopted: kept");
    assert!(
        sim.hub_credentials("Docker Hub").is_some(),
        "the built-in hub stays"
    );
    // Released: the record forgets them, so no later prune touches them either.
    let record = sim.config_entry("xcs", "managed", None).expect("record").0;
    assert!(
        !record.contains("hand-made") && !record.contains("Docker Hub"),
        "{record}"
    );
    repo.exec(["apply", "repo", "--prune-adopted"]).code(0);
    assert!(
        sim.command_ids().contains(&hand),
        "forgotten, so not even --prune-adopted"
    );
}

// ---- 2. automations while the event service is off ------------------------------------------

#[test]
fn automations_are_observed_while_the_event_service_is_off() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    assert!(sim.event_service_enabled());
    sim.set_event_service_enabled(false);
    let plan = repo.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout.contains("update  event service")
            && !plan.stdout.contains("create  automation"),
        "the subscriptions are still there:\n{}",
        plan.stdout
    );
    let run = repo.exec(["apply", "repo"]).code(0);
    assert!(!run.stdout.contains("create automation"), "{}", run.stdout);
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
}

/// On a release that lists no subscriptions while the event service is off, the plan cannot
/// see an existing one and plans its create; XNAT refuses the taken name (500, as xnat-web's
/// `throwExceptionIfNameExists`), and the journal says "adopted", never "done".
#[test]
fn a_taken_subscription_name_is_adopted_not_reported_created() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    // The record forgets the subscriptions (as an XNAT that never had xcs would have them).
    reqwest::blocking::Client::new()
        .delete(format!("{}/data/config/xcs/managed", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .expect("delete record");
    sim.set_event_service_enabled(false);
    sim.set_hide_subscriptions_while_disabled(true);
    let plan = repo.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout
            .contains("create  automation brainage-dcm2niix-on-archive"),
        "{}",
        plan.stdout
    );
    let run = repo.exec(["apply", "repo"]).code(0);
    assert!(
        run.stdout.contains("adopted  create automation brainage-dcm2niix-on-archive (XNAT already has a subscription named")
            && !run.stdout.contains("done  create automation"),
        "{}",
        run.stdout
    );
    let record = sim.config_entry("xcs", "managed", None).expect("record").0;
    let adopted = record.matches("\"origin\": \"adopted\"").count();
    assert!(adopted >= 2, "{record}");
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
}

/// Two automations that start the same wrapper for the same event are flagged.
#[test]
fn double_launches_are_flagged() {
    let sim = sim();
    let repo = catalog(&sim);
    let automations = repo.root().join("repo/automations.yaml");
    let text = std::fs::read_to_string(&automations).expect("read");
    std::fs::write(
        &automations,
        format!("{text}---\nkind: Automation\nname: convert-again\nproject: BRAINAGE\nevent: {{type: ScanEvent, status: CREATED}}\ncommand: dcm2niix\nwrapper: dcm2niix-scan\nactive: true\n"),
    )
    .expect("write");
    let plan = repo.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout.contains("automations `brainage-dcm2niix-on-archive` and `convert-again` launch the same wrapper for the same event (ScanEvent CREATED)"),
        "{}",
        plan.stdout
    );
}

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
        .stdout_has("Apply: 35 done");
}

// ---- 7. roles -------------------------------------------------------------------------------

#[test]
fn a_manager_who_is_not_site_admin_is_told_before_any_write() {
    let sim = Sim::start(
        SimConfig::default()
            .user(SimUser::new("mgr", "manager-pw").container_manager())
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    );
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
    sim.set_faults(Faults {
        latency: Duration::from_millis(30),
        ..Faults::default()
    });
    let repo = catalog(&sim);
    let child = repo.spawn(["apply", "repo"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sim
        .write_log()
        .iter()
        .any(|w| w.path.ends_with("/config/xcs/lock"))
    {
        assert!(Instant::now() < deadline, "apply never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
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

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (tests/run installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 it signed, made here.
fn private_ca(dir: &std::path::Path) -> Tls {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=xcs test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n").expect("ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    Tls {
        chain: std::fs::read(dir.join("server.pem")).expect("cert"),
        key: std::fs::read(dir.join("server.key")).expect("key"),
    }
}

#[test]
fn tls_through_a_private_ca() {
    let pki = tempfile::tempdir().expect("tmp");
    let tls = private_ca(pki.path());
    let sim = Sim::start(
        SimConfig::default()
            .tls(tls)
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    );
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
        .stdout_has("Plan: 14 to create");
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
    assert_eq!(listing["live_digest"], fallback["live_digest"]);
}

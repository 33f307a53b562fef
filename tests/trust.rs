//! Apply you can trust in production (issue 11), through the CLI against the simulator: the
//! lock is exclusive under jittered latency and released on signals, secrets never come back
//! out (even when XNAT echoes them), prune deletes only what xcs created, automations are
//! observed while the event service is off, saved plans are bound to their secrets, roles are
//! checked up front, logins are retried, environments are required, TLS through a private CA.

use crate::support::xnat_sim::{Faults, LoggedWrite, Sim, SimConfig, SimProject, SimUser};
use crate::support::{Run, Xcs};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub const CANARY: &str = "CANARY-s3cr3t-9d2f7e-registry";
const XNAT_CANARY: &str = "CANARY-s3cr3t-41ab0c-login";

pub fn sim() -> Sim {
    Sim::start(crate::support::with_catalog_images(
        SimConfig::default()
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    ))
}

/// The catalog without its environments, against `sim` as its admin.
pub fn catalog(sim: &Sim) -> Xcs {
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

/// Start `xcs apply repo` slowed by `latency` per request and return once a write matching
/// `seen` reached the simulator.
pub fn apply_until(
    sim: &Sim,
    repo: &Xcs,
    latency: Duration,
    seen: impl Fn(&LoggedWrite) -> bool,
) -> std::process::Child {
    sim.set_faults(Faults {
        latency,
        ..Faults::default()
    });
    let child = repo.spawn(["apply", "repo"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sim.write_log().iter().any(&seen) {
        assert!(Instant::now() < deadline, "apply never made that write");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
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
        let repo = catalog(&sim);
        // The first write under the lock (not the claim itself).
        let child = apply_until(&sim, &repo, Duration::from_millis(60), |w| {
            !w.path.ends_with("/config/xcs/lock")
        });
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
    let sim = Sim::start(crate::support::with_catalog_images(
        SimConfig::default()
            .user(SimUser::admin("ci-deployer", XNAT_CANARY).container_manager())
            .project(SimProject::new("BRAINAGE"))
            .project(SimProject::new("PHANTOM_QC")),
    ));
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
    sim.add_registry_image(crate::support::xnat_sim::SimImage::new("x/hand:1"));
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

//! Plan and apply at scale against the XNAT simulator with 10 ms of latency per request:
//! 500 commands × 2 wrappers, 100 projects each enabling 10 wrappers with configuration
//! overrides on 5. Prints request counts and wall times for plan, the first apply and a
//! re-apply, and which path the plan read the wrappers' state by (CS's stored documents, one
//! config-service listing per scope, or per wrapper), against the targets: plan ≤ 120 requests
//! and ≤ 0.6 s, and a re-apply with no changes makes no writes.
//!
//! Run: `cargo bench --bench apply`.

#[path = "../tests/support/xnat_sim/mod.rs"]
mod xnat_sim;

use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use xnat_sim::{Faults, Sim, SimConfig, SimProject};

const COMMANDS: usize = 500;
const PROJECTS: usize = 100;

fn command(i: usize) -> serde_json::Value {
    let wrapper = |w: &str, context: &str, ty: &str| {
        json!({
            "name": format!("tool{i:03}-{w}"),
            "contexts": [context],
            "external-inputs": [{"name": "target", "type": ty, "required": true}],
            "derived-inputs": [{"name": "label", "type": "string", "derived-from-wrapper-input": "target",
                                "derived-from-xnat-object-property": "label", "provides-value-for-command-input": "LABEL"}],
            "output-handlers": [{"name": "out", "accepts-command-output": "result", "as-a-child-of": "target", "type": "Resource", "label": "RESULT"}]
        })
    };
    json!({
        "name": format!("tool{i:03}"),
        "version": "1.0",
        "image": format!("bench/tool{i:03}:1.0"),
        "command-line": "run #LABEL# #LEVEL# /out",
        "mounts": [{"name": "out", "writable": true, "path": "/out"}],
        "inputs": [{"name": "LABEL"}, {"name": "LEVEL", "default-value": "1"}],
        "outputs": [{"name": "result", "mount": "out", "path": "."}],
        "xnat": [wrapper("session", "xnat:imageSessionData", "Session"), wrapper("scan", "xnat:imageScanData", "Scan")]
    })
}

fn write_repo(dir: &Path) {
    std::fs::create_dir_all(dir.join("commands")).expect("mkdir");
    std::fs::create_dir_all(dir.join("projects")).expect("mkdir");
    for i in 0..COMMANDS {
        std::fs::write(
            dir.join(format!("commands/tool{i:03}.json")),
            command(i).to_string(),
        )
        .expect("write");
    }
    let wrappers = |i: usize| [format!("tool{i:03}-session"), format!("tool{i:03}-scan")];
    let mut site = String::from("kind: Site\nwrappers:\n");
    for i in 0..COMMANDS {
        for w in wrappers(i) {
            site.push_str(&format!("  - {{command: tool{i:03}, wrapper: {w}}}\n"));
        }
    }
    std::fs::write(dir.join("site.yaml"), site).expect("write");
    for p in 0..PROJECTS {
        let mut doc = format!("kind: Project\nid: P{p:03}\nwrappers:\n");
        for k in 0..10 {
            let i = (p * 5 + k) % COMMANDS;
            let w = &wrappers(i)[k % 2];
            doc.push_str(&format!("  - command: tool{i:03}\n    wrapper: {w}\n"));
            if k < 5 {
                doc.push_str(&format!(
                    "    config:\n      inputs:\n        LEVEL: {{default-value: \"{}\"}}\n",
                    p % 7 + 2
                ));
            }
        }
        std::fs::write(dir.join(format!("projects/p{p:03}.yaml")), doc).expect("write");
    }
}

fn main() {
    let xcs = env!("CARGO_BIN_EXE_xcs");
    let mut config = SimConfig::default();
    for p in 0..PROJECTS {
        config = config.project(SimProject::new(&format!("P{p:03}")));
    }
    config.max_sessions_per_user = 10_000;
    let sim = Sim::start(config.faults(Faults {
        latency: Duration::from_millis(10),
        ..Faults::default()
    }));
    let dir = tempfile::Builder::new()
        .prefix("xcs-bench-apply-")
        .tempdir()
        .expect("temp dir");
    write_repo(dir.path());
    let wrappers = COMMANDS * 2;
    let configs = PROJECTS * 5;
    println!(
        "{COMMANDS} commands × 2 wrappers, {PROJECTS} projects × 10 wrappers ({configs} configured), 10 ms latency per request"
    );
    let run = |args: &[&str]| {
        sim.reset_counters();
        let start = Instant::now();
        let out = Command::new(xcs)
            .args(args)
            .arg(dir.path())
            .env("XNAT_URL", sim.url())
            .env("XNAT_USER", "admin")
            .env("XNAT_PASS", "admin")
            .output()
            .expect("run xcs");
        let wall = start.elapsed();
        assert!(
            out.status.success(),
            "{args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let c = sim.counters();
        (
            wall,
            c,
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let _ = (wrappers, configs);
    let report = |name: &str, (wall, c, first): (Duration, xnat_sim::Counters, String)| {
        println!(
            "{name:<18} {:>6.2} s  {:>5} requests ({} reads, {} writes), at most {} in flight — {first}",
            wall.as_secs_f64(),
            c.total,
            c.total - c.writes,
            c.writes,
            c.max_in_flight
        );
        c
    };
    report("plan (empty XNAT)", run(&["plan"]));
    report("first apply", run(&["apply"]));
    let plan = report("plan", run(&["plan"]));
    // The timed figure is the median of three more plans: the machine is shared.
    let mut walls: Vec<Duration> = (0..3).map(|_| run(&["plan"]).0).collect();
    walls.sort();
    let wall = walls[1];
    let json = Command::new(xcs)
        .args(["plan", "--format", "json"])
        .arg(dir.path())
        .env("XNAT_URL", sim.url())
        .env("XNAT_USER", "admin")
        .env("XNAT_PASS", "admin")
        .output()
        .expect("run xcs");
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    println!(
        "  plan read the wrappers' state via {}: {} requests (target ≤ 120), median {:.2} s of 3 (target ≤ 0.6 s)",
        json["read_via"],
        plan.total,
        wall.as_secs_f64()
    );
    let again = report("re-apply", run(&["apply"]));
    println!("re-apply writes: {} (target 0)", again.writes);
}

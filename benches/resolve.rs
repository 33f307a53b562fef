//! Resolving 200 `from: image-labels` commands from a local registry (Debian `docker-registry`
//! behind the tests' bearer-token front, 0–4 ms of jitter per request; the registry itself runs
//! without htpasswd, whose bcrypt check per request would be what is measured). Prints wall time,
//! requests per image and the most requests in flight, against the targets: ≤ 3 requests per
//! image (token, manifest, config blob), ≤ 8 in flight, under 2 s; then a `validate` that reads
//! the fresh `xcs.lock` and must send no request.
//!
//! Run: `cargo bench --bench resolve` (needs `docker-registry` and `htpasswd`).

#[path = "../tests/support/registry.rs"]
#[allow(dead_code)]
mod registry;

use registry::{DockerRegistry, Front};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Instant;

const IMAGES: usize = 200;

fn main() {
    let reg = DockerRegistry::start_open();
    let front = Front::start(&reg, "bench-user", "bench-password");
    let dir = tempfile::Builder::new()
        .prefix("xcs-labels-bench-")
        .tempdir()
        .expect("tmp");
    std::fs::create_dir_all(dir.path().join("commands")).expect("mkdir");
    std::fs::write(
        dir.path().join("registry.yaml"),
        format!("kind: Registry\nname: bench\nurl: http://{}\nusername: bench-user\npassword: ${{env:XCS_BENCH_PASS}}\n", front.host()),
    )
    .expect("write");
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("XCS_BENCH_PASS", "bench-password") };
    let pushed = Instant::now();
    for i in 0..IMAGES {
        let label = json!([{"name": format!("tool{i:03}"), "version": "1.0", "type": "docker", "command-line": "run",
            "xnat": [{"name": format!("tool{i:03}-session"), "contexts": ["xnat:imageSessionData"],
                "external-inputs": [{"name": "session", "type": "Session"}]}]}]);
        reg.push_image(
            &format!("bench/tool{i:03}"),
            "1.0",
            json!({"org.nrg.commands": label.to_string()}),
        );
        std::fs::write(
            dir.path().join(format!("commands/tool{i:03}.yaml")),
            format!(
                "from: image-labels\nimage: {}/bench/tool{i:03}:1.0\n",
                front.host()
            ),
        )
        .expect("write");
    }
    println!("pushed {IMAGES} images in {:.2?}", pushed.elapsed());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let opts = xcs::resolve::Options::new(dir.path());
    let before = front.requests();
    let cpu_before = (cpu_seconds("self"), cpu_seconds(&reg.pid().to_string()));
    let started = Instant::now();
    let report = rt.block_on(xcs::resolve::lock(&opts, false)).expect("lock");
    let took = started.elapsed();
    let cpu = (
        cpu_seconds("self") - cpu_before.0,
        cpu_seconds(&reg.pid().to_string()) - cpu_before.1,
    );
    let requests = front.requests() - before;
    let max = front.traffic().max_in_flight.load(Ordering::SeqCst);
    let errors = report.validation.counts().errors;
    println!("resolve {IMAGES} images: {took:.2?} (target < 2 s)");
    println!(
        "requests: {requests} = {:.2} per image (target ≤ 3); client counted {}; tokens {}",
        requests as f64 / IMAGES as f64,
        report.stats.requests,
        front.traffic().tokens.load(Ordering::SeqCst)
    );
    println!(
        "most in flight: {max} at the server, {} in the client (target ≤ 8)",
        report.stats.max_in_flight
    );
    println!(
        "CPU while resolving: {:.2} s in this process (xcs and the front), {:.2} s in docker-registry, over {took:.2?} of wall time on {} cores",
        cpu.0,
        cpu.1,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("validation errors after locking: {errors}");

    let at = front.requests();
    let started = Instant::now();
    let v = xcs::validate::validate_source(&xcs::load::Source::new(dir.path(), None))
        .expect("validate");
    println!(
        "validate with the fresh lock: {:.2?}, {} commands, {} requests (target 0)",
        started.elapsed(),
        v.repo.commands.len(),
        front.requests() - at
    );
}

/// User + system CPU time of process `pid` (`self` for this one), from `/proc/PID/stat`
/// (clock ticks of 1/100 s, as Linux reports them); 0 where it cannot be read.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`, which may hold spaces: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

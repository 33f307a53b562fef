//! Validation speed, end to end through the CLI: 10,000 command documents generated from the
//! catalog's commands (clean), and 10,000 smaller JSON commands that each draw six warnings
//! (the cost of finding, locating and rendering problems), against the targets (clean: ≤ 0.4 s
//! median, ≤ 100 MB peak; warning-heavy: within 1.5× of clean), and side by side with
//! `check-jsonschema` (PyPI) checking the clean files against the same schema.
//!
//! Run: `cargo bench --bench validate`. Prints figures; asserts nothing about time.
//! `XCS_BENCH_SKIP_CHECK_JSONSCHEMA=1` leaves out check-jsonschema (minutes of Python).

#[path = "support/catalog_copies.rs"]
mod catalog_copies;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DOCUMENTS: usize = 10_000;
const RUNS: usize = 5;

fn main() {
    let project = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let xcs = PathBuf::from(env!("CARGO_BIN_EXE_xcs"));
    let dir = tempfile::Builder::new()
        .prefix("xcs-bench-")
        .tempdir()
        .expect("temp dir");
    let clean = dir.path().join("clean");
    let warned = dir.path().join("warnings");
    let bytes =
        catalog_copies::generate(&project.join("catalog/commands"), &clean, DOCUMENTS).bytes;
    println!(
        "generated {DOCUMENTS} catalog-sized command documents ({:.1} MB of YAML) in {}",
        bytes as f64 / 1e6,
        clean.display()
    );
    let warned_bytes = generate_warned(&warned);
    println!(
        "generated {DOCUMENTS} smaller JSON commands with {WARNINGS} warnings each ({:.1} MB) in {}",
        warned_bytes as f64 / 1e6,
        warned.display()
    );

    // One untimed run each warms the page cache and checks what the documents draw.
    let out = Command::new(&xcs)
        .args(["validate", "--deny-warnings"])
        .arg(&clean)
        .output()
        .expect("run xcs");
    assert!(
        out.status.success(),
        "generated documents do not validate:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = Command::new(&xcs)
        .arg("validate")
        .arg(&warned)
        .output()
        .expect("run xcs");
    let summary = String::from_utf8_lossy(&out.stdout);
    let expected = format!("0 errors, {} warnings", DOCUMENTS * WARNINGS);
    assert!(
        out.status.success() && summary.contains(&expected),
        "the warning-heavy set should draw {expected}:\n{}",
        summary.lines().last().unwrap_or_default()
    );

    let clean_median = report(
        "xcs validate, clean set",
        Command::new(&xcs).arg("validate").arg(&clean),
        "target ≤ 0.4 s, ≤ 100 MB",
    );
    let warned_median = report(
        "xcs validate, warning-heavy set",
        Command::new(&xcs).arg("validate").arg(&warned),
        "target within 1.5× of the clean set",
    );
    println!(
        "warning-heavy / clean: {:.2}× (target ≤ 1.5×)",
        warned_median.as_secs_f64() / clean_median.as_secs_f64()
    );

    if std::env::var_os("XCS_BENCH_SKIP_CHECK_JSONSCHEMA").is_some() {
        println!("check-jsonschema: skipped (XCS_BENCH_SKIP_CHECK_JSONSCHEMA is set)");
        return;
    }
    match check_jsonschema() {
        None => {
            println!("check-jsonschema: not available (pip install check-jsonschema) — no ratio")
        }
        Some(tool) => {
            let files: Vec<PathBuf> = std::fs::read_dir(clean.join("commands"))
                .expect("read generated")
                .map(|e| e.expect("entry").path())
                .collect();
            let mut cmd = Command::new(&tool[0]);
            cmd.args(&tool[1..])
                .arg("--schemafile")
                .arg(project.join("schemas/command.schema.json"))
                .args(&files);
            let wall = timed(&mut cmd).wall;
            println!(
                "check-jsonschema (schema only), clean set: {:.3} s (load {}); xcs (schema + every rule) is {:.1}× faster (aim ≥ 20×)",
                wall.as_secs_f64(),
                load(),
                wall.as_secs_f64() / clean_median.as_secs_f64()
            );
        }
    }
}

/// Time `RUNS` runs of `cmd` and print the median, the best, the peak memory and the CPU time,
/// with the load average (the machine may be shared). Returns the median wall time.
fn report(what: &str, cmd: &mut Command, target: &str) -> Duration {
    let before = load();
    let mut runs: Vec<Run> = (0..RUNS).map(|_| timed(cmd)).collect();
    runs.sort_by_key(|r| r.wall);
    let median = runs[RUNS / 2].wall;
    let peak = runs.iter().filter_map(|r| r.peak_kb).max();
    let mut cpu: Vec<f64> = runs.iter().filter_map(|r| r.cpu).collect();
    cpu.sort_by(f64::total_cmp);
    println!(
        "{what}: median {:.3} s, best {:.3} s over {RUNS} runs; peak memory {}; CPU (user + system) median {} ({target}; load {before} → {})",
        median.as_secs_f64(),
        runs[0].wall.as_secs_f64(),
        peak.map_or("unknown (/usr/bin/time missing)".to_string(), |kb| format!(
            "{:.1} MB",
            kb as f64 / 1024.0
        )),
        cpu.get(cpu.len() / 2)
            .map_or("unknown".to_string(), |c| format!("{c:.2} s")),
        load(),
    );
    median
}

/// The 1-minute load average, as `uptime` prints it.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Warnings each document of the warning-heavy set draws.
const WARNINGS: usize = 6;

/// Small JSON commands that each draw [`WARNINGS`] warnings and no error: a `latest` tag, the
/// server fields `id` and `hash`, a misspelt key, a quoted boolean and a relative mount path.
fn generate_warned(out: &Path) -> usize {
    let commands = out.join("commands");
    std::fs::create_dir_all(&commands).expect("mkdir");
    let mut bytes = 0;
    for i in 0..DOCUMENTS {
        let text = WARNED.replace("NNNNN", &format!("{i:05}"));
        bytes += text.len();
        std::fs::write(commands.join(format!("warn-{i:05}.json")), text).expect("write");
    }
    bytes
}

const WARNED: &str = r##"{
  "name": "warn-NNNNN",
  "version": "1.0",
  "image": "example/warn-tool:latest",
  "type": "docker",
  "id": 17,
  "hash": "3f2a9c",
  "descriptoin": "Converts the scans of a session",
  "command-line": "convert #IN# /output --level #LEVEL#",
  "mounts": [
    {"name": "in", "writable": false, "path": "input"},
    {"name": "out", "writable": true, "path": "/output"}
  ],
  "inputs": [
    {"name": "level", "type": "number", "default-value": "3", "replacement-key": "#LEVEL#", "required": "false"},
    {"name": "in-dir", "type": "string", "replacement-key": "#IN#", "required": false}
  ],
  "outputs": [
    {"name": "result", "mount": "out", "required": true}
  ],
  "xnat": [
    {
      "name": "warn-NNNNN-session",
      "contexts": ["xnat:imageSessionData"],
      "external-inputs": [
        {"name": "session", "type": "Session", "required": true, "provides-files-for-command-mount": "in"}
      ],
      "output-handlers": [
        {"name": "result-resource", "accepts-command-output": "result", "as-a-child-of": "session", "type": "Resource", "label": "RESULT"}
      ]
    }
  ]
}
"##;

/// What one run cost: wall time, and (when `/usr/bin/time` is there to measure them) peak
/// resident memory in KiB and CPU seconds, user plus system (steadier than wall time on a
/// shared machine).
struct Run {
    wall: Duration,
    peak_kb: Option<u64>,
    cpu: Option<f64>,
}

fn timed(cmd: &mut Command) -> Run {
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    if time.exists() {
        let out = Command::new(time)
            .args(["-f", "%M %U %S"])
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .output()
            .expect("run");
        let wall = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let fields: Vec<&str> = stderr
            .lines()
            .last()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let number = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        Run {
            wall,
            peak_kb: fields.first().and_then(|f| f.parse().ok()),
            cpu: number(1).zip(number(2)).map(|(u, s)| u + s),
        }
    } else {
        cmd.output().expect("run");
        Run {
            wall: start.elapsed(),
            peak_kb: None,
            cpu: None,
        }
    }
}

fn check_jsonschema() -> Option<Vec<String>> {
    let works = |cmd: &[&str]| {
        Command::new(cmd[0])
            .args(&cmd[1..])
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&["check-jsonschema"]) {
        return Some(vec!["check-jsonschema".into()]);
    }
    println!("installing check-jsonschema from PyPI…");
    let _ = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "check-jsonschema"])
        .status();
    works(&["python3", "-m", "check_jsonschema"])
        .then(|| vec!["python3".into(), "-m".into(), "check_jsonschema".into()])
}

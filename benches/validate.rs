//! Validation speed: 10,000 command documents generated from the catalog's commands, validated
//! end to end through the CLI, against the targets (≤ 1 s wall, ≤ 200 MB peak) and side by side
//! with `check-jsonschema` (PyPI) checking the same files against the same schema.
//!
//! Run: `cargo bench --bench validate`. Prints figures; asserts nothing about time.

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
    let bytes = generate(&project.join("catalog/commands"), dir.path());
    println!(
        "generated {DOCUMENTS} command documents ({:.1} MB) in {}",
        bytes as f64 / 1e6,
        dir.path().display()
    );

    // One untimed run warms the page cache and checks the documents are clean.
    let status = Command::new(&xcs)
        .args(["validate", "--deny-warnings"])
        .arg(dir.path())
        .output()
        .expect("run xcs");
    assert!(
        status.status.success(),
        "generated documents do not validate:\n{}",
        String::from_utf8_lossy(&status.stdout)
    );

    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..RUNS {
        let (wall, peak) = timed(Command::new(&xcs).arg("validate").arg(dir.path()));
        walls.push(wall);
        peaks.extend(peak);
    }
    walls.sort();
    let median = walls[RUNS / 2];
    println!(
        "xcs validate: median {:.3} s, best {:.3} s over {RUNS} runs (target ≤ 1 s); peak memory {} (target ≤ 200 MB)",
        median.as_secs_f64(),
        walls[0].as_secs_f64(),
        peaks
            .iter()
            .max()
            .map_or("unknown (/usr/bin/time missing)".to_string(), |kb| format!(
                "{:.1} MB",
                *kb as f64 / 1024.0
            )),
    );

    match check_jsonschema() {
        None => {
            println!("check-jsonschema: not available (pip install check-jsonschema) — no ratio")
        }
        Some(tool) => {
            let files: Vec<PathBuf> = std::fs::read_dir(dir.path().join("commands"))
                .expect("read generated")
                .map(|e| e.expect("entry").path())
                .collect();
            let mut cmd = Command::new(&tool[0]);
            cmd.args(&tool[1..])
                .arg("--schemafile")
                .arg(project.join("schemas/command.schema.json"))
                .args(&files);
            let (wall, _) = timed(&mut cmd);
            println!(
                "check-jsonschema (schema only): {:.3} s; xcs (schema + every rule) is {:.1}× faster (aim ≥ 20×)",
                wall.as_secs_f64(),
                wall.as_secs_f64() / median.as_secs_f64()
            );
        }
    }
}

/// Copies of the catalog's commands under new names. Setup and wrapup commands are copied once:
/// other commands refer to them by image and name.
fn generate(catalog: &Path, out: &Path) -> usize {
    let mut templates = Vec::new();
    let mut fixed = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(catalog)
        .expect("catalog/commands")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("read command");
        if text.contains("type: docker-setup") || text.contains("type: docker-wrapup") {
            fixed.push((path.file_name().expect("name").to_owned(), text));
        } else {
            templates.push(text);
        }
    }
    let commands = out.join("commands");
    std::fs::create_dir_all(&commands).expect("mkdir");
    let mut bytes = 0;
    for (name, text) in &fixed {
        std::fs::write(commands.join(name), text).expect("write");
        bytes += text.len();
    }
    for i in 0..DOCUMENTS - fixed.len() {
        let template = &templates[i % templates.len()];
        let text = rename(template, i);
        bytes += text.len();
        std::fs::write(commands.join(format!("cmd-{i:05}.yaml")), text).expect("write");
    }
    bytes
}

fn rename(text: &str, i: usize) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("name: ") {
            Some(name) => format!("name: {}-{i:05}", name.trim_matches('"')),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Wall time, and peak resident memory in KiB when `/usr/bin/time` is there to measure it.
fn timed(cmd: &mut Command) -> (Duration, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    if time.exists() {
        let out = Command::new(time)
            .args(["-f", "%M"])
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .output()
            .expect("run");
        let wall = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let peak = stderr.lines().last().and_then(|l| l.trim().parse().ok());
        (wall, peak)
    } else {
        cmd.output().expect("run");
        (start.elapsed(), None)
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

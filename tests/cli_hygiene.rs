//! The CLI in pipes and shells: a closed stdout ends every subcommand quietly, completions load
//! in bash, the manual page renders.

use crate::support::Xcs;
use crate::support::xnat_sim::{Sim, SimConfig};
use std::process::Command;

/// `xcs … | head -1` once `head` has gone: no panic, no message, death by SIGPIPE (status 141 in
/// a shell), like any Unix tool. Every subcommand that prints to stdout, offline ones first.
#[test]
fn a_closed_stdout_ends_every_offline_subcommand_quietly() {
    let repo = Xcs::new().catalog("catalog").closed_stdout();
    for args in [
        &["rules"][..],
        &["rules", "--format", "json"],
        &["rules", "--format", "markdown"],
        &["schema", "command"],
        &["validate", "catalog"],
        &["validate", "catalog", "--format", "json"],
        &["site", "build", "catalog", "--out", "site-out"],
        &["completions", "bash"],
        &["man"],
        &["--help"],
        &["validate", "--help"],
        &["--version"],
    ] {
        let run = repo.exec_closed(args);
        assert_eq!(run.signal, Some(13), "xcs {args:?}: {}", run.stderr);
        run.ended_by_closed_stdout();
    }
    // With problems found (exit 1 otherwise), too.
    let bad = Xcs::new()
        .file("bad.yaml", "kind: Command\nname: x\n")
        .closed_stdout();
    for format in ["human", "json", "github"] {
        bad.exec_closed(["validate", ".", "--format", format])
            .ended_by_closed_stdout();
    }
}

#[test]
fn a_closed_stdout_ends_diff_and_review_quietly() {
    let repo = Xcs::new().catalog("decl").git_init();
    repo.commit("base");
    let path = repo.root().join("decl/registries.yaml");
    let text = std::fs::read_to_string(&path).expect("read registries");
    std::fs::write(
        &path,
        text.replace("username: xnat-puller", "username: xnat-robot"),
    )
    .expect("write");
    let repo = repo.closed_stdout();
    repo.exec_closed(["diff", "--base", "HEAD", "decl"])
        .ended_by_closed_stdout();
    repo.exec_closed(["diff", "--base", "HEAD", "decl", "--format", "json"])
        .ended_by_closed_stdout();
    repo.exec_closed(["review", "--base", "HEAD", "decl"])
        .ended_by_closed_stdout();
}

#[test]
fn a_closed_stdout_ends_the_subcommands_that_talk_to_xnat_quietly() {
    let sim = Sim::start(SimConfig::default());
    let repo = Xcs::new()
        .catalog("repo")
        .xnat(&sim)
        .env("LAB_REGISTRY_PASSWORD", "x")
        .closed_stdout();
    for args in [
        &["plan", "repo"][..],
        &["plan", "repo", "--format", "json"],
        &["apply", "repo", "--dry-run"],
        &["import", "--out", "imported"],
        &["unlock", "--force"],
    ] {
        let run = repo.exec_closed(args);
        assert_eq!(run.signal, Some(13), "xcs {args:?}: {}", run.stderr);
        run.ended_by_closed_stdout();
    }
}

/// Loads the generated script in bash and asks it to complete, as bash does on Tab.
fn complete(script: &str, line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split(' ').collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n_xcs xcs '{cur}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len().saturating_sub(2)],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_loads_and_completes_subcommands_and_flags() {
    let run = Xcs::new().args(["completions", "bash"]).run().code(0);
    assert_eq!(complete(&run.stdout, "xcs va"), ["validate"]);
    let all = complete(&run.stdout, "xcs ");
    for sub in [
        "validate",
        "diff",
        "plan",
        "apply",
        "site",
        "completions",
        "man",
    ] {
        assert!(all.iter().any(|w| w == sub), "{sub} missing from {all:?}");
    }
    let flags = complete(&run.stdout, "xcs validate --for");
    assert_eq!(flags, ["--format"]);
    // The script registers itself for the `xcs` command.
    assert!(run.stdout.contains("complete -F _xcs"), "{}", run.stdout);
}

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = Xcs::new().args(["completions", shell]).run().code(0);
        for sub in ["validate", "plan", "completions"] {
            assert!(run.stdout.contains(sub), "{shell}: no {sub}");
        }
    }
    Xcs::new()
        .args(["completions", "tcsh"])
        .run()
        .code(2)
        .stderr_has("invalid value 'tcsh'");
}

#[test]
fn the_manual_page_is_roff_and_one_page_per_subcommand_with_dir() {
    let run = Xcs::new().arg("man").run().code(0);
    assert!(run.stdout.contains(".TH xcs 1"), "{}", run.stdout);
    for sub in ["validate", "plan", "apply", "completions"] {
        assert!(run.stdout.contains(sub), "no {sub} in the page");
    }
    let repo = Xcs::new();
    repo.exec(["man", "--dir", "man"]).code(0);
    for page in ["xcs.1", "xcs-validate.1", "xcs-site.1", "xcs-completions.1"] {
        let text = std::fs::read_to_string(repo.root().join("man").join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page} is not roff");
    }
}

/// The shell pipelines from the issue: one line out, nothing on stderr, and no status but
/// success or SIGPIPE's 141.
#[test]
fn piping_into_head_prints_one_line_without_a_panic() {
    let repo = Xcs::new().catalog("catalog");
    for pipeline in ["xcs rules | head -1", "xcs validate catalog | head -1"] {
        let script = format!("{pipeline}; echo \"status ${{PIPESTATUS[0]}}\" >&2");
        let run = repo.exec_shell(&script);
        assert_eq!(run.stdout.lines().count(), 1, "{pipeline}: {}", run.stdout);
        let status = run.stderr.trim();
        assert!(
            status == "status 0" || status == "status 141",
            "{pipeline}: {status}"
        );
    }
}

//! `xcs review`: the pull-request comment, whole and cut to fit.

use crate::diff::fixture;
use crate::snapshot;

fn changed() -> crate::support::Xcs {
    let repo = fixture();
    let commands = repo.root().join("decl/commands.yaml");
    let text = std::fs::read_to_string(&commands).expect("fixture");
    let text = text
        .replace("image: example/convert:1.0", "image: example/convert:1.1")
        .replace(
            "  - name: convert-session\n",
            "  - name: convert-sessions\n",
        )
        .replace("limit-memory: 2048", "limit-memory: 1024");
    repo.file("decl/commands.yaml", text)
}

#[test]
fn comment_with_validation_diff_and_plan() {
    // The site still names the old wrapper: a validation error the comment must show.
    let repo = changed().file(
        "plan.md",
        "### xcs plan\n\nPlan: 0 to create, 1 to update, 0 to delete\n\n<details><summary>update Command convert</summary>\n\n- image\n\n</details>\n",
    );
    let run = repo
        .exec(["review", "--base", "HEAD", "decl", "--plan", "plan.md"])
        .code(0);
    assert!(
        run.stdout.starts_with("<!-- xcs-review -->\n"),
        "{}",
        run.stdout
    );
    snapshot!("review_comment", run.stdout);
}

#[test]
fn comment_without_changes_or_plan() {
    let run = fixture()
        .args(["review", "--base", "HEAD", "decl"])
        .run()
        .code(0);
    snapshot!("review_no_changes", run.stdout);
}

#[test]
fn a_long_comment_is_cut_with_a_notice() {
    // Many commands, each changed: far more than the limit allows.
    let mut repo = fixture();
    let mut many = String::new();
    for i in 0..60 {
        many.push_str(&format!(
            "---\nkind: Command\nname: tool-{i:02}\nversion: \"1\"\nimage: example/tool-{i:02}:1\ncommand-line: run\nxnat:\n  - {{name: tool-{i:02}-session, contexts: [\"xnat:imageSessionData\"]}}\n"
        ));
    }
    repo = repo.file("decl/commands/many.yaml", &many);
    repo.commit("many tools");
    repo = repo.file(
        "decl/commands/many.yaml",
        many.replace(":1\n", ":2\n")
            .replace("command-line: run", "command-line: run --fast"),
    );
    let full = repo
        .exec(["review", "--base", "HEAD", "decl", "--max-chars", "0"])
        .code(0)
        .stdout;
    assert!(full.chars().count() > 6_000, "{}", full.len());
    let run = repo
        .exec([
            "review",
            "--base",
            "HEAD",
            "decl",
            "--max-chars",
            "6000",
            "--artifact-url",
            "https://ci.example.org/runs/42",
        ])
        .code(0);
    let cut = run.stdout;
    assert!(
        cut.chars().count() <= 6_000,
        "{} characters",
        cut.chars().count()
    );
    assert!(cut.starts_with("<!-- xcs-review -->\n"));
    assert!(
        cut.contains("[the full review](https://ci.example.org/runs/42)"),
        "{cut}"
    );
    // Every <details> that opens, closes.
    assert_eq!(
        cut.matches("<details").count(),
        cut.matches("</details>").count()
    );
    snapshot!("review_cut", cut);
    // The default limit leaves the full comment alone when it fits.
    let default = repo
        .exec(["review", "--base", "HEAD", "decl"])
        .code(0)
        .stdout;
    assert_eq!(default, full);
}

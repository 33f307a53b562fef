//! `xcs validate` on the forms command authors keep commands in — a `command.json` anywhere, a
//! label file, a Dockerfile `LABEL` — and the messages they read: syntax errors that say what
//! is missing, carets on the offending token, long lines cut around the caret.

use crate::snapshot;
use crate::support::Xcs;
use crate::support::xnat_sim::{Sim, SimConfig};

/// A small valid command; `{image}` and `{mount}` are filled in per test.
fn command(image: &str, mount: &str) -> String {
    format!(
        r##"{{
  "name": "convert",
  "version": "1.0",
  "image": "{image}",
  "type": "docker",
  "command-line": "convert /in /out",
  "mounts": [
    {{"name": "in", "path": "/in"}},
    {{"name": "out", "path": "/out", "writable": true}}
  ],
  "outputs": [{{"name": "result", "mount": "out"}}],
  "xnat": [
    {{
      "name": "convert-session",
      "contexts": ["xnat:imageSessionData"],
      "external-inputs": [
        {{"name": "session", "type": "Session", "provides-files-for-command-mount": "{mount}"}}
      ],
      "output-handlers": [
        {{"name": "result-resource", "accepts-command-output": "result", "as-a-child-of": "session", "type": "Resource", "label": "OUT"}}
      ]
    }}
  ]
}}"##
    )
}

fn validate_json(files: &[(&str, &str)], arg: &str) -> serde_json::Value {
    let mut xcs = Xcs::new();
    for (rel, text) in files {
        xcs = xcs.file(rel, text);
    }
    xcs.args(["validate", arg, "--format", "json"]).run().json()
}

fn codes(json: &serde_json::Value) -> Vec<String> {
    json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().expect("code").to_string())
        .collect()
}

#[test]
fn a_command_file_anywhere_is_a_command_with_a_note() {
    let text = command("example/convert:1.0", "in");
    // An upstream tool repo: its command.json at the root, beside its other files.
    let repo = Xcs::new()
        .file("command.json", &text)
        .file("package.json", r#"{"name": "tool", "scripts": {}}"#)
        .file("Dockerfile", "FROM scratch\nCOPY convert /convert\n");
    let run = repo.exec(["validate", ".", "--deny-warnings"]).code(0);
    snapshot!("command_forms_tool_repo", run.stdout_redacted());
    let json = repo
        .exec(["validate", ".", "--format", "json"])
        .code(0)
        .json();
    assert_eq!(codes(&json), ["XCS009"], "{json:#}");
    assert_eq!(json["diagnostics"][0]["severity"], "note");
    assert_eq!(json["summary"]["notes"], 1);
    assert_eq!(json["summary"]["warnings"], 0);
    // The same file alone, and a commands/ folder given as the argument (no note there).
    assert_eq!(
        codes(&validate_json(&[("command.json", &text)], "command.json")),
        ["XCS009"]
    );
    let folder = validate_json(&[("commands/convert.json", &text)], "commands");
    assert!(codes(&folder).is_empty(), "{folder:#}");
    // A document that is not a Command is still an error in a declaration repo.
    let declarations = validate_json(
        &[
            ("commands/convert.json", &text),
            (
                "registries.yaml",
                "name: hub\nurl: https://index.docker.io/v1/\n",
            ),
        ],
        ".",
    );
    assert_eq!(codes(&declarations), ["XCS005"], "{declarations:#}");
}

#[test]
fn a_dockerfile_without_the_label_is_skipped_quietly() {
    let run = Xcs::new()
        .file(
            "Dockerfile",
            "FROM scratch\nLABEL maintainer=\"me\" version=1\n",
        )
        .file("app/Dockerfile.dev", "# nothing here\nFROM scratch\n")
        .args(["validate", "."])
        .run()
        .code(0);
    assert_eq!(run.stdout, ".: 2 files, 0 documents: no problems\n");
}

#[test]
fn dockerfile_diagnostics_point_into_the_dockerfile() {
    let value = command("example/convert:1.0", "input-files")
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\\n");
    let dockerfile = format!(
        "FROM python:3.12-slim\nCOPY convert /usr/local/bin/\nLABEL maintainer=\"someone@example.org\" \\\n      org.nrg.commands=\"[{value}]\" \\\n      org.example.build=\"$BUILD_ID\"\n"
    );
    let run = Xcs::new()
        .file("Dockerfile", &dockerfile)
        .args(["validate", "."])
        .run()
        .code(0);
    snapshot!("command_forms_dockerfile", run.stdout_redacted());
    let json = Xcs::new()
        .file("Dockerfile", &dockerfile)
        .args(["validate", ".", "--format", "json"])
        .run()
        .json();
    let mount = &json["diagnostics"][0];
    assert_eq!(mount["code"], "XCS142");
    assert_eq!(mount["severity"], "warning");
    let line = dockerfile
        .lines()
        .nth(mount["line"].as_u64().expect("line") as usize - 1)
        .expect("line");
    let col = mount["column"].as_u64().expect("column") as usize - 1;
    assert!(
        line[col..].starts_with("\\\"input-files\\\""),
        "the caret is on the value as the Dockerfile writes it: {line}"
    );
    assert!(
        mount["message"]
            .as_str()
            .expect("message")
            .contains("the launch ignores it and runs without those files"),
        "{mount}"
    );
    // The build variable is outside the commands label: not reported.
    assert!(!codes(&json).contains(&"XCS008".to_string()), "{json:#}");
}

#[test]
fn one_object_instead_of_a_list_is_an_error_that_says_xnat_reads_a_list() {
    let text = command("example/convert:1.0", "in");
    let run = Xcs::new()
        .file("convert.label.json", &text)
        .args(["validate", "."])
        .run()
        .code(1);
    snapshot!("command_forms_label_not_a_list", run.stdout_redacted());
    let dockerfile = format!(
        "FROM scratch\nLABEL org.nrg.commands='{}'\n",
        text.replace('\n', "\\\n")
    );
    let json = validate_json(&[("Dockerfile", &dockerfile)], ".");
    assert_eq!(codes(&json), ["XCS006"], "{json:#}");
    assert_eq!(json["diagnostics"][0]["line"], 2);
    assert_eq!(json["diagnostics"][0]["column"], 25);
    // An empty list and a build variable are warnings.
    let empty = validate_json(
        &[(
            "Dockerfile",
            "FROM scratch\nLABEL org.nrg.commands=\"[]\" other=\"$HOME\"\n",
        )],
        ".",
    );
    assert_eq!(codes(&empty), ["XCS007"], "{empty:#}");
    let variable = command("example/convert:1.0", "in").replace("/in /out", "/in $OUT");
    let dockerfile = format!(
        "FROM scratch\nLABEL org.nrg.commands=\"[{}]\"\n",
        variable.replace('"', "\\\"").replace('\n', " ")
    );
    let json = validate_json(&[("Dockerfile", &dockerfile)], ".");
    assert_eq!(codes(&json), ["XCS008"], "{json:#}");
}

#[test]
fn syntax_errors_say_what_is_missing_and_go_on() {
    let text = "{\n  \"name\": \"convert\",\n  \"image\": \"example/convert:1.0\"\n  \"type\": \"docker\",\n  \"mounts\": [\n    {\"name\": \"in\", \"path\": \"/in\",},\n  ],\n  \"command-line\" \"convert\"\n}\n";
    let run = Xcs::new()
        .file("command.json", text)
        .args(["validate", "command.json"])
        .run()
        .code(1);
    snapshot!("command_forms_syntax_errors", run.stdout_redacted());
    let json = validate_json(&[("command.json", text)], "command.json");
    let places: Vec<(u64, u64)> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().expect("l"),
                d["column"].as_u64().expect("c"),
            )
        })
        .collect();
    // Missing comma (caret on the next key), two trailing commas (carets on the commas),
    // missing colon (caret where it belongs).
    assert_eq!(places, [(4, 3), (6, 33), (6, 35), (8, 18)], "{json:#}");
    assert!(codes(&json).iter().all(|c| c == "XCS001"));
}

#[test]
fn long_lines_are_cut_around_the_caret() {
    let mut value: serde_json::Value =
        serde_json::from_str(&command("example/convert", "in")).expect("json");
    value["description"] = serde_json::json!("x".repeat(900));
    value["info-urll"] = serde_json::json!("https://example.org/convert");
    let label = serde_json::to_string(&serde_json::json!([value])).expect("json");
    assert!(
        label.len() > 1200,
        "a one-line label of {} characters",
        label.len()
    );
    value["name"] = serde_json::json!("convert-two");
    let run = Xcs::new()
        .file("convert.label.json", &label)
        .file(
            "commands/convert.json",
            serde_json::to_string(&value).expect("json"),
        )
        .args(["validate", "."])
        .run()
        .code(0);
    // Every quoted source line (and its caret line) fits in 100 columns.
    let quoted = run.stdout.lines().filter(|l| {
        l.trim_start().starts_with('|')
            || l.split_once(" | ")
                .is_some_and(|(n, _)| n.trim().parse::<u32>().is_ok())
    });
    for line in quoted {
        assert!(
            line.chars().count() <= 100,
            "a source line wider than 100 columns: {line}"
        );
    }
    snapshot!("command_forms_long_line", run.stdout_redacted());
}

/// An untagged image is a warning; xcs sends `name:latest`, as XNAT stores it, so the command
/// it creates is later updated in place (XNAT refuses an untagged image on update).
#[test]
fn an_untagged_image_is_sent_with_latest_and_updates_in_place() {
    let sim = Sim::start(SimConfig::default());
    let text = command("example/convert", "in");
    let repo = Xcs::new()
        .file("repo/commands/convert.json", &text)
        .xnat(&sim);
    let run = repo.exec(["validate", "repo"]).code(0);
    assert!(
        run.stdout
            .contains("image `example/convert` has no tag: XNAT adds `:latest` when it creates the command, so xcs sends `example/convert:latest`"),
        "{}",
        run.stdout
    );
    repo.exec(["apply", "repo"]).code(0);
    let ids = sim.command_ids();
    assert_eq!(ids.len(), 1);
    let stored = sim.command_json(ids[0]).expect("stored");
    assert_eq!(stored["image"], "example/convert:latest");
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
    let wrapper = sim
        .wrapper_id("convert", "convert-session")
        .expect("wrapper");
    std::fs::write(
        repo.root().join("repo/commands/convert.json"),
        text.replace("convert /in /out", "convert --fast /in /out"),
    )
    .expect("write");
    repo.exec(["apply", "repo"]).code(0);
    assert_eq!(sim.command_ids(), ids, "updated in place");
    assert_eq!(sim.wrapper_id("convert", "convert-session"), Some(wrapper));
    let stored = sim.command_json(ids[0]).expect("stored");
    assert_eq!(stored["command-line"], "convert --fast /in /out");
    repo.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
}

/// `docker build`'s own reading of the Dockerfiles: every label value xcs reads is the value the
/// image gets, for the generated forms and for hand-written corner cases.
#[test]
fn dockerfile_labels_are_read_as_docker_build_reads_them() {
    use crate::support::dockerfile::{LabelForm, generate};
    let mut cases: Vec<String> = vec![
        "FROM scratch\nLABEL a=plain b=\"dq \\\"x\\\" \\\\ \\$ \\n \\t\" c='sq \\ \\\" $X' d=un\\ quoted\\\"x\n".into(),
        "FROM scratch\r\nLABEL \"quoted.key\"=\"v\" \\\r\n  # a comment inside\r\n\r\n  next=\"a \\\r\n  b\"\r\n".into(),
        "FROM scratch\nLABEL legacy value with  spaces and \"quotes\"\n".into(),
        "# escape=`\nFROM scratch\nLABEL w=\"C:\\path\\to `\" x\" `\n  y=1\n".into(),
        "FROM scratch\nLABEL money=\"$ 5 and $-\" tab=\"a\tb\" utf=\"é ✓\" home=\"${HOME}/x\" n=$1x\n".into(),
    ];
    if let Some(corpus) = crate::support::corpus_dir() {
        for name in [
            "nrg-docker-images__dcm2niix.label.json",
            "nrg-docker-images__batch-launch.label.json",
        ] {
            let text = std::fs::read_to_string(corpus.join("labels").join(name)).expect("label");
            cases.extend(LabelForm::ALL.iter().map(|f| generate(&text, *f).text));
        }
        let pretty =
            std::fs::read_to_string(corpus.join("commands/nrg-docker-images__niftyreg.json"))
                .expect("command");
        cases.push(generate(&format!("[{pretty}]"), LabelForm::SeveralLabels).text);
    }
    for (i, dockerfile) in cases.iter().enumerate() {
        let docker = docker_labels(
            &format!("xcs-authvalid-label-{}-{i}", std::process::id()),
            dockerfile,
        );
        for label in xcs::load::dockerfile::labels(dockerfile).labels {
            let built = docker.get(&label.key).map(String::as_str);
            // A value with a build variable is kept as written and reported: docker build
            // substitutes it, so the image's value differs.
            let substituted = label
                .issues
                .iter()
                .any(|i| i.kind == xcs::load::ParseIssueKind::BuildVariable);
            assert_eq!(
                built != Some(label.value.text.as_str()),
                substituted,
                "case {i}, label {}: xcs read {:?}, docker stored {built:?}\n{dockerfile}",
                label.key,
                label.value.text
            );
        }
        assert_eq!(
            xcs::load::dockerfile::labels(dockerfile).labels.len(),
            docker.len(),
            "case {i}: labels\n{dockerfile}"
        );
    }
}

/// Build `dockerfile` (FROM scratch, so nothing is pulled) as `tag`, read its labels, and
/// remove the image.
fn docker_labels(tag: &str, dockerfile: &str) -> std::collections::BTreeMap<String, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).expect("write");
    let docker = |args: &[&str]| {
        let out = std::process::Command::new("docker")
            .args(args)
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .expect("the docker CLI (tests/run installs docker.io when missing)");
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let path = dir.path().to_string_lossy().into_owned();
    docker(&["build", "-q", "-t", tag, &path]);
    let labels = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        tag,
    ]);
    docker(&["image", "rm", tag]);
    serde_json::from_str(&labels).expect("labels JSON")
}

//! The credential detector through the CLI: every shape is warned about by `validate` (XCS305,
//! at the value's line, never printing it) and withheld from every file of the built site
//! (pages, raw JSON, `api/commands/*.json`), while templates and ordinary values stay visible.

use crate::support::Xcs;
use crate::support::site::files;

/// One environment variable per shape, each with a canary value; line numbers matter below.
const LEAKY: &str = r##"kind: Command
name: leaky
version: "1.0"
image: example/leaky:1.0
command-line: "run #TOKEN#"
inputs:
  - name: token
    replacement-key: "#TOKEN#"
    default-value: "Bearer CANARY-s3cr3t-input-default"
environment-variables:
  XNAT_PASS: CANARY-s3cr3t-xnat-pass
  AWS_ACCESS_KEY_ID: AKIACANARYS3CR3T7777
  PRIVATE_KEY: "-----BEGIN PRIVATE KEY----- CANARY-s3cr3t-pem -----END PRIVATE KEY-----"
  FS_LICENSE_B64: Q0FOQVJZLXMzY3IzdC1saWNlbnNlLWJhc2U2NA==
  DB_PWD: $CANARY-s3cr3t-dollar
  CREDENTIALS: CANARY-s3cr3t-creds
  AUTH_HEADER: "Bearer CANARY-s3cr3t-bearer"
  UPSTREAM: "https://robot:CANARY-s3cr3t-url@data.example.org/x"
  RANDOM_ID: CANARYs3cr3tQ9xZ7mW2vK8pL4nR6tY1
  API_PASSWORD: "#PASSWORD#"
  MODE: fast
xnat:
  - name: leaky-session
    contexts: ["xnat:imageSessionData"]
    external-inputs:
      - name: session
        type: Session
"##;

/// Variables that must be flagged, with the line of their value.
const FLAGGED: &[(&str, u64)] = &[
    ("inputs[0].default-value", 9),
    ("XNAT_PASS", 11),
    ("AWS_ACCESS_KEY_ID", 12),
    ("PRIVATE_KEY", 13),
    ("FS_LICENSE_B64", 14),
    ("DB_PWD", 15),
    ("CREDENTIALS", 16),
    ("AUTH_HEADER", 17),
    ("UPSTREAM", 18),
    ("RANDOM_ID", 19),
];

fn leaky() -> Xcs {
    Xcs::new()
        .catalog("repo")
        .file("repo/commands/leaky.yaml", LEAKY)
}

#[test]
fn validate_warns_about_every_credential_shape_without_printing_it() {
    let xcs = leaky();
    let json = xcs
        .exec(["validate", "repo", "--format", "json"])
        .code(0)
        .json();
    let mut lines: Vec<u64> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "XCS305")
        .map(|d| d["line"].as_u64().expect("line"))
        .collect();
    lines.sort();
    let expected: Vec<u64> = FLAGGED.iter().map(|(_, l)| *l).collect();
    assert_eq!(lines, expected, "one XCS305 per credential, at its value");
    for format in ["human", "json", "github"] {
        let run = xcs.exec(["validate", "repo", "--format", format]);
        assert!(
            !run.stdout.contains("s3cr3t") && !run.stderr.contains("s3cr3t"),
            "validate --format {format} printed a credential:\n{}{}",
            run.stdout,
            run.stderr
        );
    }
    xcs.exec(["validate", "repo", "--deny-warnings"]).code(1);
}

/// The canary over the whole built site: no file of any kind carries any of the values.
#[test]
fn no_credential_reaches_any_file_of_the_site() {
    let xcs = leaky();
    xcs.exec(["site", "build", "repo", "--out", "public"])
        .code(0);
    let site = xcs.root().join("public");
    let all = files(&site);
    assert!(all.iter().any(|f| f == "api/commands/leaky.json"));
    assert!(all.iter().any(|f| f == "commands/leaky/leaky.json"));
    for f in &all {
        let bytes = std::fs::read(site.join(f)).expect("file");
        let text = String::from_utf8_lossy(&bytes);
        for canary in ["s3cr3t", "CANARY", "Q0FOQVJZ"] {
            assert!(!text.contains(canary), "{f} leaks {canary}");
        }
    }
    let page = std::fs::read_to_string(site.join("commands/leaky/index.html")).expect("page");
    assert_eq!(
        page.matches("<span class=\"badge\">withheld: sensitive</span>")
            .count(),
        FLAGGED.len() - 1,
        "every flagged variable is shown as withheld"
    );
    assert!(page.contains("<code>fast</code>"), "ordinary values stay");
    assert!(page.contains("<code>#PASSWORD#</code>"), "templates stay");
    let api: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(site.join("api/commands/leaky.json")).expect("api"),
    )
    .expect("json");
    let env = &api["command"]["environment-variables"];
    assert_eq!(env["XNAT_PASS"], "<withheld: sensitive>");
    assert_eq!(env["MODE"], "fast");
    assert_eq!(
        api["command"]["inputs"][0]["default-value"],
        "<withheld: sensitive>"
    );
}

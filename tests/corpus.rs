//! The real-world corpus (`../shared/corpus`): each published command and image label meets the
//! expectation written here from the Container Service reference: valid, or the codes it raises.
//! Skipped with a message when the corpus is not beside the checkout.

use crate::support::{Xcs, corpus_dir};
use std::collections::BTreeSet;
use std::path::Path;

/// Error codes each invalid corpus command must raise (and only these errors). Files not listed
/// must validate without errors. Why, per file:
const INVALID: &[(&str, &[&str])] = &[
    // Pre-1.0 format: `docker-image` and `run` instead of `image` and `command-line`.
    ("cmoore01-xnat-stats__xnat_command.json", &["XCS102"]),
    // CommandEntityTest's fixture: XNAT reports exactly eight errors (§9 rules 12, 18, 22, 24);
    // xcs adds the two mounts the wrapper feeds that the command never declares.
    (
        "container-service__commandEntityTest-bad-command.json",
        &[
            "XCS120", "XCS121", "XCS132", "XCS134", "XCS142", "XCS164", "XCS165",
        ],
    ),
    // Label-import fixtures without `image` (the label supplies it on import).
    (
        "container-service__dockerRestApiTest-commands-dcm2niix-scan.json",
        &["XCS102"],
    ),
    (
        "container-service__dockerRestApiTest-commands-label-test.json",
        &["XCS102"],
    ),
    ("liudaveliu-hello-world__command.json", &["XCS102"]),
    (
        "nrg-docker-images__debug-setup-command-command-with-setup-command.json",
        &["XCS102"],
    ),
    ("nrg-docker-images__debug-site.json", &["XCS102"]),
    (
        "nrg-docker-images__debug-wrapup-command-command-with-wrapup-command.json",
        &["XCS102"],
    ),
    ("nrg-docker-images__radiomics-rtlab.json", &["XCS102"]),
    ("nrg-docker-images__rt-struct-assessor.json", &["XCS102"]),
    (
        "nrg-docker-images__xnat-populate-populate_command.json",
        &["XCS102"],
    ),
    // Untagged images: refused on update (§9 rule 2).
    (
        "container-service__ecatHeaderDump-command.json",
        &["XCS103"],
    ),
    ("nrg-docker-images__dcm2niix.json", &["XCS103"]),
    (
        "nrg-docker-images__ecat-to-dicom-ecat-command.json",
        &["XCS103"],
    ),
    ("nrg-docker-images__hcp-sanity-checks.json", &["XCS103"]),
    // A wrapper input feeds a command input that does not exist (the server does not check).
    (
        "kelseym-dicom-window-tag-xfer__xnat-command.json",
        &["XCS141"],
    ),
    // Trailing comma: not JSON.
    ("nrg-docker-images__ecat-dump.json", &["XCS001"]),
];

/// Warnings that must be raised, for the quirks the reference describes.
const WARNINGS: &[(&str, &str)] = &[
    ("container-service__res-illegal-args-command.json", "XCS011"),
    ("container-service__res-params-command.json", "XCS011"),
    ("container-service__res-mountTests-command.json", "XCS012"),
    ("ythacker-trainmodel__xnat-command.json", "XCS140"),
    ("nrg-docker-images__dcm2niix.json", "XCS013"),
    (
        "container-service__testDeleteCommandWhenDeleteImageAfterLaunchingContainer-command.json",
        "XCS146",
    ),
    ("nrg-docker-images__webapp-test.json", "XCS156"),
];

fn codes(run_json: &serde_json::Value, severity: &str) -> BTreeSet<String> {
    run_json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == severity)
        .map(|d| d["code"].as_str().expect("code").to_string())
        .collect()
}

fn validate_one(name: &str, text: &[u8]) -> serde_json::Value {
    let run = Xcs::new()
        .file(&format!("commands/{name}"), text)
        .args(["validate", ".", "--format", "json"])
        .run();
    assert!(
        run.status == 0 || run.status == 1,
        "{name}: exit {}\n{}",
        run.status,
        run.stderr
    );
    run.json()
}

#[test]
fn every_corpus_command_meets_its_expectation() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("skipped: ../shared/corpus is not beside this checkout");
        return;
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(corpus.join("commands")).expect("corpus/commands") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let json = validate_one(&name, &std::fs::read(&path).expect("read"));
        let errors = codes(&json, "error");
        let expected: BTreeSet<String> = INVALID
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, c)| c.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(errors, expected, "{name}: error codes differ\n{json:#}");
        if let Some((_, code)) = WARNINGS.iter().find(|(f, _)| *f == name) {
            assert!(
                codes(&json, "warning").contains(*code),
                "{name}: expected warning {code}\n{json:#}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} corpus commands found");
}

/// A label value is a JSON array of commands; each is checked like a command file.
#[test]
fn every_corpus_label_meets_its_expectation() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("skipped: ../shared/corpus is not beside this checkout");
        return;
    };
    // Label commands carry no `image`: XNAT sets it to the image being imported. Give each one
    // so the rest of it is checked; only the broken label must fail.
    let mut checked = 0;
    for entry in std::fs::read_dir(corpus.join("labels")).expect("corpus/labels") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("read");
        let parsed: Result<Vec<serde_json::Value>, _> = serde_json::from_str(&text);
        if name == "nrg-docker-images__ecat-dump.label.json" {
            assert!(parsed.is_err(), "{name} is documented as unparseable");
            let json = validate_one("label.json", text.as_bytes());
            assert!(codes(&json, "error").contains("XCS001"), "{name}: {json:#}");
            checked += 1;
            continue;
        }
        let commands = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!commands.is_empty(), "{name}: empty label");
        for (i, mut command) in commands.into_iter().enumerate() {
            if command.get("image").is_none() {
                command["image"] = serde_json::json!("example/label-image:1.0");
            }
            let json = validate_one(&format!("label-{i}.json"), command.to_string().as_bytes());
            let errors = codes(&json, "error");
            let allowed: &[&str] = match name.as_str() {
                // The same untagged dcm2niix/plastimatch images as their command files.
                _ if command["image"]
                    .as_str()
                    .is_some_and(|i| !xcs::validate::image_has_tag(i)) =>
                {
                    &["XCS103"]
                }
                _ => &[],
            };
            let unexpected: Vec<&String> = errors
                .iter()
                .filter(|c| !allowed.contains(&c.as_str()))
                .collect();
            assert!(
                unexpected.is_empty(),
                "{name}[{i}]: unexpected errors {unexpected:?}\n{json:#}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} labels found");
}

#[test]
fn xnat_reports_eight_errors_for_its_own_bad_fixture() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("skipped: ../shared/corpus is not beside this checkout");
        return;
    };
    let text = std::fs::read_to_string(
        Path::new(&corpus).join("commands/container-service__commandEntityTest-bad-command.json"),
    )
    .expect("fixture");
    let command: xcs::model::Command = serde_json::from_str(&text).expect("binds");
    assert_eq!(
        xcs::validate::xnat_errors(&command).len(),
        8,
        "{:#?}",
        xcs::validate::xnat_errors(&command)
    );
}

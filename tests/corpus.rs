//! The real-world corpus (`../shared/corpus`), in every form a command comes in: each published
//! command as a file anywhere, in a `commands/` folder, as a label file and as Dockerfiles in
//! four `LABEL` forms; each image label as a label file, as single command files and as the
//! same Dockerfiles. Every form gives the same verdict, and every diagnostic of a Dockerfile
//! points at the Dockerfile character that wrote the value's character.
//!
//! Expectations are written here from the Container Service reference and source. Skipped with
//! a message when the corpus is not beside the checkout.

use crate::support::dockerfile::{LabelForm, char_index, generate};
use crate::support::{Xcs, corpus_dir};
use std::collections::BTreeSet;
use std::path::Path;

/// Error codes each invalid corpus command must raise as a file (and only these errors).
/// Files not listed must validate without errors. Why, per file:
const INVALID: &[(&str, &[&str])] = &[
    // Pre-1.0 format: `docker-image` and `run` instead of `image` and `command-line`.
    ("cmoore01-xnat-stats__xnat_command.json", &["XCS102"]),
    // CommandEntityTest's fixture: XNAT reports exactly eight errors (§9 rules 12, 18, 22, 24).
    (
        "container-service__commandEntityTest-bad-command.json",
        &["XCS120", "XCS121", "XCS132", "XCS134", "XCS164", "XCS165"],
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
    // Untagged images: XNAT adds `:latest` on create (Command.builderFromCreation).
    ("container-service__ecatHeaderDump-command.json", "XCS103"),
    ("nrg-docker-images__dcm2niix.json", "XCS103"),
    (
        "nrg-docker-images__ecat-to-dicom-ecat-command.json",
        "XCS103",
    ),
    ("nrg-docker-images__hcp-sanity-checks.json", "XCS103"),
    // A wrapper input feeds a command input that does not exist: the resolver ignores it.
    ("kelseym-dicom-window-tag-xfer__xnat-command.json", "XCS141"),
    // The wrapper feeds two mounts the command never declares: the launch runs without them.
    (
        "container-service__commandEntityTest-bad-command.json",
        "XCS142",
    ),
];

/// Rules about a command's own `image`: a label command's image is the image the label is on
/// (`CommandLabelServiceImpl.parseLabels`), so they never apply to labels.
const IMAGE_CODES: [&str; 3] = ["XCS102", "XCS103", "XCS150"];

/// The note that a kindless file was read as a Command by its shape.
const SHAPE_NOTE: &str = "XCS009";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    code: String,
    severity: String,
    line: u32,
    col: u32,
}

/// Validate one file written at `rel` in a scratch directory, naming `arg` on the command line.
fn validate(rel: &str, text: &str, arg: &str) -> (i32, Vec<Found>) {
    let run = Xcs::new()
        .file(rel, text)
        .args(["validate", arg, "--format", "json"])
        .run();
    assert!(
        run.status == 0 || run.status == 1,
        "{rel}: exit {}\n{}",
        run.status,
        run.stderr
    );
    let json = run.json();
    let found = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| Found {
            code: d["code"].as_str().expect("code").to_string(),
            severity: d["severity"].as_str().expect("severity").to_string(),
            line: d["line"].as_u64().expect("line") as u32,
            col: d["column"].as_u64().expect("column") as u32,
        })
        .collect();
    (run.status, found)
}

fn codes(found: &[Found], severity: &str) -> BTreeSet<String> {
    found
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.code.clone())
        .collect()
}

fn without(found: &[Found], codes: &[&str]) -> BTreeSet<Found> {
    found
        .iter()
        .filter(|f| !codes.contains(&f.code.as_str()))
        .cloned()
        .collect()
}

/// The label's diagnostics must appear in each generated Dockerfile, at the Dockerfile
/// position of the same value character, with the same exit status.
fn same_in_dockerfiles(what: &str, label: &str, status: i32, found: &BTreeSet<Found>) {
    for form in LabelForm::ALL {
        let generated = generate(label, form);
        let expected: BTreeSet<Found> = found
            .iter()
            .map(|f| {
                let (line, col) = generated.positions[char_index(label, f.line, f.col)];
                Found {
                    line,
                    col,
                    ..f.clone()
                }
            })
            .collect();
        let name = form.file_name();
        let (got_status, got) = validate(name, &generated.text, name);
        let got: BTreeSet<Found> = got.into_iter().collect();
        assert_eq!(
            got, expected,
            "{what} as {form:?}: diagnostics differ from the label file's\n--- Dockerfile ---\n{}",
            generated.text
        );
        assert_eq!(got_status, status, "{what} as {form:?}: exit status");
    }
}

fn corpus_files(dir: &str) -> Option<Vec<(String, String)>> {
    let corpus = corpus_dir()?;
    let mut files: Vec<(String, String)> = std::fs::read_dir(corpus.join(dir))
        .expect("corpus dir")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("read"))
        })
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn every_corpus_command_gives_one_verdict_in_every_form() {
    let Some(files) = corpus_files("commands") else {
        eprintln!("skipped: ../shared/corpus is not beside this checkout");
        return;
    };
    for (name, text) in &files {
        // A file on its own, outside any `commands/` folder.
        let (status, single) = validate("command.json", text, "command.json");
        let expected: BTreeSet<String> = INVALID
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, c)| c.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(codes(&single, "error"), expected, "{name}: {single:#?}");
        assert_eq!(status, i32::from(!expected.is_empty()), "{name}: exit");
        for (file, code) in WARNINGS.iter().filter(|(f, _)| f == name) {
            assert!(
                codes(&single, "warning").contains(*code),
                "{file}: expected warning {code}: {single:#?}"
            );
        }
        let parsed = !expected.contains("XCS001");
        assert_eq!(
            codes(&single, "note").contains(SHAPE_NOTE),
            parsed,
            "{name}: a command file outside commands/ is read by its shape, with a note"
        );
        // The folder given as the argument: the same, without the note.
        let (folder_status, folder) = validate(&format!("commands/{name}"), text, "commands");
        assert_eq!(folder_status, status, "{name}: exit in commands/");
        assert_eq!(
            folder.iter().cloned().collect::<BTreeSet<_>>(),
            without(&single, &[SHAPE_NOTE]),
            "{name}: commands/ differs from the single file"
        );
        // As a label file `[…]`: the same diagnostics one column later on line 1, except the
        // rules about the command's own image, which a label does not use.
        let label = format!("[{text}]");
        let (label_status, in_label) = validate("command.label.json", &label, ".");
        let shifted: BTreeSet<Found> = without(&single, &[SHAPE_NOTE])
            .into_iter()
            .filter(|f| !IMAGE_CODES.contains(&f.code.as_str()))
            .map(|f| Found {
                col: f.col + u32::from(f.line == 1),
                ..f
            })
            .collect();
        let in_label_set: BTreeSet<Found> = in_label.iter().cloned().collect();
        assert_eq!(in_label_set, shifted, "{name}: label file differs");
        let label_errors = expected.iter().any(|c| !IMAGE_CODES.contains(&c.as_str()));
        assert_eq!(label_status, i32::from(label_errors), "{name}: label exit");
        same_in_dockerfiles(name, &label, label_status, &in_label_set);
    }
    assert!(files.len() >= 63, "only {} corpus commands", files.len());
}

/// A label value is a JSON array of commands; each is checked like a command file.
#[test]
fn every_corpus_label_gives_one_verdict_in_every_form() {
    let Some(files) = corpus_files("labels") else {
        eprintln!("skipped: ../shared/corpus is not beside this checkout");
        return;
    };
    for (name, text) in &files {
        let (status, found) = validate(name, text, name);
        let broken = name == "nrg-docker-images__ecat-dump.label.json";
        let expected: BTreeSet<String> = if broken {
            // A trailing comma (SOURCES.tsv); XNAT's import logs it and saves nothing.
            BTreeSet::from(["XCS001".to_string()])
        } else {
            BTreeSet::new()
        };
        assert_eq!(codes(&found, "error"), expected, "{name}: {found:#?}");
        assert_eq!(status, i32::from(broken), "{name}: exit");
        assert!(
            !found.iter().any(|f| IMAGE_CODES.contains(&f.code.as_str())),
            "{name}: image rules do not apply to a label"
        );
        if !broken {
            // Each command on its own: the same errors, apart from the image rules.
            let commands: Vec<serde_json::Value> = serde_json::from_str(text).expect("a list");
            assert!(!commands.is_empty(), "{name}: empty label");
            let mut single_errors = BTreeSet::new();
            for command in &commands {
                let pretty = serde_json::to_string_pretty(command).expect("json");
                let (_, single) = validate("command.json", &pretty, "command.json");
                single_errors.extend(codes(&single, "error"));
            }
            single_errors.retain(|c| !IMAGE_CODES.contains(&c.as_str()));
            assert_eq!(single_errors, expected, "{name}: single files differ");
        }
        let found: BTreeSet<Found> = found.into_iter().collect();
        same_in_dockerfiles(name, text, status, &found);
    }
    assert!(files.len() >= 24, "only {} labels", files.len());
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

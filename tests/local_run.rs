//! `xcs run` through the CLI: resolution (flags, defaults, multiple values, derived inputs,
//! mounts), real runs on the local Docker engine with small busybox images, outputs present
//! and missing, failing containers, setup and wrapup order, refusals, masking.

use crate::snapshot;
use crate::support::busybox::{TestImage, label as label_line};
use crate::support::{Run, Xcs, project_dir};

const SESSION: &str = "archive/P1/subjects/S1/sessions/E1";
const CANARY: &str = "CANARY-s3cr3t-run-7d1f";

/// A repo with the fixture commands (their image set to `image`) and a small archive: one
/// session with a T1w scan (DICOM resource with two files) and a T2w scan.
fn setup(image: &TestImage, edit: impl Fn(String) -> String) -> Xcs {
    let fixture = |name: &str| {
        let path = project_dir().join("tests/fixtures/run/commands").join(name);
        let text = std::fs::read_to_string(path).expect("fixture");
        edit(text.replace("IMAGE", &image.tag))
    };
    Xcs::new()
        .file("repo/commands/probe.yaml", fixture("probe.yaml"))
        .file("repo/commands/prep.yaml", fixture("prep.yaml"))
        .file("repo/commands/wrap.yaml", fixture("wrap.yaml"))
        .file("archive/P1/xnat.yaml", "type: project\n")
        .file(
            &format!("{SESSION}/xnat.yaml"),
            "id: XNAT_E00001\nxsiType: xnat:mrSessionData\n",
        )
        .file(&format!("{SESSION}/scans/1/xnat.yaml"), "scan-type: T1w\n")
        .file(&format!("{SESSION}/scans/1/resources/DICOM/1.dcm"), "one")
        .file(&format!("{SESSION}/scans/1/resources/DICOM/2.dcm"), "two")
        .file(&format!("{SESSION}/scans/2/xnat.yaml"), "scan-type: T2w\n")
        .file(&format!("{SESSION}/scans/2/resources/DICOM/9.dcm"), "nine")
}

fn run(x: &Xcs, target: &str, extra: &[&str]) -> Run {
    let mut args = vec!["run", target, "--repo", "repo", "--context"];
    let ctx = format!("session={SESSION}");
    args.push(&ctx);
    args.extend(["--work-dir", "work"]);
    args.extend(extra);
    x.exec(args)
}

#[test]
fn dry_run_resolves_flags_defaults_multiple_values_and_mounts() {
    let image = TestImage::busybox("dry", &[]);
    let x = setup(&image, |t| t);
    let r = run(
        &x,
        "probe:on-session",
        &[
            "--dry-run",
            "--input",
            "flag=true",
            "--input",
            r#"names=["a","c"]"#,
            "--input",
            &format!("secret={CANARY}"),
        ],
    )
    .code(0)
    .stdout_lacks(CANARY);
    // Flag with separator, the default, true-value, a repeated flag per value, a value derived
    // from the session's label; the T1w scan's DICOM resource mounted read-only.
    let text = r.stdout_redacted().replace(&image.tag, "[IMAGE]");
    snapshot!("run_dry_run", text);
    assert!(
        text.contains("'echo args: --t=0.5 --yes -n a -n c E1 ********;"),
        "{text}"
    );
    assert!(text.contains("scans/1/resources/DICOM:/input:ro"), "{text}");
    let json = run(
        &x,
        "probe:on-session",
        &[
            "--dry-run",
            "--format",
            "json",
            "--input",
            &format!("secret={CANARY}"),
        ],
    )
    .code(0)
    .stdout_lacks(CANARY)
    .json();
    assert_eq!(json["version"], 1);
    let main = &json["launch"]["main"];
    assert_eq!(main["memory_bytes"], 64 * 1024 * 1024);
    assert_eq!(main["nano_cpus"], 500_000_000);
    assert_eq!(main["env"]["PROBE_SESSION"], "E1");
    assert_eq!(main["cmd"][0], "sh");
    assert!(
        main["cmd"][2]
            .as_str()
            .unwrap_or_default()
            .contains("--t=0.5 --no  E1"),
        "{main}"
    );
}

#[test]
fn a_run_reports_what_each_output_handler_would_upload() {
    let image = TestImage::busybox("ok", &[]);
    let x = setup(&image, |t| t);
    let r = run(&x, "probe:on-session", &["--input", &format!("secret={CANARY}")])
        .code(0)
        .stdout_lacks(CANARY)
        .stdout_has("args: --t=0.5 --no E1 ********")
        .stdout_has("present  listing:listing-resource  would upload 1 file (listing.txt) as Resource `LISTING` on /archive/experiments/XNAT_E00001")
        .stdout_has("Complete");
    let listing =
        std::fs::read_to_string(x.root().join("work/01-out/listing.txt")).expect("output file");
    assert_eq!(listing, "1.dcm\n2.dcm\n", "{}", r.stdout);
    // The archive mount is read-only: the container could not have written there.
    assert!(
        !x.root()
            .join(SESSION)
            .join("scans/1/resources/DICOM/listing.txt")
            .exists()
    );
    let no_left = std::process::Command::new("docker")
        .args([
            "ps",
            "-a",
            "-q",
            "--filter",
            "label=org.xcs.run=probe",
            "--filter",
            &format!("ancestor={}", image.tag),
        ])
        .output()
        .expect("docker ps");
    assert!(no_left.stdout.is_empty(), "containers left behind");
}

#[test]
fn a_missing_required_output_fails_the_launch() {
    let image = TestImage::busybox("miss", &[]);
    let x = setup(&image, |t| t);
    run(
        &x,
        "probe:on-session",
        &["--input", "outname=elsewhere.txt", "--format", "json"],
    )
    .code(1)
    .json()
    .get("report")
    .map(|r| {
        assert_eq!(r["outputs"][0]["status"], "missing");
        assert_eq!(r["complete"], false);
        assert_eq!(r["exit_code"], 0);
    })
    .expect("report");
    run(
        &x,
        "probe:on-session",
        &["--input", "outname=elsewhere.txt"],
    )
    .code(1)
    .stdout_has("missing  listing:listing-resource  nothing at")
    .stdout_has("Failed: a required output is missing.");
}

#[test]
fn a_failing_container_reports_its_exit_code() {
    let image = TestImage::busybox("fail", &[]);
    let x = setup(&image, |t| t);
    run(&x, "probe:on-session", &["--input", "code=7"])
        .code(1)
        .stdout_has("exited 7")
        .stdout_has("not-uploaded")
        .stdout_has("Failed: the main container exited 7.");
}

#[test]
fn setup_then_main_then_wrapup_in_xnat_order() {
    let image = TestImage::busybox("staged", &[]);
    let x = setup(&image, |t| t);
    let r = run(&x, "probe:staged", &[]).code(0);
    let (setup, main, wrapup) = (
        r.stdout.find("setup ran"),
        r.stdout.find("args:"),
        r.stdout.find("wrapup ran"),
    );
    assert!(
        setup.is_some() && main.is_some() && wrapup.is_some(),
        "{}",
        r.stdout
    );
    assert!(setup < main && main < wrapup, "{}", r.stdout);
    // The main container saw the setup's files; the handler uploads the wrapup's output, with
    // its label filled from the scan input, to the scan.
    let r = r.stdout_has("as Resource `LISTING_/archive/experiments/XNAT_E00001/scans/1` on /archive/experiments/XNAT_E00001/scans/1");
    let uploaded =
        std::fs::read_to_string(x.root().join("work/03-listing-resource-wrapup/listing.txt"))
            .expect("wrapup output");
    assert_eq!(
        uploaded, "wrapped:1.dcm\nwrapped:2.dcm\nwrapped:prepared-by-setup\n",
        "{}",
        r.stdout
    );
}

#[test]
fn refusals_say_what_xnat_would_say() {
    let image = TestImage::busybox("refuse", &[]);
    let x = setup(&image, |t| {
        t.replace(
            "{name: must, required: false}",
            "{name: must, required: true}",
        )
    });
    run(&x, "probe:on-session", &["--dry-run"])
        .code(2)
        .stderr_has("Missing values for required input: must.");
    let x = setup(&image, |t| t);
    run(
        &x,
        "probe:on-session",
        &["--dry-run", "--input", "thresh=1;rm"],
    )
    .code(2)
    .stderr_has(r#"Input "thresh" has a value containing illegal string ";"."#);
    run(&x, "probe", &["--dry-run"])
        .code(2)
        .stderr_has("has 2 wrappers: name one as probe:WRAPPER (on-session, staged)");
    x.exec(["run", "probe:on-session", "--repo", "repo", "--dry-run"])
        .code(2)
        .stderr_has("--context session=DIR");
    let x = setup(&image, |t| {
        t.replace("@.scan-type == 'T1w'", "@.scan-type == 'FLAIR'")
    });
    run(&x, "probe:on-session", &["--dry-run"])
        .code(2)
        .stderr_has(r#"Input "scan" could not be resolved for this item."#);
    let x = setup(&image, |t| {
        t.replace("@.scan-type == 'T1w'", "@.scan-type =~ /T.w/")
    });
    run(&x, "probe:on-session", &["--dry-run"])
        .code(2)
        .stderr_has(r#"Input "scan"  does not have a unique, resolved value"#);
}

#[test]
fn setup_and_wrapup_commands_come_from_image_labels_when_the_repo_lacks_them() {
    let label = serde_json::json!([
        {"name": "prep", "type": "docker-setup", "version": "1.0",
         "command-line": "sh -c 'echo setup from label; cp -r /input/. /output/'"},
        {"name": "wrap", "type": "docker-wrapup", "version": "1.0",
         "command-line": "sh -c 'echo wrapup from label; cp /input/listing.txt /output/'"}
    ]);
    let image = TestImage::busybox(
        "labelled",
        &[label_line("org.nrg.commands", &label.to_string())],
    );
    let x = setup(&image, |t| t);
    std::fs::remove_file(x.root().join("repo/commands/prep.yaml")).expect("rm");
    std::fs::remove_file(x.root().join("repo/commands/wrap.yaml")).expect("rm");
    let r = run(&x, "probe:staged", &[]).code(0);
    let (setup, wrapup) = (
        r.stdout.find("setup from label"),
        r.stdout.find("wrapup from label"),
    );
    assert!(setup.is_some() && setup < wrapup, "{}", r.stdout);
}

#[test]
fn a_command_file_runs_as_is_and_an_invalid_command_is_refused() {
    let image = TestImage::busybox("file", &[]);
    let x = setup(&image, |t| t);
    let ctx = format!("session={SESSION}");
    x.exec([
        "run",
        "repo/commands/probe.yaml:on-session",
        "--context",
        &ctx,
        "--dry-run",
    ])
    .code(0)
    .stdout_has("# probe (wrapper on-session): 1 container(s)");
    x.exec([
        "run",
        "repo/commands/probe.yaml:nope",
        "--context",
        &ctx,
        "--dry-run",
    ])
    .code(2)
    .stderr_has("command `probe` has no wrapper `nope` (its wrappers: on-session, staged)");
    run(&x, "absent", &["--dry-run"])
        .code(2)
        .stderr_has("no command `absent` in repo");
    let x = setup(&image, |t| {
        t.replace(
            "version: \"1.0\"\nimage:",
            "version: \"1.0\"\ntype: dockr\nimage:",
        )
    });
    run(&x, "probe:on-session", &["--dry-run"])
        .code(2)
        .stderr_has("has validation errors; `xcs validate");
}

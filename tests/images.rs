//! Images where XNAT runs them: `plan` shows each declared image as present or missing on
//! XNAT's server; `apply` pulls the missing ones through XNAT's hub pull endpoint with
//! `save-commands=false` (the simulator records every pull request).

use crate::support::Xcs;
use crate::support::xnat_sim::{Sim, SimConfig, SimImage};

const CANARY: &str = "CANARY-s3cr3t-images-7d1f";
const PRIVATE: &str = "registry.lab.example.org/tools/align:1.2";
const PUBLIC: &str = "xnat/dcm2niix:1.0";
const LOCAL: &str = "xnat/debug:2";

fn command(name: &str, image: &str) -> String {
    format!("kind: Command\nname: {name}\nversion: \"1\"\nimage: {image}\ncommand-line: run\n")
}

/// A repo with a private registry, a docker backend and three commands: one image on the
/// daemon already, one on Docker Hub, one in the lab registry.
fn repo(sim: &Sim) -> Xcs {
    Xcs::new()
        .file(
            "repo/registries.yaml",
            "kind: Registry\nname: lab\nurl: https://registry.lab.example.org\nusername: puller\npassword: ${env:LAB_PASS}\n---\nkind: Registry\nname: Docker Hub\nurl: https://index.docker.io/v1/\ndefault: true\n",
        )
        .file(
            "repo/backend.yaml",
            "kind: ComputeBackend\nname: local\nbackend: docker\nhost: unix:///var/run/docker.sock\n",
        )
        .file("repo/commands/a.yaml", command("align", PRIVATE))
        .file("repo/commands/b.yaml", command("convert", PUBLIC))
        .file("repo/commands/c.yaml", command("debug", LOCAL))
        .xnat(sim)
        .env("LAB_PASS", CANARY)
}

/// A simulator whose XNAT already has a docker server (images are listed only then).
pub fn started(config: SimConfig) -> Sim {
    let sim = Sim::start(config);
    sim.seed_server(serde_json::json!({
        "name": "local", "host": "unix:///var/run/docker.sock", "backend": "docker",
    }));
    sim
}

fn sim_with_registry() -> Sim {
    started(
        SimConfig::default()
            .image(SimImage::new(LOCAL))
            .registry_image(SimImage::new(PRIVATE).private("puller"))
            .registry_image(SimImage::new(PUBLIC).commands_label(LABEL)),
    )
}

/// A label command XNAT would install on pull with save-commands=true.
const LABEL: &str =
    r#"[{"name": "from-label", "version": "1", "image": "x", "command-line": "run"}]"#;

fn no_canary(run: &crate::support::Run) {
    run.assert_no_secret(CANARY);
}

#[test]
fn plan_lists_images_present_and_missing() {
    let sim = sim_with_registry();
    let run = repo(&sim).args(["plan", "repo"]).run().code(0);
    no_canary(&run);
    assert!(
        run.stdout.contains(&format!("+ create  image {PRIVATE}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("pull: \"pull through registry lab\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("+ create  image {PUBLIC}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("pull: \"pull through registry Docker Hub\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("image `{LOCAL}` is present on XNAT's server")),
        "{}",
        run.stdout
    );
    let json = repo(&sim)
        .args(["plan", "repo", "--format", "json"])
        .run()
        .code(0)
        .json();
    let images: Vec<(String, String)> = json["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["target"]["kind"] == "image")
        .map(|a| {
            (
                a["target"]["image"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                a["op"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        images,
        vec![
            (PRIVATE.to_string(), "create".to_string()),
            (PUBLIC.to_string(), "create".to_string()),
            (LOCAL.to_string(), "no-op".to_string()),
        ]
    );
    assert!(sim.pulls().is_empty(), "plan pulls nothing");
}

#[test]
fn apply_pulls_missing_images_through_their_hub_without_saving_commands() {
    let sim = sim_with_registry();
    let xcs = repo(&sim);
    let run = xcs.exec(["apply", "repo"]).code(0);
    no_canary(&run);
    let mut pulls: Vec<(Option<String>, String, Option<String>, u16)> = sim
        .pulls()
        .into_iter()
        .map(|p| (p.hub, p.image, p.save_commands, p.status))
        .collect();
    pulls.sort();
    let hub = |name: &str| Some(name.to_string());
    let no = Some("false".to_string());
    assert_eq!(
        pulls,
        vec![
            (hub("Docker Hub"), PUBLIC.to_string(), no.clone(), 200),
            (hub("lab"), PRIVATE.to_string(), no, 200),
        ],
        "one pull per missing image, through the hub of its registry, save-commands=false"
    );
    let tags = sim.image_tags();
    assert!(tags.contains(&PRIVATE.to_string()) && tags.contains(&PUBLIC.to_string()));
    // The public image's label holds commands; save-commands=false keeps them out of XNAT.
    assert!(
        sim.command_ids().len() == 3,
        "only the declared commands are installed"
    );
    // Plain progress lines (stderr is not a terminal here).
    assert!(
        run.stderr
            .contains(&format!("image {PRIVATE}: pull started")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("image {PRIVATE}: done")),
        "{}",
        run.stderr
    );
    // Converged: nothing to pull again.
    let again = xcs.exec(["apply", "repo"]).code(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    assert_eq!(sim.pulls().len(), 2, "a second apply pulls nothing");
}

#[test]
fn a_pull_xnat_refuses_fails_its_action_with_xnats_message() {
    // The registry does not have the public image, and the private one needs credentials the
    // hub does not have (another user).
    let sim = started(
        SimConfig::default().registry_image(SimImage::new(PRIVATE).private("someone-else")),
    );
    let run = repo(&sim).exec(["apply", "repo"]).code(1);
    no_canary(&run);
    assert!(
        run.stdout
            .contains(&format!("FAILED  create image {PUBLIC}")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("manifest unknown"), "{}", run.stdout);
    assert!(run.stdout.contains("pull access denied"), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!("image {PUBLIC}: failed")),
        "{}",
        run.stderr
    );
    let statuses: Vec<u16> = sim.pulls().iter().map(|p| p.status).collect();
    assert!(statuses.iter().all(|&s| s == 404), "{statuses:?}");
    // The commands themselves still went in: an image pull is independent of them.
    assert_eq!(sim.command_ids().len(), 3);
}

#[test]
fn a_daemon_xnat_cannot_reach_fails_the_pulls_and_a_later_apply_converges() {
    let sim = sim_with_registry();
    sim.set_docker_reachable(false);
    let xcs = repo(&sim);
    let run = xcs.exec(["apply", "repo"]).code(1);
    no_canary(&run);
    assert!(
        run.stdout
            .contains(&format!("FAILED  create image {PRIVATE}"))
            && run.stdout.contains("HTTP 500"),
        "{}",
        run.stdout
    );
    assert!(sim.pulls().iter().all(|p| p.status == 500));
    // The daemon is back: the next apply pulls what is still missing, and only that.
    sim.set_docker_reachable(true);
    xcs.exec(["apply", "repo"]).code(0);
    xcs.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
}

//! Issue 8 end to end, through the CLI: a repo whose command lives in an image's
//! `org.nrg.commands` label, in Debian's `docker-registry` behind bcrypt htpasswd auth, with the
//! credentials from the repo's `Registry` declaration. It validates, locks, plans, applies to
//! the simulator (the image pulled through XNAT's hub when XNAT lacks it) and shows on the site
//! with the locked digest; on a kubernetes backend the same repo applies its pull Secret and
//! the `default` service account's patch to the fake API server, and a mistyped tag fails the
//! plan.

use crate::labels::{CANARY, label, labels, lock_at, no_canary, registry_doc, source, with_code};
use crate::support::kube_fake::KubeFake;
use crate::support::registry::DockerRegistry;
use crate::support::xnat_sim::{Sim, SimConfig, SimImage};
use crate::support::{Xcs, corpus_dir};
use base64::Engine as _;
use serde_json::{Value, json};

const REPO: &str = "xcs-e2e/dcm2niix";
const NS: &str = "xnat-jobs";

/// The corpus's dcm2niix label (one command, `dcm2niix`, wrapper `dcm2niix-scan`); a label of
/// the same shape when the corpus is not beside this checkout (CI always has it).
fn dcm2niix_label() -> String {
    match corpus_dir() {
        Some(dir) => {
            std::fs::read_to_string(dir.join("labels/nrg-docker-images__dcm2niix.label.json"))
                .expect("corpus label")
        }
        None => {
            eprintln!("../shared/corpus is not beside this checkout: a label of our own");
            let mut list: Value = serde_json::from_str(&label(&["dcm2niix"])).expect("label");
            list[0]["xnat"][0]["name"] = json!("dcm2niix-scan");
            list.to_string()
        }
    }
}

/// The registry holding `REPO:1.5` with the label, and a repo (in `repo/`) declaring the
/// registry with its credentials and the image-labels source, already locked.
struct Locked {
    registry: DockerRegistry,
    xcs: Xcs,
    image: String,
    digest: String,
    text: String,
}

fn locked(backend: &str) -> Locked {
    let text = dcm2niix_label();
    let registry = DockerRegistry::start("tester", CANARY);
    let digest = registry.push_image(REPO, "1.5", labels(&text));
    let image = format!("{}/{REPO}:1.5", registry.host());
    let xcs = Xcs::new()
        .file(
            "repo/registries/lab.yaml",
            registry_doc(&registry.host(), "tester"),
        )
        .file("repo/backend.yaml", backend)
        .file("repo/commands/dcm2niix.yaml", source(&image))
        .file(
            "repo/site.yaml",
            "kind: Site\nwrappers:\n  - command: dcm2niix\n    wrapper: dcm2niix-scan\n",
        )
        .env("XCS_TEST_REG_PASS", CANARY);

    // Not locked yet: validation says so at the source's `image`, and asks nothing of the
    // registry.
    let before = xcs.exec(["validate", "repo", "--format", "json"]).code(1);
    let missing = with_code(&before.json(), "XCS322");
    assert_eq!(missing.len(), 1, "{}", before.stdout);
    assert!(
        missing[0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("commands/dcm2niix.yaml"))
            && missing[0]["line"] == 2,
        "{}",
        missing[0]
    );

    let lock = xcs.exec(["lock", "repo", "--format", "json"]).code(0);
    assert_eq!(
        lock.json()["sources"][0]["status"],
        "added",
        "{}",
        lock.stdout
    );
    let entry = lock_at(&xcs.root().join("repo/xcs.lock"))["sources"][0].clone();
    assert_eq!(entry["digest"], digest.as_str(), "{entry}");
    assert_eq!(entry["registry"], registry.host().as_str());
    assert_eq!(entry["text"], text.as_str());
    assert!(
        entry["commands"]["dcm2niix"]
            .as_str()
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        "a content hash per command: {entry}"
    );
    no_canary(&[&before.stdout, &lock.stdout, &lock.stderr]);
    Locked {
        registry,
        xcs,
        image,
        digest,
        text,
    }
}

const DOCKER: &str =
    "kind: ComputeBackend\nname: local\nbackend: docker\nhost: unix:///var/run/docker.sock\n";

#[test]
fn a_labelled_image_validates_locks_plans_applies_and_shows_its_digest() {
    let Locked {
        registry,
        xcs,
        image,
        digest,
        text,
    } = locked(DOCKER);
    // From here on only the lock is read: the registry can go.
    drop(registry);
    let validated = xcs.exec(["validate", "repo", "--format", "json"]).code(0);
    assert_eq!(
        validated.json()["summary"]["errors"],
        0,
        "{}",
        validated.stdout
    );

    // XNAT has a docker server without the image; its registry has it, for `tester` only.
    let sim = crate::images::started(
        SimConfig::default().registry_image(
            SimImage::new(&image)
                .private("tester")
                .commands_label(&text),
        ),
    );
    let xcs = xcs.xnat(&sim);
    let plan = xcs.exec(["plan", "repo"]).code(0);
    for line in [
        "+ create  command dcm2niix",
        "+ create  registry lab",
        &format!("+ create  image {image}"),
        "pull: \"pull through registry lab\"",
    ] {
        assert!(
            plan.stdout.contains(line),
            "missing {line:?}:\n{}",
            plan.stdout
        );
    }
    assert!(sim.pulls().is_empty(), "plan pulls nothing");

    let apply = xcs.exec(["apply", "repo"]).code(0);
    let pulls: Vec<_> = sim
        .pulls()
        .into_iter()
        .map(|p| (p.hub, p.image, p.save_commands, p.status))
        .collect();
    assert_eq!(
        pulls,
        vec![(Some("lab".into()), image.clone(), Some("false".into()), 200)],
        "one pull, through the hub of the image's registry, without saving label commands"
    );
    assert!(sim.image_tags().contains(&image));
    assert_eq!(
        sim.hub_credentials("lab")
            .and_then(|(password, _)| password),
        Some(CANARY.to_string()),
        "the hub got the registry's password"
    );
    // The label's command is installed once, by xcs, with `image` set to the reference.
    let ids = sim.command_ids();
    assert_eq!(
        ids.len(),
        1,
        "save-commands=false: no second copy from the label"
    );
    let installed = sim.command_json(ids[0]).expect("command");
    assert_eq!(
        (installed["name"].as_str(), installed["image"].as_str()),
        (Some("dcm2niix"), Some(image.as_str()))
    );
    let wrapper = sim
        .wrapper_id("dcm2niix", "dcm2niix-scan")
        .expect("the label's wrapper");
    assert!(sim.site_enabled(wrapper));
    assert!(
        apply.stderr.contains(&format!("image {image}: done")),
        "{}",
        apply.stderr
    );
    let again = xcs.exec(["apply", "repo"]).code(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    assert_eq!(
        sim.pulls().len(),
        1,
        "the image is there now: no second pull"
    );

    // The catalog site shows the command with its image's locked digest.
    let out = tempfile::tempdir().expect("tmp");
    let site = xcs
        .exec([
            "site",
            "build",
            "repo",
            "--out",
            out.path().to_str().expect("utf-8 path"),
        ])
        .code(0);
    let index: Value = serde_json::from_slice(
        &std::fs::read(out.path().join("api/commands.json")).expect("api/commands.json"),
    )
    .expect("JSON");
    let record = index["commands"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "dcm2niix"))
        .expect("dcm2niix in the site's index")
        .clone();
    assert_eq!(
        (record["image"].as_str(), record["digest"].as_str()),
        (Some(image.as_str()), Some(digest.as_str())),
        "{record}"
    );
    let page = out
        .path()
        .join(record["page"].as_str().expect("page"))
        .join("index.html");
    let html = std::fs::read_to_string(&page).expect("the command's page");
    assert!(html.contains(&digest), "the page lacks the digest:\n{html}");
    no_canary(&[
        &plan.stdout,
        &apply.stdout,
        &apply.stderr,
        &again.stdout,
        &site.stdout,
        &site.stderr,
        &html,
    ]);
}

#[test]
fn on_kubernetes_the_same_repo_applies_its_pull_secret_and_checks_tags_at_plan() {
    let kube = KubeFake::start().namespace(NS).object(
        NS,
        "serviceaccounts",
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": NS},
            "imagePullSecrets": [{"name": "theirs"}]}),
    );
    let Locked {
        registry,
        xcs,
        image,
        ..
    } = locked(&format!(
        "kind: ComputeBackend\nname: k8s\nbackend: kubernetes\nkubernetes:\n  namespace: {NS}\n"
    ));
    let config = xcs.root().join("kubeconfig");
    std::fs::write(&config, kube.kubeconfig(NS)).expect("write kubeconfig");
    let sim = Sim::start(SimConfig::default());
    let xcs = xcs
        .xnat(&sim)
        .env("KUBECONFIG", config.to_str().expect("utf-8 path"))
        .env("HOME", "/nonexistent");

    let plan = xcs.exec(["plan", "repo"]).code(0);
    for line in [
        "+ create  command dcm2niix",
        &format!("+ create  kubernetes secret {NS}/xcs-pull-lab"),
        &format!("~ update  kubernetes service account {NS}/default"),
    ] {
        assert!(
            plan.stdout.contains(line),
            "missing {line:?}:\n{}",
            plan.stdout
        );
    }
    assert!(
        !plan.stdout.contains("create  image"),
        "no pulls on kubernetes: {}",
        plan.stdout
    );

    kube.clear_requests();
    let apply = xcs.exec(["apply", "repo"]).code(0);
    let writes: Vec<_> = kube
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    let paths: Vec<(&str, &str)> = writes
        .iter()
        .map(|w| (w.method.as_str(), w.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("PATCH", "/api/v1/namespaces/xnat-jobs/secrets/xcs-pull-lab"),
            (
                "PATCH",
                "/api/v1/namespaces/xnat-jobs/serviceaccounts/default"
            ),
        ],
        "the Secret first, then the account that lists it"
    );
    for w in &writes {
        assert_eq!(w.content_type, "application/apply-patch+yaml");
        let mut query: Vec<&str> = w.query.split('&').filter(|p| !p.is_empty()).collect();
        query.sort_unstable();
        assert_eq!(query, ["fieldManager=xcs", "force=true"], "{w:?}");
    }
    let secret: Value = serde_json::from_str(&writes[0].body).expect("Secret body");
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(
        secret["metadata"]["labels"],
        json!({"app.kubernetes.io/managed-by": "xcs"})
    );
    let docker_config = base64::engine::general_purpose::STANDARD
        .decode(secret["data"][".dockerconfigjson"].as_str().expect("data"))
        .expect("base64");
    let docker_config: Value = serde_json::from_slice(&docker_config).expect("Docker config");
    let auth = &docker_config["auths"][registry.host().as_str()];
    assert_eq!(
        (auth["username"].as_str(), auth["password"].as_str()),
        (Some("tester"), Some(CANARY)),
        "{docker_config}"
    );
    let account: Value = serde_json::from_str(&writes[1].body).expect("account body");
    assert_eq!(
        account,
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": NS},
            "imagePullSecrets": [{"name": "theirs"}, {"name": "xcs-pull-lab"}]}),
        "the whole list, theirs kept first"
    );
    assert_eq!(
        sim.command_ids().len(),
        1,
        "the command is installed in XNAT"
    );
    assert!(sim.pulls().is_empty(), "XNAT pulls nothing for kubernetes");

    // A command naming a tag the registry does not have fails the plan, naming both.
    let mut typo = crate::labels::command("dcm2niix-typo");
    let mistyped = image.replace(":1.5", ":1.5.0");
    typo["image"] = json!(mistyped);
    let xcs = xcs.file("repo/commands/typo.json", typo.to_string());
    let failed = xcs.exec(["plan", "repo"]).code(1);
    assert!(
        failed.stdout.contains(&format!(
            "tag of `{mistyped}` not found in registry {}",
            registry.host()
        )),
        "{}",
        failed.stdout
    );
    assert!(
        !failed.stdout.contains(&format!("`{image}` not found")),
        "the locked tag exists: {}",
        failed.stdout
    );
    no_canary(&[&plan.stdout, &apply.stdout, &apply.stderr, &failed.stdout]);
    let b64 = base64::engine::general_purpose::STANDARD.encode(CANARY);
    for out in [&plan.stdout, &apply.stdout, &failed.stdout] {
        assert!(
            !out.contains(&b64[..12]),
            "the secret leaked in base64:\n{out}"
        );
    }
}

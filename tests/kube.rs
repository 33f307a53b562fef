//! Kubernetes pull Secrets through the CLI, against an HTTP fake of the API server that checks
//! the exact requests: server-side apply with field manager `xcs`, only the declared namespace,
//! the `default` service account's other entries kept, prune by label, RBAC refusals named.

use crate::support::kube_fake::{KubeFake, Recorded};
use crate::support::xnat_sim::{Sim, SimConfig};
use crate::support::{Run, Xcs};
use base64::Engine as _;
use serde_json::{Value, json};

const CANARY: &str = "CANARY-s3cr3t-kube-91c4";
const NS: &str = "xnat-jobs";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The canary in any form xcs could leak it: as is, or base64 inside a Docker config.
fn no_canary(run: &Run) {
    run.assert_no_secret(CANARY);
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains(&b64(CANARY)[..12]),
            "the secret leaked in base64:\n{text}"
        );
        assert!(
            !text.contains(".dockerconfigjson"),
            "the Secret body was printed:\n{text}"
        );
    }
}

fn fake() -> KubeFake {
    KubeFake::start()
        .namespace(NS)
        .namespace("other")
        .object(
            NS,
            "serviceaccounts",
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": NS},
            "imagePullSecrets": [{"name": "theirs"}]}),
        )
        .object(
            NS,
            "serviceaccounts",
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "builder", "namespace": NS}}),
        )
        // Someone else's Secret whose name looks like xcs's: never touched (no xcs label).
        .object(
            NS,
            "secrets",
            json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "xcs-pull-manual", "namespace": NS}, "data": {"x": "eQ=="}}),
        )
}

fn registries(with_extra: bool) -> String {
    let mut s = "kind: Registry\nname: lab\nurl: https://registry.lab.example.org\nusername: puller\npassword: ${env:LAB_PASS}\n".to_string();
    if with_extra {
        s += "---\nkind: Registry\nname: ghcr\nurl: https://ghcr.io\nusername: bot\ntoken: ${env:GHCR_TOKEN}\n";
    }
    s
}

fn repo(sim: &Sim, kube: &KubeFake) -> Xcs {
    let xcs = Xcs::new();
    let config = xcs.root().join("kubeconfig");
    std::fs::write(&config, kube.kubeconfig(NS)).expect("write kubeconfig");
    xcs.file("repo/registries.yaml", registries(true))
        .file(
            "repo/backend.yaml",
            format!("kind: ComputeBackend\nname: k8s\nbackend: kubernetes\nkubernetes:\n  namespace: {NS}\n"),
        )
        .xnat(sim)
        .env("KUBECONFIG", config.to_str().expect("utf-8 path"))
        .env("HOME", "/nonexistent")
        .env("LAB_PASS", CANARY)
        .env("GHCR_TOKEN", "ghcr-token-value")
}

fn patches(requests: &[Recorded]) -> Vec<&Recorded> {
    requests.iter().filter(|r| r.method == "PATCH").collect()
}

#[test]
fn plan_shows_the_kubernetes_steps_beside_the_xnat_ones_and_writes_nothing() {
    let (sim, kube) = (Sim::start(SimConfig::default()), fake());
    let xcs = repo(&sim, &kube);
    let plan = xcs.exec(["plan", "repo"]).code(0);
    no_canary(&plan);
    for line in [
        "+ create  kubernetes secret xnat-jobs/xcs-pull-lab",
        "+ create  kubernetes secret xnat-jobs/xcs-pull-ghcr",
        "~ update  kubernetes service account xnat-jobs/default",
        "data: (changed; value not shown)",
        r#"imagePullSecrets: ["theirs"] → ["theirs","xcs-pull-lab","xcs-pull-ghcr"]"#,
        "+ create  registry lab",
    ] {
        assert!(
            plan.stdout.contains(line),
            "missing {line:?} in\n{}",
            plan.stdout
        );
    }
    assert!(
        patches(&kube.requests()).is_empty(),
        "plan writes nothing to the cluster"
    );
    // Nor into the plan file.
    no_canary(&xcs.exec(["plan", "repo", "--out", "plan.json"]).code(0));
    let saved = std::fs::read_to_string(xcs.root().join("plan.json")).expect("plan.json");
    assert!(
        !saved.contains(CANARY) && !saved.contains(&b64(CANARY)[..12]),
        "{saved}"
    );
    let json = xcs.exec(["plan", "repo", "--format", "json"]).code(0);
    no_canary(&json);
    let kinds: Vec<String> = json.json()["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a["target"]["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        kinds.contains(&"pull-secret".to_string())
            && kinds.contains(&"service-account".to_string())
    );
    assert!(
        kinds.contains(&"registry".to_string()),
        "beside the XNAT steps: {kinds:?}"
    );
}

#[test]
fn apply_writes_pull_secrets_and_the_default_service_account_by_server_side_apply() {
    let (sim, kube) = (Sim::start(SimConfig::default()), fake());
    let xcs = repo(&sim, &kube);
    let run = xcs.exec(["apply", "repo"]).code(0);
    no_canary(&run);
    let requests = kube.requests();
    for r in &requests {
        assert!(
            r.path.starts_with(&format!("/api/v1/namespaces/{NS}/")),
            "outside the namespace: {r:?}"
        );
        assert!(
            !r.path.contains("/serviceaccounts/builder"),
            "another service account: {r:?}"
        );
        assert!(
            r.method != "POST" && r.method != "PUT",
            "only apply patches and reads: {r:?}"
        );
    }
    let writes = patches(&requests);
    assert_eq!(writes.len(), 3, "{writes:#?}");
    for w in &writes {
        assert_eq!(w.content_type, "application/apply-patch+yaml");
        assert!(
            w.query.contains("fieldManager=xcs") && w.query.contains("force=true"),
            "{}",
            w.query
        );
    }
    let lab = writes
        .iter()
        .find(|w| w.path.ends_with("/secrets/xcs-pull-lab"))
        .expect("the lab Secret is applied");
    let body: Value = serde_json::from_str(&lab.body).expect("JSON body");
    assert_eq!(body["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(
        body["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "xcs"
    );
    assert_eq!(body["metadata"]["namespace"], NS);
    let config = base64::engine::general_purpose::STANDARD
        .decode(body["data"][".dockerconfigjson"].as_str().expect("data"))
        .expect("base64");
    let config: Value = serde_json::from_slice(&config).expect("docker config");
    let auth = &config["auths"]["registry.lab.example.org"];
    assert_eq!(auth["username"], "puller");
    assert_eq!(auth["password"], CANARY);
    assert_eq!(auth["auth"], b64(&format!("puller:{CANARY}")));
    let account = kube
        .get(NS, "serviceaccounts", "default")
        .expect("default account");
    assert_eq!(
        account["imagePullSecrets"],
        json!([{"name": "theirs"}, {"name": "xcs-pull-lab"}, {"name": "xcs-pull-ghcr"}])
    );
    assert_eq!(
        kube.get(NS, "serviceaccounts", "builder").expect("builder"),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": NS}}),
        "another service account is never touched"
    );

    // Compared by content hash: a second apply writes nothing.
    kube.clear_requests();
    let again = xcs.exec(["apply", "repo", "--format", "json"]).code(0);
    no_canary(&again);
    assert!(
        patches(&kube.requests()).is_empty(),
        "{:#?}",
        kube.requests()
    );
    let again = xcs.exec(["apply", "repo"]).code(0);
    no_canary(&again);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    assert!(
        patches(&kube.requests()).is_empty(),
        "{:#?}",
        kube.requests()
    );
}

#[test]
fn a_changed_credential_updates_only_its_secret() {
    let (sim, kube) = (Sim::start(SimConfig::default()), fake());
    let xcs = repo(&sim, &kube);
    xcs.exec(["apply", "repo"]).code(0);
    // A changed credential updates exactly that Secret, value not shown.
    let rotated = xcs.env("LAB_PASS", "rotated-password");
    let plan = rotated.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout
            .contains("~ update  kubernetes secret xnat-jobs/xcs-pull-lab"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("secret xnat-jobs/xcs-pull-ghcr"),
        "only the changed Secret: {}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("rotated-password") && !plan.stdout.contains(CANARY));
}

#[test]
fn prune_removes_only_secrets_xcs_made() {
    let (sim, kube) = (Sim::start(SimConfig::default()), fake());
    let xcs = repo(&sim, &kube);
    xcs.exec(["apply", "repo"]).code(0);
    // The ghcr registry leaves the repo.
    std::fs::write(xcs.root().join("repo/registries.yaml"), registries(false)).expect("write");
    let kept = xcs.exec(["plan", "repo"]).code(0);
    assert!(
        kept.stdout.contains(
            "Secret `xcs-pull-ghcr` in `xnat-jobs` was made by xcs and is no longer declared: kept"
        ),
        "{}",
        kept.stdout
    );
    kube.clear_requests();
    let run = xcs.exec(["apply", "repo", "--prune"]).code(0);
    no_canary(&run);
    assert!(
        run.stdout
            .contains("- delete  kubernetes secret xnat-jobs/xcs-pull-ghcr"),
        "{}",
        run.stdout
    );
    let deletes: Vec<String> = kube
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        vec![format!("/api/v1/namespaces/{NS}/secrets/xcs-pull-ghcr")]
    );
    assert!(kube.get(NS, "secrets", "xcs-pull-ghcr").is_none());
    assert!(
        kube.get(NS, "secrets", "xcs-pull-manual").is_some(),
        "an unlabelled Secret stays"
    );
    assert!(kube.get(NS, "secrets", "xcs-pull-lab").is_some());
    let account = kube.get(NS, "serviceaccounts", "default").expect("default");
    assert_eq!(
        account["imagePullSecrets"],
        json!([{"name": "theirs"}, {"name": "xcs-pull-lab"}])
    );
}

#[test]
fn missing_rbac_is_named_by_verb_resource_and_namespace() {
    let (sim, kube) = (Sim::start(SimConfig::default()), fake());
    kube.deny("patch", "secrets");
    let run = repo(&sim, &kube).exec(["apply", "repo"]).code(1);
    no_canary(&run);
    assert!(
        run.stdout.contains("Kubernetes refused `patch` on `secrets` in namespace `xnat-jobs`: missing RBAC permission"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("skipped  update kubernetes service account"),
        "{}",
        run.stdout
    );
    // Creating by apply needs `create` as well.
    kube.allow_all();
    kube.deny("create", "secrets");
    let run = repo(&sim, &kube).exec(["apply", "repo"]).code(1);
    assert!(
        run.stdout
            .contains("Kubernetes refused `create` on `secrets` in namespace `xnat-jobs`"),
        "{}",
        run.stdout
    );
    // Reading refused: the plan says what it could not read, and which permission.
    kube.allow_all();
    kube.deny("list", "secrets");
    let plan = repo(&sim, &kube).exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout
            .contains("Kubernetes refused `list` on `secrets` in namespace `xnat-jobs`"),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_missing_namespace_is_not_created() {
    let (sim, kube) = (Sim::start(SimConfig::default()), KubeFake::start());
    let run = repo(&sim, &kube).exec(["apply", "repo"]).code(1);
    no_canary(&run);
    assert!(
        run.stdout.contains("namespaces \"xnat-jobs\" not found"),
        "{}",
        run.stdout
    );
    assert!(
        kube.requests()
            .iter()
            .all(|r| !r.path.ends_with("/namespaces") && r.method != "POST"),
        "{:#?}",
        kube.requests()
    );
}

#[test]
fn no_kubeconfig_is_a_clear_note_in_the_plan() {
    let sim = Sim::start(SimConfig::default());
    let kube = fake();
    let run = repo(&sim, &kube)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("KUBERNETES_SERVICE_HOST", "")
        .exec(["plan", "repo"])
        .code(0);
    no_canary(&run);
    assert!(
        run.stdout
            .contains("cannot read Kubernetes namespace `xnat-jobs`"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("KUBECONFIG"), "{}", run.stdout);
}

#[test]
fn a_failing_api_server_skips_the_dependants_and_a_later_apply_converges() {
    let (sim, kube) = (Sim::start(SimConfig::default()), fake());
    kube.break_verb("patch", "secrets");
    let xcs = repo(&sim, &kube);
    let run = xcs.exec(["apply", "repo"]).code(1);
    no_canary(&run);
    assert!(
        run.stdout
            .contains("Kubernetes answered 500 to `patch` on `secrets` in namespace `xnat-jobs`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("skipped  update kubernetes service account xnat-jobs/default"),
        "the account never lists a Secret that was not written: {}",
        run.stdout
    );
    assert_eq!(
        kube.get(NS, "serviceaccounts", "default").expect("default")["imagePullSecrets"],
        json!([{"name": "theirs"}])
    );
    kube.allow_all();
    xcs.exec(["apply", "repo"]).code(0);
    xcs.exec(["plan", "repo", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_kubernetes_backend_without_a_namespace_warns_that_no_pull_secret_is_kept() {
    let backend = "kind: ComputeBackend\nname: k8s\nbackend: kubernetes\n";
    let xcs = Xcs::new()
        .file("repo/registries.yaml", registries(true))
        .file("repo/backend.yaml", backend);
    let run = xcs.exec(["validate", "repo", "--format", "json"]).code(0);
    let json = run.json();
    let warnings: Vec<&Value> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "XCS303")
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stdout);
    let w = warnings[0];
    assert_eq!(
        (
            w["severity"].as_str(),
            w["line"].as_u64(),
            w["column"].as_u64()
        ),
        (Some("warning"), Some(3), Some(10)),
        "at the backend's `backend: kubernetes`: {w}"
    );
    assert!(
        w["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("backend.yaml"))
    );
    assert!(
        w["message"]
            .as_str()
            .is_some_and(|m| m.contains("no pull Secret is kept for `lab`, `ghcr`")),
        "{w}"
    );
    let text = xcs.exec(["validate", "repo"]).code(0);
    assert!(
        text.stdout.contains("backend.yaml:3:10") && text.stdout.contains("XCS303"),
        "{}",
        text.stdout
    );

    // With a namespace xcs keeps the Secrets; without credentials there is nothing to keep.
    for (registries, backend) in [
        (
            self::registries(true),
            format!("{backend}kubernetes:\n  namespace: {NS}\n"),
        ),
        (
            "kind: Registry\nname: open\nurl: https://registry.example.org\n".to_string(),
            backend.to_string(),
        ),
    ] {
        let quiet = Xcs::new()
            .file("repo/registries.yaml", registries)
            .file("repo/backend.yaml", backend)
            .exec(["validate", "repo", "--format", "json"])
            .code(0);
        assert!(!quiet.stdout.contains("XCS303"), "{}", quiet.stdout);
    }
}

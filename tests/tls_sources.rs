//! `--ca-cert` for the clients beside XNAT: `xcs lock` reading labels from a registry over TLS
//! through a private CA (Debian's `docker-registry` with htpasswd), and a `from: url` document
//! from an HTTPS file server with that CA, and `xcs plan`'s Kubernetes tag check against that
//! registry; each refused with the one hint without it.

use crate::labels::{CANARY, command, label, labels, lock_json, no_canary, source, with_code};
use crate::support::Xcs;
use crate::support::kube_fake::KubeFake;
use crate::support::registry::DockerRegistry;
use crate::support::tls::{HttpsFiles, private_ca};
use crate::support::xnat_sim::{Sim, SimConfig};
use serde_json::json;

const HINT: &str =
    "the server's TLS certificate is not trusted here: for a private CA, pass --ca-cert FILE";

fn tls_registry_doc(host: &str) -> String {
    format!(
        "kind: Registry\nname: lab\nurl: https://{host}\nusername: tester\npassword: ${{env:XCS_TEST_REG_PASS}}\n"
    )
}

#[test]
fn lock_reads_labels_from_a_registry_behind_a_private_ca() {
    let pki = tempfile::tempdir().expect("tmp");
    let _ = private_ca(pki.path());
    let ca = pki.path().join("ca.pem");
    let reg = DockerRegistry::start_tls("tester", CANARY, pki.path());
    let digest = reg.push_image("xcs-tls/tool", "1.0", labels(&label(&["tool"])));
    let image = format!("{}/xcs-tls/tool:1.0", reg.host());
    let x = Xcs::new()
        .file("registries/lab.yaml", tls_registry_doc(&reg.host()))
        .file("commands/tool.yaml", source(&image))
        .env("XCS_TEST_REG_PASS", CANARY);

    // Without the CA: the source fails, naming the registry, with the hint; nothing written.
    let refused = x.exec(["lock", ".", "--format", "json"]).code(1);
    let failed = with_code(&refused.json(), "XCS320");
    let message = failed
        .first()
        .and_then(|d| d["message"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(message.contains(HINT), "{}", refused.stdout);
    assert!(
        message.contains(&reg.host()),
        "names the registry: {message}"
    );
    let written = std::fs::read_to_string(x.root().join("xcs.lock")).unwrap_or_default();
    assert!(!written.contains(&digest), "nothing locked: {written}");

    // A CA file that is not one: refused up front, naming the file.
    let not_pem = x.root().join("not-a-cert.pem");
    std::fs::write(&not_pem, "hello").expect("write");
    let bad = x.exec(["lock", ".", "--ca-cert", "not-a-cert.pem"]).code(2);
    assert!(
        bad.stderr
            .contains("not-a-cert.pem is not a PEM certificate"),
        "{}",
        bad.stderr
    );

    // With it: locked at the pushed digest.
    let ca_arg = ca.to_str().expect("path");
    let locked = x
        .exec(["lock", ".", "--ca-cert", ca_arg, "--format", "json"])
        .code(0);
    assert_eq!(locked.json()["sources"][0]["digest"], digest.as_str());
    let lock = lock_json(&x);
    assert_eq!(lock["sources"][0]["digest"], digest.as_str());
    assert_eq!(lock["sources"][0]["registry"], reg.host().as_str());
    no_canary(&[
        &refused.stdout,
        &refused.stderr,
        &bad.stdout,
        &bad.stderr,
        &locked.stdout,
        &locked.stderr,
    ]);
}

#[test]
fn url_source_over_https_with_a_private_ca() {
    let pki = tempfile::tempdir().expect("tmp");
    let tls = private_ca(pki.path());
    let ca = pki.path().join("ca.pem");
    let files = HttpsFiles::start(&tls);
    let mut doc = command("remote");
    doc["image"] = json!("example/remote:1.0");
    let body = serde_json::to_vec(&doc).expect("json");
    let url = files.file("remote.json", body.clone());
    let x = Xcs::new()
        // A Registry with a secret in the same repo: it must stay out of every output.
        .file(
            "registries/lab.yaml",
            tls_registry_doc("registry.lab.example.org"),
        )
        .file("commands/remote.yaml", format!("from: url\nurl: {url}\n"))
        .env("XCS_TEST_REG_PASS", CANARY);

    let refused = x.exec(["lock", ".", "--format", "json"]).code(1);
    let failed = with_code(&refused.json(), "XCS320");
    assert!(
        failed
            .first()
            .and_then(|d| d["message"].as_str())
            .is_some_and(|m| m.contains(HINT)),
        "{}",
        refused.stdout
    );
    assert_eq!(files.served(), 0, "refused at the handshake");

    let locked = x
        .exec(["lock", ".", "--ca-cert", ca.to_str().expect("path")])
        .code(0);
    assert_eq!(files.served(), 1);
    let lock = lock_json(&x);
    assert_eq!(
        lock["sources"][0]["sha256"],
        xcs::model::lock::sha256_hex(&body).as_str()
    );
    x.exec(["validate", "."]).code(0);
    no_canary(&[
        &refused.stdout,
        &refused.stderr,
        &locked.stdout,
        &locked.stderr,
    ]);
}

/// `xcs plan`'s Kubernetes tag check asks the registry over TLS with the same `--ca-cert`.
#[test]
fn plan_checks_tags_in_a_registry_behind_a_private_ca() {
    const NS: &str = "xnat-jobs";
    let pki = tempfile::tempdir().expect("tmp");
    let _ = private_ca(pki.path());
    let ca = pki.path().join("ca.pem");
    let reg = DockerRegistry::start_tls("tester", CANARY, pki.path());
    reg.push_image("xcs-tls/tool", "1.0", labels(&label(&["tool"])));
    let mut tool = command("tool");
    let image = format!("{}/xcs-tls/tool:1.0", reg.host());
    tool["image"] = json!(image);
    let kube = KubeFake::start().namespace(NS);
    let sim = Sim::start(SimConfig::default());
    let x = Xcs::new();
    let config = x.root().join("kubeconfig");
    std::fs::write(&config, kube.kubeconfig(NS)).expect("write kubeconfig");
    let x = x
        .file("repo/registries/lab.yaml", tls_registry_doc(&reg.host()))
        .file(
            "repo/backend.yaml",
            format!("kind: ComputeBackend\nname: k8s\nbackend: kubernetes\nkubernetes:\n  namespace: {NS}\n"),
        )
        .file("repo/commands/tool.json", tool.to_string())
        .xnat(&sim)
        .env("KUBECONFIG", config.to_str().expect("utf-8 path"))
        .env("HOME", "/nonexistent")
        .env("XCS_TEST_REG_PASS", CANARY);

    let refused = x.exec(["plan", "repo"]).code(1);
    assert!(
        refused.stdout.contains(HINT) && refused.stdout.contains(&reg.host()),
        "{}",
        refused.stdout
    );
    let checked = x
        .exec(["plan", "repo", "--ca-cert", ca.to_str().expect("path")])
        .code(0);
    assert!(
        checked.stdout.contains("+ create  command tool") && !checked.stdout.contains("error:"),
        "{}",
        checked.stdout
    );
    no_canary(&[
        &refused.stdout,
        &refused.stderr,
        &checked.stdout,
        &checked.stderr,
    ]);
}

//! `image-archives`: a `docker save` tar, pinned by SHA-256, loaded by xcs into the backend's
//! Docker daemon with bollard. Runs against the machine's real engine: the test builds a tiny
//! `FROM scratch` image, saves it, removes it, and lets `xcs apply` load it back.

use crate::support::Xcs;
use crate::support::tls::{HttpsFiles, private_ca};
use crate::support::xnat_sim::{Sim, SimConfig, SimImage};
use std::path::Path;
use std::process::Command;

/// An image built for one test and removed when dropped.
struct TestImage {
    tag: String,
}

impl Drop for TestImage {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.tag])
            .output();
    }
}

fn docker(args: &[&str], dir: &Path) -> String {
    let out = Command::new("docker")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn present(tag: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", tag])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Build `xcs-images-<name>-<pid>:1` from scratch with one file, save it to
/// `<xcs>/repo/images/a.tar`, remove it from the engine; the archive's SHA-256.
fn saved_image(xcs: &Xcs, name: &str) -> (TestImage, String) {
    let tag = format!("xcs-images-{name}-{}:1", std::process::id());
    let image = TestImage { tag: tag.clone() };
    let context = xcs.root().join(format!("context-{name}"));
    std::fs::create_dir_all(&context).expect("mkdir");
    std::fs::write(context.join("hello.txt"), format!("hello from {name}\n")).expect("write");
    std::fs::write(
        context.join("Dockerfile"),
        "FROM scratch\nCOPY hello.txt /hello.txt\nLABEL org.nrg.commands=\"[]\"\n",
    )
    .expect("write");
    docker(&["build", "-q", "-t", &tag, "."], &context);
    let images = xcs.root().join("repo/images");
    std::fs::create_dir_all(&images).expect("mkdir");
    let tar = images.join("a.tar");
    docker(
        &["save", "-o", tar.to_str().expect("utf-8"), &tag],
        xcs.root(),
    );
    docker(&["rmi", &tag], xcs.root());
    let out = Command::new("sha256sum")
        .arg(&tar)
        .output()
        .expect("sha256sum");
    let sha = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    (image, sha)
}

/// Declare a docker backend at `host` with the archive, and a command using the image.
fn declare(xcs: Xcs, sim: &Sim, host: &str, tag: &str, sha: &str) -> Xcs {
    declare_at(xcs, sim, host, tag, "images/a.tar", sha)
}

/// [`declare`] with the archive at another address (an https URL).
fn declare_at(xcs: Xcs, sim: &Sim, host: &str, tag: &str, archive: &str, sha: &str) -> Xcs {
    xcs.file(
        "repo/backend.yaml",
        format!(
            "kind: ComputeBackend\nname: local\nbackend: docker\nhost: {host}\nimage-archives:\n  - image: {tag}\n    archive: {archive}\n    sha256: {sha}\n"
        ),
    )
    .file(
        "repo/commands/tool.yaml",
        format!("kind: Command\nname: tool\nversion: \"1\"\nimage: {tag}\ncommand-line: run\n"),
    )
    .xnat(sim)
}

/// XNAT with a docker server already set (it lists images only then).
fn sim() -> Sim {
    let sim = Sim::start(SimConfig::default());
    sim.seed_server(serde_json::json!({
        "name": "local", "host": "unix:///var/run/docker.sock", "backend": "docker",
    }));
    sim
}

const ENGINE: &str = "unix:///var/run/docker.sock";

#[test]
fn apply_loads_a_missing_image_from_its_archive() {
    let sim = sim();
    let xcs = Xcs::new();
    let (image, sha) = saved_image(&xcs, "a");
    let xcs = declare(xcs, &sim, ENGINE, &image.tag, &sha);
    let plan = xcs.exec(["plan", "repo"]).code(0);
    assert!(
        plan.stdout
            .contains(&format!("+ create  image {}", image.tag)),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("load: \"from archive images/a.tar\""),
        "{}",
        plan.stdout
    );
    assert!(!present(&image.tag), "plan loads nothing");
    let run = xcs.exec(["apply", "repo"]).code(0);
    assert!(
        run.stdout
            .contains(&format!("done  create image {}", image.tag)),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains(&format!("image {}: load started", image.tag)),
        "{}",
        run.stderr
    );
    assert!(present(&image.tag), "the engine has the image after apply");
    // XNAT lists the daemon's images; once it sees the loaded one there is nothing to do.
    sim.add_image(SimImage::new(&image.tag));
    let again = xcs.exec(["plan", "repo"]).code(0);
    assert!(
        again
            .stdout
            .contains(&format!("image `{}` is present", image.tag)),
        "{}",
        again.stdout
    );
    assert!(!again.stdout.contains("create  image"), "{}", again.stdout);
}

#[test]
fn an_archive_whose_checksum_differs_is_refused() {
    let sim = sim();
    let xcs = Xcs::new();
    let (image, _) = saved_image(&xcs, "b");
    let wrong = "ab".repeat(32);
    let xcs = declare(xcs, &sim, ENGINE, &image.tag, &wrong);
    let run = xcs.exec(["apply", "repo"]).code(1);
    assert!(
        run.stdout
            .contains("image archive images/a.tar has SHA-256 ")
            && run
                .stdout
                .contains(&format!("not the declared {wrong}: refusing to load it")),
        "{}",
        run.stdout
    );
    assert!(!present(&image.tag), "nothing was loaded");
}

#[test]
fn an_https_archive_is_verified_against_the_private_ca_and_its_pin() {
    let pki = tempfile::tempdir().expect("tmp");
    let server = HttpsFiles::start(&private_ca(pki.path()));
    let ca = pki.path().join("ca.pem");
    let ca = ca.to_str().expect("utf-8 path");
    let sim = sim();
    let xcs = Xcs::new();
    let (image, sha) = saved_image(&xcs, "https");
    // Served only over https: the repo keeps no copy.
    let local = xcs.root().join("repo/images/a.tar");
    let url = server.file("a.tar", std::fs::read(&local).expect("archive"));
    std::fs::remove_file(&local).expect("rm");

    // The CA is not trusted without --ca-cert: refused at the handshake, saying what to pass.
    let untrusted = declare_at(Xcs::new(), &sim, ENGINE, &image.tag, &url, &sha);
    let run = untrusted.exec(["apply", "repo"]).code(1);
    assert!(
        run.stdout
            .contains(&format!("cannot download image archive {url}:"))
            && run.stdout.contains("certificate")
            && run.stdout.contains("pass --ca-cert FILE"),
        "{}",
        run.stdout
    );
    assert_eq!(
        server.served(),
        0,
        "nothing was sent before the handshake failed"
    );
    assert!(!present(&image.tag));

    // Trusted, but the file is not the pinned one: downloaded, hashed, refused.
    let wrong = "cd".repeat(32);
    let pinned_wrong = declare_at(Xcs::new(), &sim, ENGINE, &image.tag, &url, &wrong);
    let run = pinned_wrong
        .exec(["apply", "repo", "--ca-cert", ca])
        .code(1);
    assert!(
        run.stdout.contains(&format!(
            "image archive {url} has SHA-256 {sha}, not the declared {wrong}: refusing to load it"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(server.served(), 1);
    assert!(!present(&image.tag), "nothing was loaded");

    // Trusted and pinned right: loaded into the engine.
    let xcs = declare_at(xcs, &sim, ENGINE, &image.tag, &url, &sha);
    let run = xcs.exec(["apply", "repo", "--ca-cert", ca]).code(0);
    assert!(
        run.stdout
            .contains(&format!("done  create image {}", image.tag)),
        "{}",
        run.stdout
    );
    assert!(present(&image.tag), "the engine has the image after apply");
}

#[test]
fn an_unreachable_daemon_is_refused_saying_what_to_reach() {
    let sim = sim();
    let xcs = Xcs::new();
    let (image, sha) = saved_image(&xcs, "c");
    let xcs = declare(
        xcs,
        &sim,
        "unix:///nonexistent/xcs-docker.sock",
        &image.tag,
        &sha,
    );
    let run = xcs.exec(["apply", "repo"]).code(1);
    assert!(
        run.stdout
            .contains("cannot reach the Docker daemon at unix:///nonexistent/xcs-docker.sock"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("DOCKER_HOST"), "{}", run.stdout);
    assert!(!present(&image.tag));
}

#[test]
fn archive_declarations_are_checked() {
    let xcs = Xcs::new()
        .file(
            "repo/backend.yaml",
            format!(
                "kind: ComputeBackend\nname: k\nbackend: kubernetes\nimage-archives:\n  - image: lab/tool\n    archive: http://example.org/a.tar\n    sha256: {}\n",
                "a".repeat(64)
            ),
        )
        .args(["validate", "repo"]);
    let run = xcs.run().code(1);
    for needle in [
        "XCS310",
        "a kubernetes backend has no Docker daemon",
        "image `lab/tool` has no `:tag`",
        "archive `http://example.org/a.tar` is not a path inside the repo or an https URL",
    ] {
        assert!(
            run.stdout.contains(needle),
            "missing {needle:?}:\n{}",
            run.stdout
        );
    }
    let short = Xcs::new()
        .file(
            "repo/backend.yaml",
            "kind: ComputeBackend\nname: d\nbackend: docker\nhost: unix:///var/run/docker.sock\nimage-archives:\n  - {image: 'a:1', archive: a.tar, sha256: abc}\n",
        )
        .args(["validate", "repo"])
        .run()
        .code(1);
    assert!(short.stdout.contains("XCS010"), "{}", short.stdout);
}

//! Shipping: what can be tested of a release without making one. The action's download script
//! picks the asset for each platform, installs a release whose checksum matches from a local file
//! server, refuses one whose checksum does not, and says "build instead" when there is none; the
//! container image's Dockerfile builds with the local Docker engine.

use crate::support::project_dir;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

fn script() -> std::path::PathBuf {
    project_dir().join("scripts/install-release.sh")
}

fn install(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(script()).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run install-release.sh")
}

#[test]
fn the_action_picks_the_asset_for_each_platform() {
    for (os, arch, asset) in [
        (
            "Linux",
            "X64",
            "xcs-v1.2.3-x86_64-unknown-linux-musl.tar.gz",
        ),
        (
            "Linux",
            "ARM64",
            "xcs-v1.2.3-aarch64-unknown-linux-musl.tar.gz",
        ),
        ("macOS", "X64", "xcs-v1.2.3-x86_64-apple-darwin.tar.gz"),
        ("macOS", "ARM64", "xcs-v1.2.3-aarch64-apple-darwin.tar.gz"),
        (
            "Linux",
            "x86_64",
            "xcs-v1.2.3-x86_64-unknown-linux-musl.tar.gz",
        ),
        ("Darwin", "arm64", "xcs-v1.2.3-aarch64-apple-darwin.tar.gz"),
    ] {
        let out = install(
            &["--asset", "v1.2.3"],
            &[("XCS_OS", os), ("XCS_ARCH", arch)],
        );
        assert!(out.status.success(), "{os}/{arch}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), asset);
    }
    // No release binary: exit 3, and the action builds from source.
    for (reference, os, arch) in [
        ("main", "Linux", "X64"),
        ("3f1c2a9e", "Linux", "X64"),
        ("", "Linux", "X64"),
        ("v1.2.3", "Windows", "X64"),
        ("v1.2.3", "Linux", "ARM"),
    ] {
        let out = install(
            &["--asset", reference],
            &[("XCS_OS", os), ("XCS_ARCH", arch)],
        );
        assert_eq!(out.status.code(), Some(3), "{reference} {os}/{arch}");
    }
}

/// A static file server on 127.0.0.1 (a free port), stopped when dropped.
struct FileServer {
    child: Child,
    url: String,
}

impl FileServer {
    fn start(dir: &Path) -> FileServer {
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 http.server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server's first line");
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .unwrap_or_else(|| panic!("no port in {line:?}"))
            .to_string();
        FileServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A release directory as the release workflow makes it, for Linux x86_64.
fn release(dir: &Path, tag: &str) -> String {
    let asset = format!("xcs-{tag}-x86_64-unknown-linux-musl.tar.gz");
    let staging = dir.join("staging");
    std::fs::create_dir_all(&staging).expect("mkdir");
    std::fs::write(
        staging.join("xcs"),
        "#!/bin/sh\necho xcs-from-the-release\n",
    )
    .expect("write");
    let release = dir.join(tag);
    std::fs::create_dir_all(&release).expect("mkdir");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(release.join(&asset))
        .arg("-C")
        .arg(&staging)
        .arg("xcs")
        .status()
        .expect("tar");
    assert!(status.success());
    let sums = Command::new("sha256sum")
        .arg(&asset)
        .current_dir(&release)
        .output()
        .expect("sha256sum");
    std::fs::write(release.join("SHA256SUMS"), sums.stdout).expect("write sums");
    asset
}

#[test]
fn the_action_installs_a_verified_release_and_refuses_a_bad_checksum() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let asset = release(tmp.path(), "v9.8.7");
    let server = FileServer::start(tmp.path());
    let dest = tmp.path().join("tool");
    let dest_s = dest.display().to_string();
    let base = format!("{}/v9.8.7", server.url);
    let env = [
        ("XCS_RELEASE_URL", base.as_str()),
        ("XCS_OS", "Linux"),
        ("XCS_ARCH", "X64"),
    ];

    let out = install(&["v9.8.7", &dest_s], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ran = Command::new(dest.join("bin/xcs"))
        .output()
        .expect("run xcs");
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "xcs-from-the-release\n"
    );

    // A tampered asset: exit 1 (not 3: the action must not fall back to building), and nothing
    // is installed.
    std::fs::remove_dir_all(&dest).expect("rm");
    let sums = tmp.path().join("v9.8.7/SHA256SUMS");
    let text = std::fs::read_to_string(&sums).expect("read sums");
    let wrong = format!("{} {}", "0".repeat(64), &text[64..]);
    std::fs::write(&sums, wrong).expect("write");
    let out = install(&["v9.8.7", &dest_s], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("checksum mismatch for {asset}")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dest.join("bin/xcs").exists(), "nothing installed");

    // A SHA256SUMS that does not list the asset is a mismatch too.
    std::fs::write(&sums, "").expect("write");
    assert_eq!(install(&["v9.8.7", &dest_s], &env).status.code(), Some(1));

    // No such release (404): exit 3, build from source.
    let missing = format!("{}/v0.0.1", server.url);
    let out = install(
        &["v0.0.1", &dest_s],
        &[
            ("XCS_RELEASE_URL", missing.as_str()),
            ("XCS_OS", "Linux"),
            ("XCS_ARCH", "X64"),
        ],
    );
    assert_eq!(out.status.code(), Some(3));
}

/// The image's Dockerfile builds from a locally built binary with the local engine. (The test
/// binary is not static, so the image is inspected, not run.)
#[test]
fn the_container_image_builds_from_the_binary_on_an_empty_base() {
    let context = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        project_dir().join("Dockerfile"),
        context.path().join("Dockerfile"),
    )
    .expect("copy Dockerfile");
    std::fs::create_dir_all(context.path().join("dist/amd64")).expect("mkdir");
    std::fs::copy(
        env!("CARGO_BIN_EXE_xcs"),
        context.path().join("dist/amd64/xcs"),
    )
    .expect("copy xcs");
    let tag = format!("xcs-arch-image-test-{}", std::process::id());
    let build = Command::new("docker")
        .args([
            "build",
            "--quiet",
            "--build-arg",
            "TARGETARCH=amd64",
            "--tag",
            &tag,
            ".",
        ])
        .current_dir(context.path())
        .output()
        .expect("docker build (the tests need the local Docker engine)");
    assert!(
        build.status.success(),
        "docker build: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let inspect = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{json .Config.Entrypoint}} {{len .RootFS.Layers}}",
            &tag,
        ])
        .output()
        .expect("docker image inspect");
    let _ = Command::new("docker")
        .args(["image", "rm", "--force", &tag])
        .output();
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        r#"["/xcs"] 1"#,
        "one layer (the binary) on an empty base"
    );
}

//! Small test images built on the local Docker engine: `FROM scratch` plus a static busybox
//! (Debian's `busybox-static`, which `tests/run` installs). Each test gets its own tag, removed
//! when the guard drops, so tests can run in parallel.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const BUSYBOX: &str = "/bin/busybox";

pub struct TestImage {
    pub tag: String,
}

impl TestImage {
    /// Build `xcs-authrun-<what>-<pid>-<n>:test` with busybox's applets in `/bin`, then the
    /// Dockerfile lines `extra` (see [`label`]).
    pub fn busybox(what: &str, extra: &[String]) -> TestImage {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let tag = format!("xcs-authrun-{what}-{}-{n}:test", std::process::id());
        let dir = tempfile::tempdir().expect("build context");
        assert!(
            Path::new(BUSYBOX).is_file(),
            "{BUSYBOX} missing: install busybox-static (tests/run does)"
        );
        std::fs::copy(BUSYBOX, dir.path().join("busybox")).expect("copy busybox");
        let mut dockerfile = String::from(
            "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
        );
        // A label of its own, so no two test images share an id (`docker ps --filter ancestor=`
        // matches by id).
        dockerfile.push_str(&format!("LABEL org.xcs.test-image={tag:?}\n"));
        for line in extra {
            dockerfile.push_str(line);
            dockerfile.push('\n');
        }
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).expect("Dockerfile");
        let out = Command::new("docker")
            // No cache: another test removing its image prunes the layers a cached build would share.
            .args(["build", "--no-cache", "-q", "-t", &tag])
            .arg(dir.path())
            .output()
            .expect("run docker build");
        assert!(
            out.status.success(),
            "docker build failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        TestImage { tag }
    }
}

/// A `LABEL` instruction with the value quoted for a Dockerfile.
pub fn label(key: &str, value: &str) -> String {
    format!(
        "LABEL {key}={}",
        serde_json::to_string(value).expect("label value")
    )
}

impl Drop for TestImage {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.tag])
            .output();
    }
}

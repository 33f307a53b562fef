//! Test support: a fluent builder that runs the `xcs` binary in a scratch repo, and helpers for
//! git histories. A CLI test reads as: files in, arguments, expected status and output.

#![allow(dead_code)]

pub mod busybox;
pub mod dockerfile;
pub mod kube_fake;
pub mod registry;
pub mod site;
pub mod tls;
pub mod xnat_sim;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's own directory (for `catalog/`, `schemas/`).
pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus` beside the checkout, when present (CI always has it).
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = project_dir().join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

pub struct Xcs {
    root: tempfile::TempDir,
    args: Vec<OsString>,
    envs: Vec<(String, String)>,
    cwd: Option<PathBuf>,
    stdin: Option<String>,
    closed_stdout: bool,
}

impl Xcs {
    /// A new empty scratch directory; the command runs there.
    pub fn new() -> Xcs {
        Xcs {
            root: tempfile::Builder::new()
                .prefix("xcs-test-")
                .tempdir()
                .expect("temp dir"),
            args: Vec::new(),
            envs: Vec::new(),
            cwd: None,
            stdin: None,
            closed_stdout: false,
        }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Write a file (parents created) relative to the scratch directory.
    pub fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Xcs {
        let path = self.root.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// Copy the project's `catalog/` into `<scratch>/<dest>` (its images are in
    /// [`catalog_images`], for a simulator's registry).
    pub fn catalog(self, dest: &str) -> Xcs {
        copy_dir(&project_dir().join("catalog"), &self.root.path().join(dest));
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Xcs {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Xcs
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Xcs {
        self.envs.push((key.to_string(), value.to_string()));
        self
    }

    /// Talk to this simulator as its default admin (`XNAT_URL`, `XNAT_USER`, `XNAT_PASS`).
    pub fn xnat(self, sim: &xnat_sim::Sim) -> Xcs {
        self.env("XNAT_URL", &sim.url())
            .env("XNAT_USER", "admin")
            .env("XNAT_PASS", "admin")
    }

    /// Feed this to the command's standard input.
    pub fn stdin(mut self, text: &str) -> Xcs {
        self.stdin = Some(text.to_string());
        self
    }

    /// Run with a stdout whose reader has already gone (`xcs … | head -1` once `head` exits):
    /// the first write fails with EPIPE.
    pub fn closed_stdout(mut self) -> Xcs {
        self.closed_stdout = true;
        self
    }

    /// Run in a subdirectory of the scratch directory instead of its root.
    pub fn cwd(mut self, rel: &str) -> Xcs {
        self.cwd = Some(self.root.path().join(rel));
        self
    }

    /// Start a git repository in the scratch directory.
    pub fn git_init(self) -> Xcs {
        git2::Repository::init(self.root.path()).expect("git init");
        self
    }

    /// Commit everything in the scratch directory; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        commit_all(self.root.path(), message)
    }

    pub fn run(&self) -> Run {
        self.exec(&self.args)
    }

    /// With [`Xcs::closed_stdout`]: run until the reader's absence is seen. Another test
    /// thread forking at the same moment briefly holds a copy of the pipe's read end (until its
    /// exec closes it), so a small write may still succeed; such a run must have been quiet
    /// too, and is retried.
    pub fn exec_closed<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<std::ffi::OsStr>,
    {
        assert!(self.closed_stdout, "exec_closed needs closed_stdout()");
        for _ in 0..10 {
            let run = self.exec(args.clone());
            if run.signal.is_some() || !run.stderr.is_empty() || run.status != 0 {
                return run;
            }
        }
        panic!("the closed stdout was never seen in 10 runs");
    }

    fn finished(&self, out: &std::process::Output) -> Run {
        Run {
            status: out.status.code().unwrap_or(-1),
            signal: std::os::unix::process::ExitStatusExt::signal(&out.status),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            root: self.root.path().to_path_buf(),
        }
    }

    /// Run a bash script in the scratch directory with this build of `xcs` first on `PATH`
    /// (for pipelines as a user types them).
    pub fn exec_shell(&self, script: &str) -> Run {
        let bin = Path::new(env!("CARGO_BIN_EXE_xcs"))
            .parent()
            .expect("binary directory");
        let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .expect("PATH");
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", script])
            .current_dir(self.cwd.as_deref().unwrap_or(self.root.path()))
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .output()
            .expect("run bash");
        self.finished(&out)
    }

    /// Start the command with these arguments and return at once (for signalling it mid-run);
    /// its output is piped, read it with `wait_with_output` and [`Run::of`].
    pub fn spawn<I, S>(&self, args: I) -> std::process::Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start xcs")
    }

    /// The `xcs` process for these arguments, in the scratch directory with the builder's
    /// environment (and none of the caller's XNAT variables).
    fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xcs"));
        cmd.args(args)
            .current_dir(self.cwd.as_deref().unwrap_or(self.root.path()))
            .env("NO_COLOR", "1")
            .env_remove("XNAT_URL")
            .env_remove("XNAT_USER")
            .env_remove("XNAT_PASS")
            .env_remove("XNAT_TOKEN");
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run with these arguments instead of the builder's, keeping its files and environment
    /// (for several runs over one repo).
    pub fn exec<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = self.command(args);
        use std::io::Write;
        use std::process::Stdio;
        let mut child = cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run xcs");
        if self.closed_stdout {
            drop(child.stdout.take());
        }
        if let Some(text) = &self.stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        let out = child.wait_with_output().expect("wait for xcs");
        self.finished(&out)
    }
}

/// What one run printed and returned.
pub struct Run {
    pub status: i32,
    /// The signal that ended the process, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    root: PathBuf,
}

impl Run {
    /// The outcome of a process started with [`Xcs::spawn`].
    pub fn of(out: std::process::Output, root: &Path) -> Run {
        Run {
            status: out.status.code().unwrap_or(-1),
            signal: std::os::unix::process::ExitStatusExt::signal(&out.status),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            root: root.to_path_buf(),
        }
    }

    /// Neither output holds `secret` (a canary value given to xcs as a credential).
    #[track_caller]
    pub fn assert_no_secret(&self, secret: &str) {
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "the secret leaked:\n{}\n{}",
            self.stdout,
            self.stderr
        );
    }

    #[track_caller]
    pub fn code(self, expected: i32) -> Run {
        assert_eq!(
            self.status, expected,
            "exit status {} (expected {expected})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        );
        self
    }

    /// Ended as a Unix tool does when its reader has gone: killed by SIGPIPE, saying nothing.
    #[track_caller]
    pub fn ended_by_closed_stdout(self) -> Run {
        assert_eq!(
            (self.signal, self.status),
            (Some(13), -1),
            "expected death by SIGPIPE (13)\n--- stderr ---\n{}",
            self.stderr
        );
        assert_eq!(self.stderr, "", "nothing on stderr");
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn stdout_lacks(self, needle: &str) -> Run {
        assert!(
            !self.stdout.contains(needle),
            "stdout has {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Output with the scratch path replaced by `[ROOT]`, for snapshots.
    pub fn redacted(&self, text: &str) -> String {
        let root = self.root.display().to_string();
        text.replace(&root, "[ROOT]")
    }

    pub fn stdout_redacted(&self) -> String {
        self.redacted(&self.stdout)
    }
}

/// The redactions every snapshot shares, so no snapshot holds what changes from run to run:
/// scratch directories, the simulator's (or any loopback server's) port, and timestamps.
pub const SNAPSHOT_FILTERS: &[(&str, &str)] = &[
    (r"[^\s\x22'`(]*xcs-test-[A-Za-z0-9_]+", "[ROOT]"),
    (r"http://127\.0\.0\.1:\d+", "http://[XNAT]"),
    (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    (
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
        "[TIME]",
    ),
];

/// Snapshot output people read, with the shared redactions ([`SNAPSHOT_FILTERS`]).
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "snapshots",
            prepend_module_to_snapshot => false,
            filters => $crate::support::SNAPSHOT_FILTERS.to_vec(),
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

pub fn commit_all(dir: &Path, message: &str) -> String {
    let repo = git2::Repository::open(dir).expect("open repo");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.update_all(["*"], None).expect("update");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let sig = git2::Signature::now("Test Author", "test@example.org").expect("sig");
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
        .expect("commit")
        .to_string()
}

/// The images `catalog/`'s commands name (`image:` lines), for a simulator whose registry must
/// hold them so that `apply` can pull them through XNAT.
pub fn catalog_images() -> Vec<String> {
    let mut out = Vec::new();
    let dir = project_dir().join("catalog/commands");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("catalog/commands")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for line in text.lines() {
            if let Some(image) = line.strip_prefix("image:") {
                out.push(image.trim().trim_matches('"').to_string());
            }
        }
    }
    out
}

/// The simulated registry holds the catalog's images, so apply can pull them through XNAT.
pub fn with_catalog_images(config: xnat_sim::SimConfig) -> xnat_sim::SimConfig {
    catalog_images().iter().fold(config, |c, image| {
        c.registry_image(xnat_sim::SimImage::new(image))
    })
}

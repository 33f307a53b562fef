//! `xcs new` through the CLI: from nothing, from an image's entrypoint, from its
//! `org.nrg.commands` label; each output validates clean.

use crate::snapshot;
use crate::support::Xcs;
use crate::support::busybox::{TestImage, label};

#[test]
fn from_nothing_a_commented_command_that_validates() {
    let x = Xcs::new();
    let r = x.exec(["new", "my-tool", "--context", "scan"]).code(0);
    snapshot!("new_from_nothing", r.stdout);
    assert!(r.stdout.starts_with("# yaml-language-server: $schema="));
    let x = x.file("repo/commands/my-tool.yaml", &r.stdout);
    x.exec(["validate", "repo", "--deny-warnings"])
        .code(0)
        .stdout_has("no problems");
    x.exec(["new"])
        .code(2)
        .stderr_has("give the command a NAME");
}

#[test]
fn from_an_image_entrypoint() {
    let image = TestImage::busybox(
        "entry",
        &[
            "ENTRYPOINT [\"/bin/echo\"]".into(),
            "CMD [\"hello\", \"a b\"]".into(),
            "WORKDIR /work".into(),
        ],
    );
    let x = Xcs::new();
    let j = x
        .exec(["new", "--image", &image.tag, "--format", "json"])
        .code(0)
        .json();
    assert_eq!(j["from"], "entrypoint");
    assert_eq!(j["result"]["command-line"], "hello 'a b' #args#");
    assert_eq!(j["result"]["working-directory"], "/work");
    assert_eq!(j["result"]["image"], image.tag.as_str());
    x.exec(["new", "tool", "--image", &image.tag, "--out", "tool.yaml"])
        .code(0)
        .stderr_has("no org.nrg.commands label");
    x.exec(["validate", "tool.yaml", "--deny-warnings"]).code(0);
}

#[test]
fn from_an_image_label() {
    let commands = serde_json::json!([
        {"name": "first", "version": "1", "command-line": "echo #x#",
         "inputs": [{"name": "x"}],
         "xnat": [{"name": "first-on-session", "contexts": ["xnat:imageSessionData"],
                   "external-inputs": [{"name": "session", "type": "Session"}]}]},
        {"name": "second", "version": "1", "command-line": "true"}
    ]);
    let image = TestImage::busybox("label", &[label("org.nrg.commands", &commands.to_string())]);
    let x = Xcs::new();
    let j = x
        .exec(["new", "--image", &image.tag, "--format", "json"])
        .code(0)
        .json();
    assert_eq!(j["from"], "labels");
    assert_eq!(j["result"]["name"], "first");
    assert_eq!(j["result"]["xnat"].as_array().map(Vec::len), Some(1), "{j}");
    // A command without a wrapper for the context gets one.
    let r = x
        .exec([
            "new",
            "--image",
            &image.tag,
            "--command",
            "second",
            "--context",
            "subject",
            "--out",
            "second.yaml",
        ])
        .code(0);
    assert!(
        r.stderr.contains("added wrapper `second-subject`"),
        "{}",
        r.stderr
    );
    x.exec(["validate", "second.yaml", "--deny-warnings"])
        .code(0);
    x.exec(["new", "--image", &image.tag, "--out", "first.yaml"])
        .code(0);
    x.exec(["validate", "first.yaml", "--deny-warnings"])
        .code(0);
    x.exec(["new", "--image", &image.tag, "--command", "third"])
        .code(2)
        .stderr_has("has no command `third` (it has: first, second)");
    x.exec(["new", "--image", "xcs-authrun-absent:none"])
        .code(2)
        .stderr_has("not on the local Docker engine");
}

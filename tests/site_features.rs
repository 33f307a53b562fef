//! Catalog site features: `--skip-invalid`, the versions page with its computed changelog, the
//! command header (licence, authors, citation, source), and image pages.

use crate::support::Xcs;
use crate::support::site::broken_links;

fn read(xcs: &Xcs, rel: &str) -> String {
    std::fs::read_to_string(xcs.root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn skip_invalid_builds_the_valid_commands_and_lists_the_refused() {
    let xcs = Xcs::new()
        .catalog("catalog")
        .file(
            "catalog/commands/no-image.yaml",
            "kind: Command\nname: no-image\nversion: \"1\"\nimage: \"\"\ncommand-line: run\n",
        )
        .file(
            "catalog/commands/not-yaml.yaml",
            "kind: Command\nname: [unclosed\n",
        );
    xcs.exec(["site", "build", "catalog", "--out", "public"])
        .code(1)
        .stdout_has("the site was not built");
    let run = xcs
        .exec([
            "site",
            "build",
            "catalog",
            "--out",
            "public",
            "--skip-invalid",
        ])
        .code(3)
        .stdout_has("Refused 1 command in 2 files with errors");
    assert!(run.stdout.contains("refused/index.html"), "{}", run.stdout);
    let page = read(&xcs, "public/refused/index.html");
    for needle in [
        "<code>catalog/commands/no-image.yaml</code>",
        "Left out: <code>no-image</code>",
        "error[XCS102]",
        "<code>catalog/commands/not-yaml.yaml</code>",
        "error[XCS001]",
    ] {
        assert!(
            page.contains(needle),
            "refused page lacks {needle}:\n{page}"
        );
    }
    let index = read(&xcs, "public/index.html");
    assert!(
        index.contains("refused/index.html\">Refused (2)</a>"),
        "the nav says so"
    );
    let api = read(&xcs, "public/api/commands.json");
    assert!(!api.contains("no-image") && api.contains("\"dcm2niix\""));
    assert!(!xcs.root().join("public/commands/no-image").exists());
    assert_eq!(broken_links(&xcs.root().join("public")), Vec::new());
    let json = xcs
        .exec([
            "site",
            "build",
            "catalog",
            "--out",
            "public",
            "--skip-invalid",
            "--format",
            "json",
        ])
        .code(3)
        .json();
    assert_eq!(
        json["refused"][0]["commands"],
        serde_json::json!(["no-image"])
    );
    assert_eq!(json["refused"][0]["problems"][0]["code"], "XCS102");
    // A clean repo with the flag: exit 0, no refused page.
    let clean = Xcs::new().catalog("catalog");
    clean
        .exec([
            "site",
            "build",
            "catalog",
            "--out",
            "public",
            "--skip-invalid",
        ])
        .code(0);
    assert!(!clean.root().join("public/refused").exists());
}

//! Catalog site features: `--skip-invalid`, the versions page with its computed changelog, the
//! command header (licence, authors, citation, source), and image pages.

use crate::support::Xcs;
use crate::support::site::broken_links;

/// `site build catalog --out public --skip-invalid` plus `extra` arguments.
fn build_skipping(xcs: &Xcs, extra: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "site",
        "build",
        "catalog",
        "--out",
        "public",
        "--skip-invalid",
    ];
    args.extend_from_slice(extra);
    xcs.exec(args)
}

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
    let run = build_skipping(&xcs, &[])
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
    let json = build_skipping(&xcs, &["--format", "json"]).code(3).json();
    assert_eq!(
        json["refused"][0]["commands"],
        serde_json::json!(["no-image"])
    );
    assert_eq!(json["refused"][0]["problems"][0]["code"], "XCS102");
    // A clean repo with the flag: exit 0, no refused page.
    let clean = Xcs::new().catalog("catalog");
    build_skipping(&clean, &[]).code(0);
    assert!(!clean.root().join("public/refused").exists());
}

/// Strip tags, for assertions on what a reader sees.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[test]
fn versions_page_has_every_version_and_a_computed_changelog() {
    let xcs = Xcs::new().catalog("catalog");
    xcs.exec(["site", "build", "catalog", "--out", "public"])
        .code(0);
    let page = read(&xcs, "public/versions/dcm2bids/index.html");
    let seen = text(&page);
    for v in ["2.3.1", "2.4.0", "3.0.0"] {
        assert!(
            page.contains(&format!("commands/dcm2bids-{v}/index.html\">{v}</a>")),
            "{v}"
        );
    }
    assert!(seen.contains("2.3.1 → 2.4.0 breaking"), "{seen}");
    assert!(seen.contains("breaking: input t1-scan removed"), "{seen}");
    assert!(seen.contains("2.4.0 → 3.0.0 risky"), "{seen}");
    assert!(seen.contains("safe: input auto-extract added"), "{seen}");
    assert!(seen.contains("risky: limit-memory: 4096 → 2048"), "{seen}");
    // Newest step first.
    assert!(seen.find("2.4.0 → 3.0.0") < seen.find("2.3.1 → 2.4.0"));
    let one = read(&xcs, "public/commands/dcm2bids-2.4.0/index.html");
    assert!(
        one.contains("../../versions/dcm2bids/index.html\">all 3 versions and what changed</a>")
    );
    assert!(!read(&xcs, "public/commands/dcm2niix/index.html").contains("versions/"));
    assert_eq!(broken_links(&xcs.root().join("public")), Vec::new());
}

#[test]
fn command_header_says_licence_authors_contact_citation_and_source() {
    let xcs = Xcs::new().catalog("catalog").file(
        "catalog/commands/labelled.yaml",
        "kind: Command\nname: labelled\nversion: \"1\"\nimage: ghcr.io/lab/labelled:1\ncommand-line: run\ncontainer-labels:\n  org.opencontainers.image.licenses: MIT\n  org.opencontainers.image.source: https://github.com/lab/labelled\n  org.opencontainers.image.authors: Ada, Grace\ncommand-metadata:\n  contact: lab@example.org\n  doi: https://doi.org/10.5281/zenodo.42\nxnat:\n  - name: labelled-session\n    contexts: [\"xnat:imageSessionData\"]\n",
    );
    xcs.exec(["site", "build", "catalog", "--out", "public"])
        .code(0);
    let page = read(&xcs, "public/commands/labelled/index.html");
    let seen = text(&page);
    for needle in [
        "LicenceMIT",
        "AuthorsAda, Grace",
        "Contactlab@example.org",
        "Sourcehttps://github.com/lab/labelled",
        "Cite doi:10.5281/zenodo.42",
    ] {
        assert!(seen.contains(needle), "{needle}:\n{seen}");
    }
    assert!(page.contains("href=\"mailto:lab@example.org\""));
    assert!(page.contains("href=\"https://doi.org/10.5281/zenodo.42\""));
    assert!(
        !page.contains("Enabled on this site"),
        "not enabled anywhere"
    );
    // From command-metadata and info-url, and enabled site-wide by catalog/site.yaml.
    let dcm = text(&read(&xcs, "public/commands/dcm2niix/index.html"));
    for needle in [
        "Enabled on this site",
        "LicenceBSD-2-Clause",
        "AuthorsChris Rorden",
        "Sourcehttps://github.com/rordenlab/dcm2niix",
        "doi:10.1016/j.jneumeth.2016.03.001",
    ] {
        assert!(dcm.contains(needle), "{needle}");
    }
    // The image page: registry link, pull line, every command.
    let image = read(&xcs, "public/images/ghcr.io-lab-labelled/index.html");
    assert!(
        image.contains("href=\"https://github.com/lab/labelled/pkgs/container/labelled\""),
        "{image}"
    );
    assert!(image.contains("<code>docker pull ghcr.io/lab/labelled:1</code>"));
    let hub = read(&xcs, "public/images/xnat-dcm2niix/index.html");
    assert!(hub.contains("href=\"https://hub.docker.com/r/xnat/dcm2niix\""));
    assert!(hub.contains("docker pull xnat/dcm2niix:1.0.20240202"));
    assert!(hub.contains("commands/dcm2niix/index.html"));
}

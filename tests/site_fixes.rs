//! Catalog site fixes: wrapper anchors with any name, images whose slugs collide, setup and
//! wrap-up commands in the data chain and linked both ways, the 404 page's base path, and the
//! security headers of `site serve`.

use crate::support::Xcs;
use crate::support::site::{Server, broken_links, http_get_full};

const DEFACER: &str = r#"kind: Command
name: defacer
version: "1.0"
image: lab/qc-tools:1.0
command-line: "deface /input"
mounts:
  - {name: in, path: /input}
xnat:
  - name: AI4VBH-defacing
    contexts: ["xnat:imageSessionData"]
    external-inputs:
      - {name: session, type: Session, provides-files-for-command-mount: in}
  - name: deface all scans
    contexts: ["xnat:imageSessionData"]
    external-inputs:
      - {name: session, type: Session, provides-files-for-command-mount: in}
"#;

const TOOLS: &str = r#"kind: Command
name: tools
version: "2.0"
image: lab-qc/tools:2.0
command-line: "tools"
xnat:
  - name: tools-session
    contexts: ["xnat:imageSessionData"]
    external-inputs:
      - {name: session, type: Session}
"#;

const SITE: &str = r#"kind: Site
wrappers:
  - {command: defacer, wrapper: AI4VBH-defacing}
  - {command: defacer, wrapper: deface all scans}
  - {command: tools, wrapper: tools-session}
"#;

fn repo() -> Xcs {
    Xcs::new()
        .file("repo/commands/defacer.yaml", DEFACER)
        .file("repo/commands/tools.yaml", TOOLS)
        .file("repo/site.yaml", SITE)
}

fn read(xcs: &Xcs, rel: &str) -> String {
    std::fs::read_to_string(xcs.root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn site_wide_links_reach_wrappers_whatever_their_names() {
    let xcs = repo();
    xcs.exec(["site", "build", "repo", "--out", "public"])
        .code(0);
    let page = read(&xcs, "public/commands/defacer/index.html");
    for id in ["wrapper-AI4VBH-defacing", "wrapper-deface-all-scans"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        assert!(
            page.contains(&format!("href=\"#{id}\"")),
            "site-wide link to {id}"
        );
    }
    let site = read(&xcs, "public/site/index.html");
    assert!(
        site.contains("index.html#wrapper-AI4VBH-defacing\""),
        "{site}"
    );
    assert_eq!(broken_links(&xcs.root().join("public")), Vec::new());
}

#[test]
fn images_whose_slugs_collide_get_a_page_each() {
    let xcs = repo();
    xcs.exec(["site", "build", "repo", "--out", "public"])
        .code(0);
    let first = read(&xcs, "public/images/lab-qc-tools/index.html");
    let second = read(&xcs, "public/images/lab-qc-tools-2/index.html");
    let (a, b) = if first.contains("<h1><code>lab/qc-tools</code>") {
        (first, second)
    } else {
        (second, first)
    };
    assert!(a.contains("<h1><code>lab/qc-tools</code>") && a.contains("commands/defacer/"));
    assert!(
        !a.contains("commands/tools/"),
        "lab/qc-tools lists only its command"
    );
    assert!(b.contains("<h1><code>lab-qc/tools</code>") && b.contains("commands/tools/"));
    assert!(
        !b.contains("commands/defacer/"),
        "lab-qc/tools lists only its command"
    );
    let defacer = read(&xcs, "public/commands/defacer/index.html");
    let tools = read(&xcs, "public/commands/tools/index.html");
    let link = |p: &str| -> String {
        let i = p.find("../../images/lab").expect("image link");
        p[i..].split('"').next().unwrap_or_default().to_string()
    };
    assert_ne!(link(&defacer), link(&tools));
}

#[test]
fn setup_and_wrapup_commands_are_in_the_chain_and_linked_both_ways() {
    let xcs = Xcs::new().catalog("catalog");
    xcs.exec(["site", "build", "catalog", "--out", "public"])
        .code(0);
    let mriqc = read(&xcs, "public/commands/mriqc/index.html");
    assert!(
        mriqc.contains("<li class=\"setup\">setup command <a class=\"helper\" href=\"../../commands/xnat2bids/index.html\">"),
        "the chain shows the setup step:\n{mriqc}"
    );
    assert!(
        mriqc.contains("after the wrap-up command <a class=\"helper\" href=\"../../commands/mriqc-collect/index.html\">"),
        "the handler links its wrap-up command"
    );
    for (helper, role, by) in [
        ("xnat2bids", "setup", "session"),
        ("mriqc-collect", "wrap-up", "mriqc-resource"),
    ] {
        let page = read(&xcs, &format!("public/commands/{helper}/index.html"));
        assert!(
            page.contains(&format!(
                "<li>{role} of <a href=\"../../commands/mriqc/index.html#wrapper-"
            )),
            "{helper} links back to mriqc:\n{page}"
        );
        assert!(
            page.contains(&format!("(for <code>{by}</code>)")),
            "{helper}"
        );
    }
    assert_eq!(broken_links(&xcs.root().join("public")), Vec::new());
}

#[test]
fn not_found_page_links_from_the_base_path() {
    let xcs = repo();
    xcs.exec([
        "site",
        "build",
        "repo",
        "--out",
        "public",
        "--base-url",
        "https://org.github.io/catalog",
    ])
    .code(0);
    let page = read(&xcs, "public/404.html");
    assert!(page.contains("href=\"/catalog/static/site.css\""), "{page}");
    assert!(page.contains("href=\"/catalog/index.html\""), "{page}");
    xcs.exec(["site", "build", "repo", "--out", "public"])
        .code(0);
    let page = read(&xcs, "public/404.html");
    assert!(
        page.contains("href=\"/static/site.css\""),
        "default base path is /"
    );
    // Every other page stays relative.
    let index = read(&xcs, "public/index.html");
    assert!(index.contains("href=\"static/site.css\""));
}

#[test]
fn serve_sends_csp_and_frame_refusal_as_headers() {
    let xcs = repo();
    let server = Server::start(&xcs.root().join("repo"), &xcs.root().join("out"), false);
    for path in ["", "commands/defacer/", "no/such/page"] {
        let (_, head, _) = http_get_full(&format!("{}{path}", server.url));
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("\r\ncontent-security-policy: default-src 'none';")
                && head.contains("frame-ancestors 'none'"),
            "{path}: {head}"
        );
        assert!(head.contains("\r\nx-frame-options: deny"), "{path}: {head}");
    }
}

/// An image that hundreds of commands use gets pages of `PER_PAGE` (100) rows like the command
/// list, linked previous/next, together listing every command once.
#[test]
fn image_pages_are_paginated() {
    let mut xcs = Xcs::new();
    for i in 0..205 {
        xcs = xcs.file(
            &format!("repo/commands/c{i:03}.yaml"),
            format!(
                "kind: Command\nname: c{i:03}\nversion: \"1.0\"\nimage: lab/big:1.0\ncommand-line: run\n"
            ),
        );
    }
    xcs.exec(["site", "build", "repo", "--out", "public"])
        .code(0);
    let pages: Vec<String> = ["", "page/2/", "page/3/"]
        .iter()
        .map(|p| read(&xcs, &format!("public/images/lab-big/{p}index.html")))
        .collect();
    assert!(
        !xcs.root()
            .join("public/images/lab-big/page/4/index.html")
            .exists()
    );
    let mut listed: Vec<String> = pages
        .iter()
        .flat_map(|p| {
            p.match_indices("commands/c")
                .map(|(i, _)| p[i + 9..i + 13].to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let rows: Vec<usize> = pages
        .iter()
        .map(|p| p.matches("commands/c").count())
        .collect();
    assert_eq!(rows, vec![100, 100, 5]);
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), 205, "every command once");
    assert!(pages[0].contains(r#"rel="next" href="../../images/lab-big/page/2/index.html""#));
    assert!(!pages[0].contains(r#"rel="prev""#));
    assert!(pages[1].contains(r#"rel="prev" href="../../../../images/lab-big/index.html""#));
    assert!(pages[2].contains("Page 3 of 3") && !pages[2].contains(r#"rel="next""#));
    // Every page shows the image's facts and pull line, not just the first.
    for p in &pages {
        assert!(p.contains("docker pull lab/big:1.0"));
    }
    let index = read(&xcs, "public/images/index.html");
    assert!(
        index.contains("<td>205</td>"),
        "the index counts all commands"
    );
    assert_eq!(broken_links(&xcs.root().join("public")), Vec::new());
}

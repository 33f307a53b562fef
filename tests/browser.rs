//! The catalog in a real browser: headless Chromium driven through chromedriver (fantoccini),
//! against `xcs site serve`. Search, filters, navigation, the inputs table, console errors
//! (CSP violations show up there too), an XSS canary, and the links of the pages visited.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`tests/run` installs them); fails
//! with that message when they are missing rather than skipping.

use crate::support::Xcs;
use crate::support::site::Server;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

fn find_program(name: &str) -> Option<String> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .map(|p| p.display().to_string())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// chromedriver on a free port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let chromedriver = find_program("chromedriver").unwrap_or_else(|| {
            panic!(
                "chromedriver not found: install the Debian packages `chromium` and `chromium-driver` (tests/run does)"
            )
        });
        assert!(
            std::path::Path::new(CHROMIUM).is_file(),
            "{CHROMIUM} not found: install the Debian package `chromium` (tests/run does)"
        );
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver's log endpoint (not in the W3C protocol, so not in fantoccini): the browser
/// console since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

async fn console_errors(c: &Client) -> Vec<String> {
    let log = c.issue_cmd(BrowserLog).await.expect("browser log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn connect(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,1000"]
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("connect to chromedriver")
}

/// Fetch every same-site link of the current page; the ones that do not answer 200.
async fn broken_links_on_page(c: &Client) -> Value {
    c.execute_async(
        r#"const done = arguments[arguments.length - 1];
        const links = [...new Set([...document.querySelectorAll('a[href]')]
            .map(a => a.href.split('#')[0])
            .filter(h => h.startsWith(location.origin) && h !== location.href.split('#')[0]))];
        Promise.all(links.map(h => fetch(h, {method: 'HEAD'}).then(r => r.ok ? null : h + ' ' + r.status)))
            .then(r => done(r.filter(x => x)));"#,
        vec![],
    )
    .await
    .expect("link check")
}

/// The text of the element `locator` finds (`what` names it in a failure).
async fn text_of(c: &Client, locator: Locator<'_>, what: &str) -> String {
    let element = c
        .find(locator)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    element
        .text()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Click the element `locator` finds.
async fn click(c: &Client, locator: Locator<'_>, what: &str) {
    let element = c
        .find(locator)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    element
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {what}: {e}"));
}

async fn wait_until(c: &Client, script: &str, what: &str) {
    let start = Instant::now();
    loop {
        if c.execute(script, vec![]).await.expect("script") == Value::Bool(true) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const HOSTILE: &str = r#"kind: Command
name: hostile
label: "Hostile <script>window.__xss = 1</script>"
description: "Shows <img src=x onerror=\"window.__xss=2\"> as text"
version: "1.0"
image: example/hostile:1.0
info-url: "javascript:window.__xss=3"
command-line: "run"
xnat:
  - name: hostile-session
    contexts: ["xnat:imageSessionData"]
    external-inputs:
      - name: session
        type: Session
"#;

#[tokio::test(flavor = "current_thread")]
async fn search_navigate_and_stay_safe_in_chromium() {
    let driver = Driver::start();
    let xcs = Xcs::new()
        .catalog("catalog")
        .file("catalog/commands/hostile.yaml", HOSTILE);
    let server = Server::start(&xcs.root().join("catalog"), &xcs.root().join("out"), false);
    let c = connect(&driver).await;

    // The index: the script shows the search form.
    goto_index(&c, &server.url).await;
    assert_eq!(
        console_errors(&c).await,
        Vec::<String>::new(),
        "console errors on the index"
    );
    assert_eq!(
        broken_links_on_page(&c).await,
        json!([]),
        "links on the index"
    );

    // Search for an input name: only FastSurfer has `vox-size`.
    let q = c.find(Locator::Id("q")).await.expect("search box");
    q.send_keys("vox-size").await.expect("type");
    wait_until(
        &c,
        "const r = document.querySelectorAll('#search-results .card h3 a'); return !document.getElementById('search-results').hidden && r.length > 0;",
        "search results",
    )
    .await;
    let titles = c
        .execute("return [...document.querySelectorAll('#search-results .card h3 a')].map(a => a.textContent)", vec![])
        .await
        .expect("titles");
    assert_eq!(
        titles,
        json!(["FastSurfer segmentation (GPU)"]),
        "search for vox-size"
    );
    let status = text_of(&c, Locator::Id("status"), "status").await;
    assert_eq!(status, "1 command matches.");

    // Follow it; its inputs table has the input.
    click(&c, Locator::Css("#search-results .card h3 a"), "result").await;
    let row = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("table.inputs tr#input-vox-size"))
        .await
        .expect("the input's row");
    let text = row.text().await.expect("row text");
    assert!(
        text.contains("vox-size") && text.contains("select-one"),
        "{text}"
    );
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/commands/fastsurfer/")
    );
    assert_eq!(
        console_errors(&c).await,
        Vec::<String>::new(),
        "console errors on the command page"
    );
    assert_eq!(
        broken_links_on_page(&c).await,
        json!([]),
        "links on the command page"
    );

    // Filters: back on the index, "needs a GPU" leaves FastSurfer alone.
    goto_index(&c, &server.url).await;
    click(
        &c,
        Locator::Css("input[name=gpu][value='needs a GPU']"),
        "GPU filter",
    )
    .await;
    wait_until(
        &c,
        "return document.querySelectorAll('#search-results .card').length === 1",
        "the GPU filter",
    )
    .await;

    // The XSS canary: markup in a command's text shows as text and never runs.
    c.goto(&format!("{}commands/hostile/", server.url))
        .await
        .expect("hostile page");
    let seen = c
        .execute(
            "return [typeof window.__xss, document.querySelector('.description').textContent, document.querySelector('h1').textContent]",
            vec![],
        )
        .await
        .expect("canary");
    assert_eq!(seen[0], "undefined", "injected script ran: {seen}");
    assert!(
        seen[1]
            .as_str()
            .unwrap_or_default()
            .contains("<img src=x onerror="),
        "{seen}"
    );
    assert!(
        seen[2].as_str().unwrap_or_default().contains("<script>"),
        "{seen}"
    );
    if let Ok(link) = c.find(Locator::LinkText("javascript:window.__xss=3")).await {
        panic!("a javascript: URL became a link: {link:?}");
    }
    assert_eq!(
        console_errors(&c).await,
        Vec::<String>::new(),
        "console errors on the canary page"
    );
    c.close().await.expect("close");
}

/// With JavaScript off, the index still lists every command and the browse links lead on.
#[tokio::test(flavor = "current_thread")]
async fn browsing_works_without_javascript() {
    let driver = Driver::start();
    let xcs = Xcs::new().catalog("catalog");
    let server = Server::start(&xcs.root().join("catalog"), &xcs.root().join("out"), false);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
            "prefs": {"profile.managed_default_content_settings.javascript": 2}
        }),
    );
    let c = ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("connect");
    c.goto(&server.url).await.expect("index");
    let form = c.find(Locator::Id("finder")).await.expect("form");
    assert!(
        !form.is_displayed().await.expect("displayed"),
        "search needs JavaScript; it stays hidden"
    );
    let cards = c
        .find_all(Locator::Css("#listing .card"))
        .await
        .expect("cards");
    assert!(cards.len() >= 8, "{} cards", cards.len());
    click(&c, Locator::LinkText("needs a GPU"), "browse link").await;
    let h1 = text_of(&c, Locator::Css("h1"), "h1").await;
    assert_eq!(h1, "GPU: needs a GPU");
    c.find(Locator::LinkText("FastSurfer segmentation (GPU)"))
        .await
        .expect("card link")
        .click()
        .await
        .expect("click");
    c.find(Locator::Css("tr#input-vox-size"))
        .await
        .expect("inputs table");
    c.close().await.expect("close");
}

/// A missing page deep below the top level: the 404 page still has its style and its links
/// lead to real pages. And a site-wide link lands on the wrapper it names, whatever its name.
#[tokio::test(flavor = "current_thread")]
async fn deep_404_is_styled_and_site_wide_links_land_on_their_wrapper() {
    let driver = Driver::start();
    let xcs = Xcs::new()
        .catalog("catalog")
        .file(
            "catalog/commands/defacer.yaml",
            "kind: Command\nname: defacer\nversion: \"1.0\"\nimage: lab/qc-tools:1.0\ncommand-line: run\nxnat:\n  - name: AI4VBH-defacing\n    contexts: [\"xnat:imageSessionData\"]\n  - name: deface all scans\n    contexts: [\"xnat:imageSessionData\"]\n",
        );
    let site = xcs.root().join("catalog/site.yaml");
    let text = std::fs::read_to_string(&site).expect("site.yaml");
    std::fs::write(
        &site,
        text.replacen(
            "wrappers:\n",
            "wrappers:\n  - {command: defacer, wrapper: AI4VBH-defacing}\n  - {command: defacer, wrapper: deface all scans}\n",
            1,
        ),
    )
    .expect("write");
    let server = Server::start(&xcs.root().join("catalog"), &xcs.root().join("out"), false);
    let c = connect(&driver).await;

    c.goto(&format!("{}commands/defacer/", server.url))
        .await
        .expect("defacer");
    for (name, id) in [
        ("AI4VBH-defacing", "wrapper-AI4VBH-defacing"),
        ("deface all scans", "wrapper-deface-all-scans"),
    ] {
        let link = c
            .find(Locator::XPath(&format!(
                "//section[@id='enabled']//a[text()='{name}']"
            )))
            .await
            .unwrap_or_else(|e| panic!("site-wide link {name}: {e}"));
        link.click().await.expect("click");
        let target = c
            .execute(
                "const t = document.querySelector(':target'); return t && t.id",
                vec![],
            )
            .await
            .expect("target");
        assert_eq!(target, json!(id), "{name}");
    }

    c.goto(&format!("{}a/b/c/no-such-page", server.url))
        .await
        .expect("deep 404");
    assert_eq!(text_of(&c, Locator::Css("h1"), "h1").await, "Not found");
    let styled = c
        .execute(
            "return [...document.styleSheets].some(s => (s.href || '').endsWith('/static/site.css') && s.cssRules.length > 0)",
            vec![],
        )
        .await
        .expect("stylesheets");
    assert_eq!(styled, json!(true), "the 404 page's stylesheet loads");
    assert_eq!(
        broken_links_on_page(&c).await,
        json!([]),
        "links on the 404 page"
    );
    click(
        &c,
        Locator::LinkText("command list"),
        "the command list link",
    )
    .await;
    assert_eq!(
        c.current_url().await.expect("url").path(),
        "/index.html",
        "back at the top"
    );
    c.find(Locator::Id("listing")).await.expect("the list");
    c.close().await.expect("close");
}

/// Open the index and wait for the script to show the search form.
async fn goto_index(c: &Client, url: &str) {
    c.goto(url).await.expect("index");
    wait_until(
        c,
        "return !document.getElementById('finder').hidden",
        "the search form",
    )
    .await;
}

/// The titles of the search results shown.
async fn result_titles(c: &Client) -> Vec<String> {
    let titles = c
        .execute(
            "return [...document.querySelectorAll('#search-results .card h3 a')].map(a => a.textContent)",
            vec![],
        )
        .await
        .expect("titles");
    titles
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

async fn search_for(c: &Client, query: &str) {
    let q = c.find(Locator::Id("q")).await.expect("search box");
    q.clear().await.expect("clear");
    q.send_keys(query).await.expect("type");
    wait_until(
        c,
        &format!(
            "const s = document.getElementById('status').textContent; return new URLSearchParams(location.search).get('q') === {} && s.includes('match') && (s.startsWith('0 ') || document.querySelectorAll('#search-results .card').length > 0)",
            json!(query)
        ),
        query,
    )
    .await;
}

/// Search finds commands by words of their descriptions and command lines, highlights the
/// words, turns tags into facets whose counts follow the query, keeps everything in the URL
/// (shared links and the back button work), and folds the filters away on a phone.
#[tokio::test(flavor = "current_thread")]
async fn search_facets_url_state_and_highlights_in_chromium() {
    let driver = Driver::start();
    let xcs = Xcs::new().catalog("catalog");
    let server = Server::start(&xcs.root().join("catalog"), &xcs.root().join("out"), false);
    let c = connect(&driver).await;
    goto_index(&c, &server.url).await;

    // Description words, in any order and case: dcm2bids (every version) and dcm2niix.
    search_for(&c, "dicom nifti").await;
    let titles = result_titles(&c).await;
    assert!(
        titles.iter().any(|t| t == "dcm2bids") && titles.iter().any(|t| t == "dcm2niix"),
        "{titles:?}"
    );
    let marks = c
        .execute("return [...document.querySelectorAll('#search-results mark')].map(m => m.textContent.toLowerCase())", vec![])
        .await
        .expect("marks");
    let marks: Vec<&str> = marks
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        marks.contains(&"dicom") && marks.contains(&"nifti"),
        "highlighted: {marks:?}"
    );

    // Facet counts follow the query: with "dicom nifti", `bids` counts only the matches.
    let bids_count = "return document.querySelector('input[name=tag][value=bids]').parentNode.querySelector('.count').textContent";
    let during = c.execute(bids_count, vec![]).await.expect("count");
    assert_eq!(
        during,
        json!(String::from("4")),
        "dcm2bids ×3 and dcm2niix are tagged bids"
    );
    let conversion = "return document.querySelector('input[name=tag][value=conversion]').parentNode.querySelector('.count').textContent";
    assert_eq!(
        c.execute(conversion, vec![]).await.expect("count"),
        json!("3")
    );

    // A tag on a result is a facet: clicking it filters, and the URL says so.
    click(
        &c,
        Locator::Css("#search-results .card .tags button"),
        "a result's tag",
    )
    .await;
    wait_until(
        &c,
        "return new URLSearchParams(location.search).getAll('tag').length === 1",
        "the tag in the URL",
    )
    .await;
    let shared = c.current_url().await.expect("url");
    // Back: the tag filter goes, the query stays.
    c.back().await.expect("back");
    wait_until(
        &c,
        "return new URLSearchParams(location.search).getAll('tag').length === 0 && document.getElementById('q').value === 'dicom nifti' && ![...document.querySelectorAll('input[name=tag]')].some(b => b.checked)",
        "the state before the tag",
    )
    .await;
    // The shared URL restores query and filter in a fresh page.
    c.goto(shared.as_str()).await.expect("shared link");
    wait_until(
        &c,
        "return document.getElementById('q').value === 'dicom nifti' && [...document.querySelectorAll('input[name=tag]')].some(b => b.checked) && document.querySelectorAll('#search-results .card').length > 0",
        "the shared search",
    )
    .await;

    // Command lines are searched: `--notrack` is only in MRIQC's.
    goto_index(&c, &server.url).await;
    search_for(&c, "notrack").await;
    let titles = result_titles(&c).await;
    assert!(titles.iter().any(|t| t.contains("MRIQC")), "{titles:?}");
    assert_eq!(
        console_errors(&c).await,
        Vec::<String>::new(),
        "console errors"
    );

    // On a phone the filters fold away behind their summary, and open on demand.
    c.set_window_size(375, 800).await.expect("phone size");
    goto_index(&c, &server.url).await;
    let gpu = c
        .find(Locator::Css("input[name=gpu]"))
        .await
        .expect("a filter");
    assert!(
        !gpu.is_displayed().await.expect("displayed"),
        "folded on a phone"
    );
    click(
        &c,
        Locator::Css("#filters > summary"),
        "the Filters summary",
    )
    .await;
    assert!(gpu.is_displayed().await.expect("displayed"), "unfolds");
    c.close().await.expect("close");
}

/// An image that 150 commands use: its page shows 100, and Next / Previous walk the pages in
/// Chromium (relative links from `page/2/` included).
#[tokio::test(flavor = "current_thread")]
async fn image_pages_paginate_in_chromium() {
    let driver = Driver::start();
    let mut xcs = Xcs::new().catalog("catalog");
    for i in 0..150 {
        xcs = xcs.file(
            &format!("catalog/commands/big-{i:03}.yaml"),
            format!(
                "kind: Command\nname: big-{i:03}\nversion: \"1.0\"\nimage: lab/big:1.0\ncommand-line: run\n"
            ),
        );
    }
    let server = Server::start(&xcs.root().join("catalog"), &xcs.root().join("out"), false);
    let c = connect(&driver).await;
    c.goto(&format!("{}images/lab-big/", server.url))
        .await
        .expect("image page");
    let rows = |c: &Client| {
        let c = c.clone();
        async move {
            c.find_all(Locator::Css("main tbody tr"))
                .await
                .expect("rows")
                .len()
        }
    };
    assert_eq!(rows(&c).await, 100);
    click(&c, Locator::LinkText("Next →"), "next page").await;
    assert_eq!(
        c.current_url().await.expect("url").path(),
        "/images/lab-big/page/2/index.html"
    );
    assert_eq!(rows(&c).await, 50);
    assert_eq!(
        text_of(&c, Locator::Css("h1"), "h1").await,
        "lab/big",
        "page 2 is still the image's page"
    );
    assert_eq!(broken_links_on_page(&c).await, json!([]), "links on page 2");
    click(&c, Locator::LinkText("← Previous"), "previous page").await;
    assert_eq!(
        c.current_url().await.expect("url").path(),
        "/images/lab-big/index.html"
    );
    assert_eq!(rows(&c).await, 100);
    c.close().await.expect("close");
}

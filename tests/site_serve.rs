//! `xcs site serve`: a real server on 127.0.0.1, rebuilt on change with `--watch`.

use crate::support::Xcs;
use crate::support::site::{Server, http_get};
use std::time::{Duration, Instant};

/// Poll `url` until its body contains `needle`; how long it took.
fn wait_for(url: &str, needle: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let (_, body) = http_get(url);
        if body.contains(needle) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{url} did not show {needle:?} within {limit:?}:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serves_the_site() {
    let xcs = Xcs::new().catalog("catalog");
    let server = Server::start(&xcs.root().join("catalog"), &xcs.root().join("out"), false);
    let (status, body) = http_get(&format!("{}commands/dcm2niix/", server.url));
    assert_eq!(status, 200);
    assert!(body.contains("<h1 id=\"title\">dcm2niix"), "{body}");
    assert!(
        !body.contains("reload.js"),
        "no reload script without --watch"
    );
    let (status, _) = http_get(&format!("{}no/such/page", server.url));
    assert_eq!(status, 404);
    let (status, _) = http_get(&format!("{}../../etc/passwd", server.url));
    assert!(status == 400 || status == 404, "{status}");
    let (status, _) = http_get(&format!("{}pagefind/pagefind.js", server.url));
    assert_eq!(status, 200);
}

#[test]
fn watch_rebuilds_on_change_and_shows_problems() {
    let xcs = Xcs::new().catalog("catalog");
    let dir = xcs.root().join("catalog");
    let server = Server::start(&dir, &xcs.root().join("out"), true);
    let page = format!("{}commands/dcm2niix/", server.url);
    let (_, body) = http_get(&page);
    assert!(body.contains("/__xcs/reload.js"), "pages reload themselves");

    let file = dir.join("commands/dcm2niix.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    let marker = "Edited while serving";
    std::fs::write(
        &file,
        text.replacen("description: ", &format!("description: {marker}. "), 1),
    )
    .expect("write");
    // Counted, not timed: on a loaded machine a debug build's rebuild can take seconds.
    wait_for(&page, marker, Duration::from_secs(20));
    assert_eq!(server.lines_starting("Rebuild").len(), 1);

    // A broken file: the server stays up and every page shows the problem.
    std::fs::write(
        &file,
        text.replace("image: xnat/dcm2niix:1.0.20240202", "image: \"\""),
    )
    .expect("write");
    wait_for(&page, "XCS102", Duration::from_secs(10));
    let (status, body) = http_get(&server.url);
    assert_eq!(status, 200);
    assert!(body.contains("error[XCS102]"), "{body}");

    // Fixed again: back to the page.
    std::fs::write(&file, &text).expect("write");
    wait_for(&page, "<h1 id=\"title\">dcm2niix", Duration::from_secs(10));
    // Changes under .git do not rebuild (nothing to assert but that the server still answers).
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    std::fs::write(dir.join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
    assert_eq!(http_get(&page).0, 200);
}

/// Idle, the watcher rebuilds nothing (the build's own reads of the repo are not changes); one
/// edit makes exactly one rebuild. Counted from the server's `Rebuild #N` and `Built` lines.
#[test]
fn watch_rebuilds_once_per_edit_and_never_when_idle() {
    let xcs = Xcs::new().catalog("catalog");
    let dir = xcs.root().join("catalog");
    let server = Server::start(&dir, &xcs.root().join("out"), true);
    // Read pages meanwhile, as an open browser tab would.
    let page = format!("{}commands/dcm2niix/", server.url);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        assert_eq!(http_get(&page).0, 200);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(server.lines_starting("Rebuild"), Vec::<String>::new());
    assert_eq!(
        server.lines_starting("Built").len(),
        1,
        "only the first build"
    );

    let file = dir.join("commands/dcm2niix.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replacen("description: ", "description: Once. ", 1),
    )
    .expect("write");
    wait_for(&page, "Once.", Duration::from_secs(10));
    // Give a runaway watcher time to show itself.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        server.lines_starting("Rebuild"),
        vec!["     Rebuild #1: commands/dcm2niix.yaml changed".to_string()]
    );
    assert_eq!(server.lines_starting("Built").len(), 2);
}

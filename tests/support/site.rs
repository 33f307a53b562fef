//! Helpers for the catalog website's tests: a link checker over a built site, a minimal HTTP
//! client, and `xcs site serve` as a child process.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every file under `dir`, relative, `/`-separated.
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// Undo the few entities the renderer writes in attribute values.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Values of `attr="…"` in an HTML text.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        if let Some(end) = rest.find('"') {
            out.push(unescape(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

fn ids(html: &str) -> BTreeSet<String> {
    attribute_values(html, "id").into_iter().collect()
}

/// Check every internal `href` and `src` of every HTML page: the target file exists and, for
/// `#fragment`s, the target page has that id. Returns the broken links (page, link).
pub fn broken_links(site: &Path) -> Vec<(String, String)> {
    let all = files(site);
    let existing: BTreeSet<&str> = all.iter().map(String::as_str).collect();
    let mut ids_by_page: HashMap<String, BTreeSet<String>> = HashMap::new();
    let pages: Vec<&String> = all.iter().filter(|f| f.ends_with(".html")).collect();
    for p in &pages {
        let html = std::fs::read_to_string(site.join(p)).expect("page");
        ids_by_page.insert((*p).clone(), ids(&html));
    }
    let mut broken = Vec::new();
    for p in &pages {
        let html = std::fs::read_to_string(site.join(p)).expect("page");
        let base = Path::new(p.as_str()).parent().unwrap_or(Path::new(""));
        let links = attribute_values(&html, "href")
            .into_iter()
            .chain(attribute_values(&html, "src"));
        for link in links {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let (path, fragment) = match link.split_once('#') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (link.clone(), None),
            };
            // Absolute paths (the 404 page's) start from the site root: the default base path.
            let (base, path) = match path.strip_prefix('/') {
                Some(rest) => (Path::new(""), rest.to_string()),
                None => (base, path),
            };
            let target = if path.is_empty() {
                (*p).clone()
            } else {
                match normalize(&base.join(&path)) {
                    Some(t) if t.is_empty() || t.ends_with('/') => format!("{t}index.html"),
                    Some(t) if existing.contains(format!("{t}/index.html").as_str()) => {
                        format!("{t}/index.html")
                    }
                    Some(t) => t,
                    None => {
                        broken.push(((*p).clone(), link.clone()));
                        continue;
                    }
                }
            };
            if !existing.contains(target.as_str()) {
                broken.push(((*p).clone(), link.clone()));
                continue;
            }
            if let Some(f) = fragment.filter(|f| !f.is_empty())
                && !ids_by_page.get(&target).is_some_and(|ids| ids.contains(&f))
            {
                broken.push(((*p).clone(), link.clone()));
            }
        }
    }
    broken
}

/// Resolve `..` and `.`; `None` when the path climbs out of the site.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    let trailing = path.to_string_lossy().ends_with('/');
    let mut joined = parts.join("/");
    if trailing && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}

/// The text of `<main>…</main>`, for snapshots of what a page says.
pub fn main_of(html: &str) -> String {
    let start = html.find("<main").expect("<main>");
    let end = html.find("</main>").expect("</main>") + "</main>".len();
    html[start..end].to_string()
}

/// GET a URL on 127.0.0.1: (status, body).
pub fn http_get(url: &str) -> (u16, String) {
    let (status, _, body) = http_get_full(url);
    (status, body)
}

/// GET a URL on 127.0.0.1: (status, header block, body).
pub fn http_get_full(url: &str) -> (u16, String, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (status, head.to_string(), body.to_string())
}

/// `xcs site serve` running in the background; killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub out: PathBuf,
    /// Every line the server printed so far.
    lines: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Start `xcs site serve <dir> --port 0 [--watch]` and wait for its address.
    pub fn start(dir: &Path, out: &Path, watch: bool) -> Server {
        Server::start_with(dir, out, watch, &[])
    }

    /// The same with more arguments (`--base-url /x/`…).
    pub fn start_with(dir: &Path, out: &Path, watch: bool, args: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xcs"));
        cmd.args(["site", "serve"])
            .arg(dir)
            .args(["--port", "0", "--out"])
            .arg(out)
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if watch {
            cmd.arg("--watch");
        }
        let mut child = cmd.spawn().expect("start xcs site serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&lines);
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.trim().strip_prefix("Serving ") {
                    let _ = tx.send(url.to_string());
                }
                seen.lock().expect("lines").push(line);
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("xcs site serve did not print its address");
        Server {
            child,
            url,
            out: out.to_path_buf(),
            lines,
        }
    }

    /// The lines printed so far that start (after indentation) with `word`.
    pub fn lines_starting(&self, word: &str) -> Vec<String> {
        self.lines
            .lock()
            .expect("lines")
            .iter()
            .filter(|l| l.trim_start().starts_with(word))
            .cloned()
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `xcs site serve`: the built site on 127.0.0.1, rebuilt when a declaration changes.
//!
//! A small HTTP/1.1 server on std (one thread per connection, GET and HEAD of files): the site
//! is static, so nothing more is needed, and Pagefind's wasm needs a real HTTP origin, not
//! `file://`. With `--watch`, notify (debounced) triggers rebuilds; a build with validation
//! errors keeps the server up and shows the problems in place of every page, and open pages
//! reload themselves after each build.

use super::render::{self, Renderer};
use super::{BuildOptions, BuildOutcome, SiteError};
use crate::diag;
use minijinja::context;
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub build: BuildOptions,
    pub port: u16,
    pub watch: bool,
}

/// What happened, for the CLI to print.
#[derive(Debug)]
pub enum ServeEvent {
    Listening(String),
    /// A declaration changed (created, written, removed or renamed): a rebuild follows. The
    /// number counts rebuilds since the server started (the first build is 0).
    Changed {
        rebuild: u64,
        path: String,
    },
    Built {
        commands: usize,
        millis: u128,
    },
    Invalid {
        errors: usize,
        text: String,
    },
    Failed(String),
}

/// The state requests see.
#[derive(Default)]
struct State {
    /// The problems page, while the last build failed.
    problems: Option<String>,
    /// Bumped by every build, so open pages know to reload.
    generation: u64,
}

const RELOAD_JS: &str = "\
// xcs site serve --watch: reload when the site is rebuilt.
(function () {
  var seen = null;
  function poll() {
    fetch('/__xcs/generation', { cache: 'no-store' })
      .then(function (r) { return r.text(); })
      .then(function (g) {
        if (seen !== null && g !== seen) { location.reload(); }
        seen = g;
      })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
";

type Watcher = notify_debouncer_full::Debouncer<
    notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;

/// Build, serve, and (with `watch`) rebuild until the process is stopped.
/// Reports what happens, from the server's threads.
pub type Reporter = Arc<dyn Fn(ServeEvent) + Send + Sync>;

pub fn serve(options: &ServeOptions, report: Reporter) -> Result<(), SiteError> {
    let listener =
        TcpListener::bind(("127.0.0.1", options.port)).map_err(|source| SiteError::Io {
            path: PathBuf::from(format!("127.0.0.1:{}", options.port)),
            source,
        })?;
    let state = Arc::new(Mutex::new(State::default()));
    let renderer = Arc::new(Renderer::new()?);
    rebuild(&options.build, &state, &renderer, &report);
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    report(ServeEvent::Listening(format!("http://{addr}/")));

    // The watcher must live as long as the server.
    let _watcher = if options.watch {
        Some(watch(options, &state, &renderer, Arc::clone(&report))?)
    } else {
        None
    };
    let out = options.build.out.clone();
    let watching = options.watch;
    std::thread::scope(|scope| {
        for stream in listener.incoming().flatten() {
            let state = Arc::clone(&state);
            let out = out.clone();
            scope.spawn(move || {
                let _ = handle(stream, &out, &state, watching);
            });
        }
    });
    Ok(())
}

fn rebuild(options: &BuildOptions, state: &Mutex<State>, renderer: &Renderer, report: &Reporter) {
    let problems = match super::build(options) {
        Ok(BuildOutcome::Built(r)) => {
            report(ServeEvent::Built {
                commands: r.commands,
                millis: r.elapsed.as_millis(),
            });
            None
        }
        Ok(BuildOutcome::Invalid(v)) => {
            let text = diag::render_human(&v.diagnostics, &v.sources, false);
            let errors = v.counts().errors;
            report(ServeEvent::Invalid {
                errors,
                text: text.clone(),
            });
            Some(problems_page(
                renderer,
                &format!("{} found", diag::plural(errors, "error")),
                &text,
            ))
        }
        Err(e) => {
            let text = format!("{e}");
            report(ServeEvent::Failed(text.clone()));
            Some(problems_page(
                renderer,
                "The site could not be built",
                &text,
            ))
        }
    };
    if let Ok(mut s) = state.lock() {
        s.problems = problems;
        s.generation += 1;
    }
}

fn problems_page(renderer: &Renderer, title: &str, text: &str) -> String {
    // Served at any depth: absolute paths to the assets (the dev server is always at `/`).
    renderer
        .page_at(
            "problems.html",
            "problems.html",
            "/",
            context! { title => title, text => text, nav => (), section => "" },
        )
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .unwrap_or_else(|e| {
            format!(
                "<!doctype html><title>xcs</title><pre>{}</pre>",
                render::escape(&format!("{title}\n{text}\n{e}"))
            )
        })
}

fn watch(
    options: &ServeOptions,
    state: &Arc<Mutex<State>>,
    renderer: &Arc<Renderer>,
    report: Reporter,
) -> Result<Watcher, SiteError> {
    let dir = options
        .build
        .dir
        .canonicalize()
        .map_err(|source| SiteError::Io {
            path: options.build.dir.clone(),
            source,
        })?;
    let out = super::absolute(&options.build.out);
    let (tx, rx) = std::sync::mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(Duration::from_millis(250), None, tx)
        .map_err(|e| SiteError::Watch(e.to_string()))?;
    debouncer
        .watch(&dir, RecursiveMode::Recursive)
        .map_err(|e| SiteError::Watch(e.to_string()))?;
    let build = options.build.clone();
    let state = Arc::clone(state);
    let renderer = Arc::clone(renderer);
    std::thread::spawn(move || {
        let mut rebuilds = 0;
        for result in rx {
            let Ok(events) = result else { continue };
            // Only changes to declarations count: the build's own reads of them (inotify's
            // access, open and close-without-write events) must not start the next build.
            let changed = events
                .iter()
                .filter(|e| is_change(&e.kind))
                .flat_map(|e| &e.paths)
                .find(|p| is_relevant(p, &dir, &out));
            if let Some(path) = changed {
                rebuilds += 1;
                let rel = path.strip_prefix(&dir).unwrap_or(path);
                report(ServeEvent::Changed {
                    rebuild: rebuilds,
                    path: rel.display().to_string(),
                });
                rebuild(&build, &state, &renderer, &report);
            }
        }
    });
    Ok(debouncer)
}

/// One line per event, as the CLI prints them.
pub fn describe(e: &ServeEvent) -> String {
    match e {
        ServeEvent::Listening(url) => format!("     Serving {url}"),
        ServeEvent::Changed { rebuild, path } => format!("     Rebuild #{rebuild}: {path} changed"),
        ServeEvent::Built { commands, millis } => {
            format!(
                "       Built {} in {millis} ms",
                diag::plural(*commands, "command")
            )
        }
        ServeEvent::Invalid { errors, text } => format!(
            "     Invalid {} (shown on every page until fixed)\n{text}",
            diag::plural(*errors, "error")
        ),
        ServeEvent::Failed(text) => format!("      Failed {text}"),
    }
}

/// Whether a file system event changes what the loader would read: a file created, written,
/// removed or renamed. Access, open and close-without-write (the build reading the repo) and
/// metadata-only changes (atime, permissions) do not.
fn is_change(kind: &notify::EventKind) -> bool {
    use notify::EventKind;
    use notify::event::ModifyKind;
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// A change matters when it is a declaration the loader would read: not under `.git` or any
/// hidden directory, and not the site being written.
fn is_relevant(path: &Path, dir: &Path, out: &Path) -> bool {
    if path.starts_with(out) {
        return false;
    }
    let Ok(rel) = path.strip_prefix(dir) else {
        return false;
    };
    !rel.components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        && !path.parent().zip(out.file_name()).is_some_and(|(_, name)| {
            path.to_string_lossy()
                .contains(&format!(".{}.xcs-partial", name.to_string_lossy()))
        })
}

fn handle(
    stream: TcpStream,
    out: &Path,
    state: &Mutex<State>,
    watching: bool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; requests have no body we use.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or("/");
    let mut stream = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            method,
            405,
            "text/plain; charset=utf-8",
            b"method not allowed\n",
        );
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if path == "/__xcs/generation" {
        let generation = state.lock().map(|s| s.generation).unwrap_or(0);
        return respond(
            &mut stream,
            method,
            200,
            "text/plain; charset=utf-8",
            generation.to_string().as_bytes(),
        );
    }
    if path == "/__xcs/reload.js" {
        return respond(
            &mut stream,
            method,
            200,
            "text/javascript; charset=utf-8",
            RELOAD_JS.as_bytes(),
        );
    }
    let Some(rel) = decode_path(path) else {
        return respond(
            &mut stream,
            method,
            400,
            "text/plain; charset=utf-8",
            b"bad path\n",
        );
    };
    let problems = state.lock().ok().and_then(|s| s.problems.clone());
    let mut file = out.join(&rel);
    if file.is_dir() {
        if !path.ends_with('/') {
            let location = format!("{path}/");
            let head = format!(
                "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            return stream.write_all(head.as_bytes());
        }
        file = file.join("index.html");
    }
    let is_html = file.extension().is_some_and(|e| e == "html") || path.ends_with('/');
    if let Some(page) = problems.filter(|_| is_html) {
        return respond(
            &mut stream,
            method,
            200,
            "text/html; charset=utf-8",
            &with_reload(page.into_bytes(), watching),
        );
    }
    let (status, file) = if file.is_file() {
        (200, file)
    } else {
        // The assets a problems page needs exist even before the first good build.
        if let Some(name) = rel.strip_prefix("static/").ok().and_then(|p| p.to_str())
            && let Some((_, text)) = render::STATIC.iter().find(|(n, _)| *n == name)
        {
            return respond(
                &mut stream,
                method,
                200,
                content_type(Path::new(name)),
                text.as_bytes(),
            );
        }
        (404, out.join("404.html"))
    };
    let mut body = Vec::new();
    if let Ok(mut f) = std::fs::File::open(&file) {
        f.read_to_end(&mut body)?;
    } else {
        body = b"not found\n".to_vec();
    }
    let ctype = content_type(&file);
    if ctype.starts_with("text/html") {
        body = with_reload(body, watching);
    }
    respond(&mut stream, method, status, ctype, &body)
}

/// With `--watch`, pages load a small script that reloads them after a rebuild.
fn with_reload(body: Vec<u8>, watching: bool) -> Vec<u8> {
    if !watching {
        return body;
    }
    let html = String::from_utf8_lossy(&body);
    let tag = "<script src=\"/__xcs/reload.js\"></script>";
    match html.rfind("</body>") {
        Some(i) => format!("{}{tag}{}", &html[..i], &html[i..]).into_bytes(),
        None => format!("{html}{tag}").into_bytes(),
    }
}

/// The URL path as a relative file path: percent-decoded, and refused if it climbs out.
fn decode_path(path: &str) -> Option<PathBuf> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    let rel = PathBuf::from(text.trim_start_matches('/'));
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(rel)
}

pub fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond(
    stream: &mut TcpStream,
    method: &str,
    status: u16,
    ctype: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    // The page's CSP as a header too: a meta tag cannot say `frame-ancestors` (browsers
    // ignore it there), so framing is refused here, and by X-Frame-Options for old browsers.
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: {}; frame-ancestors 'none'\r\nX-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len(),
        render::CSP,
    );
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_climb_out() {
        assert_eq!(
            decode_path("/a%20b/c.html"),
            Some(PathBuf::from("a b/c.html"))
        );
        assert_eq!(decode_path("/../etc/passwd"), None);
        assert_eq!(decode_path("/%2e%2e/x"), None);
        assert_eq!(decode_path("/"), Some(PathBuf::new()));
    }

    #[test]
    fn only_declarations_trigger_rebuilds() {
        let dir = Path::new("/repo");
        let out = Path::new("/tmp/site");
        assert!(is_relevant(Path::new("/repo/commands/a.yaml"), dir, out));
        assert!(!is_relevant(Path::new("/repo/.git/index"), dir, out));
        assert!(!is_relevant(Path::new("/tmp/site/index.html"), dir, out));
    }

    #[test]
    fn reads_are_not_changes() {
        use notify::EventKind;
        use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, MetadataKind};
        use notify::event::{ModifyKind, RemoveKind, RenameMode};
        for read in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Read),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
        ] {
            assert!(!is_change(&read), "{read:?}");
        }
        for change in [
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Content)),
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            EventKind::Remove(RemoveKind::File),
        ] {
            assert!(is_change(&change), "{change:?}");
        }
    }
}

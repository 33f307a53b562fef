//! TLS for the tests: a private CA and a server certificate for 127.0.0.1 it signed, made with
//! the openssl CLI, and a small HTTPS file server on 127.0.0.1 presenting that certificate.

use super::xnat_sim::{Tls, serve, tls_acceptor};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (tests/run installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`dir/ca.pem`) and a server certificate for 127.0.0.1 it signed, made here.
pub fn private_ca(dir: &Path) -> Tls {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=xcs test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n").expect("ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    Tls {
        chain: std::fs::read(dir.join("server.pem")).expect("cert"),
        key: std::fs::read(dir.join("server.key")).expect("key"),
    }
}

type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// An HTTPS server on 127.0.0.1 serving files at `/NAME`; it counts the requests it answered
/// (a client that refuses the certificate never gets that far). Stops when dropped.
pub struct HttpsFiles {
    port: u16,
    files: Files,
    served: Arc<std::sync::atomic::AtomicUsize>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpsFiles {
    pub fn start(tls: &Tls) -> HttpsFiles {
        let acceptor = tls_acceptor(tls).expect("TLS acceptor");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let files: Files = Arc::default();
        let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (files_in, served_in) = (files.clone(), served.clone());
        // A client that refuses the certificate ends the handshake and is never counted here.
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| async move {
            served_in.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = files_in
                .lock()
                .expect("files")
                .get(uri.path().trim_start_matches('/'))
                .cloned();
            match body {
                Some(b) => (axum::http::StatusCode::OK, b),
                None => (axum::http::StatusCode::NOT_FOUND, Vec::new()),
            }
        });
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                serve(listener, app, rx, Some(acceptor)).await;
            });
        });
        HttpsFiles {
            port,
            files,
            served,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// Serve `bytes` at `/NAME`; returns its `https://127.0.0.1:PORT/NAME` URL.
    pub fn file(&self, name: &str, bytes: Vec<u8>) -> String {
        self.files
            .lock()
            .expect("files")
            .insert(name.to_string(), bytes);
        format!("https://127.0.0.1:{}/{name}", self.port)
    }

    /// Requests answered (after a completed TLS handshake).
    pub fn served(&self) -> usize {
        self.served.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for HttpsFiles {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

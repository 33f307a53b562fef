//! The one way xcs builds an HTTP client: TLS verified against the system's roots plus, when
//! given, a private CA (`--ca-cert`, PEM, one or more certificates); and the one wording for a
//! certificate refused, for every client (XNAT, registries, downloads).

use std::path::{Path, PathBuf};
use std::time::Duration;

pub const USER_AGENT: &str = concat!("xcs/", env!("CARGO_PKG_VERSION"));

/// What a refused certificate adds to the transport error.
pub const UNTRUSTED: &str =
    "the server's TLS certificate is not trusted here: for a private CA, pass --ca-cert FILE";

#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error("cannot read CA certificate {}: {source}", path.display())]
    ReadCa {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a PEM certificate (no `-----BEGIN CERTIFICATE-----` block)", path.display())]
    NotPem { path: PathBuf },
    #[error("cannot start the HTTP client: {0}")]
    Build(String),
}

/// How one client differs from the others.
#[derive(Debug)]
pub struct Settings<'a> {
    pub user_agent: &'static str,
    /// Per request; `None` for downloads whose size is not known.
    pub timeout: Option<Duration>,
    pub redirect: reqwest::redirect::Policy,
    pub ca_cert: Option<&'a Path>,
    /// Keep cookies (the XNAT session).
    pub cookies: bool,
}

impl<'a> Settings<'a> {
    pub fn new(ca_cert: Option<&'a Path>) -> Settings<'a> {
        Settings {
            user_agent: USER_AGENT,
            timeout: None,
            redirect: reqwest::redirect::Policy::none(),
            ca_cert,
            cookies: false,
        }
    }
}

pub fn client(s: Settings<'_>) -> Result<reqwest::Client, HttpsError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(s.user_agent)
        .connect_timeout(Duration::from_secs(10))
        .redirect(s.redirect)
        .cookie_store(s.cookies);
    if let Some(t) = s.timeout {
        builder = builder.timeout(t);
    }
    if let Some(path) = s.ca_cert {
        let pem = std::fs::read(path).map_err(|source| HttpsError::ReadCa {
            path: path.to_path_buf(),
            source,
        })?;
        // reqwest accepts text without any certificate in it and fails only at connect time
        // with a TLS error; say what is wrong now.
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| HttpsError::NotPem {
                path: path.to_path_buf(),
            })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| HttpsError::Build(describe(&e.without_url())))
}

/// Whether anything in the error's chain of causes is a refused certificate (rustls says so in
/// the innermost one).
pub fn untrusted(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(s) = source {
        if s.to_string().to_ascii_lowercase().contains("certificate") {
            return true;
        }
        source = s.source();
    }
    false
}

/// The error with its chain of causes, and the `--ca-cert` hint when a certificate was refused.
/// Callers strip what the URL must not show (`without_url`) before.
pub fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    if untrusted(e) {
        format!("{text}; {UNTRUSTED}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_ca_file_is_refused_naming_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let missing = dir.path().join("missing.pem");
        let e = client(Settings::new(Some(&missing))).expect_err("missing file");
        assert!(matches!(e, HttpsError::ReadCa { .. }), "{e}");
        assert!(e.to_string().contains("missing.pem"), "{e}");
        let text = dir.path().join("text.pem");
        std::fs::write(&text, "not a certificate").expect("write");
        let e = client(Settings::new(Some(&text))).expect_err("no certificate");
        assert!(matches!(e, HttpsError::NotPem { .. }), "{e}");
        assert!(e.to_string().contains("text.pem"), "{e}");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_refused_certificate_is_found_deep_in_the_chain() {
        let deep = Outer(std::io::Error::other(
            "invalid peer certificate: UnknownIssuer",
        ));
        assert!(untrusted(&deep));
        assert!(!untrusted(&Outer(std::io::Error::other(
            "connection refused"
        ))));
    }
}

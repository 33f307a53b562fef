//! The connection to a Docker daemon (bollard): the compute backend's `host` with its TLS
//! material (`cert-path` holds `ca.pem`, `cert.pem`, `key.pem`, Docker's layout), or
//! `DOCKER_HOST`, or the local socket. The API version is negotiated, since XNAT sites often
//! run engines older than bollard's default API version.

pub mod inspect;
pub mod load;
pub mod run;

use bollard::{API_DEFAULT_VERSION, Docker};
use std::path::Path;

/// Seconds a request to the daemon may take (loading a large archive takes a while).
const TIMEOUT_SECS: u64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The daemon could not be reached: say which address was tried and how to reach it.
    #[error(
        "cannot reach the Docker daemon at {address}: {message} (xcs loads image archives into the backend's daemon itself: run it where {address} is reachable, or set DOCKER_HOST to an address of that daemon)"
    )]
    Unreachable { address: String, message: String },
    #[error("the Docker daemon at {address} refused: {message}")]
    Refused { address: String, message: String },
    #[error("{0}")]
    Io(String),
}

/// A connected daemon and the address it was reached at (for messages).
pub struct Daemon {
    pub docker: Docker,
    pub address: String,
}

/// Where xcs connects: the backend's `host` wins, then `DOCKER_HOST`, then the local socket.
pub fn address(host: Option<&str>, docker_host: Option<String>) -> String {
    host.map(str::to_string)
        .or(docker_host)
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string())
}

/// Connect to `address` and negotiate the API version. `cert_path` is the backend's TLS
/// directory, used for `https://` and `tcp://` addresses.
pub async fn connect(address: &str, cert_path: Option<&Path>) -> Result<Daemon, DockerError> {
    let unreachable = |e: &dyn std::fmt::Display| DockerError::Unreachable {
        address: address.to_string(),
        message: e.to_string(),
    };
    let docker = match (cert_path, address) {
        (Some(dir), a) if a.starts_with("https://") || a.starts_with("tcp://") => {
            Docker::connect_with_ssl(
                a,
                &dir.join("key.pem"),
                &dir.join("cert.pem"),
                &dir.join("ca.pem"),
                TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            )
        }
        (_, a) if a.starts_with("unix://") || a.starts_with('/') => {
            Docker::connect_with_unix(a, TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        (_, a) if a.starts_with("tcp://") || a.starts_with("http://") => {
            Docker::connect_with_http(a, TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        (None, a) if a.starts_with("https://") => {
            return Err(unreachable(
                &"an https daemon needs the backend's `cert-path` (ca.pem, cert.pem, key.pem)",
            ));
        }
        _ => {
            return Err(unreachable(
                &"not a unix://, tcp://, http:// or https:// address",
            ));
        }
    }
    .map_err(|e| unreachable(&e))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| unreachable(&e))?;
    Ok(Daemon {
        docker,
        address: address.to_string(),
    })
}

impl Daemon {
    /// Whether the daemon has an image with this reference (`docker image inspect`).
    pub async fn has_image(&self, reference: &str) -> Result<bool, DockerError> {
        match self.docker.inspect_image(reference).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(self.refused(e)),
        }
    }

    fn refused(&self, e: bollard::errors::Error) -> DockerError {
        DockerError::Refused {
            address: self.address.clone(),
            message: e.to_string(),
        }
    }
}

/// The local engine (`xcs run`, `xcs new`): `DOCKER_HOST`, else the local socket.
pub async fn connect_local() -> Result<Docker, DockerError> {
    let address = address(None, std::env::var("DOCKER_HOST").ok());
    Ok(connect(&address, None).await?.docker)
}

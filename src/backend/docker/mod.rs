//! The Docker engine, through bollard: the connection every Docker use shares.

pub mod run;

use bollard::Docker;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to the Docker engine ({host}): {error}")]
    Connect {
        host: String,
        error: bollard::errors::Error,
    },
}

/// Connect to `DOCKER_HOST`, or the local socket when it is unset, and agree on an API version
/// with the engine (older engines refuse bollard's default version).
pub async fn connect_local() -> Result<Docker, ConnectError> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let fail = |source| ConnectError::Connect {
        host: host.clone(),
        error: source,
    };
    let docker = match std::env::var_os("DOCKER_HOST") {
        Some(_) => Docker::connect_with_defaults(),
        None => Docker::connect_with_local_defaults(),
    }
    .map_err(fail)?;
    docker.negotiate_version().await.map_err(fail)
}

//! The Docker engine, through bollard. Engines here can be old (API 1.41), so every connection
//! negotiates the API version first.

pub mod inspect;

pub use bollard::Docker;

/// Connect to `DOCKER_HOST`, or the local socket, and agree on an API version.
pub async fn connect() -> Result<Docker, bollard::errors::Error> {
    let docker = if std::env::var_os("DOCKER_HOST").is_some() {
        Docker::connect_with_defaults()?
    } else {
        Docker::connect_with_local_defaults()?
    };
    docker.negotiate_version().await
}

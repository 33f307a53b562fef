//! Images on XNAT's container server (ref §3): the list, and pulls through a hub.
//! Read in `DockerRestApi.getImages` / `pullImageFromHub` and `DockerServiceImpl.pullFromHub`
//! (container-service 3.7.3): the image name goes to the daemon's pull unchanged and the hub
//! only supplies the credentials, so a reference names its registry host itself.

use super::http::{Body, Repeat};
pub use super::wire::Image;
use super::{Client, Result, XnatError};
use reqwest::Method;

/// `GET /xapi/docker/images?installed=true`: only what the daemon has (without `installed`,
/// XNAT adds tag-only placeholders for images its commands name, present or not). Empty on
/// a kubernetes backend.
pub async fn installed(client: &Client) -> Result<Vec<Image>> {
    client
        .get_json("/xapi/docker/images", &[("installed", "true".to_string())])
        .await
}

/// `POST /xapi/docker/hubs/{id}/pull?image=…&save-commands=false` (or `/xapi/docker/pull`
/// for the default hub): 200 with no body once the daemon has the image. `save-commands=false`
/// so XNAT does not install the image's label commands behind the repo's back. A pull is safe
/// to repeat.
pub async fn pull(client: &Client, hub: Option<i64>, image: &str) -> Result<()> {
    let path = match hub {
        Some(id) => format!("/xapi/docker/hubs/{id}/pull"),
        None => "/xapi/docker/pull".to_string(),
    };
    let query = [
        ("image", image.to_string()),
        ("save-commands", "false".to_string()),
    ];
    client
        .request(Method::POST, &path, &query, Body::None, Repeat::Safe)
        .await
        .map(drop)
}

/// The images a plan compares with: listed when the repo declares a docker or swarm backend.
/// Before XNAT has a server (424), nothing is installed.
pub async fn observe(client: &Client, repo: &crate::model::Repo) -> Result<Option<Vec<Image>>> {
    let Some(b) = repo.backend() else {
        return Ok(None);
    };
    if b.spec.backend == crate::model::BackendKind::Kubernetes {
        return Ok(None);
    }
    match installed(client).await {
        Ok(list) => Ok(Some(list)),
        Err(XnatError::Status { status: 424, .. }) => Ok(Some(Vec::new())),
        Err(e) => Err(e),
    }
}

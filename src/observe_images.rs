//! Reading the compute side for a plan: the images on XNAT's server (docker and swarm
//! backends) and the kubernetes backend's namespace (its xcs Secrets, compared by content
//! fingerprint with what the repo's credentials give, and the `default` service account).

use crate::backend::kube::{self, wire};
use crate::model::{BackendKind, Repo, Secret};
use crate::plan::PlanOptions;
use crate::plan::kube::{ClusterView, Content};
use crate::xnat::{self, Client, XnatError, images::Image};
use std::collections::BTreeMap;

/// `GET /xapi/docker/images?installed=true` when the repo declares a docker or swarm backend.
/// Before XNAT has a server (424), nothing is installed.
pub async fn images(client: &Client, repo: &Repo) -> xnat::Result<Option<Vec<Image>>> {
    let Some(b) = repo.backend() else {
        return Ok(None);
    };
    if b.spec.backend == BackendKind::Kubernetes {
        return Ok(None);
    }
    match xnat::images::installed(client).await {
        Ok(list) => Ok(Some(list)),
        Err(XnatError::Status { status: 424, .. }) => Ok(Some(Vec::new())),
        Err(e) => Err(e),
    }
}

/// A registry's pull-Secret content and its fingerprint input, or why it cannot be read.
pub fn secret_content(
    repo: &Repo,
    registry: &str,
    opts: &PlanOptions,
) -> Result<Secret, String> {
    let r = repo
        .registries
        .iter()
        .find(|r| r.spec.name == registry)
        .map(|r| &r.spec)
        .ok_or_else(|| format!("registry `{registry}` is not declared"))?;
    let resolve = |s: &Option<crate::model::SecretRef>| {
        s.as_ref()
            .map(|s| s.resolve(&*opts.env, &opts.base))
            .transpose()
            .map_err(|e| e.to_string())
    };
    let password = resolve(&r.password)?;
    let token = resolve(&r.token)?;
    Ok(wire::docker_config(
        &r.url,
        r.username.as_deref(),
        password.as_ref(),
        token.as_ref(),
    ))
}

/// Read the namespace and compare each desired Secret's content by fingerprint.
pub async fn cluster(repo: &Repo, opts: &PlanOptions) -> Option<ClusterView> {
    let (namespace, wanted) = crate::plan::kube::desired(repo)?;
    let state = match kube::connect(&namespace).await {
        Ok(c) => c.observe().await,
        Err(e) => Err(e),
    };
    let state = match state {
        Ok(s) => s,
        Err(e) => {
            return Some(ClusterView::Unreadable {
                namespace,
                message: e.to_string(),
            });
        }
    };
    let mut content = BTreeMap::new();
    for (registry, name) in wanted {
        let live = state.secrets.iter().find(|s| s.name == name);
        let c = match (secret_content(repo, &registry, opts), live) {
            (Err(why), _) => Content::Unavailable(why),
            (Ok(_), None) => Content::Missing,
            (Ok(config), Some(live)) => {
                let same = live
                    .content_hash
                    .as_deref()
                    .and_then(wire::parse_fingerprint)
                    .is_some_and(|f| f.matches(config.expose()));
                if same { Content::Same } else { Content::Differs }
            }
        };
        content.insert(name, c);
    }
    Some(ClusterView::Read { state, content })
}

//! Reading the kubernetes backend's namespace for a plan: the Secrets xcs made (compared by
//! content fingerprint with what the repo's credentials give) and the `default` service
//! account. A namespace that cannot be read is reported, not fatal: the plan says so.

use super::wire;
use crate::model::{Repo, Secret};
use crate::plan::PlanOptions;
use crate::plan::kube::{ClusterView, Content, desired, same_content};
use std::collections::BTreeMap;

/// A registry's pull-Secret content (a Docker config), or why it cannot be read here.
pub fn secret_content(repo: &Repo, registry: &str, opts: &PlanOptions) -> Result<Secret, String> {
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

/// Read the namespace when the repo declares a kubernetes backend with a namespace.
pub async fn cluster(repo: &Repo, opts: &PlanOptions) -> Option<ClusterView> {
    let (namespace, wanted) = desired(repo)?;
    let state = match super::connect(&namespace).await {
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
                    .is_some_and(|h| same_content(h, config.expose()));
                if same {
                    Content::Same
                } else {
                    Content::Differs
                }
            }
        };
        content.insert(name, c);
    }
    Some(ClusterView::Read { state, content })
}

//! Wrapper state from CS's stored documents (`stored_config`): one listing at site scope and
//! one per declared project, instead of a flag read, a project-list read and a configuration
//! read per wrapper. The view a plan compares is built from the stored overrides exactly as CS
//! builds its own (`plan::config_view::materialise`), so the two paths plan alike.

use super::observe::Wanted;
use super::stored_config::{self, StoredDoc, Unusable};
use super::{Client, Result};
use crate::model::Repo;
use crate::plan::config_view::{materialise, merge};
use crate::plan::observed::{Observed, WrapperState};
use crate::xnat::wire::Scope;
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// The state of every wanted wrapper, or why the listings cannot be used.
pub async fn states(
    client: &Client,
    repo: &Repo,
    obs: &Observed,
    wanted: &[Wanted],
) -> Result<std::result::Result<BTreeMap<i64, WrapperState>, String>> {
    let projects: Vec<String> = repo.projects.iter().map(|p| p.spec.id.clone()).collect();
    let site = stored_config::read(client, None);
    let per_project = try_join_all(
        projects
            .iter()
            .map(|p| stored_config::read(client, Some(p.as_str()))),
    );
    let (site, per_project) = tokio::try_join!(site, per_project)?;
    let unusable = |u: Unusable| match u {
        Unusable::Refused(m) => format!("the listing was refused ({m})"),
        Unusable::TooLarge(n) => format!("the listing has {n} rows"),
    };
    let site = match site {
        Ok(docs) => docs,
        Err(u) => return Ok(Err(unusable(u))),
    };
    let mut by_project: BTreeMap<&str, BTreeMap<i64, StoredDoc>> = BTreeMap::new();
    for (p, docs) in projects.iter().zip(per_project) {
        match docs {
            Ok(d) => {
                by_project.insert(p.as_str(), d);
            }
            Err(u) => return Ok(Err(unusable(u))),
        }
    }
    let read_site = !repo.sites.is_empty();
    let read_projects = !repo.projects.is_empty();
    let mut out = BTreeMap::new();
    for w in wanted {
        let live = &obs.commands[w.live];
        let Some(wrapper) = live.wrapper(&w.wrapper) else {
            continue;
        };
        let site_doc = site.get(&w.id);
        let project_doc = |p: &str| by_project.get(p).and_then(|d| d.get(&w.id));
        let mut state = WrapperState {
            // CS: enabled for the site only when the stored flag says so.
            site_enabled: read_site.then(|| site_doc.and_then(|d| d.enabled).unwrap_or(false)),
            projects: read_projects.then(|| {
                projects
                    .iter()
                    .filter(|p| project_doc(p).and_then(|d| d.enabled).unwrap_or(false))
                    .cloned()
                    .collect()
            }),
            configs: BTreeMap::new(),
        };
        for scope in &w.scopes {
            let stored = match scope {
                Scope::Site => site_doc.map(|d| d.config.clone()),
                // A project's view is the site's overrides with the project's on top (ref §6).
                Scope::Project(p) => merge(
                    site_doc.map(|d| &d.config),
                    project_doc(p).map(|d| &d.config),
                ),
            };
            state
                .configs
                .insert(scope.clone(), materialise(live, wrapper, stored.as_ref()));
        }
        out.insert(w.id, state);
    }
    Ok(Ok(out))
}

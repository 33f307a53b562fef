//! Wrapper state from CS's stored documents (`stored_config`): one listing at site scope and
//! one per project, instead of a flag read, a project-list read and a configuration read per
//! wrapper. Plans and `import` both read them here: the overrides each scope stores are taken
//! as they are — the form xcs writes — never inferred from a materialised view.

use super::observe::Wanted;
use super::stored_config::{self, StoredDoc, Unusable};
use super::{Client, Result};
use crate::model::{Repo, WrapperConfig};
use crate::plan::observed::{ScopeConfig, WrapperState};
use crate::xnat::wire::Scope;
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// CS's stored `wrapper-<id>` documents: at site scope, and per project read, by wrapper id.
#[derive(Debug, Default)]
pub struct Documents {
    pub site: BTreeMap<i64, StoredDoc>,
    pub projects: BTreeMap<String, BTreeMap<i64, StoredDoc>>,
}

impl Documents {
    fn doc(&self, scope: &Scope, id: i64) -> Option<&StoredDoc> {
        match scope {
            Scope::Site => self.site.get(&id),
            Scope::Project(p) => self.projects.get(p).and_then(|d| d.get(&id)),
        }
    }

    /// CS `isEnabledForSite`: a stored document whose flag is not false
    /// (`!Boolean.FALSE.equals(enabled)`, so a document without a flag counts as enabled); no
    /// document, disabled.
    pub fn site_enabled(&self, id: i64) -> bool {
        self.site.get(&id).is_some_and(|d| d.enabled != Some(false))
    }

    /// The project's own stored flag, not ANDed with the site's (CS `getProjects(id,
    /// "enabled")`, which `GET /xapi/wrappers/{id}/projects` answers).
    pub fn project_flag(&self, project: &str, id: i64) -> bool {
        self.doc(&Scope::Project(project.to_string()), id)
            .is_some_and(|d| d.enabled == Some(true))
    }

    /// The overrides stored at exactly `scope` (a project's own, without the site's); empty when
    /// nothing is stored there.
    pub fn overrides(&self, scope: &Scope, id: i64) -> WrapperConfig {
        self.doc(scope, id)
            .map(|d| d.config.clone())
            .unwrap_or_default()
    }
}

/// The stored documents at site scope and for each of `projects` (one listing each), or why the
/// listings cannot be used (then callers fall back to per-wrapper reads).
pub async fn documents(
    client: &Client,
    projects: &[String],
) -> Result<std::result::Result<Documents, String>> {
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
    let mut docs = Documents {
        site: match site {
            Ok(d) => d,
            Err(u) => return Ok(Err(unusable(u))),
        },
        projects: BTreeMap::new(),
    };
    for (p, read) in projects.iter().zip(per_project) {
        match read {
            Ok(d) => {
                docs.projects.insert(p.clone(), d);
            }
            Err(u) => return Ok(Err(unusable(u))),
        }
    }
    Ok(Ok(docs))
}

#[derive(serde::Deserialize)]
struct ProjectList {
    #[serde(rename = "ResultSet")]
    result_set: ProjectRows,
}

#[derive(serde::Deserialize)]
struct ProjectRows {
    #[serde(rename = "Result", default)]
    result: Vec<ProjectRow>,
}

#[derive(serde::Deserialize)]
struct ProjectRow {
    #[serde(rename = "ID")]
    id: String,
}

/// The ids of the projects the account can read (`GET /data/projects`, ref core §3): whose
/// stored documents `import` lists.
pub async fn project_ids(client: &Client) -> Result<Vec<String>> {
    let list: ProjectList = client
        .get_json("/data/projects", &[("format", "json".to_string())])
        .await?;
    Ok(list.result_set.result.into_iter().map(|r| r.id).collect())
}

/// The state of every wanted wrapper, or why the listings cannot be used.
pub(super) async fn states(
    client: &Client,
    repo: &Repo,
    wanted: &[Wanted],
) -> Result<std::result::Result<BTreeMap<i64, WrapperState>, String>> {
    let projects: Vec<String> = repo.projects.iter().map(|p| p.spec.id.clone()).collect();
    let docs = match documents(client, &projects).await? {
        Ok(d) => d,
        Err(why) => return Ok(Err(why)),
    };
    let read_site = !repo.sites.is_empty();
    let read_projects = !repo.projects.is_empty();
    let out = wanted
        .iter()
        .map(|w| {
            let state = WrapperState {
                site_enabled: read_site.then(|| docs.site_enabled(w.id)),
                projects: read_projects.then(|| {
                    projects
                        .iter()
                        .filter(|p| docs.project_flag(p, w.id))
                        .cloned()
                        .collect()
                }),
                configs: w
                    .scopes
                    .iter()
                    .map(|s| (s.clone(), ScopeConfig::Stored(docs.overrides(s, w.id))))
                    .collect(),
            };
            (w.id, state)
        })
        .collect();
    Ok(Ok(out))
}

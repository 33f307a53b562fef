//! Reading a live XNAT into the shape plans compare with: as few requests as possible, run
//! concurrently (the client bounds how many are in flight).
//!
//! Reads: `GET /xapi/commands` once for every command and wrapper; CS's stored wrapper
//! documents by one config-service listing at site scope and one per declared project (when the
//! repo declares a Site or Projects) — or, where a listing is refused, per wrapper its site flag,
//! its project list and one materialised-view read per declared (scope, wrapper) configuration;
//! plus the hubs, the server, the event-service switch and subscriptions (when automations are
//! involved), the capability probe and xcs's own record.

use crate::model::Repo;
use crate::plan::observed::{Observed, ReadVia, ScopeConfig, WrapperState, refers};
use crate::plan::record::{self, Record};
use crate::plan::{Plan, PlanOptions, compute, credential_states};
use crate::xnat::wrappers::Scope;
use crate::xnat::{self, Client, config_service, docker, events, wrappers};
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// Observe the XNAT and compute the plan.
pub async fn plan(
    client: &Client,
    repo: &Repo,
    opts: &PlanOptions,
) -> xnat::Result<(Plan, Observed)> {
    // Commands read from image labels are validated, never applied: their image is the image.
    let applied = repo.applied();
    let repo = applied.as_ref();
    let mut observed = observe(client, repo).await?;
    observed.cluster = crate::backend::kube::observe::cluster(repo, opts).await;
    let credentials = credential_states(repo, &observed.record, opts);
    let mut plan = compute::compute(repo, &observed, &credentials, opts.prune, client.url());
    plan.notes.extend(observed.notes.iter().cloned());
    plan.notes
        .extend(crate::plan::double_launch::notes(repo, &observed));
    plan.notes
        .extend(crate::plan::missing_roles(&plan, &observed.caps));
    Ok((plan, observed))
}

pub async fn observe(client: &Client, repo: &Repo) -> xnat::Result<Observed> {
    let caps = xnat::probe::probe(client).await?;
    // Hubs and the server are read only when the repo (or xcs's record) involves them.
    let server = async {
        if repo.backends.is_empty() {
            Ok(None)
        } else {
            docker::server(client).await
        }
    };
    let (commands, server, record_text) = tokio::try_join!(
        xnat::commands::list(client),
        server,
        config_service::get(client, record::ENTRY),
    )?;
    let record = record_text
        .as_deref()
        .map(Record::parse)
        .unwrap_or_default();
    let hubs = if repo.registries.is_empty() && record.registries.is_empty() {
        Vec::new()
    } else {
        docker::hubs(client).await?
    };
    let mut notes = Vec::new();
    let automations = !repo.automations.is_empty() || !record.subscriptions.is_empty();
    let (events_enabled, subscriptions) = if automations {
        // Read the subscriptions whatever the service's state: XNAT lists them while it is off
        // (xnat-web `EventServiceImpl.getSubscriptions` → `getAllSubscriptions`, no state
        // check), and a plan that skipped them would create every automation again. (Releases
        // that answer an empty list while off are met at apply: a taken name is adopted.)
        let (enabled, subs) = tokio::join!(events::enabled(client), events::list(client));
        let subs = match subs {
            Ok(s) => s,
            // Only site administrators may list them (ref CS §7b): say so, plan without them.
            Err(e) if matches!(e.status(), Some(401 | 403)) => {
                notes.push(format!(
                    "the subscriptions could not be read ({e}); automations are planned as if none existed"
                ));
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        (Some(enabled?), subs)
    } else {
        (None, Vec::new())
    };
    let mut obs = Observed {
        caps,
        commands,
        hubs,
        server,
        events_enabled,
        subscriptions,
        record,
        wrappers: BTreeMap::new(),
        notes,
        read_via: ReadVia::None,
        images: xnat::images::observe(client, repo).await?,
        cluster: None,
    };
    let pairing = obs.pairing(repo);
    let read_site = !repo.sites.is_empty();
    let read_projects = !repo.projects.is_empty();
    let mut wanted = Vec::new();
    for (desired, live_index) in pairing.pairs() {
        let cmd = &repo.commands[desired].spec;
        let live = &obs.commands[live_index];
        for w in &live.xnat {
            let (Some(id), true) = (w.id, cmd.wrapper(&w.name).is_some()) else {
                continue;
            };
            let mut scopes = Vec::new();
            if let Some(site) = repo.site() {
                let declared = site.spec.wrappers.iter().any(|s| {
                    s.wrapper == w.name && s.config.is_some() && refers(repo, &s.command, desired)
                });
                if declared {
                    scopes.push(Scope::Site);
                }
            }
            for p in &repo.projects {
                let declared = p.spec.wrappers.iter().any(|s| {
                    s.wrapper == w.name && s.config.is_some() && refers(repo, &s.command, desired)
                });
                if declared {
                    scopes.push(Scope::Project(p.spec.id.clone()));
                }
            }
            wanted.push(Wanted { id, scopes });
        }
    }
    if wanted.is_empty() || !(read_site || read_projects) {
        return Ok(obs);
    }
    // One listing per scope of CS's stored documents; the per-wrapper reads where a listing is
    // refused or too large.
    match super::observe_stored::states(client, repo, &wanted).await? {
        Ok(states) => {
            obs.read_via = ReadVia::Listing;
            obs.wrappers = states;
        }
        Err(why) => {
            obs.notes.push(format!(
                "CS's stored wrapper documents could not be listed ({why}): read per wrapper instead, comparing XNAT's materialised configuration views, which cannot show an override equal to the value it overrides"
            ));
            obs.read_via = ReadVia::PerWrapper(why);
            let reads = wanted
                .into_iter()
                .map(|w| read_wrapper(client, w.id, read_site, read_projects, w.scopes));
            for (id, state) in try_join_all(reads).await? {
                obs.wrappers.insert(id, state);
            }
        }
    }
    Ok(obs)
}

/// A wrapper whose state the plan needs: its live id and the scopes whose configuration the
/// repo declares.
pub(super) struct Wanted {
    pub id: i64,
    pub scopes: Vec<Scope>,
}

async fn read_wrapper(
    client: &Client,
    id: i64,
    site: bool,
    projects: bool,
    scopes: Vec<Scope>,
) -> xnat::Result<(i64, WrapperState)> {
    let site_enabled = async {
        if site {
            wrappers::site_enabled(client, id).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let project_list = async {
        if projects {
            wrappers::enabled_projects(client, id).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let configs = try_join_all(scopes.into_iter().map(|scope| async move {
        wrappers::config(client, &scope, id)
            .await
            .map(|c| (scope, ScopeConfig::View(c)))
    }));
    let (site_enabled, projects, configs) = tokio::try_join!(site_enabled, project_list, configs)?;
    Ok((
        id,
        WrapperState {
            site_enabled,
            projects,
            configs: configs.into_iter().collect(),
        },
    ))
}

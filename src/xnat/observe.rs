//! Reading a live XNAT into the shape plans compare with: as few requests as possible, run
//! concurrently (the client bounds how many are in flight).
//!
//! Reads: `GET /xapi/commands` once for every command and wrapper; per wrapper of a command the
//! repo declares, its site flag (when the repo declares a Site) and its project list (when it
//! declares Projects); one config read per declared (scope, wrapper) configuration; plus the
//! hubs, the server, the event-service switch and subscriptions (when automations are
//! involved), the capability probe and xcs's own record.

use crate::model::Repo;
use crate::plan::observed::{Observed, WrapperState, refers};
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
    let mut observed = observe(client, repo).await?;
    observed.cluster = crate::backend::kube::observe::cluster(repo, opts).await;
    let credentials = credential_states(repo, &observed.record, opts);
    let plan = compute::compute(repo, &observed, &credentials, opts.prune, client.url());
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
    let automations = !repo.automations.is_empty() || !record.subscriptions.is_empty();
    let (events_enabled, subscriptions) = if automations {
        let enabled = events::enabled(client).await?;
        // While the event service is off, XNAT refuses subscription reads too.
        let subs = if enabled {
            events::list(client).await?
        } else {
            Vec::new()
        };
        (Some(enabled), subs)
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
        images: xnat::images::observe(client, repo).await?,
        cluster: None,
    };
    let pairing = obs.pairing(repo);
    let read_site = !repo.sites.is_empty();
    let read_projects = !repo.projects.is_empty();
    let mut reads = Vec::new();
    for (desired, live) in pairing.pairs() {
        let cmd = &repo.commands[desired].spec;
        let live = &obs.commands[live];
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
            reads.push(read_wrapper(client, id, read_site, read_projects, scopes));
        }
    }
    for (id, state) in try_join_all(reads).await? {
        obs.wrappers.insert(id, state);
    }
    Ok(obs)
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
            .map(|c| (scope, c))
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

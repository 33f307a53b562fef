//! The catalog: every page's data, built once from the repo model (plus git history). IO-free;
//! the renderer turns it into files.

use super::command_view::{CommandView, ProjectUse};
use super::history::History;
use super::words::{self, ImageRef};
use crate::model::credential::{WITHHELD, sensitive_inputs, withhold_input};
use crate::model::{Automation, Command, Declared, Repo, WrapperSetting};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Serialize)]
pub struct Catalog {
    pub commands: Vec<CommandView>,
    pub images: Vec<ImageView>,
    /// Site-wide enablement, when the repo declares a Site.
    pub site: Option<ScopeView>,
    pub projects: Vec<ScopeView>,
    pub registries: Vec<RegistryView>,
    pub backend: Option<BackendView>,
    pub automations: Vec<AutomationView>,
    /// Commands declared by where to fetch them (`from:`); the catalog lists them only.
    pub sources: Vec<SourceView>,
    pub facets: Vec<Facet>,
    pub history_available: bool,
    /// With `--skip-invalid`: what was left out, and why.
    pub refused: Vec<super::refused::Refused>,
    /// Commands the repo holds several versions of, each with its changelog.
    pub versions: Vec<super::versions::VersionsView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    pub slug: String,
    pub url: String,
    pub host: String,
    pub repository: String,
    pub registry: String,
    /// The image's page on its registry's website, for the registries that have one.
    pub web_url: Option<String>,
    /// `docker pull …` for every reference the commands use (by digest when pinned).
    pub pulls: Vec<String>,
    /// Compressed size in bytes, when known. Hook: nothing records sizes yet; the lock file
    /// (`xcs.lock`, branch `labels`) is the place to read them from once it does.
    pub size: Option<u64>,
    /// (command slug, title, version, tag, digest)
    pub commands: Vec<ImageCommand>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageCommand {
    pub slug: String,
    pub title: String,
    pub version: Option<String>,
    pub reference: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Where wrappers are enabled: the whole site, or one project.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeView {
    pub id: String,
    pub slug: String,
    pub url: String,
    pub wrappers: Vec<ScopeWrapper>,
    pub automations: Vec<AutomationView>,
    pub source_file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScopeWrapper {
    pub command: String,
    /// The command's page, when the reference resolves.
    pub command_slug: Option<String>,
    pub command_title: String,
    pub wrapper: String,
    pub wrapper_anchor: String,
    pub enabled: bool,
    /// For projects: whether the site enables it too (XNAT needs both).
    pub site_enabled: Option<bool>,
    pub inputs: Vec<ConfigRow>,
    pub outputs: Vec<ConfigRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigRow {
    pub name: String,
    pub settings: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegistryView {
    pub name: String,
    pub url: String,
    pub host: String,
    pub default: bool,
    /// Whether pulls authenticate. The credentials themselves are never shown.
    pub authenticated: bool,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BackendView {
    pub name: String,
    pub kind: String,
    pub settings: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutomationView {
    pub name: String,
    pub project: Option<String>,
    pub project_slug: Option<String>,
    /// "a session is created", from the event type and status.
    pub when: String,
    pub event_type: String,
    pub status: String,
    pub payload_filter: Option<String>,
    pub command: String,
    pub command_slug: Option<String>,
    pub command_title: String,
    pub wrapper: String,
    pub inputs: Vec<(String, String)>,
    pub active: bool,
    pub act_as_event_user: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    pub from: String,
    pub location: String,
    pub names: Vec<String>,
    pub source_file: String,
}

/// One filter of the index (context, registry, requirements, project) and its values.
#[derive(Debug, Clone, Serialize)]
pub struct Facet {
    /// Also the Pagefind filter name.
    pub key: &'static str,
    pub title: &'static str,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub slug: String,
    /// The browse page listing these commands (works without JavaScript).
    pub url: String,
    pub count: usize,
    #[serde(skip)]
    pub commands: Vec<usize>,
}

/// Each command's value(s) for every facet, by facet key; the search index carries them too.
pub type CommandFacets = BTreeMap<&'static str, Vec<String>>;

impl Catalog {
    pub fn build(repo: &Repo, history: &History) -> Catalog {
        let slugs = command_slugs(&repo.commands);
        let mut file_counts: HashMap<&str, usize> = HashMap::new();
        for c in &repo.commands {
            *file_counts.entry(c.origin.rel.as_ref()).or_default() += 1;
        }
        let mut commands: Vec<CommandView> = repo
            .commands
            .par_iter()
            .zip(&slugs)
            .map(|(c, slug)| {
                let mut view = CommandView::new(
                    &c.spec,
                    slug.clone(),
                    &c.origin.rel,
                    history.of(&c.origin.rel),
                );
                view.shares_file = file_counts.get(c.origin.rel.as_ref()).copied().unwrap_or(0) > 1;
                // The digest `xcs.lock` pins a resolved `from:` command's image to.
                if let Some(image) = view.image.as_mut()
                    && image.digest.is_none()
                {
                    image.digest = c
                        .spec
                        .image
                        .as_deref()
                        .and_then(|i| repo.image_digests.get(i))
                        .cloned();
                }
                view
            })
            .collect();
        unique_image_slugs(&mut commands);
        link_helpers(&mut commands);
        let versions = super::versions::versions(repo, &commands);
        for v in &versions {
            for row in &v.versions {
                if let Some(c) = commands.iter_mut().find(|c| c.slug == row.slug) {
                    c.versions_url = Some(v.url.clone());
                    c.version_count = v.versions.len();
                }
            }
        }
        let registries = registry_views(repo, &commands);
        for view in &mut commands {
            if let Some(image) = &view.image {
                view.registry = Some(registry_name(repo, image));
            }
        }
        let index_of = |reference: &str| -> Option<usize> {
            let found = repo.resolve_command(reference).ok()?;
            repo.commands.iter().position(|c| std::ptr::eq(c, found))
        };
        let mut site = repo.site().map(|s| {
            scope_view(
                "site",
                "site/",
                &s.spec.wrappers,
                &s.origin.rel,
                repo,
                &commands,
                &index_of,
                None,
            )
        });
        let site_enabled: HashSet<(usize, String)> = site
            .iter()
            .flat_map(|s| &s.wrappers)
            .filter(|w| w.enabled)
            .filter_map(|w| {
                let i = commands
                    .iter()
                    .position(|c| Some(&c.slug) == w.command_slug.as_ref())?;
                Some((i, w.wrapper.clone()))
            })
            .collect();
        let declared_site = site.is_some();
        let mut projects: Vec<ScopeView> = repo
            .projects
            .iter()
            .map(|p| {
                let slug = words::slug(&p.spec.id);
                scope_view(
                    &p.spec.id,
                    &format!("projects/{slug}/"),
                    &p.spec.wrappers,
                    &p.origin.rel,
                    repo,
                    &commands,
                    &index_of,
                    declared_site.then_some(&site_enabled),
                )
            })
            .collect();
        projects.sort_by(|a, b| a.id.cmp(&b.id));
        let automations: Vec<AutomationView> = repo
            .automations
            .iter()
            .map(|a| automation_view(&a.spec, repo, &commands, &index_of))
            .collect();
        // Back-references on each command: where it is enabled and what automates it.
        for (i, view) in commands.iter_mut().enumerate() {
            view.site_wrappers = site_enabled
                .iter()
                .filter(|(c, _)| *c == i)
                .map(|(_, w)| w.clone())
                .collect();
            view.site_wrappers.sort();
            for p in &projects {
                let wrappers: Vec<String> = p
                    .wrappers
                    .iter()
                    .filter(|w| w.enabled && w.command_slug.as_deref() == Some(view.slug.as_str()))
                    .map(|w| w.wrapper.clone())
                    .collect();
                if !wrappers.is_empty() {
                    view.projects.push(ProjectUse {
                        id: p.id.clone(),
                        slug: p.slug.clone(),
                        wrappers,
                    });
                }
            }
            view.automations = automations
                .iter()
                .filter(|a| a.command_slug.as_deref() == Some(view.slug.as_str()))
                .map(|a| a.name.clone())
                .collect();
            for w in &mut view.wrappers {
                w.site_enabled = view.site_wrappers.contains(&w.name);
                w.projects = view
                    .projects
                    .iter()
                    .filter(|p| p.wrappers.contains(&w.name))
                    .map(|p| p.id.clone())
                    .collect();
            }
        }
        for scope in site.iter_mut().chain(projects.iter_mut()) {
            scope.automations = automations
                .iter()
                .filter(|a| a.project.as_deref().unwrap_or("site") == scope.id)
                .cloned()
                .collect();
        }
        let order = sort_order(&commands);
        let commands: Vec<CommandView> = {
            let mut slots: Vec<Option<CommandView>> = commands.into_iter().map(Some).collect();
            order.iter().filter_map(|&i| slots[i].take()).collect()
        };
        let facets = facets(&commands, &projects, declared_site);
        Catalog {
            images: image_views(&commands),
            site,
            projects,
            registries,
            backend: repo.backend().map(|b| backend_view(&b.spec)),
            automations,
            sources: repo
                .command_sources
                .iter()
                .map(|s| SourceView {
                    from: match s.spec.from {
                        crate::model::source::SourceKind::ImageLabels => "image labels".into(),
                        crate::model::source::SourceKind::ImageFile => "a file in the image".into(),
                        crate::model::source::SourceKind::Url => "URL".into(),
                    },
                    location: s.spec.location(),
                    names: s.spec.names.clone(),
                    source_file: s.origin.rel.to_string(),
                })
                .collect(),
            facets,
            commands,
            history_available: history.available,
            refused: Vec::new(),
            versions,
        }
    }

    /// Each command's values for every facet, by command (in catalog order).
    pub fn facets_by_command(&self) -> Vec<CommandFacets> {
        let mut out = vec![CommandFacets::new(); self.commands.len()];
        for f in &self.facets {
            for per in &mut out {
                per.insert(f.key, Vec::new());
            }
            for v in &f.values {
                for &i in &v.commands {
                    if let Some(list) = out.get_mut(i).and_then(|m| m.get_mut(f.key)) {
                        list.push(v.value.clone());
                    }
                }
            }
        }
        out
    }
}

/// Slugs from names; several versions of one name add the version, and any remaining clash a
/// counter, so every command has its own page.
fn command_slugs(commands: &[Declared<Command>]) -> Vec<String> {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for c in commands {
        *by_name.entry(words::slug(&c.spec.name)).or_default() += 1;
    }
    let mut used = HashSet::new();
    commands
        .iter()
        .map(|c| {
            let base = words::slug(&c.spec.name);
            let mut slug = match &c.spec.version {
                Some(v) if by_name.get(&base).copied().unwrap_or(0) > 1 => {
                    words::slug(&format!("{}-{v}", c.spec.name))
                }
                _ => base,
            };
            if !used.insert(slug.clone()) {
                let mut n = 2;
                while !used.insert(format!("{slug}-{n}")) {
                    n += 1;
                }
                slug = format!("{slug}-{n}");
            }
            slug
        })
        .collect()
}

fn sort_order(commands: &[CommandView]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..commands.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&commands[a], &commands[b]);
        a.title
            .to_lowercase()
            .cmp(&b.title.to_lowercase())
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.version.cmp(&b.version))
            .then_with(|| a.slug.cmp(&b.slug))
    });
    order
}

fn registry_name(repo: &Repo, image: &ImageRef) -> String {
    repo.registries
        .iter()
        .find(|r| words::registry_host(&r.spec.url) == image.host)
        .map(|r| r.spec.name.clone())
        .unwrap_or_else(|| {
            if image.host == words::DOCKER_HUB {
                "Docker Hub".to_string()
            } else {
                image.host.clone()
            }
        })
}

fn registry_views(repo: &Repo, commands: &[CommandView]) -> Vec<RegistryView> {
    repo.registries
        .iter()
        .map(|r| {
            let host = words::registry_host(&r.spec.url);
            let mut images: Vec<String> = commands
                .iter()
                .filter_map(|c| c.image.as_ref())
                .filter(|i| i.host == host)
                .map(|i| i.repository.clone())
                .collect();
            images.sort();
            images.dedup();
            RegistryView {
                name: r.spec.name.clone(),
                // The URL is where pulls go, not a credential; userinfo in it would be.
                url: strip_userinfo(&r.spec.url),
                host,
                default: r.spec.default,
                authenticated: r.spec.has_credentials() || r.spec.username.is_some(),
                images,
            }
        })
        .collect()
}

fn strip_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

fn backend_view(b: &crate::model::ComputeBackend) -> BackendView {
    let mut settings = Vec::new();
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(b) {
        for (k, v) in fields {
            if k == "name" || k == "backend" {
                continue;
            }
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            settings.push((k, text));
        }
    }
    BackendView {
        name: b.name.clone(),
        kind: b.backend.as_str().to_string(),
        settings,
    }
}

#[allow(clippy::too_many_arguments)]
fn scope_view(
    id: &str,
    url: &str,
    settings: &[WrapperSetting],
    file: &str,
    repo: &Repo,
    commands: &[CommandView],
    index_of: &dyn Fn(&str) -> Option<usize>,
    site_enabled: Option<&HashSet<(usize, String)>>,
) -> ScopeView {
    let wrappers = settings
        .iter()
        .map(|s| {
            let index = index_of(&s.command);
            let view = index.map(|i| &commands[i]);
            let sensitive = index
                .map(|i| sensitive_inputs(&repo.commands[i].spec))
                .unwrap_or_default();
            ScopeWrapper {
                command: s.command.clone(),
                command_slug: view.map(|v| v.slug.clone()),
                command_title: view.map_or_else(|| s.command.clone(), |v| v.title.clone()),
                wrapper: s.wrapper.clone(),
                wrapper_anchor: super::command_view::wrapper_anchor(&s.wrapper),
                enabled: s.enabled,
                site_enabled: site_enabled
                    .zip(index)
                    .map(|(set, i)| set.contains(&(i, s.wrapper.clone()))),
                // No `config` means xcs leaves XNAT's configuration alone: nothing to show.
                inputs: s
                    .config
                    .iter()
                    .flat_map(|c| c.inputs.iter())
                    .map(|(name, o)| {
                        let mut settings = Vec::new();
                        if let Some(v) = &o.default_value {
                            let shown = if withhold_input(&sensitive, name, v) {
                                WITHHELD.to_string()
                            } else {
                                v.clone()
                            };
                            settings.push(("default".to_string(), shown));
                        }
                        if let Some(m) = &o.matcher {
                            settings.push(("matcher".to_string(), m.clone()));
                        }
                        if let Some(u) = o.user_settable {
                            settings.push(("user-settable".to_string(), yes_no(u)));
                        }
                        if let Some(a) = o.advanced {
                            settings.push(("advanced".to_string(), yes_no(a)));
                        }
                        ConfigRow {
                            name: name.clone(),
                            settings,
                        }
                    })
                    .collect(),
                outputs: s
                    .config
                    .iter()
                    .flat_map(|c| c.outputs.iter())
                    .map(|(name, o)| ConfigRow {
                        name: name.clone(),
                        settings: o
                            .label
                            .iter()
                            .map(|l| ("label".to_string(), l.clone()))
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    ScopeView {
        id: id.to_string(),
        slug: words::slug(id),
        url: url.to_string(),
        wrappers,
        automations: Vec::new(),
        source_file: file.to_string(),
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// "a session is archived": event type and status in plain words.
fn event_words(a: &Automation) -> String {
    let object = match a.event.short_type() {
        "ProjectEvent" => "a project",
        "SubjectEvent" => "a subject",
        "SessionEvent" => "a session",
        "ScanEvent" => "a scan",
        "SubjectAssessorEvent" => "a subject assessor",
        "ImageAssessorEvent" => "an image assessor",
        "ProjectAssetEvent" => "a project asset",
        "ScheduledEvent" => "the schedule",
        other => other,
    };
    let status = a.event.status.to_lowercase();
    if a.event.short_type() == "ScheduledEvent" {
        format!("{object} fires")
    } else {
        format!("{object} is {status}")
    }
}

fn automation_view(
    a: &Automation,
    repo: &Repo,
    commands: &[CommandView],
    index_of: &dyn Fn(&str) -> Option<usize>,
) -> AutomationView {
    let index = index_of(&a.command);
    let view = index.map(|i| &commands[i]);
    let sensitive = index
        .map(|i| sensitive_inputs(&repo.commands[i].spec))
        .unwrap_or_default();
    AutomationView {
        name: a.name.clone(),
        project_slug: a.project.as_deref().map(words::slug),
        project: a.project.clone(),
        when: event_words(a),
        event_type: a.event.short_type().to_string(),
        status: a.event.status.clone(),
        payload_filter: a.event.payload_filter.clone(),
        command: a.command.clone(),
        command_slug: view.map(|v| v.slug.clone()),
        command_title: view.map_or_else(|| a.command.clone(), |v| v.title.clone()),
        wrapper: a.wrapper.clone(),
        inputs: a
            .inputs
            .iter()
            .map(|(k, v)| {
                let shown = if withhold_input(&sensitive, k, v) {
                    WITHHELD.to_string()
                } else {
                    v.clone()
                };
                (k.clone(), shown)
            })
            .collect(),
        active: a.active,
        act_as_event_user: a.act_as_event_user,
    }
}

/// Setup and wrap-up commands, both ways: each `via-setup-command` / `via-wrapup-command`
/// links to the command it names (image and, when given, name, as validation resolves it), and
/// that command lists who runs it.
fn link_helpers(commands: &mut [CommandView]) {
    use super::chain::{Helper, UsedBy};
    let by_image: HashMap<&str, Vec<usize>> =
        commands
            .iter()
            .enumerate()
            .fold(HashMap::new(), |mut map, (i, c)| {
                if let Some(image) = &c.image {
                    map.entry(image.full.as_str()).or_default().push(i);
                }
                map
            });
    let resolve = |h: &Helper, wanted: &str| -> Option<usize> {
        let (image, name) = crate::validate::references::parse_via(&h.reference)?;
        by_image.get(image.as_str())?.iter().copied().find(|&i| {
            let c = &commands[i];
            name.as_deref().is_none_or(|n| c.name == n) && c.command_type == wanted
        })
    };
    // (helper index, user index, wrapper, wrapper anchor, role, by), then filled in.
    let mut found: Vec<(usize, usize, usize, usize, Option<usize>)> = Vec::new();
    for (ci, c) in commands.iter().enumerate() {
        for (wi, w) in c.wrappers.iter().enumerate() {
            for (k, ch) in w.chains.iter().enumerate() {
                if let Some(t) = ch.setup.as_ref().and_then(|h| resolve(h, "docker-setup")) {
                    found.push((t, ci, wi, k, None));
                }
            }
            for (k, h) in w.handlers.iter().enumerate() {
                if let Some(t) = h
                    .via_wrapup
                    .as_ref()
                    .and_then(|h| resolve(h, "docker-wrapup"))
                {
                    found.push((t, ci, wi, k, Some(k)));
                }
            }
        }
    }
    for (target, ci, wi, k, handler) in found {
        let (slug, title) = (
            commands[target].slug.clone(),
            commands[target].title.clone(),
        );
        let w = &mut commands[ci].wrappers[wi];
        let (helper, by, role) = match handler {
            None => {
                let ch = &mut w.chains[k];
                let by = ch.steps.last().map(|s| s.name.clone()).unwrap_or_default();
                (ch.setup.as_mut(), by, "setup")
            }
            Some(h) => {
                let h = &mut w.handlers[h];
                (h.via_wrapup.as_mut(), h.name.clone(), "wrap-up")
            }
        };
        if let Some(helper) = helper {
            helper.slug = Some(slug);
            helper.title = Some(title);
        }
        let used = UsedBy {
            slug: commands[ci].slug.clone(),
            title: commands[ci].title.clone(),
            wrapper: commands[ci].wrappers[wi].name.clone(),
            wrapper_anchor: commands[ci].wrappers[wi].anchor.clone(),
            role,
            by,
        };
        commands[target].used_by.push(used);
    }
}

/// One page per image repository: slugs that collide (`lab/qc-tools` and `lab-qc/tools` both
/// make `lab-qc-tools`) get a counter, in a stable order, so two images never share a page.
fn unique_image_slugs(commands: &mut [CommandView]) {
    let repos: BTreeMap<(String, String), String> = commands
        .iter()
        .filter_map(|c| Some((c.image.as_ref()?, c.image_slug.clone()?)))
        .map(|(i, slug)| ((i.host.clone(), i.repository.clone()), slug))
        .collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut slugs: HashMap<(String, String), String> = HashMap::new();
    for (key, base) in repos {
        let mut slug = base.clone();
        let mut n = 2;
        while !used.insert(slug.clone()) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        slugs.insert(key, slug);
    }
    for c in commands.iter_mut() {
        if let Some(i) = &c.image {
            c.image_slug = slugs.get(&(i.host.clone(), i.repository.clone())).cloned();
        }
    }
}

fn image_views(commands: &[CommandView]) -> Vec<ImageView> {
    let mut by_slug: BTreeMap<String, ImageView> = BTreeMap::new();
    for c in commands {
        let (Some(image), Some(slug)) = (&c.image, &c.image_slug) else {
            continue;
        };
        let entry = by_slug.entry(slug.clone()).or_insert_with(|| ImageView {
            slug: slug.clone(),
            url: format!("images/{slug}/"),
            host: image.host.clone(),
            repository: image.repository.clone(),
            registry: c.registry.clone().unwrap_or_default(),
            web_url: registry_web_url(&image.host, &image.repository),
            pulls: Vec::new(),
            size: None,
            commands: Vec::new(),
        });
        let pull = match &image.digest {
            Some(d) => format!("docker pull {}@{d}", pull_name(image)),
            None => format!("docker pull {}", image.full),
        };
        if !entry.pulls.contains(&pull) {
            entry.pulls.push(pull);
        }
        entry.commands.push(ImageCommand {
            slug: c.slug.clone(),
            title: c.title.clone(),
            version: c.version.clone(),
            reference: image.full.clone(),
            tag: image.tag.clone(),
            digest: image.digest.clone(),
        });
    }
    by_slug.into_values().collect()
}

/// `host/repository` as `docker pull` takes it (no host for Docker Hub).
fn pull_name(image: &ImageRef) -> String {
    if image.host == words::DOCKER_HUB {
        image.repository.clone()
    } else {
        format!("{}/{}", image.host, image.repository)
    }
}

/// The web page of an image on the public registries that have one.
fn registry_web_url(host: &str, repository: &str) -> Option<String> {
    match host {
        words::DOCKER_HUB => Some(match repository.strip_prefix("library/") {
            Some(official) => format!("https://hub.docker.com/_/{official}"),
            None => format!("https://hub.docker.com/r/{repository}"),
        }),
        "quay.io" => Some(format!("https://quay.io/repository/{repository}")),
        "ghcr.io" => {
            let (owner, name) = repository.split_once('/')?;
            Some(format!(
                "https://github.com/{owner}/{name}/pkgs/container/{name}"
            ))
        }
        _ => None,
    }
}

fn facets(commands: &[CommandView], projects: &[ScopeView], declared_site: bool) -> Vec<Facet> {
    fn facet(
        key: &'static str,
        title: &'static str,
        order: &[&str],
        values: impl Fn(&CommandView) -> Vec<String>,
        commands: &[CommandView],
    ) -> Facet {
        let mut by_value: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, c) in commands.iter().enumerate() {
            let mut vs = values(c);
            vs.sort();
            vs.dedup();
            for v in vs {
                by_value.entry(v).or_default().push(i);
            }
        }
        let rank = |v: &str| order.iter().position(|o| *o == v).unwrap_or(order.len());
        let mut values: Vec<FacetValue> = by_value
            .into_iter()
            .map(|(value, commands)| {
                let slug = words::slug(&value);
                FacetValue {
                    url: format!("browse/{key}/{slug}/"),
                    slug,
                    count: commands.len(),
                    commands,
                    value,
                }
            })
            .collect();
        values.sort_by(|a, b| {
            rank(&a.value)
                .cmp(&rank(&b.value))
                .then(a.value.cmp(&b.value))
        });
        Facet { key, title, values }
    }
    let mut project_order: Vec<&str> = vec!["whole site"];
    project_order.extend(projects.iter().map(|p| p.id.as_str()));
    vec![
        facet(
            "context",
            "Runs on",
            &words::OBJECTS,
            |c| c.contexts.iter().map(|x| x.object.to_string()).collect(),
            commands,
        ),
        facet(
            "registry",
            "Registry",
            &[],
            |c| c.registry.iter().cloned().collect(),
            commands,
        ),
        facet(
            "gpu",
            "GPU",
            &["needs a GPU", "CPU only"],
            |c| {
                vec![
                    if c.needs_gpu() {
                        "needs a GPU"
                    } else {
                        "CPU only"
                    }
                    .to_string(),
                ]
            },
            commands,
        ),
        facet(
            "memory",
            "Memory",
            &words::MEMORY_BUCKETS,
            |c| vec![c.memory_bucket.to_string()],
            commands,
        ),
        facet(
            "tag",
            "Tags",
            &[],
            |c| c.tags.iter().map(|t| t.to_lowercase()).collect(),
            commands,
        ),
        facet(
            "project",
            "Enabled in",
            &project_order,
            |c| {
                let mut v: Vec<String> = c.projects.iter().map(|p| p.id.clone()).collect();
                if declared_site && !c.site_wrappers.is_empty() {
                    v.push("whole site".to_string());
                }
                v
            },
            commands,
        ),
    ]
    .into_iter()
    .filter(|f| !f.values.is_empty())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::strip_userinfo;

    #[test]
    fn registry_urls_lose_their_userinfo() {
        assert_eq!(
            strip_userinfo("https://bob:hunter2@reg.example.org/v2/"),
            "https://reg.example.org/v2/"
        );
        assert_eq!(
            strip_userinfo("https://reg.example.org"),
            "https://reg.example.org"
        );
    }
}

//! Catalog → files: the minijinja templates and static assets (embedded in the binary from
//! `site/templates` and `site/static`, so an installed `xcs` needs nothing beside it), every
//! page, and the JSON API.

use super::SiteError;
use super::catalog::{Catalog, CommandFacets, Facet};
use super::command_view::CommandView;
use super::schema_doc::{self, SchemaDoc};
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, context};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

/// Commands per list page: keeps a catalog of thousands under a few hundred KB a page.
pub const PER_PAGE: usize = 100;

/// The Content-Security-Policy of every page. Scripts and styles come only from the site;
/// `'wasm-unsafe-eval'` lets Pagefind compile its WebAssembly, and its worker and index
/// chunks load from the site too. No inline script or style anywhere.
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'";

macro_rules! embedded {
    ($dir:literal: $($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/site/", $dir, "/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = embedded!("templates":
    "base.html", "macros.html", "index.html", "list.html", "command.html", "images.html",
    "image.html", "projects.html", "scope.html", "registries.html", "schemas.html",
    "schema.html", "404.html", "problems.html", "refused.html", "versions.html",
);

/// Static assets, copied under `static/`.
pub const STATIC: &[(&str, &str)] = embedded!("static": "site.css", "site.js", "favicon.svg");

/// One file of the built site, by path relative to its root (`/`-separated).
#[derive(Debug)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    pub fn new() -> Result<Renderer, SiteError> {
        let mut env = Environment::new();
        // Every template is HTML: escape everything, whatever its name.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| SiteError::Template {
                name: "syntax".to_string(),
                message: e.to_string(),
            })?;
        env.set_syntax(syntax);
        // minijinja's HTML escaping also escapes `/`, which is safe but makes every path
        // `&#x2f;`; this escapes exactly what HTML needs and defers to it for everything else.
        env.set_formatter(|out, state, value| {
            if *state.auto_escape() == AutoEscape::Html
                && !value.is_safe()
                && let Some(text) = value.as_str()
            {
                return out.write_str(&escape(text)).map_err(|_| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write failed")
                });
            }
            minijinja::escape_formatter(out, state, value)
        });
        env.add_filter("code_spans", code_spans);
        env.add_filter("anchor", |s: &str| super::command_view::anchor(s));
        // A tag's browse page (`browse/tag/<slug>/`), as the tag facet names it.
        env.add_filter("tag_slug", |s: &str| super::words::slug(&s.to_lowercase()));
        env.add_filter("wrapper_anchor", |s: &str| {
            super::command_view::wrapper_anchor(s)
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| SiteError::Template {
                    name: (*name).to_string(),
                    message: format!("{e:#}"),
                })?;
        }
        Ok(Renderer { env })
    }

    /// Render `template` as the page at `path`; `root` is the relative way back to the site
    /// root, so the site works from any directory of any server (e.g. a GitHub Pages subpath).
    pub fn page(&self, template: &str, path: &str, ctx: Value) -> Result<OutputFile, SiteError> {
        let depth = path.matches('/').count();
        self.page_at(template, path, &"../".repeat(depth), ctx)
    }

    /// The same with an explicit `root`: an absolute base path for pages served from anywhere
    /// (the 404 page, the dev server's problems page).
    pub fn page_at(
        &self,
        template: &str,
        path: &str,
        root: &str,
        ctx: Value,
    ) -> Result<OutputFile, SiteError> {
        let t = self
            .env
            .get_template(template)
            .map_err(|e| SiteError::Template {
                name: template.to_string(),
                message: format!("{e:#}"),
            })?;
        let full = context! { root => root, csp => CSP, path => path, ..ctx };
        let html = t.render(full).map_err(|e| SiteError::Template {
            name: format!("{template} ({path})"),
            message: format!("{e:#}"),
        })?;
        Ok(OutputFile {
            path: path.to_string(),
            bytes: html.into_bytes(),
        })
    }
}

/// Descriptions use Markdown-style backticks for code; show those as `<code>`, escape the rest.
fn code_spans(text: &str) -> Value {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in text.split('`').enumerate() {
        let escaped = escape(part);
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&escaped);
            out.push_str("</code>");
        } else {
            out.push_str(&escaped);
        }
    }
    Value::from_safe_string(out)
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// What a list shows of a command.
#[derive(Debug, Serialize)]
pub struct Card<'a> {
    pub url: &'a str,
    pub title: &'a str,
    pub name: &'a str,
    pub version: Option<&'a str>,
    pub summary: &'a str,
    pub image: Option<&'a str>,
    pub contexts: Vec<&'a str>,
    pub tags: &'a [String],
    pub gpu: bool,
    pub memory: &'static str,
}

impl<'a> Card<'a> {
    pub fn of(c: &'a CommandView) -> Card<'a> {
        let mut contexts: Vec<&str> = c.contexts.iter().map(|x| x.words.as_str()).collect();
        contexts.dedup();
        Card {
            url: &c.url,
            title: &c.title,
            name: &c.name,
            version: c.version.as_deref(),
            summary: &c.summary,
            image: c.image.as_ref().map(|i| i.full.as_str()),
            contexts,
            tags: &c.tags,
            gpu: c.needs_gpu(),
            memory: c.memory_bucket,
        }
    }
}

#[derive(Debug, Serialize)]
struct Pager {
    page: usize,
    pages: usize,
    /// Paths (relative to the site root) of the previous and next pages.
    prev: Option<String>,
    next: Option<String>,
}

/// `base/` for page 1, `base/page/N/` after.
fn page_url(base: &str, page: usize) -> String {
    if page <= 1 {
        base.to_string()
    } else {
        format!("{base}page/{page}/")
    }
}

/// The indices of page `page` (from 1) of a list of `total`.
fn page_range(page: usize, total: usize) -> (usize, usize) {
    let start = ((page.max(1) - 1) * PER_PAGE).min(total);
    (start, (start + PER_PAGE).min(total))
}

/// A row of the images index.
#[derive(Debug, Serialize)]
struct ImageRow<'a> {
    url: &'a str,
    repository: &'a str,
    registry: &'a str,
    commands: usize,
}

/// One page of an image: the image's facts with one page of its commands.
#[derive(Debug, Serialize)]
struct ImagePage<'a> {
    slug: &'a str,
    url: &'a str,
    host: &'a str,
    repository: &'a str,
    registry: &'a str,
    web_url: Option<&'a str>,
    pulls: &'a [String],
    size: Option<u64>,
    commands: &'a [super::catalog::ImageCommand],
}

impl<'a> ImagePage<'a> {
    fn of(
        image: &'a super::catalog::ImageView,
        commands: &'a [super::catalog::ImageCommand],
    ) -> Self {
        ImagePage {
            slug: &image.slug,
            url: &image.url,
            host: &image.host,
            repository: &image.repository,
            registry: &image.registry,
            web_url: image.web_url.as_deref(),
            pulls: &image.pulls,
            size: image.size,
            commands,
        }
    }
}

fn pager(base: &str, page: usize, total: usize) -> Pager {
    let pages = total.div_ceil(PER_PAGE).max(1);
    Pager {
        page,
        pages,
        prev: (page > 1).then(|| page_url(base, page - 1)),
        next: (page < pages).then(|| page_url(base, page + 1)),
    }
}

enum Job {
    CommandList(usize),
    Command(usize),
    Facet(usize, usize, usize),
    Images(usize),
    Image(usize, usize),
    Projects,
    Site,
    Project(usize),
    Registries,
    Schemas,
    Schema(usize),
    NotFound,
    Refused,
    Versions(usize),
}

/// Every page and JSON file of the catalog, handed to `sink` as each is made.
/// `base` is the absolute path the site is published at (for the 404 page).
pub fn render(
    catalog: &Catalog,
    renderer: &Renderer,
    facets: &[CommandFacets],
    base: &str,
    sink: &(dyn Fn(OutputFile) -> Result<(), SiteError> + Sync),
) -> Result<(), SiteError> {
    let schemas = schema_doc::docs();
    let mut jobs = Vec::new();
    let pages = catalog.commands.len().div_ceil(PER_PAGE).max(1);
    jobs.extend((1..=pages).map(Job::CommandList));
    jobs.extend((0..catalog.commands.len()).map(Job::Command));
    for (fi, f) in catalog.facets.iter().enumerate() {
        for (vi, v) in f.values.iter().enumerate() {
            let pages = v.count.div_ceil(PER_PAGE).max(1);
            jobs.extend((1..=pages).map(|p| Job::Facet(fi, vi, p)));
        }
    }
    // Images and each image's commands are paginated like the command list: one image of
    // thousands of commands still makes pages of a hundred rows.
    let pages = catalog.images.len().div_ceil(PER_PAGE).max(1);
    jobs.extend((1..=pages).map(Job::Images));
    for (i, image) in catalog.images.iter().enumerate() {
        let pages = image.commands.len().div_ceil(PER_PAGE).max(1);
        jobs.extend((1..=pages).map(|p| Job::Image(i, p)));
    }
    jobs.push(Job::Projects);
    if catalog.site.is_some() {
        jobs.push(Job::Site);
    }
    jobs.extend((0..catalog.projects.len()).map(Job::Project));
    jobs.push(Job::Registries);
    jobs.push(Job::Schemas);
    jobs.extend((0..schemas.len()).map(Job::Schema));
    jobs.push(Job::NotFound);
    if !catalog.refused.is_empty() {
        jobs.push(Job::Refused);
    }
    jobs.extend((0..catalog.versions.len()).map(Job::Versions));

    let nav = nav(catalog);
    jobs.par_iter().try_for_each(|job| {
        for file in render_job(job, catalog, facets, &schemas, &nav, renderer, base)? {
            sink(file)?;
        }
        Ok::<(), SiteError>(())
    })?;
    for (name, text) in STATIC {
        sink(OutputFile {
            path: format!("static/{name}"),
            bytes: text.as_bytes().to_vec(),
        })?;
    }
    sink(api_index(catalog, facets))
}

/// Counts for the header navigation.
fn nav(catalog: &Catalog) -> Value {
    Value::from(Serde(json!({
        "commands": catalog.commands.len(),
        "images": catalog.images.len(),
        "projects": catalog.projects.len(),
        "registries": catalog.registries.len(),
        "has_backend": catalog.backend.is_some(),
        "refused": catalog.refused.len(),
    })))
}

fn render_job(
    job: &Job,
    catalog: &Catalog,
    facets: &[CommandFacets],
    schemas: &[SchemaDoc],
    nav: &Value,
    r: &Renderer,
    base: &str,
) -> Result<Vec<OutputFile>, SiteError> {
    let cards = |indices: &mut dyn Iterator<Item = usize>| -> Vec<Card<'_>> {
        indices.map(|i| Card::of(&catalog.commands[i])).collect()
    };
    let file = match job {
        Job::CommandList(page) => {
            let start = (page - 1) * PER_PAGE;
            let end = (start + PER_PAGE).min(catalog.commands.len());
            let list = cards(&mut (start..end));
            let pager = pager("", *page, catalog.commands.len());
            let ctx = context! {
                nav => nav.clone(),
                section => "commands",
                commands => Value::from(Serde(&list)),
                total => catalog.commands.len(),
                first => start + 1,
                pager => Value::from(Serde(&pager)),
                facets => Value::from(Serde(&catalog.facets)),
                sources => Value::from(Serde(&catalog.sources)),
            };
            if *page == 1 {
                r.page("index.html", "index.html", ctx)?
            } else {
                r.page(
                    "list.html",
                    &format!("{}index.html", page_url("", *page)),
                    context! { heading => "All commands", ..ctx },
                )?
            }
        }
        Job::Command(i) => {
            let c = &catalog.commands[*i];
            // Made per page, not kept in the catalog: three more copies of every command
            // would stay in memory for the whole build.
            let snippets = super::snippets::snippets(&c.json, &c.slug);
            let ctx = context! {
                nav => nav.clone(),
                section => "commands",
                c => Value::from(Serde(c)),
                snippets => Value::from(Serde(&snippets)),
                facets => Value::from(Serde(&facets[*i])),
                history_available => catalog.history_available,
                site_declared => catalog.site.is_some(),
            };
            let page = r.page("command.html", &format!("{}index.html", c.url), ctx)?;
            let raw = raw_json(c, snippets.json);
            return Ok(vec![page, command_json(c, &facets[*i])?, raw]);
        }
        Job::Facet(fi, vi, page) => {
            let f: &Facet = &catalog.facets[*fi];
            let v = &f.values[*vi];
            let start = (page - 1) * PER_PAGE;
            let end = (start + PER_PAGE).min(v.commands.len());
            let list = cards(&mut v.commands[start..end].iter().copied());
            let pager = pager(&v.url, *page, v.commands.len());
            r.page(
                "list.html",
                &format!("{}index.html", page_url(&v.url, *page)),
                context! {
                    nav => nav.clone(),
                    section => "commands",
                    heading => format!("{}: {}", f.title, v.value),
                    facet => Value::from(Serde(f)),
                    value => v.value.clone(),
                    commands => Value::from(Serde(&list)),
                    total => v.count,
                    first => start + 1,
                    pager => Value::from(Serde(&pager)),
                },
            )?
        }
        Job::Images(page) => {
            let (start, end) = page_range(*page, catalog.images.len());
            let rows: Vec<ImageRow> = catalog.images[start..end]
                .iter()
                .map(|i| ImageRow {
                    url: &i.url,
                    repository: &i.repository,
                    registry: &i.registry,
                    commands: i.commands.len(),
                })
                .collect();
            let pager = pager("images/", *page, catalog.images.len());
            r.page(
                "images.html",
                &format!("{}index.html", page_url("images/", *page)),
                context! {
                    nav => nav.clone(),
                    section => "images",
                    images => Value::from(Serde(&rows)),
                    total => catalog.images.len(),
                    pager => Value::from(Serde(&pager)),
                },
            )?
        }
        Job::Image(i, page) => {
            let image = &catalog.images[*i];
            let (start, end) = page_range(*page, image.commands.len());
            let pager = pager(&image.url, *page, image.commands.len());
            r.page(
                "image.html",
                &format!("{}index.html", page_url(&image.url, *page)),
                context! {
                    nav => nav.clone(),
                    section => "images",
                    image => Value::from(Serde(ImagePage::of(image, &image.commands[start..end]))),
                    total => image.commands.len(),
                    first => start + 1,
                    pager => Value::from(Serde(&pager)),
                },
            )?
        }
        Job::Projects => r.page(
            "projects.html",
            "projects/index.html",
            context! {
                nav => nav.clone(),
                section => "projects",
                site => Value::from(Serde(&catalog.site)),
                projects => Value::from(Serde(&catalog.projects)),
                automations => Value::from(Serde(&catalog.automations)),
            },
        )?,
        Job::Site => {
            let Some(site) = &catalog.site else {
                return Ok(Vec::new());
            };
            r.page(
                "scope.html",
                "site/index.html",
                context! { nav => nav.clone(), section => "projects", scope => Value::from(Serde(site)), is_site => true },
            )?
        }
        Job::Project(i) => {
            let p = &catalog.projects[*i];
            r.page(
                "scope.html",
                &format!("{}index.html", p.url),
                context! {
                    nav => nav.clone(),
                    section => "projects",
                    scope => Value::from(Serde(p)),
                    is_site => false,
                    site_declared => catalog.site.is_some(),
                },
            )?
        }
        Job::Registries => r.page(
            "registries.html",
            "registries/index.html",
            context! {
                nav => nav.clone(),
                section => "registries",
                registries => Value::from(Serde(&catalog.registries)),
                backend => Value::from(Serde(&catalog.backend)),
            },
        )?,
        Job::Schemas => r.page(
            "schemas.html",
            "schema/index.html",
            context! { nav => nav.clone(), section => "schema", schemas => Value::from(Serde(schemas)) },
        )?,
        Job::Schema(i) => {
            let s = &schemas[*i];
            r.page(
                "schema.html",
                &format!("{}index.html", s.url),
                context! { nav => nav.clone(), section => "schema", schema => Value::from(Serde(s)) },
            )?
        }
        // Servers answer every missing path with this page, at any depth: its links start
        // from the published base path, not from where the page file is.
        Job::NotFound => r.page_at(
            "404.html",
            "404.html",
            base,
            context! { nav => nav.clone(), section => "" },
        )?,
        Job::Versions(i) => {
            let v = &catalog.versions[*i];
            r.page(
                "versions.html",
                &format!("{}index.html", v.url),
                context! { nav => nav.clone(), section => "commands", v => Value::from(Serde(v)) },
            )?
        }
        Job::Refused => r.page(
            "refused.html",
            "refused/index.html",
            context! { nav => nav.clone(), section => "refused", refused => Value::from(Serde(&catalog.refused)) },
        )?,
    };
    Ok(vec![file])
}

/// The JSON API is for programs: compact, a tenth smaller at ten thousand commands.
fn compact(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The JSON API's record of one command: the catalog's view plus XNAT's Command JSON.
fn command_record(c: &CommandView, facets: &CommandFacets) -> serde_json::Value {
    json!({
        "slug": c.slug,
        "name": c.name,
        "label": c.label,
        "version": c.version,
        "description": c.description,
        "image": c.image.as_ref().map(|i| &i.full),
        "digest": c.image.as_ref().and_then(|i| i.digest.as_ref()),
        "registry": c.registry,
        "visibility": c.visibility,
        "type": c.command_type,
        "contexts": c.contexts.iter().map(|x| &x.xsi).collect::<Vec<_>>(),
        "tags": c.tags,
        "facets": facets,
        "page": c.url,
        "api": format!("api/commands/{}.json", c.slug),
        "raw": format!("{}{}.json", c.url, c.slug),
    })
}

fn command_json(c: &CommandView, facets: &CommandFacets) -> Result<OutputFile, SiteError> {
    let mut record = command_record(c, facets);
    if let serde_json::Value::Object(fields) = &mut record {
        fields.insert("api_version".into(), json!(1));
        fields.insert(
            "enabled".into(),
            json!({
                "site": c.site_wrappers,
                "projects": c.projects.iter().map(|p| json!({"project": p.id, "wrappers": p.wrappers})).collect::<Vec<_>>(),
            }),
        );
        fields.insert("automations".into(), json!(c.automations));
        fields.insert("history".into(), json!(c.history));
        fields.insert("source_file".into(), json!(c.source_file));
        fields.insert("command".into(), c.json.clone());
    }
    Ok(OutputFile {
        path: format!("api/commands/{}.json", c.slug),
        bytes: compact(&record),
    })
}

/// XNAT's Command JSON alone: what `POST /xapi/commands` takes (`pretty`, as the install
/// snippet shows it).
fn raw_json(c: &CommandView, pretty: String) -> OutputFile {
    let mut bytes = pretty.into_bytes();
    bytes.push(b'\n');
    OutputFile {
        path: format!("{}{}.json", c.url, c.slug),
        bytes,
    }
}

fn api_index(catalog: &Catalog, facets: &[CommandFacets]) -> OutputFile {
    let commands: Vec<serde_json::Value> = catalog
        .commands
        .iter()
        .zip(facets)
        .map(|(c, f)| command_record(c, f))
        .collect();
    OutputFile {
        path: "api/commands.json".to_string(),
        bytes: compact(&json!({ "api_version": 1, "count": commands.len(), "commands": commands })),
    }
}

//! The command catalog website: a static site of the repo's commands (with search, filters and
//! a JSON API) that any static web server can publish.
//!
//! `validate` → [`catalog::Catalog`] (the model plus git history, in plain words and masked) →
//! [`render`] (minijinja templates from `site/templates`) + [`search`] (Pagefind) → files,
//! written to a staging directory and swapped into place. [`serve`] serves the result and
//! rebuilds it on change.

pub mod catalog;
pub mod command_view;
pub mod history;
pub mod masking;
pub mod render;
pub mod schema_doc;
pub mod search;
pub mod serve;
pub mod snippets;
pub mod words;

use crate::load::{LoadError, Source};
use crate::validate::Validation;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Marks a directory as one `xcs site build` wrote, so a rebuild may replace it.
pub const MARKER: &str = ".xcs-site";

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Environment(#[from] crate::model::environment::OverlayError),
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("search index: {0}")]
    Search(String),
    #[error("file watcher: {0}")]
    Watch(String),
    #[error("git history: {0}")]
    Git(#[from] git2::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "output directory {out} is inside the declaration directory {dir}: its JSON files would be read as declarations; choose a directory outside it"
    )]
    OutInsideRepo { out: PathBuf, dir: PathBuf },
    #[error(
        "output directory {0} exists and was not written by `xcs site build` (no {MARKER} file); refusing to replace it"
    )]
    NotASiteDir(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SiteError + '_ {
    move |source| SiteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The declaration repo.
    pub dir: PathBuf,
    /// Build from this git revision instead of the work tree.
    pub rev: Option<String>,
    pub out: PathBuf,
    /// Build the catalog as this environment sees the repo.
    pub env: Option<String>,
}

/// What a build did.
#[derive(Debug)]
pub struct BuildReport {
    pub commands: usize,
    /// HTML pages written.
    pub pages: usize,
    pub files: usize,
    pub bytes: u64,
    /// The largest HTML page, path and size.
    pub largest_page: (String, usize),
    pub elapsed: Duration,
    /// Validation (warnings only: a build with errors does not get here).
    pub validation: Validation,
}

#[derive(Debug)]
pub enum BuildOutcome {
    Built(BuildReport),
    /// Validation found errors; nothing was written.
    Invalid(Validation),
}

/// Validate the repo and, when it has no errors, build the site into `options.out`.
pub fn build(options: &BuildOptions) -> Result<BuildOutcome, SiteError> {
    let started = Instant::now();
    check_out_dir(options)?;
    let source = Source::new(&options.dir, options.rev.as_deref());
    let which = options.env.as_deref().map_or(
        crate::validate::Environments::All,
        crate::validate::Environments::Only,
    );
    let mut validation = crate::validate::validate_source_with(&source, which)?;
    if validation.has_errors() {
        return Ok(BuildOutcome::Invalid(validation));
    }
    if let Some(name) = &options.env {
        validation.repo = crate::model::environment::for_environment(&validation.repo, name)?;
    }
    let paths: HashSet<String> = validation
        .repo
        .commands
        .iter()
        .map(|c| c.origin.rel.to_string())
        .collect();
    let history = history::read(&options.dir, options.rev.as_deref(), &paths)?;
    let catalog = catalog::Catalog::build(&validation.repo, &history);
    let renderer = render::Renderer::new()?;
    let staging = Staging::new(&options.out)?;
    let facets = catalog.facets_by_command();
    // Pagefind indexes on one thread while the pages render and are written on the others:
    // on a small machine the build is as long as the longer of the two, not their sum.
    std::thread::scope(|scope| {
        let search = scope.spawn(|| -> Result<(), SiteError> {
            for f in search::index(&catalog, &facets)? {
                staging.put(f)?;
            }
            Ok(())
        });
        let pages = render::render(&catalog, &renderer, &facets, &|f| staging.put(f));
        let search = search
            .join()
            .unwrap_or_else(|_| Err(SiteError::Search("the indexing thread panicked".into())));
        pages.and(search)
    })?;
    let stats = staging.finish()?;
    Ok(BuildOutcome::Built(BuildReport {
        commands: catalog.commands.len(),
        pages: stats.pages,
        files: stats.files,
        bytes: stats.bytes,
        largest_page: stats.largest_page,
        elapsed: started.elapsed(),
        validation,
    }))
}

/// The output must not be inside the declaration directory: the loader would read the JSON API
/// as declarations on the next run. (A hidden directory is fine: the loader skips those.)
fn check_out_dir(options: &BuildOptions) -> Result<(), SiteError> {
    // Refuse to replace a directory we did not write before doing any work (checked again at
    // the swap).
    let out = &options.out;
    if out.is_dir()
        && !out.join(MARKER).exists()
        && std::fs::read_dir(out).map_err(io(out))?.next().is_some()
    {
        return Err(SiteError::NotASiteDir(out.clone()));
    }
    let Ok(dir) = options.dir.canonicalize() else {
        return Ok(()); // Loading reports the missing directory.
    };
    let out = absolute(&options.out);
    if let Ok(rel) = out.strip_prefix(&dir)
        && !rel
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    {
        return Err(SiteError::OutInsideRepo {
            out: options.out.clone(),
            dir: options.dir.clone(),
        });
    }
    Ok(())
}

/// `path` made absolute with symlinks resolved as far as it exists.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => absolute(parent).join(name),
        _ => std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path)),
    }
}

#[derive(Debug, Default)]
struct Stats {
    pages: usize,
    files: usize,
    bytes: u64,
    largest_page: (String, usize),
}

/// A directory beside `out` that files are written into as they are made (so the whole site
/// never sits in memory), then swapped in: a server never shows a half-written site and a
/// failed build leaves the previous one.
struct Staging {
    dir: PathBuf,
    out: PathBuf,
    made: Mutex<HashSet<PathBuf>>,
    stats: Mutex<Stats>,
}

impl Staging {
    fn new(out: &Path) -> Result<Staging, SiteError> {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "site".to_string());
        let dir = out.with_file_name(format!(".{name}.xcs-partial"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Staging {
            dir,
            out: out.to_path_buf(),
            made: Mutex::new(HashSet::new()),
            stats: Mutex::new(Stats::default()),
        })
    }

    fn put(&self, file: render::OutputFile) -> Result<(), SiteError> {
        let path = self.dir.join(&file.path);
        if let Some(parent) = path.parent() {
            let new = self
                .made
                .lock()
                .map(|mut m| m.insert(parent.to_path_buf()))
                .unwrap_or(true);
            if new {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
        }
        std::fs::write(&path, &file.bytes).map_err(io(&path))?;
        if let Ok(mut s) = self.stats.lock() {
            s.files += 1;
            s.bytes += file.bytes.len() as u64;
            if file.path.ends_with(".html") {
                s.pages += 1;
                if file.bytes.len() > s.largest_page.1 {
                    s.largest_page = (file.path, file.bytes.len());
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Stats, SiteError> {
        let marker = self.dir.join(MARKER);
        std::fs::write(
            &marker,
            "built by xcs site build; the whole directory is replaced on rebuild\n",
        )
        .map_err(io(&marker))?;
        let out = &self.out;
        if out.exists() {
            let is_empty = std::fs::read_dir(out).map_err(io(out))?.next().is_none();
            if !is_empty && !out.join(MARKER).exists() {
                let _ = std::fs::remove_dir_all(&self.dir);
                return Err(SiteError::NotASiteDir(out.to_path_buf()));
            }
            std::fs::remove_dir_all(out).map_err(io(out))?;
        }
        std::fs::rename(&self.dir, out).map_err(io(out))?;
        Ok(self.stats.into_inner().unwrap_or_default())
    }
}

//! Where declarations come from: a directory on disk, or a directory inside a git revision.

use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not inside a git repository: {message}")]
    NotARepository { path: PathBuf, message: String },
    #[error("git revision `{rev}` not found: {message}")]
    UnknownRevision { rev: String, message: String },
    #[error("`{dir}` does not exist at revision `{rev}`")]
    NotInRevision { dir: String, rev: String },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

/// A declaration file, before parsing.
#[derive(Debug, Clone)]
pub struct RawFile {
    /// Path to show a person (as given on the command line, plus the file's place in the repo).
    pub path: Arc<str>,
    /// Path relative to the declaration repo's root, `/`-separated.
    pub rel: Arc<str>,
    pub content: Content,
}

/// Where a file's bytes are. Files on disk are read when they are parsed (in parallel, and
/// dropped right after), so a big repo is never all in memory at once.
#[derive(Debug, Clone)]
pub enum Content {
    Disk(PathBuf),
    Memory(Vec<u8>),
}

impl Content {
    pub fn read(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match self {
            Content::Disk(path) => std::fs::read(path).map(std::borrow::Cow::Owned),
            Content::Memory(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
        }
    }
}

/// A declaration repo: the work tree, or a revision of the git repository it lives in.
#[derive(Debug, Clone)]
pub enum Source {
    Dir(PathBuf),
    Git { dir: PathBuf, rev: String },
}

impl Source {
    pub fn new(dir: impl Into<PathBuf>, rev: Option<&str>) -> Source {
        match rev {
            None => Source::Dir(dir.into()),
            Some(rev) => Source::Git {
                dir: dir.into(),
                rev: rev.to_string(),
            },
        }
    }

    pub fn dir(&self) -> &Path {
        match self {
            Source::Dir(dir) | Source::Git { dir, .. } => dir,
        }
    }

    /// Every `.yaml`, `.yml` and `.json` file, sorted by path. Hidden files and directories
    /// (`.git`, `.github`) are not declarations and are skipped.
    pub fn files(&self) -> Result<Vec<RawFile>, LoadError> {
        let mut files = match self {
            Source::Dir(dir) => read_dir(dir)?,
            Source::Git { dir, rev } => read_git(dir, rev)?,
        };
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(files)
    }

    /// `xcs.lock` of this repo (of the revision, for a git source): its display path and text,
    /// `None` when there is none. For a single file, the lock beside it.
    pub fn lock_text(&self) -> Result<(Arc<str>, Option<String>), LoadError> {
        let name = crate::model::lock::LOCK_FILE;
        match self {
            Source::Dir(dir) => {
                let base = if dir.is_file() {
                    dir.parent().unwrap_or(Path::new(".")).to_path_buf()
                } else {
                    dir.clone()
                };
                let path = base.join(name);
                let shown = Arc::from(path.display().to_string());
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok((shown, Some(text))),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((shown, None)),
                    Err(source) => Err(LoadError::Io { path, source }),
                }
            }
            Source::Git { dir, rev } => {
                let (repo, within) = discover_repo(dir)?;
                let tree = tree_at(&repo, &within, rev)?;
                let shown = display_path(dir, name);
                let Ok(entry) = tree.get_path(Path::new(name)) else {
                    return Ok((shown, None));
                };
                let blob = repo.find_blob(entry.id())?;
                Ok((
                    shown,
                    Some(String::from_utf8_lossy(blob.content()).into_owned()),
                ))
            }
        }
    }
}

fn is_declaration_file(name: &str) -> bool {
    super::Format::of(name).is_some()
}

fn display_path(dir: &Path, rel: &str) -> Arc<str> {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        Arc::from(rel)
    } else {
        Arc::from(format!(
            "{}/{rel}",
            dir.display().to_string().trim_end_matches('/')
        ))
    }
}

fn read_dir(root: &Path) -> Result<Vec<RawFile>, LoadError> {
    let meta = std::fs::metadata(root).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound {
            path: root.to_path_buf(),
        },
        _ => LoadError::Io {
            path: root.to_path_buf(),
            source: e,
        },
    })?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LoadError::Io { path, source }
    };
    if meta.is_file() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(vec![RawFile {
            path: Arc::from(root.display().to_string()),
            rel: Arc::from(name),
            content: Content::Disk(root.to_path_buf()),
        }]);
    }
    let mut out = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    // Symlinked directories are followed once each, so a link cycle cannot loop.
    let mut visited = std::collections::HashSet::new();
    while let Some((dir, prefix)) = pending.pop() {
        if !visited.insert(dir.canonicalize().map_err(io(&dir))?) {
            continue;
        }
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let file_type = entry.file_type().map_err(io(&entry.path()))?;
            let is_dir = file_type.is_dir() || (file_type.is_symlink() && entry.path().is_dir());
            if is_dir {
                pending.push((entry.path(), rel));
            } else if is_declaration_file(&name) && (file_type.is_file() || entry.path().is_file())
            {
                out.push(RawFile {
                    path: display_path(root, &rel),
                    rel: Arc::from(rel),
                    content: Content::Disk(entry.path()),
                });
            }
        }
    }
    Ok(out)
}

/// Open the git repository that contains `dir`, and `dir`'s path inside it (`/`-separated,
/// empty for the repository root).
pub fn discover_repo(dir: &Path) -> Result<(git2::Repository, String), LoadError> {
    let repo = git2::Repository::discover(dir).map_err(|e| LoadError::NotARepository {
        path: dir.to_path_buf(),
        message: e.message().to_string(),
    })?;
    let workdir = repo.workdir().ok_or_else(|| LoadError::NotARepository {
        path: dir.to_path_buf(),
        message: "the repository is bare".to_string(),
    })?;
    let canon = |p: &Path| {
        p.canonicalize().map_err(|source| LoadError::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    let within = canon(dir)?
        .strip_prefix(canon(workdir)?)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    Ok((repo, within))
}

/// The tree of `dir` at `rev`.
pub fn tree_at<'r>(
    repo: &'r git2::Repository,
    within: &str,
    rev: &str,
) -> Result<git2::Tree<'r>, LoadError> {
    let object = repo
        .revparse_single(rev)
        .map_err(|e| LoadError::UnknownRevision {
            rev: rev.to_string(),
            message: e.message().to_string(),
        })?;
    let tree = object
        .peel_to_tree()
        .map_err(|e| LoadError::UnknownRevision {
            rev: rev.to_string(),
            message: e.message().to_string(),
        })?;
    if within.is_empty() {
        return Ok(tree);
    }
    let entry = tree
        .get_path(Path::new(within))
        .map_err(|_| LoadError::NotInRevision {
            dir: within.to_string(),
            rev: rev.to_string(),
        })?;
    let sub = entry
        .to_object(repo)?
        .peel_to_tree()
        .map_err(|_| LoadError::NotInRevision {
            dir: within.to_string(),
            rev: rev.to_string(),
        })?;
    Ok(sub)
}

fn read_git(dir: &Path, rev: &str) -> Result<Vec<RawFile>, LoadError> {
    let (repo, within) = discover_repo(dir)?;
    let tree = tree_at(&repo, &within, rev)?;
    let mut out = Vec::new();
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
        let name = entry.name().unwrap_or_default();
        if name.starts_with('.') {
            return git2::TreeWalkResult::Skip;
        }
        if entry.kind() == Some(git2::ObjectType::Blob) && is_declaration_file(name) {
            let rel = format!("{parent}{name}");
            match repo.find_blob(entry.id()) {
                Ok(blob) => out.push(RawFile {
                    path: display_path(dir, &rel),
                    rel: Arc::from(rel),
                    content: Content::Memory(blob.content().to_vec()),
                }),
                Err(e) => {
                    failure = Some(e);
                    return git2::TreeWalkResult::Abort;
                }
            }
        }
        git2::TreeWalkResult::Ok
    })?;
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(out),
    }
}

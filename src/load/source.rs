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

/// Where a file's bytes are. Files on disk and blobs of a git revision are read when they are
/// parsed (in parallel, and dropped right after), so a big repo is never all in memory at once.
#[derive(Debug, Clone)]
pub enum Content {
    Disk(PathBuf),
    Memory(Vec<u8>),
    Blob(GitBlob),
}

/// A blob of a git repository, named by its id: two revisions' files with the same id have the
/// same bytes, so what is known about one holds for the other.
#[derive(Debug, Clone)]
pub struct GitBlob {
    /// The repository's `.git` directory.
    pub repo: Arc<Path>,
    pub id: git2::Oid,
}

impl Content {
    pub fn read(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match self {
            Content::Disk(path) => std::fs::read(path).map(std::borrow::Cow::Owned),
            Content::Memory(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            Content::Blob(blob) => blob.read().map(std::borrow::Cow::Owned),
        }
    }

    /// The git blob id, for a file of a revision.
    pub fn blob_id(&self) -> Option<git2::Oid> {
        match self {
            Content::Blob(blob) => Some(blob.id),
            _ => None,
        }
    }
}

impl GitBlob {
    /// The blob's bytes. A repository handle is not shared between threads, so each thread
    /// that reads blobs opens the repository once.
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        thread_local! {
            static OPEN: std::cell::RefCell<Option<(Arc<Path>, git2::Repository)>> =
                const { std::cell::RefCell::new(None) };
        }
        let git = |e: git2::Error| std::io::Error::other(e.message().to_string());
        OPEN.with(|open| {
            let mut open = open.borrow_mut();
            if open.as_ref().is_none_or(|(dir, _)| *dir != self.repo) {
                *open = Some((
                    self.repo.clone(),
                    git2::Repository::open(&self.repo).map_err(git)?,
                ));
            }
            let Some((_, repo)) = open.as_ref() else {
                return Err(std::io::Error::other("git repository not open"));
            };
            Ok(repo.find_blob(self.id).map_err(git)?.content().to_vec())
        })
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
    // libgit2 hashes every object it reads again to check it; git itself does not (`git
    // fsck` does), and for 10,000 files it costs as much as parsing a tenth of them.
    git2::opts::strict_hash_verification(false);
    let git_dir: Arc<Path> = Arc::from(repo.path());
    let mut out = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
        let name = entry.name().unwrap_or_default();
        if name.starts_with('.') {
            return git2::TreeWalkResult::Skip;
        }
        if entry.kind() == Some(git2::ObjectType::Blob) && is_declaration_file(name) {
            let rel = format!("{parent}{name}");
            out.push(RawFile {
                path: display_path(dir, &rel),
                rel: Arc::from(rel),
                content: Content::Blob(GitBlob {
                    repo: git_dir.clone(),
                    id: entry.id(),
                }),
            });
        }
        git2::TreeWalkResult::Ok
    })?;
    Ok(out)
}

/// For each file of `base` (a git revision), the index of the file of `head` at the same path
/// that holds the same bytes, as git already knows without reading either: the same blob id
/// in two revisions; for a work tree, no change in git's diff of the base against it (its
/// index's record of each file's state), a regular file of the blob's size.
pub fn shared_files(
    base: &Source,
    base_files: &[RawFile],
    head: &Source,
    head_files: &[RawFile],
) -> Result<Vec<Option<usize>>, LoadError> {
    let by_rel: std::collections::HashMap<&str, usize> = head_files
        .iter()
        .enumerate()
        .map(|(j, f)| (f.rel.as_ref(), j))
        .collect();
    let changed = match (base, head) {
        (Source::Git { rev, .. }, Source::Dir(dir)) => Some(changed_in_work_tree(dir, rev)?),
        _ => None,
    };
    let repo = match &changed {
        Some(_) => Some(discover_repo(head.dir())?.0),
        None => None,
    };
    let odb = repo.as_ref().map(git2::Repository::odb).transpose()?;
    let same_as_blob = |id: git2::Oid, h: &RawFile, rel: &str| match (&h.content, &changed, &odb) {
        (Content::Blob(blob), _, _) => blob.id == id,
        (Content::Disk(path), Some(changed), Some(odb)) => {
            !changed.contains(rel)
                && std::fs::symlink_metadata(path).is_ok_and(|m| {
                    m.file_type().is_file()
                        && odb
                            .read_header(id)
                            .is_ok_and(|(size, _)| size as u64 == m.len())
                })
        }
        _ => false,
    };
    Ok(base_files
        .iter()
        .map(|b| {
            let j = *by_rel.get(b.rel.as_ref())?;
            let h = &head_files[j];
            let same = h.path == b.path && same_as_blob(b.content.blob_id()?, h, &b.rel);
            same.then_some(j)
        })
        .collect())
}

/// Paths (relative to `dir`) that differ between `rev` and the work tree, as `git diff <rev>`
/// sees them, untracked files included.
fn changed_in_work_tree(
    dir: &Path,
    rev: &str,
) -> Result<std::collections::HashSet<String>, LoadError> {
    let (repo, within) = discover_repo(dir)?;
    let tree = tree_at(&repo, "", rev)?;
    let mut opts = git2::DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true);
    let prefix = if within.is_empty() {
        String::new()
    } else {
        opts.pathspec(&within);
        format!("{within}/")
    };
    let diff = repo.diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))?;
    let mut changed = std::collections::HashSet::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(path) = file.path().and_then(Path::to_str) {
                let path = path.replace('\\', "/");
                changed.insert(path.strip_prefix(&prefix).unwrap_or(&path).to_string());
            }
        }
    }
    Ok(changed)
}

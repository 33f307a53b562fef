//! When each declaration file was added and changed, from git (git2): one walk over the
//! history, diffing each commit against its parents, so the cost is the number of commits and
//! changes, not commits × files.

use crate::load::source::discover_repo;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One commit that touched a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub commit: String,
    pub short: String,
    /// `YYYY-MM-DD` in the committer's time zone.
    pub date: String,
    pub author: String,
    /// The first line of the commit message.
    pub summary: String,
    /// True for the commit that added the file.
    pub added: bool,
}

/// Changes by path (relative to the declaration directory), newest first.
#[derive(Debug, Default)]
pub struct History {
    pub by_path: HashMap<String, Vec<Change>>,
    /// False when the directory is not in a git repository (or it has no commits).
    pub available: bool,
}

impl History {
    pub fn of(&self, rel: &str) -> &[Change] {
        self.by_path.get(rel).map_or(&[], Vec::as_slice)
    }
}

/// The history of `paths` (relative to `dir`) reachable from `rev` (HEAD when `None`).
/// A directory outside git has no history; that is not an error.
pub fn read(
    dir: &Path,
    rev: Option<&str>,
    paths: &HashSet<String>,
) -> Result<History, git2::Error> {
    let Ok((repo, within)) = discover_repo(dir) else {
        return Ok(History::default());
    };
    let start = match rev {
        Some(rev) => repo.revparse_single(rev)?.peel_to_commit()?,
        None => match repo.head().and_then(|h| h.peel_to_commit()) {
            Ok(c) => c,
            // An unborn HEAD: a fresh repository without commits.
            Err(_) => return Ok(History::default()),
        },
    };
    let prefix = if within.is_empty() {
        String::new()
    } else {
        format!("{within}/")
    };
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TIME | git2::Sort::TOPOLOGICAL)?;
    walk.push(start.id())?;
    let mut history = History {
        available: true,
        ..History::default()
    };
    let mut opts = git2::DiffOptions::new();
    if !within.is_empty() {
        opts.pathspec(&within);
    }
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let tree = commit.tree()?;
        // A file counts as changed by a commit when it differs from every parent (git log's
        // default history simplification), so a merge does not repeat its branch's changes.
        let mut changed: Option<HashMap<String, bool>> = None;
        let parents: Vec<git2::Commit> = commit.parents().collect();
        let parent_trees: Vec<Option<git2::Tree>> = if parents.is_empty() {
            vec![None]
        } else {
            parents.iter().map(|p| p.tree().ok()).collect()
        };
        for parent_tree in &parent_trees {
            let diff =
                repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut opts))?;
            let mut here = HashMap::new();
            for delta in diff.deltas() {
                if delta.status() == git2::Delta::Deleted {
                    continue;
                }
                let Some(path) = delta.new_file().path().and_then(Path::to_str) else {
                    continue;
                };
                let Some(rel) = path.strip_prefix(&prefix) else {
                    continue;
                };
                if paths.contains(rel) {
                    here.insert(rel.to_string(), delta.status() == git2::Delta::Added);
                }
            }
            changed = Some(match changed {
                None => here,
                Some(before) => before
                    .into_iter()
                    .filter_map(|(k, added)| here.get(&k).map(|a| (k, added && *a)))
                    .collect(),
            });
        }
        let Some(changed) = changed.filter(|c| !c.is_empty()) else {
            continue;
        };
        let time = commit.time();
        let id = commit.id().to_string();
        let change = Change {
            short: id.chars().take(10).collect(),
            commit: id,
            date: civil_date(time.seconds() + i64::from(time.offset_minutes()) * 60),
            author: commit.author().name().unwrap_or_default().to_string(),
            summary: commit
                .summary()
                .ok()
                .flatten()
                .unwrap_or_default()
                .to_string(),
            added: false,
        };
        for (rel, added) in changed {
            history.by_path.entry(rel).or_default().push(Change {
                added,
                ..change.clone()
            });
        }
    }
    Ok(history)
}

/// `YYYY-MM-DD` of a Unix time.
fn civil_date(seconds: i64) -> String {
    crate::time::date(seconds)
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
        assert_eq!(civil_date(1_798_675_200), "2026-12-31");
    }
}

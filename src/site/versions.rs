//! Every version of a command the repo holds, on one page, with a changelog between consecutive
//! versions computed by the `diff` module (the same classes as `xcs diff`): "2.3.1 → 2.4.0:
//! breaking: input `t1-scan` removed".

use super::command_view::CommandView;
use super::words;
use crate::diff::{self, Class, FieldChange};
use crate::model::{Command, Declared, Repo};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct VersionsView {
    pub name: String,
    pub title: String,
    /// `versions/<name>/`.
    pub url: String,
    /// Oldest first.
    pub versions: Vec<VersionRow>,
    /// Between consecutive versions, newest first.
    pub changelog: Vec<Step>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    pub version: String,
    pub slug: String,
    pub image: Option<String>,
    /// When its declaration was added (git), and how many commits changed it.
    pub added: Option<String>,
    pub changes: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub from: String,
    pub to: String,
    /// The most severe class among the changes; `none` when nothing changed.
    pub class: String,
    pub changes: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub class: Class,
    pub text: String,
}

/// Versions pages for every command name the repo holds more than one version of. `views` are
/// the catalog's command views in repo order (index `i` is `repo.commands[i]`).
pub fn versions(repo: &Repo, views: &[CommandView]) -> Vec<VersionsView> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in repo.commands.iter().enumerate() {
        by_name.entry(c.spec.name.as_str()).or_default().push(i);
    }
    by_name
        .into_iter()
        .filter(|(_, list)| list.len() > 1)
        .map(|(name, mut list)| {
            list.sort_by(|&a, &b| {
                compare_versions(
                    repo.commands[a].spec.version.as_deref().unwrap_or_default(),
                    repo.commands[b].spec.version.as_deref().unwrap_or_default(),
                )
            });
            let newest = &views[list[list.len() - 1]];
            let mut changelog: Vec<Step> = list
                .windows(2)
                .map(|pair| step(&repo.commands[pair[0]], &repo.commands[pair[1]]))
                .collect();
            changelog.reverse();
            VersionsView {
                name: name.to_string(),
                title: newest.title.clone(),
                url: format!("versions/{}/", words::slug(name)),
                versions: list
                    .iter()
                    .map(|&i| {
                        let v = &views[i];
                        VersionRow {
                            version: v.version.clone().unwrap_or_else(|| "(none)".to_string()),
                            slug: v.slug.clone(),
                            image: v.image.as_ref().map(|i| i.full.clone()),
                            added: v.added().map(|c| c.date.clone()),
                            changes: v.history.len(),
                        }
                    })
                    .collect(),
                changelog,
            }
        })
        .collect()
}

/// One version to the next, as `xcs diff` sees it.
fn step(old: &Declared<Command>, new: &Declared<Command>) -> Step {
    let single = |c: &Declared<Command>| Repo {
        commands: vec![c.clone()],
        ..Repo::default()
    };
    let d = diff::diff(&single(old), &single(new));
    let mut changes: Vec<Entry> = d
        .objects
        .iter()
        .flat_map(|o| &o.changes)
        .map(|c| Entry {
            class: c.class,
            text: describe(c),
        })
        .collect();
    changes.sort_by_key(|c| std::cmp::Reverse(c.class));
    let version = |c: &Declared<Command>| c.spec.version.clone().unwrap_or_default();
    Step {
        from: version(old),
        to: version(new),
        class: changes
            .first()
            .map_or("none", |c| c.class.as_str())
            .to_string(),
        changes,
    }
}

/// "input `t1-scan` removed", "`limit-memory`: 4096 → 2048".
fn describe(c: &FieldChange) -> String {
    use diff::tree::Op;
    let path = c.path.as_str();
    if matches!(c.op, Op::Added | Op::Removed)
        && let Some(open) = path.rfind('[')
        && path.ends_with(']')
    {
        let list = path[..open].rsplit('.').next().unwrap_or_default();
        let noun = match list {
            "inputs" => "input",
            "outputs" => "output",
            "mounts" => "mount",
            "xnat" => "wrapper",
            "external-inputs" => "external input",
            "derived-inputs" => "derived input",
            "output-handlers" => "output handler",
            "contexts" => "context",
            _ => list,
        };
        let item = &path[open + 1..path.len() - 1];
        let within = path[..open]
            .rsplit_once('.')
            .map(|(w, _)| format!(" (in `{w}`)"))
            .unwrap_or_default();
        return format!("{noun} `{item}` {}{within}", c.op.as_str());
    }
    if path.is_empty() {
        return diff::render::describe(c);
    }
    format!("`{path}`: {}", diff::render::describe(c))
}

/// Versions compared number by number (`2.10.0` after `2.9.1`), text parts as text.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parts(v: &str) -> Vec<(u64, String)> {
        v.split(['.', '-', '_', '+'])
            .map(|p| {
                let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
                (digits.parse().unwrap_or(0), p[digits.len()..].to_string())
            })
            .collect()
    }
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::compare_versions;
    use std::cmp::Ordering::*;

    #[test]
    fn versions_order_by_number() {
        assert_eq!(compare_versions("2.10.0", "2.9.1"), Greater);
        assert_eq!(compare_versions("2.3.1", "2.4.0"), Less);
        assert_eq!(compare_versions("1.0", "1.0"), Equal);
        assert_eq!(compare_versions("1.0.20240202", "1.0.20231010"), Greater);
    }
}

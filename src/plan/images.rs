//! Images where XNAT runs them (docker and swarm backends): each image the repo's commands
//! name, and each declared image archive, is present on XNAT's server or missing; a missing
//! one is pulled through XNAT's pull endpoint of the registry that serves it, or loaded from its
//! archive by xcs. Pure: the repo and the observed image list in, actions and notes out.

use super::observed::Observed;
use super::{Action, Change, Op, Step, Target, push_action};
use crate::model::{BackendKind, Repo};
use crate::xnat::wire::Image;
use serde_json::json;

/// What happens to an image as an apply goes: for a progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageEvent {
    Started {
        image: String,
        how: &'static str,
    },
    Bytes {
        image: String,
        done: u64,
        total: Option<u64>,
    },
    Finished {
        image: String,
        ok: bool,
    },
}

/// Registry hosts Docker treats as Docker Hub.
const HUB_HOSTS: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// The registry host an image reference names (`None`: Docker Hub). The first path segment is
/// a host when it has a `.` or `:` or is `localhost`, as Docker reads it.
pub fn registry_host(image: &str) -> Option<&str> {
    let (first, _) = image.split_once('/')?;
    let is_host = first.contains('.') || first.contains(':') || first == "localhost";
    (is_host && !HUB_HOSTS.contains(&first)).then_some(first)
}

/// A reference as the daemon lists it in `RepoTags`: Docker Hub's host and `library/` dropped,
/// `:latest` when untagged.
pub fn normalise(image: &str) -> String {
    let mut s = image.trim();
    for host in HUB_HOSTS {
        if let Some(rest) = s.strip_prefix(host).and_then(|r| r.strip_prefix('/')) {
            s = rest;
        }
    }
    if registry_host(s).is_none()
        && let Some(rest) = s.strip_prefix("library/")
    {
        s = rest;
    }
    let last = s.rsplit('/').next().unwrap_or(s);
    if last.contains(':') || s.contains('@') {
        s.to_string()
    } else {
        format!("{s}:latest")
    }
}

/// Every image the repo names, once, in declaration order.
fn declared(repo: &Repo) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let archives = repo
        .backend()
        .map(|b| b.spec.image_archives.iter().map(|a| a.image.clone()));
    let names = repo
        .commands
        .iter()
        .filter_map(|c| c.spec.image.clone())
        .chain(
            repo.command_sources
                .iter()
                .filter_map(|s| s.spec.image.clone()),
        )
        .chain(archives.into_iter().flatten());
    for name in names {
        if !name.trim().is_empty() && !out.iter().any(|o| normalise(o) == normalise(&name)) {
            out.push(name);
        }
    }
    out
}

/// The declared registry whose URL names the image's host (Docker Hub for an image without
/// one).
fn hub_for(repo: &Repo, image: &str) -> Option<String> {
    let host = registry_host(image);
    repo.registries
        .iter()
        .find(|r| {
            let server = crate::backend::kube::wire::config_server(&r.spec.url);
            match host {
                Some(h) => server == h,
                None => server == "https://index.docker.io/v1/",
            }
        })
        .map(|r| r.spec.name.clone())
}

fn present(images: &[Image], image: &str) -> bool {
    let want = normalise(image);
    images
        .iter()
        .any(|i| i.image_id.is_some() && i.tags.iter().any(|t| normalise(t) == want))
}

/// The writes an image step waits for: the backend's, and its registry's (`None`: the
/// backend's only).
fn prerequisites(actions: &[Action], hub: Option<&str>) -> Vec<usize> {
    actions
        .iter()
        .filter(|a| !matches!(a.op, Op::NoOp | Op::Delete))
        .filter(|a| match &a.target {
            Target::ComputeBackend { .. } => true,
            Target::Registry { name } => Some(name.as_str()) == hub,
            _ => false,
        })
        .map(|a| a.id)
        .collect()
}

/// The image actions: one per declared image (no-op when present), pulls and loads for the
/// missing ones, each after the backend and its registry are written.
pub fn plan(repo: &Repo, obs: &Observed, actions: &mut Vec<Action>, notes: &mut Vec<String>) {
    let Some(backend) = repo.backend() else {
        return;
    };
    if backend.spec.backend == BackendKind::Kubernetes {
        return;
    }
    let live = obs.images.as_deref().unwrap_or_default();
    for image in declared(repo) {
        let archive = backend
            .spec
            .image_archives
            .iter()
            .find(|a| normalise(&a.image) == normalise(&image));
        let (op, step, changes, warnings) = if present(live, &image) {
            notes.push(format!("image `{image}` is present on XNAT's server"));
            (Op::NoOp, Step::None, Vec::new(), Vec::new())
        } else if let Some(a) = archive {
            let change = Change {
                path: "load".into(),
                before: None,
                after: Some(json!(format!("from archive {}", a.archive))),
                sensitive: false,
            };
            let step = Step::LoadImageArchive {
                archive: a.archive.clone(),
                sha256: a.sha256.to_lowercase(),
            };
            (Op::Create, step, vec![change], Vec::new())
        } else {
            let hub = hub_for(repo, &image);
            let mut warnings = Vec::new();
            if hub.is_none() && registry_host(&image).is_some() {
                warnings.push(format!(
                    "no declared registry serves {}: XNAT pulls it through its default hub",
                    registry_host(&image).unwrap_or_default()
                ));
            }
            let how = match &hub {
                Some(h) => format!("pull through registry {h}"),
                None => "pull through XNAT's default hub".to_string(),
            };
            let change = Change {
                path: "pull".into(),
                before: None,
                after: Some(json!(how)),
                sensitive: false,
            };
            (Op::Create, Step::PullImage { hub }, vec![change], warnings)
        };
        let after = match &step {
            Step::PullImage { hub } => prerequisites(actions, hub.as_deref()),
            Step::LoadImageArchive { .. } => prerequisites(actions, None),
            _ => Vec::new(),
        };
        let id = push_action(actions, Target::Image { image }, op, changes, step, after);
        actions[id].warnings = warnings;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalise_as_docker_lists_them() {
        assert_eq!(normalise("docker.io/library/busybox"), "busybox:latest");
        assert_eq!(normalise("busybox:1.36"), "busybox:1.36");
        assert_eq!(normalise("127.0.0.1:5000/x/y:1"), "127.0.0.1:5000/x/y:1");
        assert_eq!(
            registry_host("127.0.0.1:5000/x/y:1"),
            Some("127.0.0.1:5000")
        );
        assert_eq!(registry_host("xnat/dcm2niix:1"), None);
        assert_eq!(registry_host("docker.io/xnat/dcm2niix:1"), None);
    }
}

//! Which live command each declared command is.
//!
//! First by XNAT's identity (name, image, version). Then a declared command whose version or
//! image tag changed is matched to the live command of the same name that xcs manages, so it
//! is updated in place: wrapper ids, and with them enablement, configuration and automations,
//! survive (never delete and re-create; ref §4 "How identity works").

use crate::model::{Command, Repo};
use crate::plan::record::Record;

#[derive(Debug, Clone, Default)]
pub struct Pairing {
    /// For each declared command, the index of its live command.
    pub by_desired: Vec<Option<usize>>,
    /// Live commands no declared command is.
    pub unmatched_live: Vec<usize>,
}

impl Pairing {
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.by_desired
            .iter()
            .enumerate()
            .filter_map(|(d, l)| l.map(|l| (d, l)))
    }

    pub fn live_of(&self, desired: usize) -> Option<usize> {
        self.by_desired.get(desired).copied().flatten()
    }
}

fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => &image[..i],
        _ => image,
    }
}

pub fn pair(repo: &Repo, live: &[Command], record: &Record) -> Pairing {
    let mut by_desired = vec![None; repo.commands.len()];
    let mut used = vec![false; live.len()];
    for (d, c) in repo.commands.iter().enumerate() {
        let c = &c.spec;
        if let Some(l) = (0..live.len()).find(|&l| {
            !used[l]
                && live[l].name == c.name
                && live[l].image == c.image
                && live[l].version == c.version
        }) {
            used[l] = true;
            by_desired[d] = Some(l);
        }
    }
    for (d, c) in repo.commands.iter().enumerate() {
        if by_desired[d].is_some() {
            continue;
        }
        let c = &c.spec;
        let candidates: Vec<usize> = (0..live.len())
            .filter(|&l| {
                !used[l]
                    && live[l].name == c.name
                    && live[l].id.is_some_and(|id| record.manages_command(id))
            })
            .collect();
        let same_repo = candidates.iter().copied().find(|&l| {
            repository(live[l].image.as_deref().unwrap_or(""))
                == repository(c.image.as_deref().unwrap_or(""))
        });
        if let Some(l) = same_repo.or(candidates.first().copied()) {
            used[l] = true;
            by_desired[d] = Some(l);
        }
    }
    Pairing {
        by_desired,
        unmatched_live: (0..live.len()).filter(|&l| !used[l]).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_ignore_tags_and_digests() {
        assert_eq!(repository("xnat/dcm2niix:1.0"), "xnat/dcm2niix");
        assert_eq!(repository("host:5000/a/b:2"), "host:5000/a/b");
        assert_eq!(repository("a/b@sha256:abc"), "a/b");
    }
}

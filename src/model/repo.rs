//! A whole declaration repo in memory, and the lookups every consumer needs.

use super::{
    Automation, Command, CommandSource, ComputeBackend, Environment, Kind, Project, Registry, Site,
};
use crate::position::{Node, Pos};
use std::sync::Arc;

/// Where a declaration came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// Path to show a person.
    pub file: Arc<str>,
    /// Path inside the repo.
    pub rel: Arc<str>,
    /// Index of the document in its file (0 for single-document files).
    pub doc: usize,
    /// Where the document's `name` (or `id`) is, else where the document starts: the place to
    /// point at for problems with the whole document.
    pub pos: Pos,
    /// The parsed document, kept for the small kinds whose fields later cross-document checks
    /// point into. Commands drop theirs after their own checks: they are many and large.
    pub node: Option<Arc<Node>>,
}

impl Origin {
    /// The position of a JSON pointer inside the document, or the document start.
    pub fn locate(&self, pointer: &str) -> Pos {
        self.node.as_ref().map_or(self.pos, |n| n.locate(pointer))
    }
    pub fn locate_key(&self, pointer: &str) -> Pos {
        self.node
            .as_ref()
            .map_or(self.pos, |n| n.locate_key(pointer))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Declared<T> {
    pub spec: T,
    pub origin: Origin,
}

/// Every declaration of a repo, by kind, in file order.
#[derive(Debug, Clone, Default)]
pub struct Repo {
    pub commands: Vec<Declared<Command>>,
    pub command_sources: Vec<Declared<CommandSource>>,
    pub registries: Vec<Declared<Registry>>,
    pub backends: Vec<Declared<ComputeBackend>>,
    pub sites: Vec<Declared<Site>>,
    pub projects: Vec<Declared<Project>>,
    pub automations: Vec<Declared<Automation>>,
    pub environments: Vec<Declared<Environment>>,
}

/// A reference to a command from a Site, Project or Automation: `name` or `name@version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRef<'a> {
    pub name: &'a str,
    pub version: Option<&'a str>,
}

impl<'a> CommandRef<'a> {
    pub fn parse(text: &'a str) -> CommandRef<'a> {
        match text.rsplit_once('@') {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => CommandRef {
                name,
                version: Some(version),
            },
            _ => CommandRef {
                name: text,
                version: None,
            },
        }
    }
}

/// Why a command reference does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    Unknown,
    /// Several versions share the name; the reference must say which.
    Ambiguous(Vec<String>),
}

impl Repo {
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Command => self.commands.len() + self.command_sources.len(),
            Kind::Registry => self.registries.len(),
            Kind::ComputeBackend => self.backends.len(),
            Kind::Site => self.sites.len(),
            Kind::Project => self.projects.len(),
            Kind::Automation => self.automations.len(),
            Kind::Environment => self.environments.len(),
        }
    }

    pub fn documents(&self) -> usize {
        Kind::ALL.iter().map(|&k| self.count(k)).sum()
    }

    /// Resolve `name` or `name@version` to one declared command.
    pub fn resolve_command(&self, reference: &str) -> Result<&Declared<Command>, Unresolved> {
        let r = CommandRef::parse(reference);
        let matches: Vec<&Declared<Command>> = self
            .commands
            .iter()
            .filter(|c| {
                c.spec.name == r.name
                    && r.version
                        .is_none_or(|v| c.spec.version.as_deref() == Some(v))
            })
            .collect();
        // Exact duplicates (same name, image and version) are reported on their own; a reference
        // to them is not ambiguous.
        let distinct = |a: &&Declared<Command>, b: &&Declared<Command>| {
            a.spec.version == b.spec.version && a.spec.image == b.spec.image
        };
        let all_same = matches.windows(2).all(|w| distinct(&w[0], &w[1]));
        match matches.as_slice() {
            [one, ..] if all_same => Ok(one),
            [] => {
                // A command name may itself contain '@'; try the whole text as a name.
                if r.version.is_some()
                    && let Some(c) = self.commands.iter().find(|c| c.spec.name == reference)
                {
                    return Ok(c);
                }
                Err(Unresolved::Unknown)
            }
            many => Err(Unresolved::Ambiguous(
                many.iter()
                    .map(|c| {
                        format!(
                            "{}@{}",
                            c.spec.name,
                            c.spec.version.as_deref().unwrap_or("")
                        )
                    })
                    .collect(),
            )),
        }
    }

    /// The site declaration, if any (validation allows at most one).
    pub fn site(&self) -> Option<&Declared<Site>> {
        self.sites.first()
    }

    pub fn backend(&self) -> Option<&Declared<ComputeBackend>> {
        self.backends.first()
    }

    pub fn project(&self, id: &str) -> Option<&Declared<Project>> {
        self.projects.iter().find(|p| p.spec.id == id)
    }

    pub fn environment(&self, name: &str) -> Option<&Declared<Environment>> {
        self.environments.iter().find(|e| e.spec.name == name)
    }
}

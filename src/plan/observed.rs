//! The live state a plan is computed against: what the XNAT holds, in its own wire types. Pure
//! data; `xnat::observe` reads it from a server.

use super::matching::{self, Pairing};
use super::record::Record;
use crate::model::{Command, Repo, WrapperConfig};
use crate::xnat::wire::{Capabilities, CommandConfiguration, Hub, Scope, Subscription};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    #[serde(skip)]
    pub caps: Capabilities,
    pub commands: Vec<Command>,
    pub hubs: Vec<Hub>,
    pub server: Option<Value>,
    /// None when not read (the repo has no automations and xcs manages none).
    pub events_enabled: Option<bool>,
    pub subscriptions: Vec<Subscription>,
    pub record: Record,
    /// By live wrapper id, for the wrappers of commands the repo declares.
    pub wrappers: BTreeMap<i64, WrapperState>,
    /// What could not be read, for the plan's notes.
    #[serde(skip)]
    pub notes: Vec<String>,
    /// How the wrappers' flags and configurations were read.
    #[serde(skip)]
    pub read_via: ReadVia,
    /// Images on XNAT's server; None when not read (no docker or swarm backend declared).
    pub images: Option<Vec<crate::xnat::wire::Image>>,
    /// The kubernetes backend's namespace; None when not involved.
    pub cluster: Option<super::kube::ClusterView>,
}

/// How the wrappers' state was read: CS's stored documents through one config-service listing
/// per scope, or per wrapper (with the reason the listing could not be used).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadVia {
    /// No wrapper state was needed.
    #[default]
    None,
    Listing,
    PerWrapper(String),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct WrapperState {
    /// None when not read (no Site declared).
    pub site_enabled: Option<bool>,
    /// Projects whose flag is on; None when not read (no Project declared).
    pub projects: Option<Vec<String>>,
    /// At each scope the repo declares a configuration for.
    #[serde(serialize_with = "by_scope_name")]
    pub configs: BTreeMap<Scope, ScopeConfig>,
}

/// JSON object keys must be strings, and a `Scope` key is not one: serialised as is, the map
/// makes the whole `Observed` fail to serialise, and the plan's live digest (of that JSON) would
/// be the digest of nothing, whatever XNAT holds.
fn by_scope_name<S: serde::Serializer>(
    configs: &BTreeMap<Scope, ScopeConfig>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(configs.iter().map(|(scope, c)| {
        let name = match scope {
            Scope::Site => "site".to_string(),
            Scope::Project(p) => format!("project {p}"),
        };
        (name, c)
    }))
}

/// What was read of a wrapper's configuration at one scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeConfig {
    /// The overrides CS stores at exactly this scope (its `wrapper-<id>` document; empty when
    /// there is none): the same form xcs writes, so the plan compares them as they are.
    Stored(WrapperConfig),
    /// The materialised view `GET …/config` answers (site overrides under a project's), read
    /// when the stored documents could not be listed.
    View(CommandConfiguration),
}

impl Observed {
    /// Which desired command each live command is, decided the same way everywhere.
    pub fn pairing(&self, repo: &Repo) -> Pairing {
        matching::pair(repo, &self.commands, &self.record)
    }
}

/// Whether a Site/Project command reference resolves to the repo's command at `index`.
pub fn refers(repo: &Repo, reference: &str, index: usize) -> bool {
    repo.resolve_command(reference)
        .is_ok_and(|c| std::ptr::eq(c, &repo.commands[index]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_wrapper_state_serialises_so_the_live_digest_covers_it() {
        let mut state = WrapperState::default();
        state
            .configs
            .insert(Scope::Site, ScopeConfig::Stored(WrapperConfig::default()));
        state.configs.insert(
            Scope::Project("P".into()),
            ScopeConfig::Stored(WrapperConfig::default()),
        );
        let json = serde_json::to_value(&state).expect("serialises");
        assert!(json["configs"]["project P"].is_object(), "{json}");
        let mut other = state.clone();
        other.site_enabled = Some(true);
        assert_ne!(
            crate::plan::digest(&state),
            crate::plan::digest(&other),
            "the digest follows the state"
        );
    }
}

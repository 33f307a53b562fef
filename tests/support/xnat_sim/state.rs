//! Everything the simulated XNAT holds, behind one mutex: users and projects (core), sessions and
//! alias tokens, the config-service store, commands, the compute backend rows, hubs, images and
//! event subscriptions. Handlers lock it briefly and never across an `.await`.

use super::faults::SplitMix64;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use xcs::model::Command;

/// XNAT's site-admin role name (`UserRole.ROLE_ADMINISTRATOR`).
pub const ADMINISTRATOR: &str = "Administrator";
/// The Container Service role (`ContainerUtils.CONTAINER_MANAGER_ROLE`, CS 3.7.0 and later).
pub const CONTAINER_MANAGER: &str = "ContainerManager";
/// CS's own config-service tool (`ContainerConfigService.TOOL_ID`).
pub const CS_TOOL: &str = "container-service";
pub const DEFAULT_HUB_PATH: &str = "default-docker-hub-id";

/// A user account of the simulated XNAT.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimUser {
    pub username: String,
    #[serde(skip)]
    pub password: String,
    pub roles: BTreeSet<String>,
    pub enabled: bool,
}

impl SimUser {
    /// A plain user with no role.
    pub fn new(username: &str, password: &str) -> SimUser {
        SimUser {
            username: username.to_string(),
            password: password.to_string(),
            roles: BTreeSet::new(),
            enabled: true,
        }
    }

    /// A site admin. Not a ContainerManager: XNAT does not make later admins managers
    /// (ref: xnat-container-service-api.md §0, AssignContainerManagerRoleToSiteAdminOnUpgrade).
    pub fn admin(username: &str, password: &str) -> SimUser {
        SimUser::new(username, password).role(ADMINISTRATOR)
    }

    pub fn container_manager(self) -> SimUser {
        self.role(CONTAINER_MANAGER)
    }

    pub fn role(mut self, role: &str) -> SimUser {
        self.roles.insert(role.to_string());
        self
    }

    pub fn disabled(mut self) -> SimUser {
        self.enabled = false;
        self
    }

    /// Parse `user:password[:role,role…]`; roles `admin` and `cm` are short for
    /// `Administrator` and `ContainerManager`.
    pub fn parse(spec: &str) -> Option<SimUser> {
        let mut parts = spec.splitn(3, ':');
        let user = parts.next().filter(|u| !u.is_empty())?;
        let pass = parts.next()?;
        let mut u = SimUser::new(user, pass);
        if let Some(roles) = parts.next() {
            for r in roles.split(',').filter(|r| !r.is_empty()) {
                u = u.role(match r {
                    "admin" => ADMINISTRATOR,
                    "cm" => CONTAINER_MANAGER,
                    other => other,
                });
            }
        }
        Some(u)
    }
}

/// Project access levels, weakest first (XNAT: collaborator = Read, member = Edit, owner = Delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Collaborator,
    Member,
    Owner,
}

/// An XNAT project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimProject {
    pub id: String,
    pub name: String,
    pub secondary_id: String,
    pub description: String,
    pub pi_firstname: String,
    pub pi_lastname: String,
    /// `public`, `protected` or `private`.
    pub accessibility: String,
    pub users: BTreeMap<String, Access>,
}

impl SimProject {
    pub fn new(id: &str) -> SimProject {
        SimProject {
            id: id.to_string(),
            name: format!("{id} project"),
            secondary_id: id.to_string(),
            description: String::new(),
            pi_firstname: String::new(),
            pi_lastname: String::new(),
            accessibility: "private".to_string(),
            users: BTreeMap::new(),
        }
    }

    pub fn owner(mut self, user: &str) -> SimProject {
        self.users.insert(user.to_string(), Access::Owner);
        self
    }

    pub fn member(mut self, user: &str) -> SimProject {
        self.users.insert(user.to_string(), Access::Member);
        self
    }

    pub fn collaborator(mut self, user: &str) -> SimProject {
        self.users.insert(user.to_string(), Access::Collaborator);
        self
    }

    pub fn accessibility(mut self, level: &str) -> SimProject {
        self.accessibility = level.to_string();
        self
    }
}

/// An image known to the (simulated) Docker daemon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimImage {
    #[serde(rename = "image-id")]
    pub image_id: String,
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// In a registry: the user name its pulls need (from the hub's credentials); None: open.
    #[serde(skip)]
    pub pull_user: Option<String>,
}

/// One pull request XNAT received, as asked (`POST /docker/hubs/{hub}/pull`, `/docker/pull`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullRecord {
    /// The name of the hub the path named (by id or name); None for `/docker/pull` (the
    /// default hub).
    pub hub: Option<String>,
    pub image: String,
    /// The `save-commands` query parameter as sent (absent: XNAT's default, true).
    pub save_commands: Option<String>,
    /// The HTTP status XNAT answered.
    pub status: u16,
}

impl SimImage {
    /// An image with one tag; its id is derived from the tag so it is stable across runs.
    pub fn new(tag: &str) -> SimImage {
        let mut rng = SplitMix64::new(tag.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        }));
        let hex: String = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
        SimImage {
            image_id: format!("sha256:{hex}"),
            tags: vec![tag.to_string()],
            labels: BTreeMap::new(),
            pull_user: None,
        }
    }

    pub fn tag(mut self, tag: &str) -> SimImage {
        self.tags.push(tag.to_string());
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> SimImage {
        self.labels.insert(key.to_string(), value.to_string());
        self
    }

    /// In a registry: pulls need a hub whose user name is `user`.
    pub fn private(mut self, user: &str) -> SimImage {
        self.pull_user = Some(user.to_string());
        self
    }

    /// The `org.nrg.commands` label: the text is stored as given (it may be broken on purpose).
    pub fn commands_label(self, json: &str) -> SimImage {
        self.label("org.nrg.commands", json)
    }
}

pub struct Session {
    pub user: String,
    pub last_access: Instant,
    pub csrf: String,
}

/// An alias token (`libs/xdat/…/entities/AliasToken.java`).
#[derive(Debug, Clone, Serialize)]
pub struct AliasToken {
    pub id: i64,
    pub alias: String,
    pub secret: String,
    pub xdat_user_id: String,
    pub created: u64,
    pub estimated_expiration_time: u64,
}

impl AliasToken {
    pub fn to_json(&self) -> Value {
        // ref: xnat-core-api.md §1.3: the serializer's bean view (field list inferred; epoch ms).
        serde_json::json!({
            "alias": self.alias,
            "secret": self.secret,
            "xdatUserId": self.xdat_user_id,
            "singleUse": false,
            "estimatedExpirationTime": self.estimated_expiration_time,
            "validIPAddresses": [],
            "id": self.id,
            "enabled": true,
            "created": self.created,
            "timestamp": self.created,
            "disabled": 0,
        })
    }
}

/// One version row of the config service (`libs/config/…/entities/Configuration.java`).
#[derive(Debug, Clone, Serialize)]
pub struct ConfigRow {
    pub tool: String,
    pub path: String,
    pub project: Option<String>,
    pub contents: String,
    pub status: String,
    pub version: u32,
    pub unversioned: bool,
    pub user: String,
    pub reason: Option<String>,
    pub created: u64,
}

/// The compute backend: every POST adds a row and disables the previous one.
#[derive(Debug, Clone, Serialize)]
pub struct ServerRow {
    pub id: i64,
    pub enabled: bool,
    /// Normalised `DockerServer` JSON (no `ping`).
    pub server: Value,
}

/// A registry ("Docker hub"); `password` and `token` are write-only over the API.
#[derive(Debug, Clone, Serialize)]
pub struct HubRow {
    pub id: i64,
    pub name: Option<String>,
    pub url: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub email: Option<String>,
    pub token: Option<String>,
}

/// An event-service subscription (`xnat-web …/eventservice/model/Subscription.java`).
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionRow {
    pub id: i64,
    pub name: Option<String>,
    pub active: bool,
    pub action_key: String,
    pub attributes: Option<IndexMap<String, String>>,
    pub event_filter: EventFilter,
    pub act_as_event_user: Option<bool>,
    pub owner: String,
    pub created: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct EventFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_nodes: Option<Value>,
}

/// What CS stores per wrapper and scope (`CommandConfigurationInternal`): the enabled flag and
/// the persisted override sub-fields only.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CsConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub inputs: IndexMap<String, CsInputConfig>,
    #[serde(default)]
    pub outputs: IndexMap<String, CsOutputConfig>,
}

/// `@JsonInclude(ALWAYS)` in CS: nulls are written out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct CsInputConfig {
    #[serde(default)]
    pub default_value: Option<String>,
    #[serde(default)]
    pub matcher: Option<String>,
    #[serde(default)]
    pub user_settable: Option<bool>,
    #[serde(default)]
    pub advanced: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CsOutputConfig {
    #[serde(default)]
    pub label: Option<String>,
}

pub struct State {
    pub cs_version: (u32, u32, u32),
    pub cs_version_text: String,
    pub xnat_version: String,
    pub users: BTreeMap<String, SimUser>,
    pub projects: BTreeMap<String, SimProject>,
    pub sessions: HashMap<String, Session>,
    pub max_sessions_per_user: usize,
    pub session_timeout: Duration,
    pub tokens: BTreeMap<String, AliasToken>,
    pub commands: BTreeMap<i64, Command>,
    pub servers: Vec<ServerRow>,
    pub hubs: BTreeMap<i64, HubRow>,
    pub images: Vec<SimImage>,
    /// What the registries behind the hubs hold: pulls copy from here into `images`.
    pub registry: Vec<SimImage>,
    pub pulls: Vec<PullRecord>,
    pub config: Vec<ConfigRow>,
    pub event_service_enabled: bool,
    pub subscriptions: BTreeMap<i64, SubscriptionRow>,
    pub docker_reachable: bool,
    pub rng: SplitMix64,
    next_id: i64,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `3.7.3` → (3, 7, 3); missing parts are 0, junk is 0.
pub fn parse_version(text: &str) -> (u32, u32, u32) {
    let mut parts = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

impl State {
    pub fn new(seed: u64) -> State {
        State {
            cs_version: (3, 7, 3),
            cs_version_text: "3.7.3".to_string(),
            xnat_version: "1.9.3".to_string(),
            users: BTreeMap::new(),
            projects: BTreeMap::new(),
            sessions: HashMap::new(),
            max_sessions_per_user: 1000,
            session_timeout: Duration::from_secs(15 * 60),
            tokens: BTreeMap::new(),
            commands: BTreeMap::new(),
            servers: Vec::new(),
            hubs: BTreeMap::new(),
            images: Vec::new(),
            registry: Vec::new(),
            pulls: Vec::new(),
            config: Vec::new(),
            event_service_enabled: false,
            subscriptions: BTreeMap::new(),
            docker_reachable: true,
            rng: SplitMix64::new(seed ^ 0x5eed),
            next_id: 1,
        }
    }

    /// Ids are unique across kinds (one sequence, like a shared Hibernate sequence); that also
    /// keeps a command id from ever passing for a wrapper id by accident in tests.
    pub fn next_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn set_cs_version(&mut self, text: &str) {
        self.cs_version_text = text.to_string();
        self.cs_version = parse_version(text);
    }

    /// CS 3.7.0 added the ContainerManager role, `visibility` and `command-metadata`.
    pub fn cs_has_3_7(&self) -> bool {
        self.cs_version >= (3, 7, 0)
    }

    // ---- roles and access ------------------------------------------------------------------

    pub fn is_admin(&self, user: &str) -> bool {
        self.users
            .get(user)
            .is_some_and(|u| u.roles.contains(ADMINISTRATOR))
    }

    /// ref: xnat-container-service-api.md §0 and §12: before CS 3.7 there is no ContainerManager
    /// role; the same endpoints were gated on site admin.
    pub fn is_container_manager(&self, user: &str) -> bool {
        if !self.cs_has_3_7() {
            return self.is_admin(user);
        }
        self.users
            .get(user)
            .is_some_and(|u| u.roles.contains(CONTAINER_MANAGER))
    }

    /// The caller's access to a project; site admins have full access everywhere.
    pub fn access(&self, user: &str, project: &str) -> Option<Access> {
        let p = self.projects.get(project)?;
        if self.is_admin(user) {
            return Some(Access::Owner);
        }
        p.users.get(user).copied()
    }

    pub fn has_access(&self, user: &str, project: &str, level: Access) -> bool {
        self.access(user, project).is_some_and(|a| a >= level)
    }

    pub fn can_read_project(&self, user: &str, project: &str) -> bool {
        self.has_access(user, project, Access::Collaborator)
            || self
                .projects
                .get(project)
                .is_some_and(|p| p.accessibility == "public")
    }

    // ---- config service (libs/config DefaultConfigService) ---------------------------------

    fn same_key(row: &ConfigRow, tool: &str, path: &str, project: Option<&str>) -> bool {
        row.tool == tool && row.path == path && row.project.as_deref() == project
    }

    /// The latest version row of a key, whatever its status (`getConfigImpl`).
    pub fn config_latest(
        &self,
        tool: &str,
        path: &str,
        project: Option<&str>,
    ) -> Option<&ConfigRow> {
        self.config
            .iter()
            .filter(|r| Self::same_key(r, tool, path, project))
            .max_by_key(|r| r.version)
    }

    pub fn config_history(&self, tool: &str, path: &str, project: Option<&str>) -> Vec<&ConfigRow> {
        let mut rows: Vec<&ConfigRow> = self
            .config
            .iter()
            .filter(|r| Self::same_key(r, tool, path, project))
            .collect();
        rows.sort_by_key(|r| r.version);
        rows
    }

    /// `replaceConfigImpl`: a versioned key always gets a new version (even with unchanged
    /// contents; the "no-op when unchanged" rule lives in the REST resource); an unversioned one
    /// is updated in place. A blank or `enabled` status means enabled.
    #[allow(clippy::too_many_arguments)]
    pub fn config_replace(
        &mut self,
        user: &str,
        reason: Option<&str>,
        tool: &str,
        path: &str,
        project: Option<&str>,
        contents: &str,
        status: Option<&str>,
        unversioned: Option<bool>,
    ) {
        let enabled = status.is_none_or(|s| s.is_empty() || s == "enabled");
        let status = if enabled { "enabled" } else { "disabled" }.to_string();
        let previous = self
            .config_latest(tool, path, project)
            .map(|r| (r.version, r.unversioned));
        let do_version = match previous {
            None => !unversioned.unwrap_or(false),
            Some((_, prev_unversioned)) => unversioned == Some(false) || !prev_unversioned,
        };
        let row = ConfigRow {
            tool: tool.to_string(),
            path: path.to_string(),
            project: project.map(str::to_string),
            contents: contents.to_string(),
            status,
            version: match previous {
                Some((v, _)) if do_version => v + 1,
                _ => 1,
            },
            unversioned: !do_version,
            user: user.to_string(),
            reason: reason.map(str::to_string),
            created: now_ms(),
        };
        if previous.is_some() && !do_version {
            self.config
                .retain(|r| !Self::same_key(r, tool, path, project));
        }
        self.config.push(row);
    }

    /// `configService.delete(config)`: really removes the rows (CS uses it when it drops a
    /// configuration whose enabled flag was never set).
    pub fn config_remove(&mut self, tool: &str, path: &str, project: Option<&str>) {
        self.config
            .retain(|r| !Self::same_key(r, tool, path, project));
    }

    // ---- CS wrapper configuration (ContainerConfigServiceImpl) -----------------------------

    pub fn wrapper_config_path(wrapper_id: i64) -> String {
        format!("wrapper-{wrapper_id}")
    }

    /// `getCommandConfiguration`: the latest row whatever its status; unparsable or blank
    /// contents count as no configuration.
    pub fn cs_config(&self, wrapper_id: i64, project: Option<&str>) -> Option<CsConfig> {
        let row = self.config_latest(CS_TOOL, &Self::wrapper_config_path(wrapper_id), project)?;
        if row.contents.trim().is_empty() {
            return None;
        }
        serde_json::from_str(&row.contents).ok()
    }

    pub fn set_cs_config(
        &mut self,
        user: &str,
        reason: Option<&str>,
        wrapper_id: i64,
        project: Option<&str>,
        config: &CsConfig,
    ) {
        // ref: ContainerConfigServiceImpl.setCommandConfigurationInternal: wrapper id 0 and a
        // blank project are logged and silently ignored.
        if wrapper_id == 0 || project.is_some_and(|p| p.trim().is_empty()) {
            return;
        }
        let contents = serde_json::to_string(config).unwrap_or_default();
        self.config_replace(
            user,
            reason,
            CS_TOOL,
            &Self::wrapper_config_path(wrapper_id),
            project,
            &contents,
            None,
            None,
        );
    }

    /// ref: xnat-container-service-api.md §5: no stored config → disabled; a stored config whose
    /// flag is missing counts as enabled (`!Boolean.FALSE.equals(...)`).
    pub fn is_enabled_for_site(&self, wrapper_id: i64) -> bool {
        match self.cs_config(wrapper_id, None) {
            None => false,
            Some(c) => c.enabled != Some(false),
        }
    }

    /// ref: xnat-container-service-api.md §6: site enabled AND project flag stored true.
    pub fn is_enabled_for_project(&self, project: &str, wrapper_id: i64) -> bool {
        self.is_enabled_for_site(wrapper_id)
            && self
                .cs_config(wrapper_id, Some(project))
                .is_some_and(|c| c.enabled == Some(true))
    }

    pub fn set_enabled(
        &mut self,
        user: &str,
        reason: Option<&str>,
        wrapper_id: i64,
        project: Option<&str>,
        enabled: bool,
    ) {
        let mut config = self.cs_config(wrapper_id, project).unwrap_or_default();
        config.enabled = Some(enabled);
        self.set_cs_config(user, reason, wrapper_id, project, &config);
    }

    /// `ContainerConfigServiceImpl.getProjects(wrapperId, "enabled")`: projects whose own stored
    /// flag is true, not ANDed with the site flag.
    pub fn projects_enabled_for(&self, wrapper_id: i64) -> Vec<String> {
        let path = Self::wrapper_config_path(wrapper_id);
        let mut seen: Vec<String> = Vec::new();
        for row in &self.config {
            if row.tool == CS_TOOL
                && row.path == path
                && let Some(p) = &row.project
                && !seen.contains(p)
            {
                seen.push(p.clone());
            }
        }
        seen.into_iter()
            .filter(|p| {
                self.cs_config(wrapper_id, Some(p))
                    .is_some_and(|c| c.enabled == Some(true))
            })
            .collect()
    }

    // ---- commands -------------------------------------------------------------------------

    /// The command holding a wrapper, and the wrapper's index in it.
    pub fn find_wrapper(&self, wrapper_id: i64) -> Option<(i64, usize)> {
        self.commands.iter().find_map(|(cid, c)| {
            c.xnat
                .iter()
                .position(|w| w.id == Some(wrapper_id))
                .map(|i| (*cid, i))
        })
    }

    /// `CommandEntityRepository.getWrapperId`: by name within the command, or a numeric name
    /// taken as a wrapper id of that command.
    pub fn wrapper_id_by_name(&self, command_id: i64, wrapper_name: &str) -> Result<i64, String> {
        let Some(cmd) = self.commands.get(&command_id) else {
            return Err(format!("No command with id {command_id}"));
        };
        if let Some(w) = cmd.xnat.iter().find(|w| w.name == wrapper_name) {
            return Ok(w.id.unwrap_or(0));
        }
        if let Ok(id) = wrapper_name.parse::<i64>()
            && cmd.xnat.iter().any(|w| w.id == Some(id))
        {
            return Ok(id);
        }
        Err(format!(
            "Command {command_id} has no wrapper {wrapper_name}"
        ))
    }

    pub fn default_hub_id(&self) -> i64 {
        self.config_latest(CS_TOOL, DEFAULT_HUB_PATH, None)
            .and_then(|r| r.contents.trim().parse::<i64>().ok())
            .unwrap_or(0)
    }

    /// `ContainerConfigServiceImpl.setDefaultDockerHubId`: the default hub lives in the config
    /// service, not on the hub row.
    pub fn set_default_hub(&mut self, user: &str, reason: Option<&str>, id: i64) {
        self.config_replace(
            user,
            reason,
            CS_TOOL,
            DEFAULT_HUB_PATH,
            None,
            &id.to_string(),
            None,
            None,
        );
    }

    pub fn new_token(&mut self, user: &str) -> AliasToken {
        let id = self.next_id();
        let created = now_ms();
        AliasToken {
            id,
            alias: self.rng.uuid(),
            secret: self.rng.alphanumeric(64),
            xdat_user_id: user.to_string(),
            created,
            // ref: xnat-core-api.md §1.3: aliasTokenTimeout default "2 days".
            estimated_expiration_time: created + 2 * 24 * 3600 * 1000,
        }
    }
}

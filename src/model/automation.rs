//! `kind: Automation`: an XNAT event-service subscription that launches a wrapper.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Event types the XNAT event service emits (short names; the full class name
/// `org.nrg.xnat.eventservice.events.<Name>` is accepted too).
pub const EVENT_TYPES: [&str; 8] = [
    "ProjectEvent",
    "SubjectEvent",
    "SessionEvent",
    "ScanEvent",
    "SubjectAssessorEvent",
    "ImageAssessorEvent",
    "ProjectAssetEvent",
    "ScheduledEvent",
];
pub const EVENT_CLASS_PREFIX: &str = "org.nrg.xnat.eventservice.events.";

/// Run a wrapper when something happens in XNAT (e.g. a session is archived).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Automation {
    /// Subscription name, unique in the repo.
    pub name: String,
    /// Project the subscription is limited to; absent for a site-wide subscription. A project
    /// subscription needs the wrapper enabled in that project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Which events trigger it.
    pub event: EventTrigger,
    /// The command's name, or `name@version`.
    pub command: String,
    /// The wrapper to launch.
    pub wrapper: String,
    /// Input values passed to the wrapper, by input name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, String>,
    /// Whether the subscription is active. Default true.
    #[serde(default = "yes")]
    pub active: bool,
    /// Launch as the user who caused the event instead of the subscription's owner.
    #[serde(default)]
    pub act_as_event_user: bool,
}

fn yes() -> bool {
    true
}

/// The event filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct EventTrigger {
    /// Event type: `SessionEvent`, `ScanEvent`, `SubjectEvent`, `ProjectEvent`,
    /// `ImageAssessorEvent`, `SubjectAssessorEvent`, `ProjectAssetEvent` or `ScheduledEvent`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Event status, e.g. `CREATED`, `UPDATED`, `MERGED` (sessions), `DELETED`.
    pub status: String,
    /// Optional JSONPath filter on the event payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_filter: Option<String>,
}

impl EventTrigger {
    /// The event service's class name for the type.
    pub fn event_class(&self) -> String {
        if self.event_type.contains('.') {
            self.event_type.clone()
        } else {
            format!("{EVENT_CLASS_PREFIX}{}", self.event_type)
        }
    }

    pub fn short_type(&self) -> &str {
        self.event_type
            .strip_prefix(EVENT_CLASS_PREFIX)
            .unwrap_or(&self.event_type)
    }
}

//! What `GET …/wrappers/{id}/config` returns for a wrapper given the overrides stored for it:
//! XNAT's `CommandConfiguration.create(command, wrapper, stored)` (CS 3.7.3,
//! `model/configuration/CommandConfiguration.java`), reproduced so a plan compares like with
//! like and a clean apply shows no change.

use crate::model::{Command, Wrapper, WrapperConfig};
use crate::xnat::wire::{CommandConfiguration, ConfigInput, ConfigOutput};
use std::collections::HashSet;

/// Merge a project's overrides over the site's: non-null project values win (ref §6).
pub fn merge(
    site: Option<&WrapperConfig>,
    project: Option<&WrapperConfig>,
) -> Option<WrapperConfig> {
    match (site, project) {
        (None, None) => None,
        (Some(s), None) => Some(s.clone()),
        (None, Some(p)) => Some(p.clone()),
        (Some(s), Some(p)) => {
            let mut merged = s.clone();
            for (name, over) in &p.inputs {
                let slot = merged.inputs.entry(name.clone()).or_default();
                if over.default_value.is_some() {
                    slot.default_value = over.default_value.clone();
                }
                if over.matcher.is_some() {
                    slot.matcher = over.matcher.clone();
                }
                if over.user_settable.is_some() {
                    slot.user_settable = over.user_settable;
                }
                if over.advanced.is_some() {
                    slot.advanced = over.advanced;
                }
            }
            for (name, over) in &p.outputs {
                if over.label.is_some() {
                    merged.outputs.entry(name.clone()).or_default().label = over.label.clone();
                }
            }
            Some(merged)
        }
    }
}

/// The materialised configuration XNAT would show for `stored` overrides.
pub fn materialise(
    cmd: &Command,
    wrapper: &Wrapper,
    stored: Option<&WrapperConfig>,
) -> CommandConfiguration {
    let mut view = CommandConfiguration::default();
    let stored_input = |name: &str| stored.and_then(|s| s.inputs.get(name));
    let mut fed: HashSet<&str> = HashSet::new();
    for input in wrapper.inputs() {
        let mut c = ConfigInput {
            default_value: input.default_value.clone(),
            matcher: input.matcher.clone(),
            // The wrapper input's own value, even null.
            user_settable: input.user_settable,
            advanced: Some(false),
        };
        if let Some(o) = stored_input(&input.name) {
            // Set even when null: the wrapper input has no such field.
            c.advanced = o.advanced;
            if o.default_value.is_some() {
                c.default_value = o.default_value.clone();
            }
            if o.matcher.is_some() {
                c.matcher = o.matcher.clone();
            }
            if o.user_settable.is_some() {
                c.user_settable = o.user_settable;
            }
        }
        view.inputs.insert(input.name.clone(), c);
        if let Some(target) = input.provides_value_for_command_input.as_deref() {
            fed.insert(target);
        }
    }
    for h in &wrapper.output_handlers {
        let label = stored
            .and_then(|s| s.outputs.get(&h.name))
            .and_then(|o| o.label.clone())
            .or_else(|| h.label.clone());
        view.outputs.insert(h.name.clone(), ConfigOutput { label });
    }
    for input in cmd.inputs.iter().filter(|i| !fed.contains(i.name.as_str())) {
        let mut c = ConfigInput {
            default_value: input.default_value.clone(),
            matcher: input.matcher.clone(),
            user_settable: Some(true),
            advanced: Some(false),
        };
        if let Some(o) = stored_input(&input.name) {
            // The command input has neither field: both come from the store, even null.
            c.user_settable = o.user_settable;
            c.advanced = o.advanced;
            if o.default_value.is_some() {
                c.default_value = o.default_value.clone();
            }
            if o.matcher.is_some() {
                c.matcher = o.matcher.clone();
            }
        }
        view.inputs.insert(input.name.clone(), c);
    }
    view
}

/// Compare two views on what XNAT persists, ignoring key order.
pub fn same(a: &CommandConfiguration, b: &CommandConfiguration) -> bool {
    a.inputs.len() == b.inputs.len()
        && a.outputs.len() == b.outputs.len()
        && a.inputs.iter().all(|(k, v)| b.inputs.get(k) == Some(v))
        && a.outputs.iter().all(|(k, v)| b.outputs.get(k) == Some(v))
}

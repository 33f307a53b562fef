//! The canonical form of a Command: what XNAT would store and give back (command-format §10),
//! so that two declarations that mean the same never differ.
//!
//! Defaults that change behaviour when misread (`type`, `required`, `load-children`,
//! `visibility`, handler `type`) are written out, so a diff says `required: false → true`
//! rather than `required: false → (absent)`. Values that carry no meaning (`id`, `hash`, empty
//! lists and maps, a replacement key equal to `#name#`, flags equal to their default) are
//! dropped. Sets (`contexts`, handler `tags`) are sorted.

use crate::model::command::{COMMAND_INPUT_TYPES, StringMap};
use crate::model::{Command, CommandInput, OutputHandler, Wrapper, WrapperInput};

/// Which optional fields the target XNAT stores: older Container Services drop some, which
/// must not show as drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// `visibility` (CS ≥ 3.7.0).
    pub visibility: bool,
    /// `command-metadata` (CS ≥ 3.7.0).
    pub metadata: bool,
}

impl Default for Stored {
    fn default() -> Self {
        Stored {
            visibility: true,
            metadata: true,
        }
    }
}

/// The canonical form as a given server stores it.
pub fn command_as_stored(c: &Command, stored: Stored) -> Command {
    let mut c = command(c);
    if !stored.visibility {
        c.visibility = None;
    }
    if !stored.metadata {
        c.command_metadata = None;
    }
    c
}

pub fn command(c: &Command) -> Command {
    let mut c = c.clone();
    c.id = None;
    c.hash = None;
    c.image = c
        .image
        .as_deref()
        .map(crate::model::command::with_default_tag);
    c.command_type = Some(c.command_type().to_string());
    c.visibility = Some(c.visibility.take().unwrap_or_else(|| "public".into()));
    false_is_absent(&mut c.override_entrypoint);
    empty_is_absent(&mut c.container_labels);
    empty_is_absent(&mut c.generic_resources);
    empty_is_absent(&mut c.ulimits);
    for i in &mut c.inputs {
        command_input(i);
    }
    for o in &mut c.outputs {
        o.required = Some(o.required.unwrap_or(false));
    }
    for w in &mut c.xnat {
        wrapper(w);
    }
    c
}

fn command_input(i: &mut CommandInput) {
    // XNAT stores an unknown type as `string` and accepts `File` for `file`.
    let t = match i.input_type.as_deref() {
        Some("File") => "file",
        Some(t) if COMMAND_INPUT_TYPES.contains(&t) => t,
        _ => "string",
    };
    i.input_type = Some(t.to_string());
    i.required = Some(i.required.unwrap_or(false));
    default_key(&mut i.replacement_key, &i.name);
    false_is_absent(&mut i.sensitive);
    if i.command_line_separator.as_deref() == Some(" ") {
        i.command_line_separator = None;
    }
    if i.true_value.as_deref() == Some("true") {
        i.true_value = None;
    }
    if i.false_value.as_deref() == Some("false") {
        i.false_value = None;
    }
}

fn wrapper(w: &mut Wrapper) {
    w.id = None;
    w.contexts.sort();
    w.contexts.dedup();
    for i in w.external_inputs.iter_mut().chain(&mut w.derived_inputs) {
        wrapper_input(i);
    }
    for h in &mut w.output_handlers {
        handler(h);
    }
}

fn wrapper_input(i: &mut WrapperInput) {
    i.input_type = Some(i.input_type().to_string());
    i.required = Some(i.required.unwrap_or(true));
    i.load_children = Some(i.load_children.unwrap_or(true));
    default_key(&mut i.replacement_key, &i.name);
    false_is_absent(&mut i.sensitive);
    false_is_absent(&mut i.multiple);
}

fn handler(h: &mut OutputHandler) {
    h.handler_type = Some(h.handler_type().to_string());
    h.tags.sort();
    h.tags.dedup();
}

fn default_key(key: &mut Option<String>, name: &str) {
    if key
        .as_deref()
        .is_some_and(|k| k.is_empty() || k == format!("#{name}#"))
    {
        *key = None;
    }
}

fn false_is_absent(flag: &mut Option<bool>) {
    if *flag == Some(false) {
        *flag = None;
    }
}

fn empty_is_absent(map: &mut Option<StringMap>) {
    if map.as_ref().is_some_and(|m| m.is_empty()) {
        *map = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_order_do_not_matter() {
        let terse: Command = serde_json::from_value(serde_json::json!({
            "name": "a", "image": "x/a:1",
            "inputs": [{"name": "i"}],
            "outputs": [{"name": "o", "mount": "out"}],
            "xnat": [{"name": "w", "contexts": ["b", "a"],
                      "external-inputs": [{"name": "s", "type": "Session"}],
                      "output-handlers": [{"name": "h", "accepts-command-output": "o", "tags": ["y", "x"]}]}]
        }))
        .expect("command");
        let spelled: Command = serde_json::from_value(serde_json::json!({
            "id": 7, "hash": "sha256:1", "visibility": "public", "type": "docker",
            "image": "x/a:1", "name": "a", "container-labels": {},
            "inputs": [{"name": "i", "type": "whatever", "required": false,
                        "replacement-key": "#i#", "sensitive": false}],
            "outputs": [{"name": "o", "mount": "out", "required": false}],
            "xnat": [{"id": 3, "name": "w", "contexts": ["a", "b", "a"],
                      "external-inputs": [{"name": "s", "type": "Session", "required": true,
                                           "load-children": true}],
                      "output-handlers": [{"name": "h", "accepts-command-output": "o",
                                           "type": "Resource", "tags": ["x", "y"]}]}]
        }))
        .expect("command");
        assert_eq!(command(&terse), command(&spelled));
    }
}

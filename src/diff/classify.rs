//! Which class each change falls in, and why. The README's table is this module, in prose.
//!
//! Commands:
//!
//! | change | class | why |
//! |---|---|---|
//! | command removed or renamed | breaking | its wrappers' ids, enablement, configuration and automations are stranded |
//! | `type` changed | breaking | a different kind of command |
//! | image moved to another repository | breaking | another image; XNAT's identity (name, image, version) changes |
//! | wrapper removed or renamed | breaking | enablement, configuration and subscriptions stay under the old wrapper id |
//! | wrapper context removed | breaking | the action disappears from that data type |
//! | input (command or wrapper) removed or renamed | breaking | launches, configuration and automations that set it break |
//! | input made required; required input added without default | breaking | existing launches lack it |
//! | input `type` changed | breaking | values given so far no longer fit |
//! | output handler removed or renamed | breaking | results stop being uploaded; its configured label is stranded |
//! | image tag or digest changed | risky | a different build runs |
//! | `limit-memory`, `limit-cpu`, `shm-size` lowered or newly set | risky | jobs that fitted may be killed |
//! | `reserve-memory` raised or newly set | risky | jobs may no longer be scheduled |
//! | `command-line` changed | risky | the container runs something else |
//! | `version` changed | risky | part of XNAT's command identity |
//! | handler `label`, `format`, `content`, `tags` changed | risky | results land under other names |
//! | select values removed, defaults, matchers, mounts, environment, outputs, wiring… | risky | what runs changes (anything not listed as safe) |
//! | description, label, info URL, schema version, metadata, container labels | safe | text for people |
//! | command, wrapper, context, optional input, output handler added | safe | nothing existing changes |
//! | input made optional; select values added; limits raised; reservation lowered | safe | everything that worked still works |
//!
//! Other kinds: a wrapper disabled (or dropped) at the site or in a project, an active
//! automation deactivated or removed, and a change of backend type are breaking; configuration
//! values (`default-value`, `matcher`, `user-settable`, output `label`), registry URL, user and
//! credentials, backend settings, automation triggers and inputs, and any change to an
//! Environment are risky; additions, `advanced`, e-mail and bookkeeping settings are safe;
//! a Project, Site or backend no longer declared is safe (XNAT keeps its settings; xcs stops
//! managing them). A wrapper setting's `config` newly declared is risky (overrides it does not
//! list are removed); dropped, safe (XNAT keeps its overrides).

use super::Class::{self, Breaking, Risky, Safe};
use super::tree::{Op, Raw, shape};
use serde_json::Value;

type Verdict = (Class, String);

fn v(class: Class, why: &str) -> Verdict {
    (class, why.to_string())
}

/// Repository, tag and digest of an image reference (`host:5000/a/b:1.0@sha256:…`).
pub fn image_parts(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

fn text(v: &Option<Value>) -> Option<&str> {
    v.as_ref().and_then(Value::as_str)
}

fn number(v: &Option<Value>) -> Option<f64> {
    v.as_ref().and_then(Value::as_f64)
}

fn flag(v: &Option<Value>, default: bool) -> bool {
    v.as_ref().and_then(Value::as_bool).unwrap_or(default)
}

/// A change of an image reference.
pub fn image(before: Option<&str>, after: Option<&str>) -> Verdict {
    let repo = |i: Option<&str>| i.map(|i| image_parts(i).0.to_string());
    if repo(before) != repo(after) {
        v(
            Breaking,
            "image moved to another repository: another image, and a new command identity in XNAT",
        )
    } else {
        v(Risky, "image tag or digest changed: a different build runs")
    }
}

/// A lower limit, or a limit where there was none.
fn limit(raw: &Raw, what: &str) -> Verdict {
    match (number(&raw.before), number(&raw.after)) {
        (Some(b), Some(a)) if a >= b => (Safe, format!("{what} raised")),
        (_, None) => (Safe, format!("{what} removed")),
        (None, Some(_)) => (
            Risky,
            format!("{what} newly set: jobs that fitted may be killed"),
        ),
        _ => (
            Risky,
            format!("{what} lowered: jobs that fitted may be killed"),
        ),
    }
}

fn reservation(raw: &Raw) -> Verdict {
    match (number(&raw.before), number(&raw.after)) {
        (Some(b), Some(a)) if a <= b => v(Safe, "memory reservation lowered"),
        (_, None) => v(Safe, "memory reservation removed"),
        _ => v(
            Risky,
            "memory reservation raised: jobs may no longer be scheduled",
        ),
    }
}

/// Whether an input element (command input, or wrapper input when `wrapper`) must be given.
fn input_required(element: &Option<Value>, wrapper: bool) -> bool {
    element
        .as_ref()
        .and_then(|e| e.get("required"))
        .and_then(Value::as_bool)
        .unwrap_or(wrapper)
}

fn has_default(element: &Option<Value>) -> bool {
    element
        .as_ref()
        .and_then(|e| e.get("default-value"))
        .is_some_and(|d| !d.is_null())
}

fn input_element(raw: &Raw, wrapper: bool) -> Verdict {
    match raw.op {
        Op::Removed => v(
            Breaking,
            "input removed: launches, configuration and automations that set it break",
        ),
        Op::Renamed => v(
            Breaking,
            "input renamed: launches, configuration and automations that set the old name break",
        ),
        Op::Added if input_required(&raw.after, wrapper) && !has_default(&raw.after) => v(
            Breaking,
            "required input added without a default: existing launches and automations lack it",
        ),
        Op::Added => v(Safe, "optional input added"),
        Op::Changed => v(Risky, "input changed"),
    }
}

fn input_field(raw: &Raw, field: &str, wrapper: bool) -> Verdict {
    match field {
        "required" => {
            let (b, a) = (flag(&raw.before, wrapper), flag(&raw.after, wrapper));
            if !b && a {
                v(Breaking, "input made required: launches without it fail")
            } else {
                v(Safe, "input made optional")
            }
        }
        "type" => v(
            Breaking,
            "input type changed: values given so far may no longer fit",
        ),
        "label" | "description" => v(Safe, "text shown in the launch form"),
        "sensitive" => v(Safe, "masking in XNAT's UI"),
        "select-values" => {
            let list = |x: &Option<Value>| -> Vec<Value> {
                x.as_ref()
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let (b, a) = (list(&raw.before), list(&raw.after));
            if b.iter().all(|x| a.contains(x)) {
                v(Safe, "choices added")
            } else {
                v(
                    Risky,
                    "choices removed: configured defaults and automations may use them",
                )
            }
        }
        "default-value" => v(
            Risky,
            "default changed: launches that keep the default run differently",
        ),
        "matcher" => v(Risky, "matcher changed: other objects qualify"),
        _ => v(Risky, "input wiring changed"),
    }
}

/// Classify one difference inside a Command.
pub fn command(raw: &Raw) -> Verdict {
    let shape = shape(&raw.path);
    match shape.as_str() {
        "image" => return image(text(&raw.before), text(&raw.after)),
        "type" => return v(Breaking, "command type changed"),
        "version" => {
            return v(
                Risky,
                "version changed: part of XNAT's command identity (name, image, version)",
            );
        }
        "command-line" => {
            return v(
                Risky,
                "command line changed: the container runs something else",
            );
        }
        "limit-memory" => return limit(raw, "memory limit"),
        "limit-cpu" => return limit(raw, "CPU limit"),
        "shm-size" => return limit(raw, "shared memory size"),
        "reserve-memory" => return reservation(raw),
        "label" | "description" | "info-url" | "schema-version" | "command-metadata" => {
            return v(Safe, "text for people");
        }
        "visibility" => return v(Risky, "who sees the command changes"),
        "inputs[]" => return input_element(raw, false),
        "xnat[]" => {
            return match raw.op {
                Op::Removed => v(
                    Breaking,
                    "wrapper removed: its enablement, configuration and automations are stranded under its id",
                ),
                Op::Renamed => v(
                    Breaking,
                    "wrapper renamed: XNAT gives it a new id; enablement, configuration and automations stay with the old one",
                ),
                Op::Added => v(Safe, "wrapper added"),
                Op::Changed => v(Risky, "wrapper changed"),
            };
        }
        "xnat[].label" | "xnat[].description" => return v(Safe, "text for people"),
        "xnat[].contexts[]" => {
            return match raw.op {
                Op::Removed => v(
                    Breaking,
                    "context removed: the action disappears from that data type",
                ),
                _ => v(Safe, "context added"),
            };
        }
        "xnat[].external-inputs[]" | "xnat[].derived-inputs[]" => {
            return input_element(raw, true);
        }
        "xnat[].output-handlers[]" => {
            return match raw.op {
                Op::Removed => v(
                    Breaking,
                    "output handler removed: results stop being uploaded",
                ),
                Op::Renamed => v(
                    Breaking,
                    "output handler renamed: configured output labels stay with the old name",
                ),
                Op::Added => v(Safe, "output handler added"),
                Op::Changed => v(Risky, "output handler changed"),
            };
        }
        "xnat[].output-handlers[].description" => return v(Safe, "text for people"),
        "xnat[].output-handlers[].label"
        | "xnat[].output-handlers[].format"
        | "xnat[].output-handlers[].content" => {
            return v(Risky, "results are uploaded under other names");
        }
        "xnat[].output-handlers[].tags[]" => {
            return v(Risky, "results are tagged differently");
        }
        "outputs[]" => {
            return match raw.op {
                Op::Added => v(Safe, "output added"),
                _ => v(Risky, "output removed or renamed: fewer results"),
            };
        }
        _ => {}
    }
    if shape.starts_with("container-labels") {
        return v(Safe, "labels for people and tools");
    }
    if let Some(rest) = shape.strip_prefix("inputs[].") {
        return input_field(raw, rest, false);
    }
    for list in ["xnat[].external-inputs[].", "xnat[].derived-inputs[]."] {
        if let Some(rest) = shape.strip_prefix(list) {
            return input_field(raw, rest, true);
        }
    }
    if shape.starts_with("environment-variables") {
        return v(Risky, "the container's environment changes");
    }
    if shape.starts_with("mounts[]") {
        return v(Risky, "what is mounted where changes");
    }
    if shape.starts_with("secrets[]") {
        return v(Risky, "which XNAT secrets reach the container changes");
    }
    if shape.starts_with("outputs[]") {
        return v(Risky, "which files are collected changes");
    }
    v(Risky, "how the container runs changes")
}

/// A wrapper setting at the site or in a project.
pub fn enablement(raw: &Raw, scope: &str) -> Verdict {
    let shape = shape(&raw.path);
    match (shape.as_str(), raw.op) {
        ("wrappers[]", Op::Removed) if flag(&field(&raw.before, "enabled"), true) => (
            Breaking,
            format!("no longer enabled {scope}: the action disappears and its automations stop"),
        ),
        ("wrappers[]", Op::Removed) => v(Safe, "setting removed; the wrapper stays disabled"),
        ("wrappers[]", Op::Renamed) => (
            Breaking,
            format!(
                "follows a rename: XNAT knows the new wrapper by a new id, so it is enabled {scope} anew and the old id's settings stay behind"
            ),
        ),
        ("wrappers[]", Op::Added) if flag(&field(&raw.after, "enabled"), true) => {
            (Safe, format!("enabled {scope}"))
        }
        ("wrappers[]", _) => (Safe, format!("listed, and disabled {scope}")),
        ("wrappers[].enabled", _) if !flag(&raw.after, true) => (
            Breaking,
            format!("disabled {scope}: the action disappears and its automations stop"),
        ),
        ("wrappers[].enabled", _) => (Safe, format!("enabled {scope}")),
        ("wrappers[].config", _) if raw.after.as_ref().is_none_or(Value::is_null) => (
            Safe,
            format!("configuration no longer managed {scope}: XNAT keeps its overrides"),
        ),
        ("wrappers[].config", _) if raw.before.as_ref().is_none_or(Value::is_null) => (
            Risky,
            format!("configuration now managed {scope}: overrides it does not list are removed"),
        ),
        _ if shape.ends_with(".advanced") => v(Safe, "launch form layout"),
        _ if shape.ends_with(".default-value") => (
            Risky,
            format!("default changed {scope}: launches that keep it run differently"),
        ),
        _ if shape.ends_with(".matcher") => v(Risky, "matcher changed: other objects qualify"),
        _ if shape.ends_with(".user-settable") => v(Risky, "who may change the value changes"),
        _ if shape.ends_with(".label") => v(Risky, "results are uploaded under another label"),
        _ => v(Risky, "configuration changed"),
    }
}

fn field(element: &Option<Value>, key: &str) -> Option<Value> {
    element.as_ref().and_then(|e| e.get(key)).cloned()
}

/// An automation (event-service subscription).
pub fn automation(raw: &Raw) -> Verdict {
    match shape(&raw.path).as_str() {
        "active" if !flag(&raw.after, true) => {
            v(Breaking, "deactivated: events stop launching the wrapper")
        }
        "active" => v(Safe, "activated"),
        s if s.starts_with("inputs") => v(Risky, "launches get other input values"),
        s if s.starts_with("event") => v(Risky, "other events trigger it"),
        "project" => v(Risky, "runs in another scope"),
        "act-as-event-user" => v(Risky, "launches run as another user"),
        _ => v(Risky, "launches something else"),
    }
}

/// A registry. Secret fields never reach here with values (see `sensitive`).
pub fn registry(raw: &Raw) -> Verdict {
    match shape(&raw.path).as_str() {
        "email" => v(Safe, "contact address"),
        "password" | "token" => v(Risky, "credentials reference changed"),
        "default" => v(Risky, "pulls that name no registry go elsewhere"),
        "url" => v(Risky, "pulls go to another registry"),
        "username" => v(Risky, "pulls authenticate as someone else"),
        _ => v(Risky, "registry changed"),
    }
}

/// The compute backend.
pub fn backend(raw: &Raw) -> Verdict {
    match shape(&raw.path).as_str() {
        "backend" => v(
            Breaking,
            "backend type changed: every command runs elsewhere, and backend-specific settings stop applying",
        ),
        "name"
        | "status-email-enabled"
        | "pull-images-on-xnat-init"
        | "auto-cleanup"
        | "max-concurrent-finalizing-jobs" => v(Safe, "bookkeeping setting"),
        _ => v(Risky, "where and how containers run changes"),
    }
}

/// A `from:` command source.
pub fn source(raw: &Raw) -> Verdict {
    match (shape(&raw.path).as_str(), raw.op) {
        ("image", _) => image(text(&raw.before), text(&raw.after)),
        ("names[]", Op::Removed) => v(Breaking, "command no longer taken from the source"),
        ("names[]", _) => v(Safe, "command taken from the source"),
        ("sha256", _) => v(Risky, "the downloaded document changes"),
        _ => v(Risky, "source changed"),
    }
}

/// An environment: anything here changes what one XNAT gets.
pub fn environment(_raw: &Raw) -> Verdict {
    v(
        Risky,
        "changes what this environment's XNAT gets; see `xcs diff --env NAME`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split() {
        assert_eq!(image_parts("a/b:1"), ("a/b", Some("1"), None));
        assert_eq!(
            image_parts("host:5000/a/b:1@sha256:ab"),
            ("host:5000/a/b", Some("1"), Some("sha256:ab"))
        );
        assert_eq!(image_parts("host:5000/a/b"), ("host:5000/a/b", None, None));
        assert_eq!(image(Some("a/b:1"), Some("a/b:2")).0, Risky);
        assert_eq!(image(Some("a/b:1"), Some("a/b@sha256:cd")).0, Risky);
        assert_eq!(image(Some("a/b:1"), Some("c/b:1")).0, Breaking);
    }
}

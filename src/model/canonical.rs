//! The canonical form of a Command: what XNAT hands back after storing it.
//!
//! XNAT fills defaults, normalises input types, treats `contexts` as a set, drops nulls and
//! hides ids (command-format §10, API reference §4 "Server-side normalizations"). Comparing
//! canonical forms is how a plan shows no change after a clean apply, and how a diff between
//! revisions ignores spelling-only edits.

use super::command::{COMMAND_INPUT_TYPES, Command};
use serde_json::{Map, Value, json};

/// Which optional fields the target XNAT stores (older Container Services drop some).
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

/// The canonical JSON of a command.
pub fn command(cmd: &Command, stored: Stored) -> Value {
    let mut v = serde_json::to_value(cmd).unwrap_or(Value::Null);
    let Some(obj) = v.as_object_mut() else { return v };
    obj.remove("id");
    obj.remove("hash");
    default(obj, "type", json!("docker"));
    if stored.visibility {
        let vis = obj.get("visibility").and_then(Value::as_str).map(str::to_lowercase);
        obj.insert("visibility".into(), json!(vis.unwrap_or_else(|| "public".into())));
    } else {
        obj.remove("visibility");
    }
    if !stored.metadata {
        obj.remove("command-metadata");
    }
    each(obj, "mounts", |m| default(m, "writable", json!(false)));
    each(obj, "inputs", |i| {
        let ty = i.get("type").and_then(Value::as_str).unwrap_or("string");
        let ty = match ty {
            "File" => "file",
            t if COMMAND_INPUT_TYPES.contains(&t) => t,
            _ => "string",
        };
        i.insert("type".into(), json!(ty));
        default(i, "required", json!(false));
    });
    each(obj, "outputs", |o| default(o, "required", json!(false)));
    each(obj, "xnat", |w| {
        w.remove("id");
        if let Some(Value::Array(contexts)) = w.get_mut("contexts") {
            contexts.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            contexts.dedup();
        }
        for list in ["external-inputs", "derived-inputs"] {
            each(w, list, |i| {
                default(i, "type", json!("string"));
                default(i, "required", json!(true));
                default(i, "load-children", json!(true));
            });
        }
        each(w, "derived-inputs", |i| default(i, "multiple", json!(false)));
        each(w, "output-handlers", |h| default(h, "type", json!("Resource")));
    });
    prune(&mut v);
    v
}

fn default(obj: &mut Map<String, Value>, key: &str, value: Value) {
    if obj.get(key).is_none_or(Value::is_null) {
        obj.insert(key.to_string(), value);
    }
}

fn each(obj: &mut Map<String, Value>, key: &str, f: impl Fn(&mut Map<String, Value>)) {
    if let Some(Value::Array(items)) = obj.get_mut(key) {
        for item in items {
            if let Some(o) = item.as_object_mut() {
                f(o);
            }
        }
    }
}

/// Drop nulls, empty lists and empty maps: XNAT does not tell them apart from absent.
pub fn prune(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                prune(child);
            }
            map.retain(|_, c| !is_empty(c));
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// One attribute-level difference between two canonical values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// Where: a path of keys, with named list items by name (`xnat/convert/contexts`).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// Differences between two canonical values. Lists of objects that all have a `name` are
/// compared by name, so reordering is no change and a changed input shows as that input.
pub fn changes(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}/{key}") }
}

fn named(items: &[Value]) -> Option<Vec<(&str, &Value)>> {
    items
        .iter()
        .map(|i| i.get("name").and_then(Value::as_str).map(|n| (n, i)))
        .collect()
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                match b.get(k) {
                    Some(vb) => walk(&join(path, k), va, vb, out),
                    None => out.push(Change { path: join(path, k), old: Some(va.clone()), new: None }),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(Change { path: join(path, k), old: None, new: Some(vb.clone()) });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => match (named(a), named(b)) {
            (Some(na), Some(nb)) => {
                for (name, va) in &na {
                    match nb.iter().find(|(n, _)| n == name) {
                        Some((_, vb)) => walk(&join(path, name), va, vb, out),
                        None => out.push(Change { path: join(path, name), old: Some((*va).clone()), new: None }),
                    }
                }
                for (name, vb) in &nb {
                    if !na.iter().any(|(n, _)| n == name) {
                        out.push(Change { path: join(path, name), old: None, new: Some((*vb).clone()) });
                    }
                }
                let oa: Vec<&str> = na.iter().map(|(n, _)| *n).collect();
                let ob: Vec<&str> = nb.iter().map(|(n, _)| *n).collect();
                let common_a: Vec<&str> = oa.iter().copied().filter(|n| ob.contains(n)).collect();
                let common_b: Vec<&str> = ob.iter().copied().filter(|n| oa.contains(n)).collect();
                if common_a != common_b {
                    out.push(Change { path: join(path, "(order)"), old: Some(json!(oa)), new: Some(json!(ob)) });
                }
            }
            _ => out.push(Change { path: path.to_string(), old: Some(old.clone()), new: Some(new.clone()) }),
        },
        _ => out.push(Change { path: path.to_string(), old: Some(old.clone()), new: Some(new.clone()) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(json: Value) -> Command {
        serde_json::from_value(json).expect("command")
    }

    #[test]
    fn defaults_and_spelling_do_not_matter() {
        let written = cmd(json!({
            "name": "a", "image": "x/a:1", "version": "1",
            "inputs": [{"name": "n", "type": "File"}, {"name": "m", "type": "int"}],
            "xnat": [{"name": "w", "contexts": ["b", "a"], "external-inputs": [{"name": "s", "type": "Session"}],
                      "output-handlers": [{"name": "h", "accepts-command-output": "o", "as-a-child-of-wrapper-input": "s", "label": "L"}]}],
            "environment-variables": {}, "ulimits": null
        }));
        let read_back = cmd(json!({
            "id": 7, "name": "a", "image": "x/a:1", "version": "1", "type": "docker", "visibility": "public",
            "inputs": [{"name": "n", "type": "file", "required": false, "select-values": []},
                       {"name": "m", "type": "string", "required": false}],
            "xnat": [{"id": 9, "name": "w", "contexts": ["a", "b"],
                      "external-inputs": [{"name": "s", "type": "Session", "required": true, "load-children": true}],
                      "output-handlers": [{"name": "h", "accepts-command-output": "o", "as-a-child-of": "s", "type": "Resource", "label": "L", "tags": []}]}]
        }));
        assert_eq!(command(&written, Stored::default()), command(&read_back, Stored::default()));
    }

    #[test]
    fn changes_name_list_items() {
        let a = json!({"xnat": [{"name": "w", "label": "A"}, {"name": "v"}], "image": "x:1"});
        let b = json!({"xnat": [{"name": "v"}, {"name": "w", "label": "B"}], "image": "x:2"});
        let c = changes(&a, &b);
        assert_eq!(c.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), vec!["xnat/w/label", "xnat/(order)", "image"]);
    }
}

//! A Command as YAML with a comment above every field: the field's description from the
//! Command JSON Schema (so the comments say what the schema pages and editors say).

use crate::load::emit;
use crate::model::json_schema::{COMMAND_MODELINE, schema};
use crate::model::{Command, Kind};
use serde_json::{Map, Value};

const WIDTH: usize = 96;

/// The modeline, `kind: Command` and the command, every field commented.
pub fn render(command: &Command) -> String {
    let root = schema(Kind::Command);
    let defs = root.get("$defs").cloned().unwrap_or(Value::Null);
    let mut out = format!("{COMMAND_MODELINE}\n");
    comment(
        &mut out,
        0,
        "What this document declares: an XNAT Container Service Command.",
    );
    out.push_str("kind: Command\n");
    let value = serde_json::to_value(command).unwrap_or(Value::Null);
    if let Value::Object(map) = value {
        mapping(&mut out, &map, defs.get("Command"), &defs, 0, false);
    }
    out
}

fn comment(out: &mut String, indent: usize, text: &str) {
    let pad = " ".repeat(indent);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut line = String::new();
    for w in words {
        if !line.is_empty() && pad.len() + 2 + line.len() + 1 + w.len() > WIDTH {
            out.push_str(&format!("{pad}# {line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push_str(&format!("{pad}# {line}\n"));
    }
}

/// The definition a property refers to (`$ref`, or the `$ref` of its items).
fn referenced<'a>(prop: Option<&Value>, defs: &'a Value) -> Option<&'a Value> {
    let prop = prop?;
    let r = prop
        .get("$ref")
        .or_else(|| prop.get("items").and_then(|i| i.get("$ref")))?;
    defs.get(r.as_str()?.rsplit('/').next()?)
}

/// A mapping; `in_item` when it is a sequence item whose first key follows `- `.
fn mapping(
    out: &mut String,
    map: &Map<String, Value>,
    def: Option<&Value>,
    defs: &Value,
    indent: usize,
    in_item: bool,
) {
    let props = def.and_then(|d| d.get("properties"));
    for (i, (key, value)) in map.iter().enumerate() {
        let prop = props.and_then(|p| p.get(key));
        let first_of_item = in_item && i == 0;
        if let Some(text) = prop
            .and_then(|p| p.get("description"))
            .and_then(Value::as_str)
        {
            if first_of_item {
                // The comment goes above the `- ` line: take the line's start back, put it after.
                out.truncate(out.len() - indent);
                comment(out, indent, text);
                out.push_str(&" ".repeat(indent.saturating_sub(2)));
                out.push_str("- ");
            } else {
                comment(out, indent, text);
            }
        }
        if !first_of_item {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&emit::string(key));
        out.push(':');
        let sub = referenced(prop, defs);
        match value {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                mapping(out, m, sub, defs, indent + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                for item in items {
                    out.push_str(&" ".repeat(indent + 2));
                    out.push_str("- ");
                    match item {
                        Value::Object(m) if !m.is_empty() => {
                            mapping(out, m, sub, defs, indent + 4, true)
                        }
                        other => {
                            out.push_str(&scalar(other));
                            out.push('\n');
                        }
                    }
                }
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => emit::string(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

//! The copyable ways to install a command: a declaration-repo YAML document, the `curl` call to
//! XNAT's `POST /xapi/commands?image=…`, and the Dockerfile `LABEL org.nrg.commands=…` line
//! XNAT reads when it imports an image's commands.

use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt::Write as _;

#[derive(Debug, Clone, Serialize)]
pub struct Snippets {
    /// `kind: Command` plus the command, for `commands/<name>.yaml` in a declaration repo.
    pub yaml: String,
    /// The XNAT Command JSON, pretty-printed: the body of the `curl` call.
    pub json: String,
    pub json_file: String,
    pub curl: String,
    pub dockerfile: String,
}

/// `command` is XNAT's Command JSON (already masked).
pub fn snippets(command: &Value, file_stem: &str) -> Snippets {
    let mut doc = Map::new();
    doc.insert("kind".into(), Value::String("Command".into()));
    if let Value::Object(fields) = command {
        for (k, v) in fields {
            doc.insert(k.clone(), v.clone());
        }
    }
    let json_file = format!("{file_stem}.json");
    let image = command.get("image").and_then(Value::as_str).unwrap_or("");
    let query = if image.is_empty() {
        String::new()
    } else {
        format!("?image={}", percent_encode(image))
    };
    let curl = format!(
        "curl -fsS -u \"$XNAT_USER:$XNAT_PASS\" \\\n  -H 'Content-Type: application/json' \\\n  --data-binary @{json_file} \\\n  \"$XNAT_URL/xapi/commands{query}\""
    );
    // The label describes the image it sits on: XNAT fills `image` in on import.
    let mut label = command.clone();
    if let Value::Object(fields) = &mut label {
        fields.remove("image");
    }
    let label_json = Value::Array(vec![label]).to_string();
    Snippets {
        yaml: to_yaml(&Value::Object(doc)),
        json: serde_json::to_string_pretty(command).unwrap_or_default(),
        json_file,
        curl,
        dockerfile: format!(
            "LABEL org.nrg.commands=\"{}\"",
            dockerfile_escape(&label_json)
        ),
    }
}

/// Inside a Dockerfile's double quotes, `\` and `"` are escapes and `$` expands a variable.
fn dockerfile_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if matches!(c, '\\' | '"' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Query-string encoding: everything but RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Block-style YAML for a JSON value. Strings that YAML could read as something else (numbers,
/// booleans, `#` comments, `: ` keys…) are written JSON-quoted, which YAML reads verbatim.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn mapping(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (i, (k, v)) in map.iter().enumerate() {
        // The first key of a sequence item sits on the `- ` line.
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&string(k));
        out.push(':');
        value_after_key(out, v, indent);
    }
}

fn value_after_key(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            mapping(out, m, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent + 2);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => mapping(out, m, indent + 2),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(out, inner, indent + 2);
            }
            _ => {
                out.push_str(&scalar(item));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn string(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

/// Conservative: letters, digits and `_ . / -` (spaces inside), starting with a letter or `/`,
/// and not a word YAML 1.1 or 1.2 reads as a boolean or null.
fn is_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/') || s.ends_with(' ') {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | ' '))
    {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_reads_back_as_the_same_value() {
        let value = json!({
            "kind": "Command",
            "name": "x y",
            "version": "1.0",
            "n": 3, "f": 1.5, "t": true, "no": "no", "hash": "#KEY# rest",
            "colon": "a: b", "empty": "", "list": [], "map": {},
            "inputs": [{"name": "a", "select-values": ["y", "n"]}, {"name": "b"}],
            "nested": [[1, 2], ["x"]],
            "multi": "line one\nline two \"quoted\"",
        });
        let yaml = to_yaml(&value);
        let (docs, issues) =
            crate::load::yaml::parse(&yaml, &crate::load::Limits::default()).expect("parses");
        assert!(issues.is_empty(), "{issues:?}\n{yaml}");
        assert_eq!(docs[0].to_json(), value, "\n{yaml}");
    }

    #[test]
    fn label_line_survives_dockerfile_quoting() {
        let s = snippets(
            &json!({"name": "a", "image": "x/y:1", "command-line": "echo \"$HOME\" \\"}),
            "a",
        );
        assert_eq!(
            s.dockerfile,
            r#"LABEL org.nrg.commands="[{\"name\":\"a\",\"command-line\":\"echo \\\"\$HOME\\\" \\\\\"}]""#
        );
        assert!(
            s.curl.contains("/xapi/commands?image=x%2Fy%3A1\""),
            "{}",
            s.curl
        );
    }
}

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
        yaml: crate::load::emit::yaml(&Value::Object(doc)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

//! YAML text for declarations xcs writes (`xcs import`, the site's copyable snippets): block
//! style, strings quoted only when YAML would read them as something else, and always read
//! back by xcs's own loader as the same value.

use serde_json::Value;
use std::fmt::Write as _;

/// A value as a YAML document body (no `---`), ending with a newline.
pub fn yaml(value: &Value) -> String {
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

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push(' ');
    }
}

fn inline(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) if m.is_empty() => Some("{}".into()),
        Value::Array(a) if a.is_empty() => Some("[]".into()),
        Value::Object(_) | Value::Array(_) => None,
        other => Some(scalar(other)),
    }
}

fn mapping(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (i, (k, v)) in map.iter().enumerate() {
        // The first key of a mapping inside a sequence item follows the `- `.
        if i > 0 || indent == 0 || !out.ends_with("- ") {
            pad(out, indent);
        }
        out.push_str(&string(k));
        out.push(':');
        match inline(v) {
            Some(text) => {
                let _ = writeln!(out, " {text}");
            }
            None => {
                out.push('\n');
                match v {
                    Value::Object(m) => mapping(out, m, indent + 2),
                    Value::Array(a) => sequence(out, a, indent + 2),
                    _ => {}
                }
            }
        }
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for v in items {
        pad(out, indent);
        out.push_str("- ");
        match (inline(v), v) {
            (Some(text), _) => {
                let _ = writeln!(out, "{text}");
            }
            (None, Value::Object(m)) => mapping(out, m, indent + 2),
            (None, Value::Array(a)) => {
                out.push('\n');
                sequence(out, a, indent + 2);
            }
            _ => {}
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => string(s),
        other => other.to_string(),
    }
}

/// A string, plain when that reads back as the same string, else double-quoted (JSON escapes
/// are valid YAML double-quoted escapes).
pub fn string(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s.trim() == s
        && !s.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`',
        ])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.chars().any(|c| c.is_control() || c == '\u{feff}')
        && crate::load::yaml::resolve_plain(s) == Value::String(s.to_string());
    if plain_ok {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: Value) {
        let text = yaml(&v);
        let (docs, issues) =
            crate::load::yaml::parse(&text, &crate::load::Limits::default()).expect("parses");
        assert!(issues.is_empty(), "{issues:?}\n{text}");
        assert_eq!(docs[0].to_json(), v, "\n{text}");
    }

    #[test]
    fn tricky_values_read_back_the_same() {
        round_trip(json!({
            "name": "dcm2niix", "version": "1.0", "n": 1, "f": 1.5, "t": true, "nul": null,
            "empty": "", "yes": "yes", "num": "012", "colon": "a: b", "hash": "run #IN# -o #OUT#",
            "dash": "-flag", "quote": "it's \"q\"", "multi": "line1\nline2", "unicode": "é 😀",
            "list": ["a", 1, {"x": [], "y": {}}, ["n"]], "nested": {"a": {"b": [{"c": "d", "e": ["f"]}]}},
            "key with: colon": 1, "true": "false"
        }));
    }

    #[test]
    fn every_corpus_command_round_trips() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/commands");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        for e in entries.flatten() {
            if let Ok(v) = serde_json::from_str::<Value>(
                &std::fs::read_to_string(e.path()).unwrap_or_default(),
            ) {
                round_trip(v);
            }
        }
    }
}

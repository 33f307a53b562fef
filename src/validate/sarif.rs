//! SARIF 2.1.0 (OASIS), the format GitHub code scanning reads: one run of the `xcs` tool whose
//! rules are the rule table and whose results are the diagnostics, each at its file, line and
//! column.

use super::rules;
use crate::diag::{Diagnostic, Severity};
use serde_json::{Value, json};

/// The `$schema` a SARIF 2.1.0 log names.
pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF log of these diagnostics, made by xcs `version`.
pub fn log(diagnostics: &[Diagnostic], version: &str) -> Value {
    let rules: Vec<Value> = rules::ALL.iter().map(|r| rule(r)).collect();
    let results: Vec<Value> = diagnostics.iter().map(result).collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "xcs",
                "version": version,
                "informationUri": "https://github.com/xnat-tools/xcs",
                "rules": rules,
            }},
            // xcs counts columns in characters, not UTF-16 code units (SARIF's default).
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(r: &rules::Rule) -> Value {
    json!({
        "id": r.code,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": format!("{} XNAT: {}", r.summary, r.xnat)},
        "help": {"text": format!("What XNAT does: {}", r.xnat)},
        "defaultConfiguration": {"level": level(r.severity)},
    })
}

fn result(d: &Diagnostic) -> Value {
    let mut text = d.message.clone();
    if let Some(hint) = &d.hint {
        text.push_str("\nhint: ");
        text.push_str(hint);
    }
    let mut out = json!({
        "ruleId": d.code,
        "level": level(d.severity),
        "message": {"text": text},
    });
    if let Some(index) = rules::ALL.iter().position(|r| r.code == d.code) {
        out["ruleIndex"] = json!(index);
    }
    if let Some(loc) = &d.location {
        out["locations"] = json!([{"physicalLocation": {
            "artifactLocation": {"uri": uri(&loc.file)},
            "region": {"startLine": loc.line.max(1), "startColumn": loc.col.max(1)},
        }}]);
    }
    out
}

/// A relative URI reference for a path: `/` separators, and every byte outside RFC 3986's
/// unreserved set (and `/`) percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uris() {
        assert_eq!(uri("commands/fsl bet.yaml"), "commands/fsl%20bet.yaml");
        assert_eq!(uri("a\\b#c%.yml"), "a/b%23c%25.yml");
        assert_eq!(uri("é.yaml"), "%C3%A9.yaml");
    }
}

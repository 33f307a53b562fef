//! Replacement keys in templates: `#KEY#` tokens that match no input stay literal at launch.

use crate::load::Ptr;
use crate::model::Command;
use crate::model::template::tokens;
use crate::validate::finding::{Findings, did_you_mean};
use crate::validate::rules::TEMPLATE_KEY;

/// Every template of a command, with where it is.
fn templates(cmd: &Command) -> Vec<(Ptr, &str)> {
    let root = Ptr::root();
    let mut out = Vec::new();
    if let Some(cl) = cmd.command_line.as_deref() {
        out.push((root.key("command-line"), cl));
    }
    if let Some(name) = cmd.container_name.as_deref() {
        out.push((root.key("container-name"), name));
    }
    for (field, map) in [
        ("environment-variables", &cmd.environment_variables),
        ("ports", &cmd.ports),
    ] {
        for (k, v) in map {
            out.push((root.key(field).key(k), k.as_str()));
            out.push((root.key(field).key(k), v.as_str()));
        }
    }
    for (i, o) in cmd.outputs.iter().enumerate() {
        if let Some(path) = o.path.as_deref() {
            out.push((root.key("outputs").index(i).key("path"), path));
        }
    }
    out
}

pub fn check(cmd: &Command, f: &mut Findings) {
    let keys = cmd.replacement_keys();
    for (at, text) in templates(cmd) {
        for token in tokens(text) {
            if !keys.iter().any(|k| k == token) {
                f.add(TEMPLATE_KEY, &at, format!("`{token}` matches no input's replacement key"))
                    .maybe_hint(did_you_mean(token, keys.iter().map(String::as_str)).or(Some(
                        "XNAT substitutes `#name#` of each input (or its `replacement-key`); this stays literal".to_string(),
                    )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tokens_and_skips_lone_hashes() {
        assert_eq!(tokens("run #IN# -o #OUT# # comment"), vec!["#IN#", "#OUT#"]);
        assert_eq!(tokens("echo '#' && x #a b# #K#"), vec!["#K#"]);
        assert!(tokens("no keys here").is_empty());
    }
}

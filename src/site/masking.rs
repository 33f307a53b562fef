//! What the catalog must never publish: literal values of environment variables that look like
//! credentials, and the values of inputs marked `sensitive`. The command is masked once, before
//! anything renders it, so pages, snippets, raw JSON and the JSON API all show the same mask.

use crate::model::Command;
use crate::model::secret::is_credential_name;
use std::collections::HashSet;

/// Stands in for a withheld value everywhere on the site.
pub const WITHHELD: &str = "<withheld: sensitive>";

/// An environment variable whose value the catalog withholds: a credential-looking name with a
/// literal value (a `#KEY#` template or an empty value is not itself a secret).
pub fn env_is_withheld(name: &str, value: &str) -> bool {
    is_credential_name(name) && !(value.contains('#') || value.starts_with('$') || value.is_empty())
}

/// The names of the command's sensitive inputs, command and wrapper inputs alike (XNAT masks
/// their values in its own UI).
pub fn sensitive_inputs(cmd: &Command) -> HashSet<String> {
    let mut names: HashSet<String> = cmd
        .inputs
        .iter()
        .filter(|i| i.sensitive == Some(true))
        .map(|i| i.name.clone())
        .collect();
    for w in &cmd.xnat {
        names.extend(
            w.inputs()
                .filter(|i| i.sensitive == Some(true))
                .map(|i| i.name.clone()),
        );
    }
    names
}

/// The command as the site may show it.
pub fn mask(cmd: &Command) -> Command {
    let mut out = cmd.clone();
    for (k, v) in out.environment_variables.iter_mut() {
        if env_is_withheld(k, v) {
            *v = WITHHELD.to_string();
        }
    }
    for input in &mut out.inputs {
        if input.sensitive == Some(true) && input.default_value.is_some() {
            input.default_value = Some(WITHHELD.to_string());
        }
    }
    for w in &mut out.xnat {
        for input in w
            .external_inputs
            .iter_mut()
            .chain(w.derived_inputs.iter_mut())
        {
            if input.sensitive == Some(true) && input.default_value.is_some() {
                input.default_value = Some(WITHHELD.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CommandInput;

    #[test]
    fn credentials_and_sensitive_defaults_are_withheld() {
        let mut cmd = Command {
            name: "x".into(),
            ..Command::default()
        };
        cmd.environment_variables
            .insert("API_TOKEN".into(), "canary-1".into());
        cmd.environment_variables
            .insert("DB_PASSWORD".into(), "#PASS#".into());
        cmd.environment_variables
            .insert("MODE".into(), "fast".into());
        cmd.inputs.push(CommandInput {
            name: "key".into(),
            sensitive: Some(true),
            default_value: Some("canary-2".into()),
            ..CommandInput::default()
        });
        let masked = serde_json::to_string(&mask(&cmd)).expect("json");
        assert!(!masked.contains("canary"), "{masked}");
        assert!(
            masked.contains("#PASS#") && masked.contains("fast"),
            "{masked}"
        );
    }
}

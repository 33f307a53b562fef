//! Secrets: declarations only ever hold a *reference* (`${env:NAME}`, `${file:PATH}`); the value
//! is read at apply time into [`Secret`], which never prints itself.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Where a secret comes from: `${env:NAME}` (an environment variable of the process running
/// xcs, e.g. a CI secret) or `${file:PATH}` (a file, e.g. a mounted Kubernetes secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct SecretRef(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(PathBuf),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// Deliberately does not carry the text: it may be the secret itself.
    #[error(
        "not a secret reference: write `${{env:NAME}}` or `${{file:PATH}}` instead of the value"
    )]
    NotAReference,
    #[error("environment variable `{0}` is not set")]
    EnvMissing(String),
    #[error("cannot read secret file `{path}`: {message}")]
    FileUnreadable { path: String, message: String },
}

impl SecretRef {
    pub fn source(&self) -> Result<SecretSource, SecretError> {
        let inner = self
            .0
            .trim()
            .strip_prefix("${")
            .and_then(|s| s.strip_suffix('}'))
            .ok_or(SecretError::NotAReference)?;
        if let Some(name) = inner.strip_prefix("env:") {
            let valid = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !name.as_bytes()[0].is_ascii_digit();
            return if valid {
                Ok(SecretSource::Env(name.to_string()))
            } else {
                Err(SecretError::NotAReference)
            };
        }
        match inner.strip_prefix("file:") {
            Some(path) if !path.is_empty() => Ok(SecretSource::File(PathBuf::from(path))),
            _ => Err(SecretError::NotAReference),
        }
    }

    /// Read the value. `base` is the declaration repo's directory, for relative file paths.
    pub fn resolve(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        base: &std::path::Path,
    ) -> Result<Secret, SecretError> {
        match self.source()? {
            SecretSource::Env(name) => env(&name)
                .map(Secret::new)
                .ok_or(SecretError::EnvMissing(name)),
            SecretSource::File(path) => {
                let full = if path.is_absolute() {
                    path.clone()
                } else {
                    base.join(&path)
                };
                std::fs::read_to_string(&full)
                    .map(|s| Secret::new(s.trim_end_matches(['\n', '\r'])))
                    .map_err(|e| SecretError::FileUnreadable {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })
            }
        }
    }
}

/// A secret value. `Debug` and `Display` print a mask; only [`Secret::expose`] gives the value,
/// so every place that sends it somewhere is easy to find.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret value; the [redactor](super::redact) learns it at once, so no text xcs prints
    /// or writes can carry it.
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        super::redact::register(&value);
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        assert_eq!(
            SecretRef("${env:REG_PASS}".into()).source(),
            Ok(SecretSource::Env("REG_PASS".into()))
        );
        assert_eq!(
            SecretRef("${file:/run/secrets/x}".into()).source(),
            Ok(SecretSource::File("/run/secrets/x".into()))
        );
        for literal in [
            "hunter2",
            "${env:}",
            "${env:A B}",
            "$REG_PASS",
            "${vault:x}",
        ] {
            assert_eq!(
                SecretRef(literal.into()).source(),
                Err(SecretError::NotAReference),
                "{literal}"
            );
        }
    }

    #[test]
    fn secrets_never_print() {
        let canary = "canary-5f1d2c";
        let s = Secret::new(canary);
        assert!(!format!("{s:?} {s}").contains(canary));
        let err = SecretRef(canary.into()).source().expect_err("literal");
        assert!(!err.to_string().contains(canary));
        let resolved = SecretRef("${env:X}".into())
            .resolve(&|_| Some(canary.to_string()), std::path::Path::new("."))
            .expect("set");
        assert_eq!(resolved.expose(), canary);
    }
}

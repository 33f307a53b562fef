//! What xcs writes to and reads from Kubernetes, apart from the client code: names, labels, the
//! `kubernetes.io/dockerconfigjson` Secret body and the service-account patch body. Secret
//! values only ever go into [`secret_body`]'s result, which is sent and never shown.

use crate::model::Secret;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Field manager of every server-side apply xcs makes.
pub const FIELD_MANAGER: &str = "xcs";
/// The label that marks objects xcs made; prune removes only Secrets carrying it.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "xcs");
/// Salted fingerprint of the Secret's content, so plans compare without reading the value
/// into anything xcs shows.
pub const CONTENT_HASH: &str = "xcs/content-hash";
/// The service account whose `imagePullSecrets` xcs keeps; xcs touches no other.
pub const SERVICE_ACCOUNT: &str = "default";
/// Default prefix of the Secrets' names.
pub const DEFAULT_PREFIX: &str = "xcs-pull";

/// `<prefix>-<registry>` as a DNS-1123 subdomain: lower case, `[a-z0-9-.]`, at most 253.
pub fn secret_name(prefix: Option<&str>, registry: &str) -> String {
    let raw = format!("{}-{registry}", prefix.unwrap_or(DEFAULT_PREFIX));
    let mut name: String = raw
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    name.truncate(253);
    name.trim_matches(|c| c == '-' || c == '.').to_string()
}

/// The server key of a registry in a Docker config: Docker Hub keeps its historical
/// `https://index.docker.io/v1/`; others are `host[:port]` of the registry URL.
pub fn config_server(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    match host {
        "index.docker.io" | "docker.io" | "registry-1.docker.io" => {
            "https://index.docker.io/v1/".to_string()
        }
        _ => host.to_string(),
    }
}

/// A registry's credential as a Docker config (`{"auths": {server: …}}`); a token stands in
/// for the password, as registries take it.
pub fn docker_config(
    url: &str,
    username: Option<&str>,
    password: Option<&Secret>,
    token: Option<&Secret>,
) -> Secret {
    let user = username.unwrap_or_default();
    let pass = password.or(token).map_or("", Secret::expose);
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    let config = json!({"auths": {config_server(url): {
        "username": user, "password": pass, "auth": auth,
    }}});
    Secret::new(config.to_string())
}

/// The Secret xcs applies: type `kubernetes.io/dockerconfigjson`, labelled as xcs's, with the
/// content fingerprint. Sent as `application/apply-patch+yaml` (JSON is YAML).
pub fn secret_body(namespace: &str, name: &str, config: &Secret, fingerprint: &str) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(config.expose());
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {MANAGED_BY.0: MANAGED_BY.1},
            "annotations": {CONTENT_HASH: fingerprint},
        },
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": data},
    })
}

/// The patch of the `default` service account: its whole `imagePullSecrets` list (the list
/// is atomic in the API, so it carries the entries xcs did not add too).
pub fn service_account_body(namespace: &str, names: &[String]) -> Value {
    let list: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
        "imagePullSecrets": list,
    })
}

/// A Secret xcs made, as observed: never its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedSecret {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
}

/// What a plan needs from the namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterState {
    pub namespace: String,
    /// Secrets labelled as made by xcs.
    pub secrets: Vec<ManagedSecret>,
    /// `imagePullSecrets` of the `default` service account; None when it does not exist.
    pub pull_secrets: Option<Vec<String>>,
}

/// The `imagePullSecrets` list after xcs's change: entries others added stay, in order;
/// `remove` go; `add` are appended when missing.
pub fn merged_pull_secrets(current: &[String], add: &[String], remove: &[String]) -> Vec<String> {
    let mut out: Vec<String> = current
        .iter()
        .filter(|n| !remove.contains(n) || add.contains(n))
        .cloned()
        .collect();
    for n in add {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_subdomains() {
        assert_eq!(secret_name(None, "Lab Registry"), "xcs-pull-lab-registry");
        assert_eq!(secret_name(Some("pull"), "ghcr.io/x"), "pull-ghcr.io-x");
    }

    #[test]
    fn merge_keeps_foreign_entries() {
        let cur = vec!["theirs".to_string(), "xcs-pull-old".to_string()];
        let out = merged_pull_secrets(&cur, &["xcs-pull-new".into()], &["xcs-pull-old".into()]);
        assert_eq!(out, vec!["theirs".to_string(), "xcs-pull-new".to_string()]);
    }

    #[test]
    fn docker_hub_keeps_its_historical_key() {
        assert_eq!(
            config_server("https://index.docker.io/v1/"),
            "https://index.docker.io/v1/"
        );
        assert_eq!(config_server("http://127.0.0.1:5000"), "127.0.0.1:5000");
    }
}

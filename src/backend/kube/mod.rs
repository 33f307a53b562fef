//! The Kubernetes side of a `kubernetes` compute backend (kube): the image-pull Secrets xcs
//! keeps in the backend's namespace and the `default` service account's `imagePullSecrets`.
//! Server-side apply with field manager `xcs`; only the declared namespace; never a namespace
//! or another service account. The kubeconfig comes from `KUBECONFIG`, `~/.kube/config` or the
//! in-cluster service account, as kubectl finds it.

pub mod observe;
pub mod wire;

use k8s_openapi::api::core::v1::{Secret as KubeSecret, ServiceAccount};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use serde_json::Value;
use wire::{ClusterState, FIELD_MANAGER, MANAGED_BY, ManagedSecret, SERVICE_ACCOUNT};

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error(
        "no Kubernetes configuration: {0} (xcs reads KUBECONFIG, ~/.kube/config, or the in-cluster service account)"
    )]
    Config(String),
    #[error(
        "Kubernetes refused `{verb}` on `{resource}` in namespace `{namespace}`: missing RBAC permission (grant it with the Role in deploy/kubernetes/rbac.yaml): {message}"
    )]
    Forbidden {
        verb: String,
        resource: &'static str,
        namespace: String,
        message: String,
    },
    #[error(
        "Kubernetes answered {code} to `{verb}` on `{resource}` in namespace `{namespace}`: {message}"
    )]
    Api {
        verb: &'static str,
        resource: &'static str,
        namespace: String,
        code: u16,
        message: String,
    },
    #[error("cannot reach the Kubernetes API server: {0}")]
    Unreachable(String),
}

/// The verb in an RBAC refusal: `… cannot create resource "secrets" …`.
fn denied_verb(message: &str) -> Option<&str> {
    let rest = message.split_once(" cannot ")?.1;
    let (verb, after) = rest.split_once(' ')?;
    after.starts_with("resource ").then_some(verb)
}

/// A client bound to one namespace.
pub struct Cluster {
    client: kube::Client,
    pub namespace: String,
}

/// Connect with the usual kubeconfig search.
pub async fn connect(namespace: &str) -> Result<Cluster, KubeError> {
    let config = kube::Config::infer()
        .await
        .map_err(|e| KubeError::Config(e.to_string()))?;
    let client = kube::Client::try_from(config).map_err(|e| KubeError::Config(e.to_string()))?;
    Ok(Cluster {
        client,
        namespace: namespace.to_string(),
    })
}

impl Cluster {
    fn fail(&self, verb: &'static str, resource: &'static str, e: kube::Error) -> KubeError {
        match e {
            kube::Error::Api(status) if status.code == 403 => KubeError::Forbidden {
                // The API server names the verb it checked (an apply that creates is checked
                // as `create`); else the request's own.
                verb: denied_verb(&status.message).unwrap_or(verb).to_string(),
                resource,
                namespace: self.namespace.clone(),
                message: status.message,
            },
            kube::Error::Api(status) => KubeError::Api {
                verb,
                resource,
                namespace: self.namespace.clone(),
                code: status.code,
                message: status.message,
            },
            other => KubeError::Unreachable(other.to_string()),
        }
    }

    fn secrets(&self) -> Api<KubeSecret> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn accounts(&self) -> Api<ServiceAccount> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The Secrets xcs made (by label) and the `default` service account's pull secrets.
    pub async fn observe(&self) -> Result<ClusterState, KubeError> {
        let selector = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
        let list = self
            .secrets()
            .list_metadata(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| self.fail("list", "secrets", e))?;
        let mut secrets: Vec<ManagedSecret> = list
            .items
            .into_iter()
            .filter_map(|s| {
                let name = s.metadata.name?;
                let content_hash = s
                    .metadata
                    .annotations
                    .and_then(|mut a| a.remove(wire::CONTENT_HASH));
                Some(ManagedSecret { name, content_hash })
            })
            .collect();
        secrets.sort_by(|a, b| a.name.cmp(&b.name));
        let account = self
            .accounts()
            .get_opt(SERVICE_ACCOUNT)
            .await
            .map_err(|e| self.fail("get", "serviceaccounts", e))?;
        let pull_secrets = account.map(|a| {
            a.image_pull_secrets
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.name)
                .collect()
        });
        Ok(ClusterState {
            namespace: self.namespace.clone(),
            secrets,
            pull_secrets,
        })
    }

    fn apply_params() -> PatchParams {
        PatchParams::apply(FIELD_MANAGER).force()
    }

    /// Server-side apply of a Secret body from [`wire::secret_body`].
    pub async fn apply_secret(&self, name: &str, body: &Value) -> Result<(), KubeError> {
        self.secrets()
            .patch(name, &Self::apply_params(), &Patch::Apply(body))
            .await
            .map(drop)
            .map_err(|e| self.fail("patch", "secrets", e))
    }

    /// Set the `default` service account's pull secrets: read it now, keep what others added,
    /// and apply the list only when it changes. Never creates the account.
    pub async fn set_pull_secrets(
        &self,
        add: &[String],
        remove: &[String],
    ) -> Result<bool, KubeError> {
        let account = self
            .accounts()
            .get_opt(SERVICE_ACCOUNT)
            .await
            .map_err(|e| self.fail("get", "serviceaccounts", e))?
            .ok_or_else(|| KubeError::Api {
                verb: "get",
                resource: "serviceaccounts",
                namespace: self.namespace.clone(),
                code: 404,
                message: format!(
                    "service account `{SERVICE_ACCOUNT}` does not exist; xcs does not create it"
                ),
            })?;
        let current: Vec<String> = account
            .image_pull_secrets
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.name)
            .collect();
        let merged = wire::merged_pull_secrets(&current, add, remove);
        if merged == current {
            return Ok(false);
        }
        let body = wire::service_account_body(&self.namespace, &merged);
        self.accounts()
            .patch(SERVICE_ACCOUNT, &Self::apply_params(), &Patch::Apply(&body))
            .await
            .map_err(|e| self.fail("patch", "serviceaccounts", e))?;
        Ok(true)
    }

    /// Delete a Secret xcs made; one already gone is fine.
    pub async fn delete_secret(&self, name: &str) -> Result<(), KubeError> {
        match self.secrets().delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(self.fail("delete", "secrets", e)),
        }
    }
}

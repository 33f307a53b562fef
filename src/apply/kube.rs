//! Carrying out Kubernetes steps: the pull Secrets and the `default` service account's
//! `imagePullSecrets`, in the backend's namespace only.

use super::{Executor, StepError};
use crate::backend::kube::{self, wire};
use crate::plan::Step;
use crate::plan::kube::fingerprint_text;
use crate::plan::record::Fingerprint;

impl Executor<'_> {
    pub(super) async fn kube(
        &self,
        namespace: &str,
        name: &str,
        step: &Step,
    ) -> Result<(), StepError> {
        let other = |e: kube::KubeError| StepError::Other(e.to_string());
        let cluster = kube::connect(namespace).await.map_err(other)?;
        match step {
            Step::ApplyPullSecret { registry } => {
                let config = kube::observe::secret_content(self.repo, registry, self.opts)
                    .map_err(|why| StepError::Other(format!("registry `{registry}`: {why}")))?;
                let fingerprint = fingerprint_text(&Fingerprint::new(config.expose()));
                let body = wire::secret_body(namespace, name, &config, &fingerprint);
                cluster.apply_secret(name, &body).await.map_err(other)
            }
            Step::SetPullSecrets { add, remove } => cluster
                .set_pull_secrets(add, remove)
                .await
                .map(drop)
                .map_err(other),
            Step::DeletePullSecret => cluster.delete_secret(name).await.map_err(other),
            _ => Ok(()),
        }
    }
}

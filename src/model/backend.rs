//! `kind: ComputeBackend`: XNAT's container server setting (docker, swarm or kubernetes).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Docker,
    Swarm,
    Kubernetes,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Docker => "docker",
            BackendKind::Swarm => "swarm",
            BackendKind::Kubernetes => "kubernetes",
        }
    }
}

/// Where XNAT runs containers. XNAT keeps one enabled server; every field is sent on apply,
/// because XNAT stores an omitted boolean as false.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct ComputeBackend {
    /// Server name shown in XNAT.
    pub name: String,
    /// `docker`, `swarm` or `kubernetes`.
    pub backend: BackendKind,
    /// Docker or Swarm daemon URL, e.g. `unix:///var/run/docker.sock` or `https://host:2376`.
    /// Required for docker and swarm; ignored for kubernetes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Directory of TLS certificates for a Docker/Swarm daemon over https.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_path: Option<String>,
    /// The archive path as XNAT sees it…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_translation_xnat_prefix: Option<String>,
    /// …and as the Docker host sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_translation_docker_prefix: Option<String>,
    /// Pull every command's image when XNAT starts.
    #[serde(default)]
    pub pull_images_on_xnat_init: bool,
    /// User name or uid containers run as; on kubernetes it must be an integer uid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_user: Option<String>,
    /// Remove containers after they finish. Default true (XNAT's UI default).
    #[serde(default = "yes")]
    pub auto_cleanup: bool,
    /// Node placement constraints (swarm, and node labels on kubernetes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub swarm_constraints: Vec<SwarmConstraint>,
    /// Maximum number of containers finalizing at once (not on kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_finalizing_jobs: Option<i64>,
    /// E-mail users when their containers finish.
    #[serde(default)]
    pub status_email_enabled: bool,
    /// Kubernetes only: `nvidia` or `amd`, used for GPU requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["nvidia", "amd", null]))]
    pub gpu_vendor: Option<String>,
    /// Kubernetes: PVC holding the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_pvc_name: Option<String>,
    /// Kubernetes: PVC holding the build directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_pvc_name: Option<String>,
    /// Kubernetes: one PVC holding both archive and build (not with the two above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined_pvc_name: Option<String>,
    /// Kubernetes: archive path translation inside the PVC mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_path_translation: Option<String>,
    /// Kubernetes: build path translation inside the PVC mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_path_translation: Option<String>,
    /// Kubernetes: path translation for the combined PVC (not with the two above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined_path_translation: Option<String>,
    /// What xcs manages in the cluster for a kubernetes backend (XNAT itself reads its
    /// kubeconfig, not this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesSettings>,
    /// Docker and swarm: images xcs loads into the daemon at `host` from `docker save`
    /// archives (XNAT can only pull from a registry). Not sent to XNAT.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_archives: Vec<ImageArchive>,
}

/// A `docker save` archive holding an image, pinned by its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct ImageArchive {
    /// The tagged image the archive holds, as commands name it (e.g. `lab/tool:1.2`).
    pub image: String,
    /// Where the archive is: a path (relative to the declaration repo) or an `https://` URL.
    pub archive: String,
    /// SHA-256 of the archive file (64 hex digits); a file that differs is refused.
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub sha256: String,
}

fn yes() -> bool {
    true
}

/// A placement constraint on swarm or kubernetes nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct SwarmConstraint {
    /// Node attribute, e.g. `node.labels.gpu`.
    pub attribute: String,
    /// `==` or `!=`.
    #[schemars(extend("enum" = ["==", "!="]))]
    pub comparator: String,
    /// Allowed values; at least one, none blank.
    pub values: Vec<String>,
    /// Whether users may pick among the values at launch.
    #[serde(default)]
    pub user_settable: bool,
}

/// The namespace XNAT launches jobs in and the image-pull secret xcs keeps there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct KubernetesSettings {
    /// Namespace XNAT's jobs run in (as set in XNAT's kubeconfig).
    pub namespace: String,
    /// Prefix of the `kubernetes.io/dockerconfigjson` Secrets xcs writes, one per registry
    /// with credentials (`<pull-secret>-<registry>`; default `xcs-pull`), and adds to the
    /// namespace's `default` service account's `imagePullSecrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_secret: Option<String>,
}

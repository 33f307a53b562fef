//! Clients of the compute side beside XNAT: the Docker daemon XNAT launches on (bollard) and
//! the Kubernetes cluster it launches in (kube).

pub mod docker;
pub mod kube;

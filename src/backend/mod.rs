//! Clients of the compute side beside XNAT: image registries (Registry HTTP API v2, with
//! reqwest), the Docker daemon (bollard) and the Kubernetes cluster XNAT launches in (kube).
//! Each keeps its wire types apart from its client code.

pub mod docker;
pub mod download;
pub mod https;
pub mod kube;
pub mod registry;

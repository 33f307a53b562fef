//! Clients of the compute side: image registries (Registry HTTP API v2, with reqwest) and the
//! Docker engine (bollard). Each keeps its wire types apart from its client code.

pub mod docker;
pub mod download;
pub mod registry;

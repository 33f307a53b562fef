//! Clients of container backends: the Docker engine (bollard).

pub mod docker;

//! The Registry HTTP API v2 client: reads an image's labels (token, manifest, index when there
//! is one, config blob — never a layer) and checks that a tag exists (a manifest `HEAD`).
//!
//! Authentication follows the `WWW-Authenticate` challenge of the first 401 from each host
//! (anonymous, Basic, or a Bearer token from the realm it names), then sends what it asked for
//! up front. Plain http is used only for a registry on a loopback address or one declared with an
//! `http://` URL; TLS is verified everywhere else. Credentials live in headers, never in URLs or
//! messages.

mod client;
pub mod reference;
pub mod wire;

pub use client::{
    Credentials, HostSettings, ImageLabels, RegistryClient, RegistryError, Stats, read_capped,
};
pub use reference::ImageRef;

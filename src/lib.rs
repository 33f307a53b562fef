//! xcs: GitOps for the XNAT Container Service.
//!
//! Layers, from the bottom; a module imports only its own layer or lower ones (the `layers` test
//! enforces it; `docs/architecture.md` draws it):
//!
//! 1. [`position`], [`diag`], [`time`]: positions and the positioned tree, diagnostics, dates.
//! 2. [`model`]: the declarations, pure data (and pure functions of it, e.g. environment overlays).
//! 3. [`load`]: files and git revisions into positioned trees; YAML out.
//! 4. [`validate`]: diagnostics for a repo.
//! 5. `xnat::wire`: the XNAT API's request and response shapes, with no client code.
//! 6. [`diff`], [`plan`], [`launch`]: revision against revision; desired against observed state;
//!    a command launch resolved as XNAT resolves it.
//! 7. [`xnat`], [`backend`]: the HTTP client, and reading a live XNAT into a plan's observed
//!    state; the Docker engine.
//! 8. [`apply`], [`import`], [`site`], [`review`], [`run`], [`scaffold`]: the ends.
//! 9. `cli/` (in the binary): arguments in, one library call, output out.

pub mod apply;
pub mod backend;
pub mod diag;
pub mod diff;
pub mod import;
pub mod launch;
pub mod load;
pub mod model;
pub mod plan;
pub mod position;
pub mod resolve;
pub mod review;
pub mod run;
pub mod scaffold;
pub mod site;
pub mod time;
pub mod validate;
pub mod xnat;

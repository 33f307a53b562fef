//! xcs: GitOps for the XNAT Container Service.
//!
//! The pipeline: [`load`] reads files into positioned trees, [`model`] holds the declarations,
//! [`validate`] turns both into [`diag`]nostics. Everything past loading is IO-free.

pub mod diag;
pub mod load;
pub mod model;
pub mod schema;
pub mod validate;
pub mod xnat;

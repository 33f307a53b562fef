//! xcs: GitOps for the XNAT Container Service.
//!
//! The pipeline: [`load`] reads files into positioned trees, [`model`] holds the declarations,
//! [`validate`] turns both into [`diag`]nostics, and [`site`] publishes the catalog website.
//! Everything past loading is IO-free, except where an end writes its output.

pub mod diag;
pub mod load;
pub mod model;
pub mod schema;
pub mod site;
pub mod validate;

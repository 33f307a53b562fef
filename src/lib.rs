//! xcs: GitOps for the XNAT Container Service.
//!
//! The pipeline: [`load`] reads files into positioned trees, [`model`] holds the declarations,
//! [`validate`] turns both into [`diag`]nostics, [`environment`] narrows a repo to one XNAT,
//! [`diff`] compares two revisions and [`site`] publishes the catalog website. Everything past
//! loading is IO-free, except where an end writes its output.

pub mod apply;
pub mod backend;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod environment;
pub mod import;
pub mod launch;
pub mod load;
pub mod model;
pub mod observe;
pub mod plan;
pub mod record;
pub mod review;
pub mod run;
pub mod schema;
pub mod site;
pub mod time;
pub mod validate;
pub mod xnat;

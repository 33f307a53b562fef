//! The one integration-test binary: every test drives the real `xcs` binary (or a real server)
//! through the fluent builder in `support`.

mod support;

mod apply;
mod boutiques;
mod browser;
mod cli_hygiene;
mod command_forms;
mod compute_e2e;
mod corpus;
mod credentials;
mod diff;
mod environments;
mod image_archives;
mod images;
mod kube;
mod labels;
mod layers;
mod local_run;
mod release;
mod review;
mod scaffold;
mod sim;
mod site;
mod site_features;
mod site_fixes;
mod site_serve;
mod tls_sources;
mod trust;
mod trust_access;
mod trust_stored;
mod validate;
mod workflows;

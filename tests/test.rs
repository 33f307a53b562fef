//! The one integration-test binary: every test drives the real `xcs` binary (or a real server)
//! through the fluent builder in `support`.

mod support;

mod apply;
mod boutiques;
mod browser;
mod cli_hygiene;
mod corpus;
mod diff;
mod environments;
mod image_archives;
mod images;
mod kube;
mod layers;
mod local_run;
mod release;
mod review;
mod scaffold;
mod sim;
mod site;
mod site_serve;
mod validate;
mod workflows;

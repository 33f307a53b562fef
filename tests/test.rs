//! The one integration-test binary: every test drives the real `xcs` binary (or a real server)
//! through the fluent builder in `support`.

mod support;

mod corpus;
mod sim;
mod validate;

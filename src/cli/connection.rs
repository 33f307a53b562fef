//! What every subcommand that talks to XNAT shares: where it is, who we are, and the
//! declarations to compare it with.

use super::output::{EXIT_PROBLEMS, print_json};
use anyhow::Context;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use xcs::apply::declarations::DeclarationsError;
use xcs::model::environment::XnatVariables;
use xcs::model::{Repo, Secret};
use xcs::xnat::{Client, Endpoint};

#[derive(Debug, clap::Args)]
pub struct XnatArgs {
    /// XNAT site URL. Default: `$XNAT_URL` (or the environment's `url-variable`).
    #[arg(long = "xnat", value_name = "URL")]
    pub url: Option<String>,
    /// User name, or an alias token's alias. Default: `$XNAT_USER`. The password (or token
    /// secret) is read from `$XNAT_PASS` — never from a flag, which would land in shell
    /// history — or from standard input with `--password-stdin`. `$XNAT_TOKEN=alias:secret`
    /// works too.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Seconds before a request is given up (it is retried when safe).
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

/// The one `--ca-cert`, for every subcommand that talks HTTPS (XNAT, registries, file servers).
#[derive(Debug, clap::Args)]
pub struct TlsArgs {
    /// Trust this extra CA (PEM, one or more certificates) besides the system's, for an XNAT,
    /// registry or file server behind a private CA.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl XnatArgs {
    pub fn client(&self, vars: &XnatVariables) -> anyhow::Result<Client> {
        let url = self
            .url
            .clone()
            .or_else(|| var(&vars.url_variable))
            .with_context(|| {
                format!(
                    "no XNAT to talk to: pass --xnat URL or set ${}",
                    vars.url_variable
                )
            })?;
        warn_if_clear(&url);
        let (user, password) =
            if let Some(token) = var(&vars.token_variable).filter(|_| self.user.is_none()) {
                let (alias, secret) = token
                    .split_once(':')
                    .with_context(|| format!("${} must be `alias:secret`", vars.token_variable))?;
                (alias.to_string(), Secret::new(secret))
            } else {
                let user = self
                    .user
                    .clone()
                    .or_else(|| var(&vars.user_variable))
                    .with_context(|| {
                        format!(
                            "no user: pass --user or set ${} (or ${})",
                            vars.user_variable, vars.token_variable
                        )
                    })?;
                let password = if self.password_stdin {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .context("reading the password from standard input")?;
                    text.trim_end_matches(['\n', '\r']).to_string()
                } else {
                    var(&vars.password_variable).with_context(|| {
                        format!(
                            "no password: set ${} or use --password-stdin",
                            vars.password_variable
                        )
                    })?
                };
                (user, Secret::new(password))
            };
        let mut endpoint = Endpoint::new(&url, &user, password);
        endpoint.ca_cert = self.tls.ca_cert.clone();
        endpoint.timeout = Duration::from_secs(self.timeout.max(1));
        endpoint.concurrency = self.concurrency.max(1);
        Ok(Client::new(endpoint)?)
    }
}

/// The declarations of `dir` as environment `env` sees them, and the XNAT variables to use
/// (`xcs::apply::declarations::load`). Validation errors are printed (human form, on stderr)
/// and end the command with exit 1; the other refusals are errors (exit 2).
pub fn declarations(
    dir: &Path,
    env: Option<&str>,
    color: bool,
) -> anyhow::Result<Result<(Repo, XnatVariables), ExitCode>> {
    match xcs::apply::declarations::load(dir, env) {
        Ok(d) => Ok(Ok((d.repo, d.vars))),
        Err(DeclarationsError::Invalid { dir, validation: v }) => {
            err!(
                "{}",
                xcs::diag::render_human(&v.diagnostics, &v.sources, color)
            );
            let c = v.counts();
            errln!(
                "{dir}: {} — fix them first (`xcs validate {dir}`)",
                xcs::diag::plural(c.errors, "error"),
            );
            Ok(Err(ExitCode::from(EXIT_PROBLEMS)))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn print_pretty(value: &serde_json::Value) -> anyhow::Result<()> {
    print_json(value)
}

/// `--prune` and `--prune-adopted` as one mode (the second implies the first).
pub fn prune_mode(prune: bool, adopted: bool) -> xcs::plan::Prune {
    match (prune, adopted) {
        (_, true) => xcs::plan::Prune::AlsoAdopted,
        (true, false) => xcs::plan::Prune::Created,
        (false, false) => xcs::plan::Prune::Keep,
    }
}

/// Plain `http://` to anything but this machine sends the password (or token) readable to
/// every hop: say so before anything is sent.
fn warn_if_clear(url: &str) {
    let Some(rest) = url.strip_prefix("http://") else {
        return;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        errln!(
            "warning: {} is not encrypted: the password travels in clear to {host}; use https://",
            url.trim_end_matches('/')
        );
    }
}

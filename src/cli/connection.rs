//! What every subcommand that talks to XNAT shares: where it is, who we are, and the
//! declarations to compare it with.

use super::output::{EXIT_PROBLEMS, print_json};
use anyhow::{Context, bail};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
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
    /// Trust this extra CA certificate (PEM), for a site with a private CA.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Seconds before a request is given up (it is retried when safe).
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
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
        endpoint.ca_cert = self.ca_cert.clone();
        endpoint.timeout = Duration::from_secs(self.timeout.max(1));
        endpoint.concurrency = self.concurrency.max(1);
        Ok(Client::new(endpoint)?)
    }
}

/// The declarations of `dir` as environment `env` sees them, and the XNAT variables to use.
/// Validation errors are printed (human form, on stderr) and end the command with exit 1.
pub fn declarations(
    dir: &Path,
    env: Option<&str>,
    color: bool,
) -> anyhow::Result<Result<(Repo, XnatVariables), ExitCode>> {
    let source = xcs::load::Source::new(dir, None);
    let which = env.map_or(
        xcs::validate::Environments::All,
        xcs::validate::Environments::Only,
    );
    let v = xcs::validate::validate_source_with(&source, which)?;
    if v.has_errors() {
        eprint!(
            "{}",
            xcs::diag::render_human(&v.diagnostics, &v.sources, color)
        );
        let c = v.counts();
        eprintln!(
            "{}: {} — fix them first (`xcs validate {}`)",
            dir.display(),
            xcs::diag::plural(c.errors, "error"),
            dir.display()
        );
        return Ok(Err(ExitCode::from(EXIT_PROBLEMS)));
    }
    match env {
        None => Ok(Ok((v.repo, XnatVariables::default()))),
        Some(name) => {
            let Some(e) = v.repo.environment(name) else {
                bail!(
                    "no environment `{name}` in {} (known: {})",
                    dir.display(),
                    xcs::model::environment::known_environments(&v.repo)
                );
            };
            let vars = e.spec.xnat.clone();
            let repo = xcs::model::environment::for_environment(&v.repo, name)?;
            Ok(Ok((repo, vars)))
        }
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

use super::connection::{XnatArgs, declarations, print_pretty, runtime};
use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, TEXT_OR_JSON, envelope};
use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use xcs::apply::run::{self, Outcome};
use xcs::apply::{self, lock};
use xcs::plan::{Plan, PlanOptions, render};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration repo, or a plan saved by `xcs plan --out` (applied only if neither the
    /// repo, its secrets nor XNAT changed since).
    #[arg(default_value = ".")]
    target: PathBuf,
    /// Apply this environment (`environments/<NAME>.yaml`): its XNAT and its overlay. Required
    /// when the repo declares environments.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    #[command(flatten)]
    xnat: XnatArgs,
    /// Also delete what xcs created and the repo no longer declares (never an object xcs only
    /// adopted, never a default or built-in registry, never an image).
    #[arg(long)]
    prune: bool,
    /// With --prune, also delete what xcs adopted (found in XNAT and took over) and the repo
    /// no longer declares (still never a default or built-in registry, never an image).
    #[arg(long)]
    prune_adopted: bool,
    /// Show the plan; change nothing (the same as `xcs plan`).
    #[arg(long)]
    dry_run: bool,
    /// How long the apply lock is held at most, in seconds (the lease: a run that dies
    /// without releasing blocks others this long at most).
    #[arg(long, default_value_t = 900)]
    lock_ttl: u64,
    #[arg(long, value_parser = Format::parser(TEXT_OR_JSON), default_value = "text")]
    format: Format,
}

fn saved_plan(target: &std::path::Path) -> anyhow::Result<Option<Plan>> {
    if !target.is_file() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(target).with_context(|| format!("reading {}", target.display()))?;
    serde_json::from_str(&text).map(Some).with_context(|| {
        format!(
            "{} is not a plan saved by `xcs plan --out`",
            target.display()
        )
    })
}

pub fn run(args: Args, color: bool) -> anyhow::Result<ExitCode> {
    let saved = saved_plan(&args.target)?;
    let (dir, env, prune) = match &saved {
        Some(p) => {
            let source = p
                .source
                .clone()
                .context("the saved plan does not say which repo it was made from")?;
            (PathBuf::from(source.dir), source.env, source.prune)
        }
        None => (
            args.target.clone(),
            args.env.clone(),
            super::connection::prune_mode(args.prune, args.prune_adopted),
        ),
    };
    let (repo, vars) = match declarations(&dir, env.as_deref(), color)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let client = args.xnat.client(&vars)?;
    let mut opts = PlanOptions::new(dir.clone());
    opts.prune = prune;
    opts.on_image = Some(super::progress::reporter());
    let request = run::Request {
        client: &client,
        repo: &repo,
        opts: &opts,
        saved: saved.as_ref(),
        dry_run: args.dry_run,
        lock_ttl: Duration::from_secs(args.lock_ttl),
        holder: lock::holder(),
    };
    let outcome = match runtime()?.block_on(run::run(request)) {
        Ok(o) => o,
        Err(run::ApplyError::Lock(e)) => {
            errln!("error: {e}");
            return Ok(ExitCode::from(EXIT_PROBLEMS));
        }
        Err(e) => return Err(e.into()),
    };
    let (plan, journal, release_error) = match outcome {
        Outcome::Refused(stale) => {
            errln!("{stale}");
            return Ok(ExitCode::from(EXIT_PROBLEMS));
        }
        Outcome::Planned(plan) => {
            match args.format {
                Format::Json => print_pretty(&render::json(&plan))?,
                _ => out!("{}", render::text(&plan)),
            }
            return Ok(ExitCode::from(EXIT_OK));
        }
        Outcome::Interrupted {
            signal,
            release_error,
        } => {
            match release_error {
                None => errln!(
                    "interrupted by {}: stopped and released the apply lock; run apply again to finish",
                    signal.name()
                ),
                Some(e) => errln!(
                    "interrupted by {}: could not release the apply lock ({e}); it expires by itself, or run `xcs unlock --force`",
                    signal.name()
                ),
            }
            return Ok(ExitCode::from(signal.exit_status()));
        }
        Outcome::Applied {
            plan,
            journal,
            release_error,
        } => (plan, journal, release_error),
    };
    match args.format {
        Format::Json => print_pretty(&envelope(json!({
            "plan": render::json(&plan),
            "journal": journal,
            "requests": {"reads": client.stats.reads(), "writes": client.stats.writes()},
        })))?,
        _ => {
            out!("{}", render::text(&plan));
            outln!();
            out!("{}", apply::journal_text(&journal));
        }
    }
    if let Some(e) = release_error {
        errln!(
            "warning: could not release the apply lock ({e}); it expires by itself, or run `xcs unlock --force`"
        );
    }
    Ok(ExitCode::from(if journal.ok() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    }))
}

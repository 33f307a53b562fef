use super::connection::{XnatArgs, declarations, print_pretty, runtime};
use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, TEXT_OR_JSON, envelope};
use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use xcs::apply::{self, lock};
use xcs::plan::{self, Plan, PlanOptions, render};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration repo, or a plan saved by `xcs plan --out` (applied only if neither the
    /// repo nor XNAT changed since).
    #[arg(default_value = ".")]
    target: PathBuf,
    /// Apply this environment (`environments/<NAME>.yaml`): its XNAT and its overlay.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    #[command(flatten)]
    xnat: XnatArgs,
    /// Also delete what xcs created and the repo no longer declares (never a default registry,
    /// never an image).
    #[arg(long)]
    prune: bool,
    /// Show the plan; change nothing (the same as `xcs plan`).
    #[arg(long)]
    dry_run: bool,
    /// How long the apply lock is held at most, in seconds.
    #[arg(long, default_value_t = 900)]
    lock_ttl: u64,
    #[arg(long, value_parser = Format::parser(TEXT_OR_JSON), default_value = "text")]
    format: Format,
}

pub fn run(args: Args, color: bool) -> anyhow::Result<ExitCode> {
    let saved: Option<Plan> = if args.target.is_file() {
        let text = std::fs::read_to_string(&args.target)
            .with_context(|| format!("reading {}", args.target.display()))?;
        Some(serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a plan saved by `xcs plan --out`",
                args.target.display()
            )
        })?)
    } else {
        None
    };
    let (dir, env, prune) = match &saved {
        Some(p) => {
            let source = p
                .source
                .clone()
                .context("the saved plan does not say which repo it was made from")?;
            (PathBuf::from(source.dir), source.env, source.prune)
        }
        None => (args.target.clone(), args.env.clone(), args.prune),
    };
    let (repo, vars) = match declarations(&dir, env.as_deref(), color)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let client = args.xnat.client(&vars)?;
    let mut opts = PlanOptions::new(dir.clone());
    opts.prune = prune;
    opts.on_image = Some(super::progress::reporter());
    let rt = runtime()?;
    let (first, _) = rt.block_on(xcs::xnat::observe::plan(&client, &repo, &opts))?;
    if let Some(saved) = &saved {
        if saved.repo_digest != first.repo_digest {
            eprintln!(
                "refusing: the declarations (or a credential) changed since the plan was made; plan again"
            );
            return Ok(ExitCode::from(EXIT_PROBLEMS));
        }
        if saved.live_digest != first.live_digest {
            eprintln!("refusing: XNAT changed since the plan was made; plan again");
            return Ok(ExitCode::from(EXIT_PROBLEMS));
        }
    }
    if args.dry_run || !first.has_changes() {
        match args.format {
            Format::Json => print_pretty(&render::json(&first))?,
            _ => print!("{}", render::text(&first)),
        }
        return Ok(ExitCode::from(EXIT_OK));
    }
    let holder = lock::holder();
    rt.block_on(async {
        if let Err(e) = lock::acquire(&client, &holder, Duration::from_secs(args.lock_ttl)).await {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_PROBLEMS));
        }
        // Under the lock, observe again: the plan carried out is the one that is true now.
        let result = xcs::xnat::observe::plan(&client, &repo, &opts).await;
        let outcome = match result {
            Ok((plan, observed)) if saved.is_none() || plan.live_digest == first.live_digest => {
                let credentials = plan::credential_states(&repo, &observed.record, &opts);
                let journal = apply::execute(&client, &repo, &plan, &observed, &credentials, &opts).await;
                Ok((plan, journal))
            }
            Ok(_) => Err(anyhow::anyhow!("refusing: XNAT changed while taking the lock; plan again")),
            Err(e) => Err(e.into()),
        };
        let released = lock::release(&client, &holder).await;
        let (plan, journal) = outcome?;
        match args.format {
            Format::Text | Format::Markdown | Format::Github | Format::Sarif => {
                print!("{}", render::text(&plan));
                println!();
                print!("{}", apply::journal_text(&journal));
            }
            Format::Json => print_pretty(&envelope(json!({
                "plan": render::json(&plan),
                "journal": journal,
                "requests": {"reads": client.stats.reads(), "writes": client.stats.writes()},
            })))?,
        }
        if let Err(e) = released {
            eprintln!("warning: could not release the apply lock ({e}); it expires by itself, or run `xcs unlock --force`");
        }
        Ok(ExitCode::from(if journal.ok() { EXIT_OK } else { EXIT_PROBLEMS }))
    })
}

use super::connection::{XnatArgs, declarations, print_pretty, runtime};
use super::output::EXIT_PROBLEMS;
use super::output::Format;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::plan::{PlanOptions, PlanSource, render};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration repo.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Plan for this environment (`environments/<NAME>.yaml`): its XNAT and its overlay.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    #[command(flatten)]
    xnat: XnatArgs,
    #[arg(long, value_parser = Format::parser(FORMATS), default_value = "text")]
    format: Format,
    /// Also save the plan (JSON) for `xcs apply PLAN`.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Exit 0 when there is nothing to do, 2 when there are changes (1 on error).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Include deleting what xcs created and the repo no longer declares.
    #[arg(long)]
    prune: bool,
    /// Include deleting what xcs adopted (found in XNAT and took over) and the repo no longer
    /// declares.
    #[arg(long)]
    prune_adopted: bool,
    /// Markdown: where the full plan is, for the notice when the comment is cut.
    #[arg(long, value_name = "URL")]
    artifact_url: Option<String>,
}

const FORMATS: &[(&str, &str)] = &[
    ("text", ""),
    (
        "markdown",
        "For a pull-request comment (`<details>` per object, under 60,000 characters)",
    ),
    ("json", "Versioned; the same document `--out` saves"),
];

pub fn run(args: Args, color: bool) -> anyhow::Result<ExitCode> {
    let (repo, vars) = match declarations(&args.dir, args.env.as_deref(), color)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let client = args.xnat.client(&vars)?;
    let mut opts = PlanOptions::new(args.dir.clone());
    opts.prune = super::connection::prune_mode(args.prune, args.prune_adopted);
    let rt = runtime()?;
    let (mut plan, _) = rt.block_on(xcs::xnat::observe::plan(&client, &repo, &opts))?;
    // Kubernetes pulls at launch, so a tag typo would fail there: check every tag now.
    let mut tag_opts = xcs::resolve::Options::new(&args.dir);
    tag_opts.ca_cert = args.xnat.tls.ca_cert.clone();
    let (missing, _) = rt.block_on(xcs::resolve::check_tags(&repo, &tag_opts))?;
    for m in &missing {
        plan.notes.push(format!(
            "error: {} (commands: {})",
            m.message,
            m.commands.join(", ")
        ));
    }
    // Absolute, so `xcs apply PLAN` works from any directory.
    let dir = std::path::absolute(&args.dir).unwrap_or_else(|_| args.dir.clone());
    plan.source = Some(PlanSource {
        dir: dir.display().to_string(),
        env: args.env.clone(),
        prune: opts.prune,
    });
    if let Some(out) = &args.out {
        plan.secrets = Some(xcs::plan::secrets_fingerprint(&repo, &opts));
        let text = serde_json::to_string_pretty(&render::json(&plan))? + "\n";
        std::fs::write(out, xcs::model::redact::scrub(&text))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    match args.format {
        Format::Text | Format::Github | Format::Sarif => out!("{}", render::text(&plan)),
        Format::Markdown => out!(
            "{}",
            render::markdown(&plan, render::MARKDOWN_LIMIT, args.artifact_url.as_deref())
        ),
        Format::Json => print_pretty(&render::json(&plan))?,
    }
    let code = match (args.detailed_exitcode, plan.has_changes()) {
        _ if !missing.is_empty() => EXIT_PROBLEMS,
        (true, true) => 2,
        _ => 0,
    };
    Ok(ExitCode::from(code))
}

use super::connection::{XnatArgs, runtime};
use super::diff::Revisions;
use super::output::{Format, print_envelope};
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::review::{self, Fit, PlanSection, Review};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    revisions: Revisions,
    /// The plan to include, as written by `xcs plan --format markdown`. Without it, the plan is
    /// made here when an XNAT is configured (`--xnat` or `$XNAT_URL`, or the environment's
    /// variables), and the comment says why there is none otherwise.
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    #[command(flatten)]
    xnat: XnatArgs,
    /// `markdown`: the comment body; `json`: it with its parts, for scripts.
    #[arg(long, value_parser = Format::parser(&[("markdown", ""), ("json", "")]), default_value = "markdown")]
    format: Format,
    /// Cut the comment to this many characters (0: never cut).
    #[arg(long, value_name = "N", default_value_t = review::DEFAULT_MAX_CHARS)]
    max_chars: usize,
    /// Where the full review is kept (e.g. the CI run's artifacts page), linked when the comment
    /// is cut.
    #[arg(long, value_name = "URL")]
    artifact_url: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let c = args.revisions.compare()?;
    let plan = match &args.plan {
        Some(path) => PlanSection::Rendered(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the plan {}", path.display()))?,
        ),
        None => live_plan(&args, &c.head),
    };
    let body = review::render(
        &Review {
            base: &c.base_label,
            head: &c.head_label,
            environment: args.revisions.env.as_deref(),
            diagnostics: &c.head.diagnostics,
            diff: &c.diff,
            plan,
            notes: &c.notes,
        },
        &Fit {
            max_chars: args.max_chars,
            artifact: args.artifact_url,
        },
    );
    match args.format {
        Format::Json => print_envelope(serde_json::json!({
            "command": "review",
            "marker": review::MARKER,
            "base": c.base_label,
            "head": c.head_label,
            "validation": c.head.counts(),
            "diff": c.diff.summary(),
            "body": body,
        }))?,
        _ => print!("{body}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The plan of the head against a live XNAT, when one is configured and the head is valid.
fn live_plan(args: &Args, head: &xcs::validate::Validation) -> PlanSection {
    let vars = match &args.revisions.env {
        Some(name) => match head.repo.environment(name) {
            Some(e) => e.spec.xnat.clone(),
            None => return PlanSection::NotRun(format!("no environment `{name}` at the head")),
        },
        None => xcs::model::environment::XnatVariables::default(),
    };
    if args.xnat.url.is_none() && std::env::var_os(&vars.url_variable).is_none() {
        return PlanSection::NotRun(format!(
            "no XNAT configured (set `${}` or pass `--xnat`)",
            vars.url_variable
        ));
    }
    if head.has_errors() {
        return PlanSection::NotRun("the head has validation errors".into());
    }
    let repo = match &args.revisions.env {
        Some(name) => match xcs::model::environment::for_environment(&head.repo, name) {
            Ok(r) => r,
            Err(e) => return PlanSection::NotRun(e.to_string()),
        },
        None => head.repo.clone(),
    };
    let made = args.xnat.client(&vars).and_then(|client| {
        let opts = xcs::plan::PlanOptions::new(args.revisions.dir.clone());
        let (plan, _) = runtime()?.block_on(xcs::xnat::observe::plan(&client, &repo, &opts))?;
        Ok(plan)
    });
    match made {
        Ok(plan) => PlanSection::Rendered(xcs::plan::render::markdown(
            &plan,
            xcs::plan::render::MARKDOWN_LIMIT,
            args.artifact_url.as_deref(),
        )),
        Err(e) => PlanSection::NotRun(format!("could not plan against XNAT: {e:#}")),
    }
}

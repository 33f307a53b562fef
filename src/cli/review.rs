use super::diff::compare;
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::review::{self, Fit, PlanSection, Review};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration repo: a directory inside a git repository.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The revision the pull request merges into (e.g. `origin/main`).
    #[arg(long, value_name = "REV")]
    base: String,
    /// The revision under review; the work tree when absent.
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// Review the repo as this environment sees it.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// The plan to include, as written by `xcs plan --format markdown` (CI runs the plan where
    /// an XNAT is reachable and passes it here).
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Cut the comment to this many characters (0: never cut).
    #[arg(long, value_name = "N", default_value_t = review::DEFAULT_MAX_CHARS)]
    max_chars: usize,
    /// Where the full review is kept (e.g. the CI run's artifacts page), linked when the comment
    /// is cut.
    #[arg(long, value_name = "URL")]
    artifact_url: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let c = compare(
        &args.dir,
        &args.base,
        args.head.as_deref(),
        args.env.as_deref(),
    )?;
    let plan = match &args.plan {
        Some(path) => PlanSection::Rendered(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the plan {}", path.display()))?,
        ),
        None => PlanSection::NotRun(
            "no plan given (CI runs `xcs plan` where an XNAT is reachable and passes `--plan`)"
                .into(),
        ),
    };
    let body = review::render(
        &Review {
            base: &c.base_label,
            head: &c.head_label,
            environment: args.env.as_deref(),
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
    print!("{body}");
    Ok(ExitCode::SUCCESS)
}

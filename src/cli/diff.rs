use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, print_envelope};
use clap::ValueEnum;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
pub use xcs::diff::revisions::Compared;
use xcs::diff::{Class, render, revisions};

/// Which two revisions of which repo to compare (shared by `diff` and `review`).
#[derive(Debug, clap::Args)]
pub struct Revisions {
    /// The declaration repo: a directory inside a git repository.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The revision to compare against: a branch, tag or commit (`origin/main`, `HEAD~1`).
    #[arg(long, value_name = "REV")]
    pub base: String,
    /// The revision to compare; the work tree when absent.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Compare the repo as this environment sees it (`environments/<NAME>.yaml`).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

impl Revisions {
    pub fn compare(&self) -> anyhow::Result<Compared> {
        Ok(revisions::compare(
            &self.dir,
            &self.base,
            self.head.as_deref(),
            self.env.as_deref(),
        )?)
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    revisions: Revisions,
    #[arg(long, value_parser = Format::parser(FORMATS), default_value = "text")]
    format: Format,
    /// Exit 1 when a change of this class (or a worse one) is found.
    #[arg(long, value_enum, value_name = "CLASS")]
    fail_on: Option<FailOn>,
}

const FORMATS: &[(&str, &str)] = &[
    ("text", "Summary, then each object and its changes"),
    (
        "markdown",
        "For a pull-request comment: summary table, `<details>` per object",
    ),
    ("json", "One versioned JSON document"),
    (
        "github",
        "GitHub Actions annotations, one per object (error = breaking, warning = risky)",
    ),
];

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Breaking,
    Risky,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let c = args.revisions.compare()?;
    let env = args
        .revisions
        .env
        .as_deref()
        .map(|e| format!(" (environment {e})"))
        .unwrap_or_default();
    let title = format!("xcs diff {} → {}{env}", c.base_label, c.head_label);
    match args.format {
        Format::Text => {
            for note in &c.notes {
                errln!("note: {note}");
            }
            out!("{}", render::text(&c.diff, &title));
        }
        Format::Markdown => {
            out!("{}", render::markdown(&c.diff, &title));
            for note in &c.notes {
                outln!("\n> **Note:** {}", render::html(note));
            }
        }
        Format::Json => print_envelope(json!({
            "command": "diff",
            "dir": args.revisions.dir.display().to_string(),
            "base": {"rev": c.base_label, "validation": c.base.counts()},
            "head": {"rev": args.revisions.head, "validation": c.head.counts()},
            "environment": args.revisions.env,
            "summary": c.diff.summary(),
            "class": c.diff.class(),
            "notes": c.notes,
            "objects": c.diff.objects,
        }))?,
        Format::Github => {
            for note in &c.notes {
                errln!("note: {note}");
            }
            out!("{}", render::github(&c.diff));
        }
        Format::Sarif => unreachable!("not among FORMATS"),
    }
    let threshold = args.fail_on.map(|f| match f {
        FailOn::Breaking => Class::Breaking,
        FailOn::Risky => Class::Risky,
    });
    let failed = threshold.is_some_and(|t| c.diff.class().is_some_and(|worst| worst >= t));
    Ok(ExitCode::from(if failed { EXIT_PROBLEMS } else { EXIT_OK }))
}

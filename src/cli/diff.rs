use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, print_envelope};
use anyhow::Context as _;
use clap::ValueEnum;
use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use xcs::diff::{self, Class, Diff, render};
use xcs::load::source::shared_files;
use xcs::load::{LoadError, RawFile, Source};
use xcs::model::{Origin, Repo};
use xcs::validate::{Environments, LockInput, Validation, validate_revisions};

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
        compare(
            &self.dir,
            &self.base,
            self.head.as_deref(),
            self.env.as_deref(),
        )
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

/// Both revisions read and validated, and their diff.
pub struct Compared {
    pub base: Validation,
    pub head: Validation,
    pub diff: Diff,
    pub base_label: String,
    pub head_label: String,
    /// Something a reader should know about how the sides were taken.
    pub notes: Vec<String>,
}

/// Read `base` and `head` (the work tree when `None`) of the repo at `dir`, narrowed to `env`
/// when given, and compare them.
pub fn compare(
    dir: &Path,
    base_rev: &str,
    head_rev: Option<&str>,
    env: Option<&str>,
) -> anyhow::Result<Compared> {
    let which = env.map_or(Environments::All, Environments::Only);
    let read = |source: &Source| -> Result<(Vec<RawFile>, LockInput), LoadError> {
        let (path, text) = source.lock_text()?;
        Ok((source.files()?, LockInput { path, text }))
    };
    // Reading the base also proves `dir` is in a git repository before the work tree is read.
    let base_source = Source::new(dir, Some(base_rev));
    let (base_files, base_lock) =
        read(&base_source).with_context(|| format!("reading the base revision `{base_rev}`"))?;
    let head_source = Source::new(dir, head_rev);
    let (head_files, head_lock) = read(&head_source).with_context(|| {
        head_rev.map_or("reading the work tree".to_string(), |r| {
            format!("reading the head revision `{r}`")
        })
    })?;
    // What git knows is unchanged is checked once for both sides.
    let shared = shared_files(&base_source, &base_files, &head_source, &head_files)
        .context("finding the files the revisions share")?;
    // Without an environment the base needs no second copy of the shared commands: the diff
    // knows them by origin. An environment's overlay may differ between the sides, so there
    // both are kept whole.
    let lean = env.is_none();
    let (base, head) = validate_revisions(
        (&base_files, Some(&base_lock)),
        (&head_files, Some(&head_lock)),
        &shared,
        which,
        lean,
    );
    let shared_rels: HashSet<&str> = base_files
        .iter()
        .zip(&shared)
        .filter(|(_, j)| j.is_some())
        .map(|(f, _)| f.rel.as_ref())
        .collect();
    let same = |b: &Origin, h: &Origin| {
        lean && b.rel == h.rel && b.doc == h.doc && shared_rels.contains(b.rel.as_ref())
    };
    let mut notes = Vec::new();
    let (base_repo, head_repo) = match env {
        None => (None, None),
        Some(name) => {
            let head_repo = xcs::model::environment::for_environment(&head.repo, name)?;
            let base_repo = match xcs::model::environment::for_environment(&base.repo, name) {
                Ok(r) => r,
                Err(e) => {
                    let why = match e {
                        xcs::model::environment::OverlayError::UnknownEnvironment { .. } => {
                            format!("environment `{name}` does not exist at the base")
                        }
                        e => format!("environment `{name}` cannot be applied at the base: {e}"),
                    };
                    notes.push(format!(
                        "{why}; the base counts as empty, so everything shows as added"
                    ));
                    Repo::default()
                }
            };
            (Some(base_repo), Some(head_repo))
        }
    };
    let diff = diff::diff_sharing(
        base_repo.as_ref().unwrap_or(&base.repo),
        head_repo.as_ref().unwrap_or(&head.repo),
        &same,
    );
    for (side, v) in [("base", &base), ("head", &head)] {
        let counts = v.counts();
        if counts.errors > 0 {
            notes.push(format!(
                "the {side} has {}; the diff covers what could be read (run `xcs validate`)",
                xcs::diag::plural(counts.errors, "validation error")
            ));
        }
    }
    Ok(Compared {
        base,
        head,
        diff,
        base_label: base_rev.to_string(),
        head_label: head_rev.unwrap_or("work tree").to_string(),
        notes,
    })
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

use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, print_envelope, print_json};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::diag::{self, plural};
use xcs::load::Source;
use xcs::validate::Environments;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration repo (a directory, or one file).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Read the declarations from this git revision instead of the work tree.
    #[arg(long, value_name = "REF")]
    rev: Option<String>,
    /// Check only this environment's overlay (`environments/<NAME>.yaml`); all by default.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    #[arg(long, value_parser = Format::parser(FORMATS), default_value = "human")]
    format: Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

const FORMATS: &[(&str, &str)] = &[
    ("human", "Each problem with its source line and a caret"),
    ("json", "One versioned JSON document"),
    ("github", "GitHub Actions annotations (`::error file=…`)"),
    ("sarif", "SARIF 2.1.0, for GitHub code scanning"),
];

pub fn run(args: Args, color: bool) -> anyhow::Result<ExitCode> {
    let source = Source::new(&args.dir, args.rev.as_deref());
    let which = args
        .env
        .as_deref()
        .map_or(Environments::All, Environments::Only);
    let v = xcs::validate::validate_source_with(&source, which)?;
    if let Some(name) = &args.env
        && v.repo.environment(name).is_none()
    {
        anyhow::bail!(
            "no environment `{name}` in {} (known: {})",
            args.dir.display(),
            xcs::model::environment::known_environments(&v.repo)
        );
    }
    let counts = v.counts();
    let documents = v.documents;
    match args.format {
        Format::Text => {
            // Part by part: a long report is never held whole (nor copied whole by the redactor).
            for part in diag::render_human_parts(
                &v.diagnostics,
                &v.sources,
                color,
                super::output::terminal_width(),
            ) {
                out!("{part}");
            }
            let at = args
                .rev
                .as_deref()
                .map(|r| format!(" at {r}"))
                .unwrap_or_default();
            let mut found = if counts.errors + counts.warnings == 0 {
                "no problems".to_string()
            } else {
                format!(
                    "{}, {}",
                    plural(counts.errors, "error"),
                    plural(counts.warnings, "warning")
                )
            };
            if counts.notes > 0 {
                found.push_str(&format!(" ({})", plural(counts.notes, "note")));
            }
            let env = args
                .env
                .as_deref()
                .map(|e| format!(" (environment {e})"))
                .unwrap_or_default();
            outln!(
                "{}{at}{env}: {}, {}: {found}",
                args.dir.display(),
                plural(v.files, "file"),
                plural(documents, "document")
            );
        }
        Format::Json => print_envelope(json!({
            "command": "validate",
            "source": {"dir": args.dir.display().to_string(), "rev": args.rev, "environment": args.env},
            "summary": {"files": v.files, "documents": documents, "errors": counts.errors, "warnings": counts.warnings, "notes": counts.notes},
            "diagnostics": v.diagnostics,
        }))?,
        Format::Github => out!("{}", diag::render_github(&v.diagnostics)),
        Format::Sarif => print_json(&xcs::validate::sarif::log(
            &v.diagnostics,
            env!("CARGO_PKG_VERSION"),
        ))?,
        Format::Markdown => unreachable!("not among FORMATS"),
    }
    let failed = counts.errors > 0 || (args.deny_warnings && counts.warnings > 0);
    Ok(ExitCode::from(if failed { EXIT_PROBLEMS } else { EXIT_OK }))
}

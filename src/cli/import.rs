use super::connection::{XnatArgs, runtime};
use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, TEXT_OR_JSON};
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::model::environment::XnatVariables;

/// `xcs import --out DIR` reads a live XNAT; `xcs import boutiques FILE` converts a descriptor.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    from: Option<From>,
    /// Directory to write the declaration repo into (must be empty or absent).
    #[arg(long, value_name = "DIR", required = true)]
    out: Option<PathBuf>,
    #[command(flatten)]
    xnat: XnatArgs,
    /// Write into a directory that is not empty (files of the same name are replaced).
    #[arg(long)]
    force: bool,
    #[arg(long, value_parser = Format::parser(TEXT_OR_JSON), default_value = "text")]
    format: Format,
}

#[derive(Debug, clap::Subcommand)]
enum From {
    /// Convert a Boutiques descriptor (schema 0.5) into a Command: YAML on stdout (or --out),
    /// what cannot be expressed on stderr. Exit 2 when it cannot convert (not Docker).
    Boutiques(super::import_boutiques::Args),
}

pub fn run(args: Args, color: bool) -> anyhow::Result<ExitCode> {
    if let Some(From::Boutiques(b)) = args.from {
        return super::import_boutiques::run(b);
    }
    let out = args.out.context("--out DIR is required")?;
    if !args.force && out.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty; pass --force to write into it anyway",
            out.display()
        );
    }
    let client = args.xnat.client(&XnatVariables::default())?;
    let imported = runtime()?.block_on(xcs::import::import(&client))?;
    for (rel, text) in &imported.files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, xcs::model::redact::scrub(text))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let declarations = imported
        .files
        .keys()
        .filter(|k| !k.starts_with(".xcs/"))
        .count();
    outln!("Wrote {declarations} files to {}", out.display());
    for note in &imported.notes {
        outln!("  - {note}");
    }
    let v = xcs::validate::validate_source(&xcs::load::Source::new(&out, None))?;
    if v.has_errors() {
        out!(
            "{}",
            xcs::diag::render_human(&v.diagnostics, &v.sources, color)
        );
        outln!("The imported repo has problems to fix before applying it.");
        return Ok(ExitCode::from(EXIT_PROBLEMS));
    }
    outln!(
        "It validates{}; `xcs plan {}` against the same XNAT shows no changes.",
        if v.diagnostics.is_empty() {
            " clean"
        } else {
            " (with warnings)"
        },
        out.display()
    );
    Ok(ExitCode::from(EXIT_OK))
}

use super::connection::{XnatArgs, runtime};
use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, TEXT_OR_JSON};
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::model::environment::XnatVariables;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the declaration repo into (must be empty or absent).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    xnat: XnatArgs,
    /// Write into a directory that is not empty (files of the same name are replaced).
    #[arg(long)]
    force: bool,
    #[arg(long, value_parser = Format::parser(TEXT_OR_JSON), default_value = "text")]
    format: Format,
}

pub fn run(args: Args, color: bool) -> anyhow::Result<ExitCode> {
    if !args.force && args.out.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty; pass --force to write into it anyway",
            args.out.display()
        );
    }
    let client = args.xnat.client(&XnatVariables::default())?;
    let imported = runtime()?.block_on(xcs::import::import(&client))?;
    for (rel, text) in &imported.files {
        let path = args.out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let declarations = imported
        .files
        .keys()
        .filter(|k| !k.starts_with(".xcs/"))
        .count();
    println!("Wrote {declarations} files to {}", args.out.display());
    for note in &imported.notes {
        println!("  - {note}");
    }
    let v = xcs::validate::validate_source(&xcs::load::Source::new(&args.out, None))?;
    if v.has_errors() {
        print!(
            "{}",
            xcs::diag::render_human(&v.diagnostics, &v.sources, color)
        );
        println!("The imported repo has problems to fix before applying it.");
        return Ok(ExitCode::from(EXIT_PROBLEMS));
    }
    println!(
        "It validates{}; `xcs plan {}` against the same XNAT shows no changes.",
        if v.diagnostics.is_empty() {
            " clean"
        } else {
            " (with warnings)"
        },
        args.out.display()
    );
    Ok(ExitCode::from(EXIT_OK))
}

use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, print_envelope};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use xcs::diag::{self, plural};
use xcs::site::serve::{self, ServeOptions};
use xcs::site::{BuildOptions, BuildOutcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SiteCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SiteCommand {
    /// Validate the repo and build the catalog website into a directory any static server can
    /// publish (search, filters and the JSON API included).
    Build(BuildArgs),
    /// Build the site, serve it on 127.0.0.1, and with --watch rebuild on every change.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// The declaration repo.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Build from this git revision instead of the work tree.
    #[arg(long, value_name = "REF")]
    rev: Option<String>,
    /// Where to write the site. Replaced on every build (only if an earlier build wrote it).
    #[arg(long, value_name = "DIR", default_value = "public")]
    out: PathBuf,
    /// Build the catalog of this environment (`environments/<NAME>.yaml`): only what it applies.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    #[arg(long, value_parser = Format::parser(FORMATS), default_value = "human")]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The declaration repo.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Rebuild when a declaration changes; validation problems show on the page.
    #[arg(long)]
    watch: bool,
    /// Where to build the site [default: a directory under the system's temp dir].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

const FORMATS: &[(&str, &str)] = &[
    ("human", "Problems with their source lines, then a summary"),
    ("json", "One versioned JSON document"),
];

pub fn run(args: Args, color: bool) -> anyhow::Result<ExitCode> {
    match args.command {
        SiteCommand::Build(a) => build(a, color),
        SiteCommand::Serve(a) => serve_site(a),
    }
}

fn build(args: BuildArgs, color: bool) -> anyhow::Result<ExitCode> {
    let options = BuildOptions {
        dir: args.dir.clone(),
        rev: args.rev.clone(),
        out: args.out.clone(),
        env: args.env.clone(),
    };
    let outcome = xcs::site::build(&options)?;
    let (validation, report) = match outcome {
        BuildOutcome::Built(mut r) => (std::mem::take(&mut r.validation), Some(r)),
        BuildOutcome::Invalid(v) => (v, None),
    };
    let counts = validation.counts();
    match args.format {
        Format::Text | Format::Markdown | Format::Github | Format::Sarif => {
            print!(
                "{}",
                diag::render_human(&validation.diagnostics, &validation.sources, color)
            );
            match &report {
                Some(r) => {
                    let warnings = if counts.warnings > 0 {
                        format!(" ({})", plural(counts.warnings, "warning"))
                    } else {
                        String::new()
                    };
                    println!(
                        "       Built {} into {}: {}, {} files, {} KB, in {:.2} s{warnings}",
                        plural(r.commands, "command"),
                        args.out.display(),
                        plural(r.pages, "page"),
                        r.files,
                        r.bytes / 1024,
                        r.elapsed.as_secs_f64()
                    );
                    println!(
                        "        Open {}/index.html, or `xcs site serve {}` for search (it needs http://, not file://)",
                        args.out.display().to_string().trim_end_matches('/'),
                        args.dir.display()
                    );
                }
                None => println!(
                    "{}: {}, {}: the site was not built",
                    args.dir.display(),
                    plural(counts.errors, "error"),
                    plural(counts.warnings, "warning")
                ),
            }
        }
        Format::Json => print_envelope(json!({
            "command": "site build",
            "source": {"dir": args.dir.display().to_string(), "rev": args.rev},
            "out": args.out.display().to_string(),
            "built": report.is_some(),
            "summary": report.as_ref().map(|r| json!({
                "commands": r.commands,
                "pages": r.pages,
                "files": r.files,
                "bytes": r.bytes,
                "largest_page": {"path": r.largest_page.0, "bytes": r.largest_page.1},
                "elapsed_ms": r.elapsed.as_millis() as u64,
            })),
            "errors": counts.errors,
            "warnings": counts.warnings,
            "diagnostics": validation.diagnostics,
        }))?,
    }
    Ok(ExitCode::from(if report.is_some() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    }))
}

fn serve_site(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let out = args
        .out
        .unwrap_or_else(|| std::env::temp_dir().join(format!("xcs-site-{}", std::process::id())));
    let options = ServeOptions {
        build: BuildOptions {
            dir: args.dir,
            rev: None,
            out,
            env: None,
        },
        port: args.port,
        watch: args.watch,
    };
    let report: serve::Reporter = Arc::new(|event| {
        use std::io::Write;
        println!("{}", serve::describe(&event));
        // Tests and scripts read the address from a pipe: don't let it sit in a buffer.
        let _ = std::io::stdout().flush();
    });
    serve::serve(&options, report)?;
    Ok(ExitCode::from(EXIT_OK))
}

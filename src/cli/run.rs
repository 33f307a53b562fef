use super::connection::runtime;
use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, TEXT_OR_JSON, envelope};
use anyhow::{Context, bail};
use indexmap::IndexMap;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::backend::docker::run::Stream;
use xcs::run::{Event, RunRequest, render};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// COMMAND[:WRAPPER]: a command's name in the repo, or a path to a command file; the
    /// wrapper may be left out when the command has one.
    target: String,
    /// The declaration repo to find COMMAND in.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
    /// The XNAT object to run on: NAME is the external input's name or its type (`session`,
    /// `scan`, `project`…), DIR a local directory laid out like an XNAT archive.
    #[arg(long = "context", value_name = "NAME=DIR")]
    contexts: Vec<String>,
    /// A value for a wrapper or command input, as the launch form would send it.
    #[arg(long = "input", value_name = "NAME=VALUE")]
    inputs: Vec<String>,
    /// Keep the containers after they exit (they are removed otherwise).
    #[arg(long)]
    keep: bool,
    /// Print the resolved `docker run` commands and what each output would upload; run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Where build directories (output mounts, writable copies) go; a new temporary directory
    /// by default. Output files stay there after the run.
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    #[arg(long, value_parser = Format::parser(TEXT_OR_JSON), default_value = "text")]
    format: Format,
}

fn pairs(items: &[String], what: &str) -> anyhow::Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("--{what} takes NAME=VALUE, got `{s}`"),
        })
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let work_dir = args.work_dir.clone().unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        std::env::temp_dir().join(format!("xcs-run-{}-{nanos}", std::process::id()))
    });
    let req = RunRequest {
        target: args.target.clone(),
        repo: args.repo.clone(),
        contexts: pairs(&args.contexts, "context")?
            .into_iter()
            .map(|(k, v)| (k, PathBuf::from(v)))
            .collect(),
        inputs: pairs(&args.inputs, "input")?
            .into_iter()
            .collect::<IndexMap<_, _>>(),
        work_dir: std::path::absolute(&work_dir).context("the work directory")?,
    };
    let rt = runtime()?;
    let found = xcs::run::find(&req)?;
    let from_labels = rt.block_on(xcs::run::commands_from_labels(&found));
    let spec = xcs::run::resolve(&req, &found, &from_labels)?;
    let json = args.format == Format::Json;
    if args.dry_run {
        if json {
            let doc = envelope(json!({"command": "run", "dry_run": true, "launch": spec}));
            print!(
                "{}",
                spec.mask(&format!("{}\n", serde_json::to_string_pretty(&doc)?))
            );
        } else {
            print!("{}", render::dry_run(&spec));
        }
        return Ok(ExitCode::from(EXIT_OK));
    }
    let mut on = |e: Event<'_>| print_event(e, json, &spec);
    let report = rt
        .block_on(xcs::run::execute(&spec, args.keep, &mut on))
        .context("the run could not finish")?;
    if json {
        let doc =
            envelope(json!({"command": "run", "dry_run": false, "launch": spec, "report": report}));
        print!(
            "{}",
            spec.mask(&format!("{}\n", serde_json::to_string_pretty(&doc)?))
        );
    } else {
        print!("{}", render::report(&spec, &report));
        println!("Build directories: {}", req.work_dir.display());
    }
    Ok(ExitCode::from(if report.complete {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    }))
}

/// Progress as it happens: on stdout for people, on stderr beside `--format json`.
fn print_event(e: Event<'_>, json: bool, spec: &xcs::launch::LaunchSpec) {
    let mut out: Box<dyn Write> = if json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let _ = match e {
        Event::Starting(c) => writeln!(
            out,
            "{:>8} {} container {} ({})",
            "Starting", c.role, c.command, c.image
        ),
        Event::Log(stream, bytes) => {
            let text = spec.mask(&String::from_utf8_lossy(bytes));
            let mark = if stream == Stream::Stderr { "!" } else { "|" };
            text.lines()
                .try_for_each(|l| writeln!(out, "       {mark} {l}"))
        }
        Event::Finished(_) => Ok(()),
    };
    let _ = out.flush();
}

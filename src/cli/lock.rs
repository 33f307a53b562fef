use super::connection::runtime;
use super::output::{EXIT_OK, EXIT_PROBLEMS, Format, TEXT_OR_JSON, print_envelope};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use xcs::diag::{self, plural};
use xcs::resolve::{EngineUse, EntryStatus, Options};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration repo; `xcs.lock` is written at its top.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Read image labels and files from the local Docker engine only (`DOCKER_HOST` or the
    /// local socket), not from registries.
    #[arg(long)]
    docker: bool,
    /// Platform to pick from multi-platform images.
    #[arg(long, default_value = "linux/amd64", value_name = "OS/ARCH")]
    platform: String,
    /// Do not write; exit 1 when the lock is out of date.
    #[arg(long)]
    check: bool,
    /// Seconds before a request is given up.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    #[command(flatten)]
    tls: super::connection::TlsArgs,
    #[arg(long, value_parser = Format::parser(TEXT_OR_JSON), default_value = "text")]
    format: Format,
}

pub fn run(args: Args, color: bool) -> anyhow::Result<ExitCode> {
    let mut opts = Options::new(&args.dir);
    opts.platform = args.platform.clone();
    opts.engine = if args.docker {
        EngineUse::Only
    } else {
        EngineUse::Auto
    };
    opts.timeout = Duration::from_secs(args.timeout.max(1));
    opts.concurrency = args.concurrency.max(1);
    opts.ca_cert = args.tls.ca_cert.clone();
    let report = runtime()?.block_on(xcs::resolve::lock(&opts, args.check))?;
    let v = &report.validation;
    let counts = v.counts();
    let failed = report
        .entries
        .iter()
        .any(|e| e.status == EntryStatus::Failed);
    match args.format {
        Format::Text => {
            print!("{}", diag::render_human(&v.diagnostics, &v.sources, color));
            for e in &report.entries {
                let status = serde_json::to_value(e.status)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_default();
                let digest = match (&e.previous_digest, &e.digest) {
                    (Some(p), Some(d)) if p != d => format!(" {p} -> {d}"),
                    (_, Some(d)) => format!(" {d}"),
                    _ => String::new(),
                };
                println!("{status:9} {}{digest}", e.source);
            }
            let verb = match (report.changed, args.check) {
                (false, _) => "up to date",
                (true, true) => "out of date",
                (true, false) => "written",
            };
            println!(
                "{}: {verb}; {}, {} ({} requests)",
                report.path.display(),
                plural(report.entries.len(), "source"),
                plural(counts.errors, "error"),
                report.stats.requests
            );
        }
        _ => print_envelope(json!({
            "command": "lock",
            "lock": report.path.display().to_string(),
            "changed": report.changed,
            "written": report.changed && !args.check,
            "sources": report.entries,
            "requests": report.stats.requests,
            "summary": {"errors": counts.errors, "warnings": counts.warnings},
            "diagnostics": v.diagnostics,
        }))?,
    }
    let stale = args.check && report.changed;
    let bad = failed || counts.errors > 0 || stale;
    Ok(ExitCode::from(if bad { EXIT_PROBLEMS } else { EXIT_OK }))
}

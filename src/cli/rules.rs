use super::output::{JSON_VERSION, print_json};
use clap::ValueEnum;
use serde_json::json;
use std::process::ExitCode;
use xcs::validate::rules;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Markdown,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.format {
        Format::Human => {
            for r in rules::ALL {
                outln!(
                    "{}  {:<7}  {}\n                  XNAT: {}",
                    r.code,
                    r.severity.as_str(),
                    r.summary,
                    r.xnat
                );
            }
        }
        Format::Json => print_json(&json!({"version": JSON_VERSION, "rules": rules::ALL}))?,
        Format::Markdown => out!("{}", rules::markdown_table()),
    }
    Ok(ExitCode::SUCCESS)
}

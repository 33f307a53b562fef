use super::output::{Format, print_envelope};
use serde_json::json;
use std::process::ExitCode;
use xcs::validate::rules;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_parser = Format::parser(&[("human", ""), ("json", ""), ("markdown", "")]), default_value = "human")]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.format {
        Format::Text | Format::Github | Format::Sarif => {
            for r in rules::ALL {
                println!(
                    "{}  {:<7}  {}\n                  XNAT: {}",
                    r.code,
                    r.severity.as_str(),
                    r.summary,
                    r.xnat
                );
            }
        }
        Format::Json => print_envelope(json!({"rules": rules::ALL}))?,
        Format::Markdown => print!("{}", rules::markdown_table()),
    }
    Ok(ExitCode::SUCCESS)
}

use super::connection::{XnatArgs, runtime};
use super::output::{Format, TEXT_OR_JSON, print_envelope};
use std::process::ExitCode;
use xcs::apply::lock;
use xcs::model::environment::XnatVariables;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    xnat: XnatArgs,
    /// Required: clearing someone else's lock can let two applies overlap.
    #[arg(long)]
    force: bool,
    #[arg(long, value_parser = Format::parser(TEXT_OR_JSON), default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.force {
        anyhow::bail!(
            "`xcs unlock` clears the apply lock whoever holds it; pass --force if you are sure no apply is running"
        );
    }
    let client = args.xnat.client(&XnatVariables::default())?;
    let cleared = runtime()?.block_on(lock::force_unlock(&client))?;
    if let Format::Json = args.format {
        print_envelope(serde_json::json!({
            "command": "unlock",
            "cleared": cleared,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    match cleared {
        Some(lease) => {
            let state = if lease.expires <= lock::now() {
                "expired"
            } else {
                "still valid"
            };
            println!(
                "Cleared the apply lock held by {} since {} ({state}, until {}).",
                lease.holder,
                lock::timestamp(lease.acquired),
                lock::timestamp(lease.expires)
            );
        }
        None => println!("No apply lock was held."),
    }
    Ok(ExitCode::SUCCESS)
}

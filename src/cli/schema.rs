use super::output::print_json;
use std::process::ExitCode;
use xcs::model::Kind;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// command, registry, compute-backend, site, project, automation or environment.
    kind: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.slug() == args.kind || k.as_str() == args.kind)
        .ok_or_else(|| anyhow::anyhow!("unknown kind `{}`; use one of command, registry, compute-backend, site, project, automation, environment", args.kind))?;
    print_json(&xcs::model::json_schema::schema(kind))?;
    Ok(ExitCode::SUCCESS)
}

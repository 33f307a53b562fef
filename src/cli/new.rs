use super::connection::runtime;
use super::output::{EXIT_OK, Format, YAML_OR_JSON, print_envelope};
use anyhow::Context;
use clap::ValueEnum;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::import::boutiques::WrapperContext;
use xcs::scaffold::{self, NewRequest};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The command's name (from the image's name when left out; required without --image).
    name: Option<String>,
    /// A local image to start from: its org.nrg.commands label, else its entrypoint.
    #[arg(long, value_name = "IMAGE:TAG")]
    image: Option<String>,
    /// Where to start from; by default the label when the image has one, else its entrypoint,
    /// and a skeleton without --image.
    #[arg(long, value_enum)]
    from: Option<From>,
    /// With --from labels: which of the label's commands (the first by default).
    #[arg(long, value_name = "NAME")]
    command: Option<String>,
    /// The XNAT object the wrapper runs on.
    #[arg(long, value_enum, default_value_t = WrapperContext::Session)]
    context: WrapperContext,
    /// Write the command here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[arg(long, value_parser = Format::parser(YAML_OR_JSON), default_value = "yaml")]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum From {
    Labels,
    Entrypoint,
    Nothing,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let req = NewRequest {
        name: args.name,
        image: args.image,
        from: args.from.map(|f| match f {
            From::Labels => scaffold::From::Labels,
            From::Entrypoint => scaffold::From::Entrypoint,
            From::Nothing => scaffold::From::Nothing,
        }),
        command: args.command,
        context: args.context,
    };
    let made = runtime()?.block_on(scaffold::scaffold(&req))?;
    let source = match made.from {
        scaffold::From::Labels => "labels",
        scaffold::From::Entrypoint => "entrypoint",
        scaffold::From::Nothing => "nothing",
    };
    match args.format {
        Format::Json => print_envelope(json!({
            "command": "new",
            "from": source,
            "result": made.command,
            "notes": made.notes,
        }))?,
        _ => {
            let text = scaffold::commented::render(&made.command);
            match &args.out {
                Some(path) => std::fs::write(path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
            for note in &made.notes {
                eprintln!("note: {note}");
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

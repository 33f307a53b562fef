use super::output::{EXIT_OK, Format, YAML_OR_JSON, print_envelope};
use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use xcs::import::boutiques::{self, WrapperContext};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Boutiques descriptor (JSON).
    descriptor: PathBuf,
    /// The XNAT object the wrapper runs on; its files are mounted at /input.
    #[arg(long, value_enum, default_value_t = WrapperContext::Session)]
    context: WrapperContext,
    /// The Docker image to use instead of the descriptor's (required when it has none).
    #[arg(long, value_name = "IMAGE:TAG")]
    image: Option<String>,
    /// Write the command here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[arg(long, value_parser = Format::parser(YAML_OR_JSON), default_value = "yaml")]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let conversion =
        boutiques::convert_file(&args.descriptor, args.context, args.image.as_deref())?;
    match args.format {
        Format::Json => print_envelope(json!({
            "command": "import boutiques",
            "descriptor": args.descriptor.display().to_string(),
            "result": conversion.command,
            "notes": conversion.notes,
        }))?,
        _ => {
            let text = boutiques::to_yaml(&conversion.command);
            match &args.out {
                Some(path) => std::fs::write(path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
            for note in &conversion.notes {
                eprintln!("note: {note}");
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

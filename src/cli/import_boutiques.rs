use super::output::{EXIT_OK, JSON_VERSION, print_json};
use anyhow::Context;
use clap::ValueEnum;
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
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// The command as a declaration (modeline, `kind: Command`), notes on stderr.
    Yaml,
    /// One versioned document: the command (XNAT's JSON) and the notes.
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let conversion =
        boutiques::convert_file(&args.descriptor, args.context, args.image.as_deref())?;
    match args.format {
        Format::Json => print_json(&json!({
            "version": JSON_VERSION,
            "command": "import boutiques",
            "descriptor": args.descriptor.display().to_string(),
            "result": conversion.command,
            "notes": conversion.notes,
        }))?,
        Format::Yaml => {
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

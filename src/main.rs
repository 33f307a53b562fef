//! The `xcs` command: parse arguments, run one subcommand, map its outcome to an exit code.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!(
                "error: {}",
                xcs::model::redact::scrub(&format!("{error:#}"))
            );
            ExitCode::from(cli::EXIT_COULD_NOT_RUN)
        }
    }
}

// Parsing allocates many small strings; mimalloc is markedly faster at that than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

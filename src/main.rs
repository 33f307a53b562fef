//! The `xcs` command: parse arguments, run one subcommand, map its outcome to an exit code.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::closed_stdout::install_hook();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        // `--help` and `--version` print to stdout, which may be closed too.
        Err(e) => match e.print() {
            Err(p) if p.kind() == std::io::ErrorKind::BrokenPipe => {
                cli::closed_stdout::exit_closed()
            }
            _ => std::process::exit(e.exit_code()),
        },
    };
    match cli::run(args) {
        Ok(code) => code,
        Err(error) if cli::closed_stdout::is_closed_stdout(&error) => {
            cli::closed_stdout::exit_closed()
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(cli::EXIT_COULD_NOT_RUN)
        }
    }
}

// Parsing allocates many small strings; mimalloc is markedly faster at that than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

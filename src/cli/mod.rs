//! Command-line arguments (clap derive is the single source for parsing and `--help`) and the
//! dispatch to one subcommand. Each file holds one subcommand's arguments and the few lines that
//! call the library.
//!
//! Every text this program prints goes through the redactor (`xcs::model::redact`): use
//! `out!`/`outln!`/`err!`/`errln!` here, never `print!` and friends.

/// `print!` through the redactor.
macro_rules! out {
    ($($t:tt)*) => { print!("{}", xcs::model::redact::scrub(&format!($($t)*))) };
}
/// `println!` through the redactor.
macro_rules! outln {
    () => { println!() };
    ($($t:tt)*) => { println!("{}", xcs::model::redact::scrub(&format!($($t)*))) };
}
/// `eprint!` through the redactor.
macro_rules! err {
    ($($t:tt)*) => { eprint!("{}", xcs::model::redact::scrub(&format!($($t)*))) };
}
/// `eprintln!` through the redactor.
macro_rules! errln {
    ($($t:tt)*) => { eprintln!("{}", xcs::model::redact::scrub(&format!($($t)*))) };
}

mod apply;
pub mod closed_stdout;
mod completions;
mod connection;
mod diff;
mod import;
mod import_boutiques;
mod lock;
mod man;
mod new;
mod output;
mod plan;
mod progress;
mod review;
mod rules;
mod run;
mod schema;
mod site;
mod unlock;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use output::{Color, EXIT_COULD_NOT_RUN};

const EXIT_CODES: &str = "\
Exit codes:
  0  success: no problems (warnings allowed unless --deny-warnings)
  1  problems found: validation errors, a failed action, a stale saved plan, the apply lock
     held elsewhere or lost in a race, or --fail-on matched
  2  could not run: bad arguments, unreadable path, unknown revision, no XNAT configured,
     --env missing in a repo with environments, XNAT unreachable or refusing the login, a
     role the apply needs is missing
  3  `site build --skip-invalid`: the site was built, but commands with errors were left out
  130/143  apply stopped by SIGINT/SIGTERM (the apply lock released)
  `plan --detailed-exitcode` instead uses 0 = no changes, 1 = error, 2 = changes.";

#[derive(Debug, Parser)]
#[command(
    name = "xcs",
    version,
    about = "GitOps for the XNAT Container Service: validate, review, apply and publish its configuration",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour output: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a declaration repo: JSON Schema, XNAT's own rules, and the ones XNAT forgets.
    #[command(after_help = EXIT_CODES)]
    Validate(validate::Args),
    /// Compare two revisions object by object; classify each change breaking, risky or safe.
    #[command(after_help = EXIT_CODES)]
    Diff(diff::Args),
    /// Write the pull-request comment: validation, the diff and the plan, in Markdown.
    #[command(after_help = EXIT_CODES)]
    Review(review::Args),
    /// Compare a live XNAT with the repo and print what `apply` would do.
    #[command(after_help = EXIT_CODES)]
    Plan(plan::Args),
    /// Make a live XNAT match the repo (or carry out a saved plan).
    #[command(after_help = EXIT_CODES)]
    Apply(apply::Args),
    /// Fetch every `from:` source (image labels and files, URLs) into `xcs.lock`.
    #[command(after_help = EXIT_CODES)]
    Lock(lock::Args),
    /// Write a declaration repo from a live XNAT (how an existing site adopts xcs).
    Import(import::Args),
    /// Run a command on the local Docker engine as XNAT would launch it, and check its outputs.
    #[command(after_help = EXIT_CODES)]
    Run(run::Args),
    /// Start a command: commented YAML from an image's labels or entrypoint, or from nothing.
    New(new::Args),
    /// Clear a stale apply lock, saying who held it.
    Unlock(unlock::Args),
    /// List every validation rule: code, severity, and what XNAT does with the problem.
    Rules(rules::Args),
    /// Print the JSON Schema of a declaration kind.
    Schema(schema::Args),
    /// The command catalog website: build it, or serve it while you edit.
    #[command(after_help = EXIT_CODES)]
    Site(site::Args),
    /// Print the shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(completions::Args),
    /// Print the manual page (roff), or write one per subcommand with --dir.
    Man(man::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let color = cli.color.enabled();
    match cli.command {
        Command::Validate(args) => validate::run(args, color),
        Command::Plan(args) => plan::run(args, color),
        Command::Apply(args) => apply::run(args, color),
        Command::Import(args) => import::run(args, color),
        Command::Lock(args) => lock::run(args, color),
        Command::Run(args) => run::run(args),
        Command::New(args) => new::run(args),
        Command::Unlock(args) => unlock::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Review(args) => review::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Site(args) => site::run(args, color),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}

//! Output settings shared by every subcommand.

use clap::ValueEnum;
use std::io::IsTerminal;

pub const EXIT_OK: u8 = 0;
pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_COULD_NOT_RUN: u8 = 2;

/// The version of every `--format json` document; bumped on incompatible changes.
pub const JSON_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    pub fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

/// Columns available for a report on stdout: the terminal's width, or
/// [`xcs::diag::DEFAULT_WIDTH`] when stdout is not a terminal.
pub fn terminal_width() -> usize {
    if !std::io::stdout().is_terminal() {
        return xcs::diag::DEFAULT_WIDTH;
    }
    terminal_size::terminal_size().map_or(xcs::diag::DEFAULT_WIDTH, |(w, _)| usize::from(w.0))
}

/// `--format` of subcommands that print a report for people or its JSON.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

/// Write a JSON document to stdout, pretty-printed, with a trailing newline.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

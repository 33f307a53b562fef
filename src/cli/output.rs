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

/// Every output format of every subcommand. Each subcommand accepts the ones it lists with
/// [`Format::parser`], under the names its `--help` shows (`human` and `text` are one format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: `human` or `text` (`yaml` where the output is a declaration).
    Text,
    /// One versioned JSON document ([`envelope`]).
    Json,
    /// For a pull-request comment.
    Markdown,
    /// GitHub Actions workflow annotations.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

impl Format {
    fn named(name: &str) -> Option<Format> {
        Some(match name {
            "human" | "text" => Format::Text,
            "json" => Format::Json,
            "markdown" => Format::Markdown,
            "github" => Format::Github,
            "sarif" => Format::Sarif,
            // The form for people of subcommands that write a declaration (`new`, `import
            // boutiques`): the YAML document itself.
            "yaml" => Format::Text,
            _ => return None,
        })
    }

    /// A `--format` parser accepting these (name, help) pairs only.
    pub fn parser(
        accepted: &'static [(&'static str, &'static str)],
    ) -> impl clap::builder::TypedValueParser<Value = Format> {
        use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
        PossibleValuesParser::new(accepted.iter().map(|&(name, help)| {
            let value = PossibleValue::new(name);
            if help.is_empty() {
                value
            } else {
                value.help(help)
            }
        }))
        .map(|name| Format::named(&name).unwrap_or(Format::Text))
    }
}

/// `--format yaml|json`, for subcommands that write a declaration.
pub const YAML_OR_JSON: &[(&str, &str)] = &[
    (
        "yaml",
        "the declaration, with the schema modeline; notes on stderr",
    ),
    (
        "json",
        "one versioned document with the command and the notes",
    ),
];

/// `--format text|json`, the choice of most subcommands.
pub const TEXT_OR_JSON: &[(&str, &str)] = &[("text", ""), ("json", "")];

/// The versioned JSON document every subcommand prints for `--format json`: `"version"` first,
/// then the subcommand's own fields.
pub fn envelope(fields: serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    out.insert("version".into(), JSON_VERSION.into());
    if let serde_json::Value::Object(fields) = fields {
        out.extend(fields);
    }
    serde_json::Value::Object(out)
}

/// Print [`envelope`]`(fields)`.
pub fn print_envelope(fields: serde_json::Value) -> anyhow::Result<()> {
    print_json(&envelope(fields))
}

/// Write a JSON document to stdout, pretty-printed, with a trailing newline.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

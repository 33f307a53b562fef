//! Replacement keys, command-line flags and multiple-value delimiters, and the shell splitting
//! of the command line, as XNAT does them.

use crate::model::CommandInput;
use indexmap::IndexMap;

/// Strings XNAT refuses in any input value (`CommandResolutionService.ILLEGAL_INPUT_STRINGS`).
pub const ILLEGAL_INPUT_STRINGS: [&str; 5] = [";", "&&", "||", "`", "("];

/// Replace every replacement key in `template` with its value, one key after another
/// (`CommandResolutionServiceImpl.resolveTemplate`: a plain `String.replace` per key, so a key
/// that appears in no input stays literal). XNAT walks a `HashMap`; xcs walks keys in the
/// order inputs were resolved, which only differs when one value contains another key.
pub fn resolve(template: &str, values: &IndexMap<String, String>) -> String {
    let mut out = template.to_string();
    for (key, value) in values {
        if out.contains(key.as_str()) {
            out = out.replace(key.as_str(), value);
        }
    }
    out
}

/// The text an input's value puts on the command line: the flag, the separator (a space when
/// unset) and the value, or nothing for a blank value; a `select-many` JSON list goes through
/// [`multiple`] (`CommandResolutionServiceImpl.getValueForCommandLine`).
pub fn command_line_value(input: &CommandInput, value: &str) -> String {
    if value.trim().is_empty() {
        return String::new();
    }
    if input.input_type() == "select-many"
        && let Ok(list) = serde_json::from_str::<Vec<String>>(value)
    {
        return multiple(input, &list);
    }
    match input.command_line_flag.as_deref() {
        Some(flag) if !flag.trim().is_empty() => {
            let sep = input.command_line_separator.as_deref().unwrap_or(" ");
            format!("{flag}{sep}{value}")
        }
        _ => value.to_string(),
    }
}

/// Several values for one input (`CommandResolutionServiceImpl.getMultipleValuesForCommandLine`):
/// the prefix is flag + separator, where a blank one counts as a space (so no flag gives no
/// prefix); `quoted-space` wraps all values in one pair of single quotes, `space` and `comma`
/// join them, `flag` repeats the prefix before each; unset means `space`
/// (`CommandInputEntity.MultipleDelimiter.getByName`).
pub fn multiple(input: &CommandInput, values: &[String]) -> String {
    if values.is_empty() {
        return String::new();
    }
    let blank_to_space = |s: Option<&str>| match s {
        Some(s) if !s.trim().is_empty() => s.to_string(),
        _ => " ".to_string(),
    };
    let mut prefix = blank_to_space(input.command_line_flag.as_deref())
        + &blank_to_space(input.command_line_separator.as_deref());
    if prefix.trim().is_empty() {
        prefix.clear();
    }
    let mut suffix = "";
    let delimiter = match input.multiple_delimiter.as_deref().unwrap_or("space") {
        "quoted-space" => {
            prefix.push('\'');
            suffix = "'";
            " ".to_string()
        }
        "comma" => ",".to_string(),
        "flag" => format!(" {prefix}"),
        _ => " ".to_string(),
    };
    format!("{prefix}{}{suffix}", values.join(&delimiter))
}

/// Java's `List.toString()`, which XNAT stores as the value of a `multiple` derived input.
pub fn java_list(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

/// The arguments Docker gets when the entrypoint is kept: `ShellSplitter.shellSplit` (quotes
/// group, backslash escapes outside single quotes, whitespace separates; no other shell syntax).
pub fn shell_split(line: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let (mut escaping, mut quote) = (false, None::<char>);
    for c in line.chars() {
        if escaping {
            current.push(c);
            escaping = false;
        } else if c == '\\' && quote != Some('\'') {
            escaping = true;
        } else if quote == Some(c) {
            quote = None;
        } else if quote.is_none() && (c == '\'' || c == '"') {
            quote = Some(c);
        } else if quote.is_none() && c.is_whitespace() {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(flag: Option<&str>, sep: Option<&str>, delim: Option<&str>) -> CommandInput {
        CommandInput {
            name: "x".into(),
            command_line_flag: flag.map(String::from),
            command_line_separator: sep.map(String::from),
            multiple_delimiter: delim.map(String::from),
            ..CommandInput::default()
        }
    }

    #[test]
    fn flags_separators_and_delimiters() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            command_line_value(&input(Some("-t"), None, None), "3"),
            "-t 3"
        );
        assert_eq!(
            command_line_value(&input(Some("--t"), Some("="), None), "3"),
            "--t=3"
        );
        assert_eq!(command_line_value(&input(None, None, None), " "), "");
        assert_eq!(multiple(&input(None, None, None), &v(&["a", "b"])), "a b");
        assert_eq!(
            multiple(&input(Some("-i"), None, Some("flag")), &v(&["a", "b"])),
            "-i a -i b"
        );
        assert_eq!(
            multiple(
                &input(Some("-i"), Some("="), Some("comma")),
                &v(&["a", "b"])
            ),
            "-i=a,b"
        );
        assert_eq!(
            multiple(&input(None, None, Some("quoted-space")), &v(&["a", "b"])),
            "'a b'"
        );
        assert_eq!(
            shell_split(r#"run "a b" 'c\d' e\ f"#),
            v(&["run", "a b", r"c\d", "e f"])
        );
    }
}

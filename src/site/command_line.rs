//! A command line split at every `#KEY#`, so the page can link each key to its input, and the
//! anchors those links (and every link to a wrapper) use.

use crate::model::Command;
use serde::Serialize;

/// A piece of the command line: literal text, or a replacement key filled from an input.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub text: String,
    /// The input (command input or wrapper input) whose key this is.
    pub input: Option<String>,
    /// The id of that input's row on the page.
    pub anchor: Option<String>,
    /// `#…#` that matches no input: stays literal at launch.
    pub unknown: bool,
}

/// Split the command line at every `#KEY#` that names an input, so the page can mark them.
pub fn segments(cmd: &Command) -> Vec<Segment> {
    let Some(line) = cmd.command_line.as_deref() else {
        return Vec::new();
    };
    let mut keys: Vec<(String, String, String)> = cmd
        .inputs
        .iter()
        .map(|i| {
            (
                i.key(),
                i.name.clone(),
                format!("input-{}", anchor(&i.name)),
            )
        })
        .collect();
    for w in &cmd.xnat {
        let at = wrapper_anchor(&w.name);
        keys.extend(w.inputs().map(|i| {
            (
                i.key(),
                i.name.clone(),
                format!("{at}-input-{}", anchor(&i.name)),
            )
        }));
    }
    // Longest first, so `#A_B#` wins over a key that is its prefix.
    keys.sort_by_key(|(k, _, _)| std::cmp::Reverse(k.len()));
    let mut out: Vec<Segment> = Vec::new();
    let mut text = String::new();
    let mut rest = line;
    'scan: while !rest.is_empty() {
        for (key, name, target) in &keys {
            if !key.is_empty() && rest.starts_with(key.as_str()) {
                if !text.is_empty() {
                    out.push(literal(std::mem::take(&mut text)));
                }
                out.push(Segment {
                    text: key.clone(),
                    input: Some(name.clone()),
                    anchor: Some(target.clone()),
                    unknown: false,
                });
                rest = &rest[key.len()..];
                continue 'scan;
            }
        }
        // A `#WORD#` no input claims.
        if rest.starts_with('#')
            && let Some(end) = rest[1..].find('#')
            && end > 0
            && rest[1..=end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            if !text.is_empty() {
                out.push(literal(std::mem::take(&mut text)));
            }
            out.push(Segment {
                text: rest[..end + 2].to_string(),
                input: None,
                anchor: None,
                unknown: true,
            });
            rest = &rest[end + 2..];
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            text.push(c);
        }
        rest = chars.as_str();
    }
    if !text.is_empty() {
        out.push(literal(text));
    }
    out
}

/// An HTML id fragment: input names may hold characters an id should not (corpus commands
/// have spaces); case is kept, since `A` and `a` are different inputs.
pub fn anchor(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The id of a wrapper's section on its command's page. Every link to a wrapper (the command's
/// own "where it is enabled", the site and project pages, automations) is made with this.
pub fn wrapper_anchor(name: &str) -> String {
    format!("wrapper-{}", anchor(name))
}

fn literal(text: String) -> Segment {
    Segment {
        text,
        input: None,
        anchor: None,
        unknown: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CommandInput;

    #[test]
    fn command_line_marks_known_and_unknown_keys() {
        let cmd = Command {
            name: "x".into(),
            command_line: Some("run #A# #AB# #nope# 50# done".into()),
            inputs: vec![
                CommandInput {
                    name: "A".into(),
                    ..CommandInput::default()
                },
                CommandInput {
                    name: "ab".into(),
                    replacement_key: Some("#AB#".into()),
                    ..CommandInput::default()
                },
            ],
            ..Command::default()
        };
        let parts: Vec<(String, Option<String>, bool)> = segments(&cmd)
            .into_iter()
            .map(|s| (s.text, s.input, s.unknown))
            .collect();
        assert_eq!(
            parts,
            vec![
                ("run ".into(), None, false),
                ("#A#".into(), Some("A".into()), false),
                (" ".into(), None, false),
                ("#AB#".into(), Some("ab".into()), false),
                (" ".into(), None, false),
                ("#nope#".into(), None, true),
                (" 50# done".into(), None, false),
            ]
        );
    }
}

//! A diff for people: plain text for a terminal, Markdown for a pull request, and GitHub
//! workflow annotations. Summary first, then one block per object, most severe first.

use super::{Class, Diff, FieldChange, ObjectChange, Op, Summary};
use crate::diag::{escape_data, escape_property, plural};
use serde_json::Value;
use std::fmt::Write as _;

/// Values longer than this are cut in text and Markdown (JSON keeps them whole).
const MAX_VALUE: usize = 200;

/// `2 breaking, 3 risky, 1 safe change in 4 objects (1 added, 2 changed, 1 renamed)`.
pub fn summary_line(s: &Summary) -> String {
    if s.objects == 0 {
        return "no changes".to_string();
    }
    let mut actions = Vec::new();
    for (n, what) in [
        (s.added, "added"),
        (s.removed, "removed"),
        (s.renamed, "renamed"),
        (s.changed, "changed"),
    ] {
        if n > 0 {
            actions.push(format!("{n} {what}"));
        }
    }
    let changes = s.breaking + s.risky + s.safe;
    format!(
        "{} breaking, {} risky, {} safe {} in {} ({})",
        s.breaking,
        s.risky,
        s.safe,
        if changes == 1 { "change" } else { "changes" },
        plural(s.objects, "object"),
        actions.join(", ")
    )
}

/// A value as a person reads it: strings in quotes, the rest as compact JSON, cut when long.
pub fn show(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > MAX_VALUE {
        let cut: String = text.chars().take(MAX_VALUE).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// The fields that say what a list element is (an input's type, whether it is required…), or
/// nothing for elements better known by their name alone.
fn brief(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    let parts: Vec<String> = ["type", "required", "default-value"]
        .iter()
        .filter_map(|k| obj.get(*k).map(|x| format!("{k} {}", show(x))))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// What happened, without the path: `"a" → "b"`, `added: 3`, `removed (was 3)`. A whole list
/// element (a wrapper, an input) is named by its path; only its defining fields are shown.
pub fn describe(c: &FieldChange) -> String {
    if c.sensitive {
        return "changed (secret reference; values not shown)".to_string();
    }
    if matches!(c.segments.last(), Some(super::Seg::Item { .. }))
        && matches!(c.op, Op::Added | Op::Removed)
    {
        let element = c.after.as_ref().or(c.before.as_ref());
        return match element.and_then(brief) {
            Some(b) => format!("{} ({b})", c.op.as_str()),
            None => c.op.as_str().to_string(),
        };
    }
    let value = |v: &Option<Value>| v.as_ref().map(show);
    match (c.op, value(&c.before), value(&c.after)) {
        (Op::Renamed, Some(b), Some(a)) => format!("renamed {b} → {a}"),
        (Op::Changed, Some(b), Some(a)) => format!("{b} → {a}"),
        (Op::Added, _, Some(a)) => format!("added: {a}"),
        (Op::Removed, Some(b), _) => format!("removed (was {b})"),
        (op, _, _) => op.as_str().to_string(),
    }
}

fn location(o: &ObjectChange) -> String {
    let mut at = match (&o.file, o.line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        (Some(f), None) => f.clone(),
        _ => String::new(),
    };
    if let Some(from) = &o.moved_from {
        let _ = write!(at, ", moved from {from}");
    }
    at
}

/// The diff for a terminal.
pub fn text(diff: &Diff, title: &str) -> String {
    let mut out = format!("{title}: {}\n", summary_line(&diff.summary()));
    for o in &diff.objects {
        let from = o
            .renamed_from
            .as_ref()
            .map(|f| format!(" (renamed from {f})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{:<8}  {}{from}  [{}]",
            o.class.as_str(),
            o.title(),
            location(o)
        );
        for c in &o.changes {
            let what = describe(c);
            let line = if c.path.is_empty() {
                what
            } else {
                format!("{}: {what}", c.path)
            };
            let _ = writeln!(out, "  - {:<8}  {line}", c.class.as_str());
            let _ = writeln!(out, "      {}", c.why);
        }
    }
    out
}

fn marker(class: Class) -> &'static str {
    match class {
        Class::Breaking => "🛑",
        Class::Risky => "⚠️",
        Class::Safe => "✅",
    }
}

/// Escape text for HTML (and so for Markdown inside HTML tags).
pub fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text for a Markdown table cell: pipes escaped, line breaks as `<br>`.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("<code>{}</code>", cell(&html(text)))
    }
}

/// The Markdown summary: one line of counts and a table of objects.
pub fn markdown_summary(diff: &Diff) -> String {
    let s = diff.summary();
    let mut out = String::new();
    let counts = summary_line(&s);
    if diff.is_empty() {
        out.push_str("No declaration changes.\n");
        return out;
    }
    let _ = writeln!(out, "**{counts}**\n");
    out.push_str("| | object | change | breaking | risky | safe |\n|---|---|---|---:|---:|---:|\n");
    for o in &diff.objects {
        let count = |class: Class| o.changes.iter().filter(|c| c.class == class).count();
        let _ = writeln!(
            out,
            "| {} | {} {} | {} | {} | {} | {} |",
            marker(o.class),
            o.kind,
            code(&o.name),
            o.action.as_str(),
            count(Class::Breaking),
            count(Class::Risky),
            count(Class::Safe)
        );
    }
    out
}

/// One `<details>` block per object, most severe first.
pub fn markdown_details(diff: &Diff) -> Vec<String> {
    diff.objects.iter().map(markdown_object).collect()
}

pub fn markdown_object(o: &ObjectChange) -> String {
    let mut out = String::new();
    let from = o
        .renamed_from
        .as_ref()
        .map(|f| format!(" (was {})", code(f)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<details><summary>{} <b>{}</b> · {} {}{from} · {} · {}</summary>\n",
        marker(o.class),
        o.class.as_str(),
        o.kind,
        code(&o.name),
        o.action.as_str(),
        code(&location(o))
    );
    out.push_str("| class | field | change | why |\n|---|---|---|---|\n");
    for c in &o.changes {
        let path = if c.path.is_empty() {
            "(the object)".to_string()
        } else {
            code(&c.path)
        };
        let _ = writeln!(
            out,
            "| {} | {path} | {} | {} |",
            c.class.as_str(),
            code(&describe(c)),
            cell(&html(&c.why))
        );
    }
    out.push_str("\n</details>\n");
    out
}

/// The whole diff as Markdown, with a heading.
pub fn markdown(diff: &Diff, title: &str) -> String {
    let mut out = format!("### {}\n\n", html(title));
    out.push_str(&markdown_summary(diff));
    for block in markdown_details(diff) {
        out.push('\n');
        out.push_str(&block);
    }
    out
}

/// GitHub workflow commands, one per object: `::error` for breaking, `::warning` for risky,
/// `::notice` for safe, at the object's file and line.
pub fn github(diff: &Diff) -> String {
    let mut out = String::new();
    for o in &diff.objects {
        let level = match o.class {
            Class::Breaking => "error",
            Class::Risky => "warning",
            Class::Safe => "notice",
        };
        let mut props = Vec::new();
        if let Some(f) = &o.file {
            props.push(format!("file={}", escape_property(f)));
        }
        if let Some(l) = o.line {
            props.push(format!("line={l}"));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} change: {}", o.class, o.title()))
        ));
        let mut message = String::new();
        for c in &o.changes {
            if !message.is_empty() {
                message.push('\n');
            }
            let what = describe(c);
            if c.path.is_empty() {
                let _ = write!(message, "{}: {what} ({})", c.class, c.why);
            } else {
                let _ = write!(message, "{}: {}: {what} ({})", c.class, c.path, c.why);
            }
        }
        let _ = writeln!(
            out,
            "::{level} {}::{}",
            props.join(","),
            escape_data(&message)
        );
    }
    out
}

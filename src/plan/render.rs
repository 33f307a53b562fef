//! Plans for people (text, Markdown for a pull-request comment) and for machines (JSON).

use super::{Action, Change, Op, Plan};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Markdown comments stay under this many characters (GitHub's limit is 65,536).
pub const MARKDOWN_LIMIT: usize = 60_000;

fn summary_line(plan: &Plan) -> String {
    let s = plan.summary();
    format!(
        "Plan: {} to create, {} to update, {} to delete ({} unchanged)",
        s.create, s.update, s.delete, s.unchanged
    )
}

fn value(v: &Option<Value>) -> String {
    match v {
        None => "(none)".to_string(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => other.to_string(),
    }
}

fn change_line(c: &Change) -> String {
    if c.sensitive {
        return format!("{}: (changed; value not shown)", c.path);
    }
    match (&c.before, &c.after) {
        (None, after) => format!("{}: {}", c.path, value(after)),
        (before, None) => format!("{}: {} → (removed)", c.path, value(before)),
        (before, after) => format!("{}: {} → {}", c.path, value(before), value(after)),
    }
}

fn sign(op: Op) -> &'static str {
    match op {
        Op::Create => "+",
        Op::Update => "~",
        Op::Delete => "-",
        Op::NoOp => "=",
    }
}

/// Summary first, then each action that changes something.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} on {} (Container Service {})",
        summary_line(plan),
        plan.xnat,
        plan.container_service
    );
    for a in plan.actions.iter().filter(|a| a.op != Op::NoOp) {
        let _ = writeln!(out, "\n  {} {:<7} {}", sign(a.op), a.op.as_str(), a.target);
        for c in &a.changes {
            let _ = writeln!(out, "        {}", change_line(c));
        }
        for w in &a.warnings {
            let _ = writeln!(out, "        ! {w}");
        }
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for n in &plan.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    if !plan.has_changes() {
        let _ = writeln!(out, "\nNo changes: XNAT matches the repo.");
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn details(a: &Action) -> String {
    let mut out = format!(
        "<details><summary><code>{}</code> {} {}</summary>\n\n",
        sign(a.op),
        a.op.as_str(),
        escape(&a.target.to_string())
    );
    if !a.changes.is_empty() {
        out.push_str("```\n");
        for c in &a.changes {
            out.push_str(&change_line(c).replace("```", "ˋˋˋ"));
            out.push('\n');
        }
        out.push_str("```\n");
    }
    for w in &a.warnings {
        let _ = writeln!(out, "> ⚠️ {}", escape(w));
    }
    out.push_str("\n</details>\n");
    out
}

/// A pull-request comment: summary, a table of actions, a `<details>` block per action; cut
/// with a notice when it would exceed `limit` characters.
pub fn markdown(plan: &Plan, limit: usize, artifact: Option<&str>) -> String {
    let mut head = format!(
        "### {}\n\nOn `{}` (Container Service {}).\n\n",
        summary_line(plan),
        plan.xnat,
        plan.container_service
    );
    let changing: Vec<&Action> = plan.actions.iter().filter(|a| a.op != Op::NoOp).collect();
    if changing.is_empty() {
        head.push_str("No changes: XNAT matches the repo.\n");
    } else {
        head.push_str("| | action | object |\n|---|---|---|\n");
        for a in &changing {
            let _ = writeln!(
                head,
                "| {} | {} | {} |",
                sign(a.op),
                a.op.as_str(),
                escape(&a.target.to_string())
            );
        }
        head.push('\n');
    }
    for n in &plan.notes {
        let _ = writeln!(head, "> {}", escape(n));
    }
    let notice = |shown: usize| {
        let mut n = format!(
            "\n**Cut:** {} of {} actions are detailed here to stay under {} characters.",
            shown,
            changing.len(),
            limit
        );
        match artifact {
            Some(url) => {
                let _ = write!(n, " The full plan is at {url}.");
            }
            None => n.push_str(" Run `xcs plan` or see the full plan artifact."),
        }
        n.push('\n');
        n
    };
    let mut out = head;
    let reserve = notice(changing.len()).len() + 64;
    for (i, a) in changing.iter().enumerate() {
        let block = details(a);
        if out.len() + block.len() + reserve > limit {
            out.push_str(&notice(i));
            return out;
        }
        out.push_str(&block);
    }
    out
}

pub fn json(plan: &Plan) -> Value {
    let mut v = serde_json::to_value(plan).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("summary".into(), json!(plan.summary()));
    }
    v
}

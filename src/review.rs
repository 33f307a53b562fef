//! The pull-request comment: validation results, the diff and the plan in one Markdown body,
//! summary first, `<details>` per object, cut to fit a GitHub comment.
//!
//! IO-free: the caller gathers the parts. The plan arrives already rendered (Markdown from
//! `xcs plan --format markdown`), so this module does not depend on how a plan is computed.

use crate::diag::{Counts, Diagnostic, Severity, plural};
use crate::diff::Diff;
use crate::diff::render::{self, cell, html};
use std::fmt::Write as _;

/// The hidden first line CI looks for to update its own comment instead of adding one.
pub const MARKER: &str = "<!-- xcs-review -->";

/// GitHub refuses comments over 65,536 characters; this leaves room for what CI adds.
pub const DEFAULT_MAX_CHARS: usize = 60_000;

/// The plan part of the comment.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanSection {
    /// No plan, and why (e.g. no XNAT reachable from this job).
    NotRun(String),
    /// `xcs plan --format markdown` output; its first `Plan:` line is the summary.
    Rendered(String),
}

/// Everything the comment reports.
#[derive(Debug, Clone)]
pub struct Review<'a> {
    pub base: &'a str,
    pub head: &'a str,
    pub environment: Option<&'a str>,
    /// Diagnostics of the head revision.
    pub diagnostics: &'a [Diagnostic],
    pub diff: &'a Diff,
    pub plan: PlanSection,
    /// Remarks about how the revisions were read.
    pub notes: &'a [String],
}

/// How large the comment may be and where the full report is.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Characters (not bytes: GitHub counts characters). 0 means no limit.
    pub max_chars: usize,
    /// Where the full, uncut review is (a CI artifact or run page).
    pub artifact: Option<String>,
}

impl Default for Fit {
    fn default() -> Self {
        Fit {
            max_chars: DEFAULT_MAX_CHARS,
            artifact: None,
        }
    }
}

/// A part of the comment that can lose its tail: rows of a table, lines of the plan, detail
/// blocks. `head` and `tail` are kept whenever any item is.
struct Part {
    head: String,
    items: Vec<String>,
    tail: String,
    /// Shown instead of the items that did not fit, given their count.
    omitted: fn(usize) -> String,
    /// Lower ranks get the budget first.
    rank: u8,
    /// Filled in by [`fit_parts`]: how many items are shown.
    shown: usize,
}

impl Part {
    fn new(
        rank: u8,
        head: String,
        items: Vec<String>,
        tail: String,
        omitted: fn(usize) -> String,
    ) -> Part {
        let shown = items.len();
        Part {
            head,
            items,
            tail,
            omitted,
            rank,
            shown,
        }
    }

    fn render(&self) -> String {
        let mut out = self.head.clone();
        for item in &self.items[..self.shown] {
            out.push_str(item);
        }
        let hidden = self.items.len() - self.shown;
        if hidden > 0 {
            out.push_str(&(self.omitted)(hidden));
        }
        out.push_str(&self.tail);
        out
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn validation_result(counts: Counts) -> String {
    if counts.errors == 0 && counts.warnings == 0 {
        "✅ no problems".into()
    } else if counts.errors == 0 {
        format!("⚠️ {}", plural(counts.warnings, "warning"))
    } else {
        format!(
            "❌ {}, {}",
            plural(counts.errors, "error"),
            plural(counts.warnings, "warning")
        )
    }
}

fn changes_result(diff: &Diff) -> String {
    let line = render::summary_line(&diff.summary());
    match diff.class() {
        None => "no changes".into(),
        Some(crate::diff::Class::Breaking) => format!("🛑 {line}"),
        Some(crate::diff::Class::Risky) => format!("⚠️ {line}"),
        Some(crate::diff::Class::Safe) => format!("✅ {line}"),
    }
}

/// The plan's summary line: its first `Plan:` line, else its first line of text.
fn plan_result(plan: &PlanSection) -> String {
    match plan {
        PlanSection::NotRun(why) => format!("not run: {why}"),
        PlanSection::Rendered(text) => {
            let lines = || text.lines().map(|l| l.trim_matches(['#', '*', ' ']));
            lines()
                .find(|l| l.starts_with("Plan:"))
                .or_else(|| lines().find(|l| !l.is_empty() && !l.starts_with('<')))
                .unwrap_or("plan attached")
                .to_string()
        }
    }
}

fn diagnostic_row(d: &Diagnostic) -> String {
    let icon = match d.severity {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Note => "ℹ️",
    };
    let place = d
        .location
        .as_ref()
        .map(|l| format!("<code>{}:{}:{}</code>", cell(&html(&l.file)), l.line, l.col))
        .unwrap_or_default();
    let mut text = html(&d.message);
    if let Some(hint) = &d.hint {
        let _ = write!(text, "<br>hint: {}", html(hint));
    }
    format!("| {icon} | {} | {place} | {} |\n", d.code, cell(&text))
}

/// The comment body.
pub fn render(r: &Review, fit: &Fit) -> String {
    let counts = Counts::of(r.diagnostics);
    let env = r
        .environment
        .map(|e| format!(" · environment <code>{}</code>", html(e)))
        .unwrap_or_default();
    let mut header = format!(
        "{MARKER}\n## xcs review: <code>{}</code> → <code>{}</code>{env}\n\n",
        html(r.base),
        html(r.head)
    );
    let _ = write!(
        header,
        "| check | result |\n|---|---|\n| Validation | {} |\n| Changes | {} |\n| Plan | {} |\n",
        cell(&validation_result(counts)),
        cell(&changes_result(r.diff)),
        cell(&html(&plan_result(&r.plan)))
    );
    for note in r.notes {
        let _ = write!(header, "\n> **Note:** {}\n", html(note));
    }

    let mut parts = Vec::new();
    // Validation: the table of problems, open when there are errors.
    if !r.diagnostics.is_empty() {
        let open = if counts.errors > 0 { " open" } else { "" };
        // Errors first: they are what blocks the merge.
        let mut sorted: Vec<&Diagnostic> = r.diagnostics.iter().collect();
        sorted.sort_by_key(|d| d.severity);
        parts.push(Part::new(
            0,
            format!(
                "\n### Validation\n\n<details{open}><summary>{}</summary>\n\n| | code | where | problem |\n|---|---|---|---|\n",
                html(&validation_result(counts))
            ),
            sorted.into_iter().map(diagnostic_row).collect(),
            "\n</details>\n".into(),
            |n| format!("| | | | … and {} not shown |\n", plural(n, "more problem")),
        ));
    }
    // Changes: the summary table (one row per object), then a block per object.
    let summary = render::markdown_summary(r.diff);
    let (table_head, rows) = match summary.split_once("|---|---|---|---:|---:|---:|\n") {
        Some((head, rows)) => (
            format!("{head}|---|---|---|---:|---:|---:|\n"),
            rows.lines().map(|l| format!("{l}\n")).collect(),
        ),
        None => (summary.clone(), Vec::new()),
    };
    parts.push(Part::new(
        1,
        format!("\n### Changes\n\n{table_head}"),
        rows,
        String::new(),
        |n| {
            format!(
                "| | … and {} not shown | | | | |\n",
                plural(n, "more object")
            )
        },
    ));
    parts.push(Part::new(
        3,
        String::new(),
        render::markdown_details(r.diff)
            .into_iter()
            .map(|b| format!("\n{b}"))
            .collect(),
        String::new(),
        |n| format!("\n_… details of {} not shown._\n", plural(n, "more object")),
    ));
    if let PlanSection::Rendered(text) = &r.plan {
        parts.push(Part::new(
            2,
            "\n### Plan\n\n".into(),
            blocks(text),
            String::new(),
            |n| format!("\n_… {} of the plan not shown._\n", plural(n, "more part")),
        ));
    }

    let notice = |artifact: &Option<String>| {
        let place = match artifact {
            Some(url) => format!("[the full review]({url})"),
            None => "the full review in this run's artifacts".to_string(),
        };
        format!(
            "\n> ✂️ **Cut to fit a comment.** Summary and the most severe changes are shown; see {place}.\n"
        )
    };
    let render_all = |parts: &[Part], cut: bool| {
        let mut out = header.clone();
        if cut {
            out.push_str(&notice(&fit.artifact));
        }
        for p in parts {
            out.push_str(&p.render());
        }
        out
    };
    let full = render_all(&parts, false);
    if fit.max_chars == 0 || chars(&full) <= fit.max_chars {
        return full;
    }
    let skeleton = chars(&render_all(&empty(&parts), true));
    fit_parts(&mut parts, fit.max_chars.saturating_sub(skeleton));
    let out = render_all(&parts, true);
    if chars(&out) <= fit.max_chars {
        return out;
    }
    // Even the skeleton is too long (a tiny limit, or a huge note): cut the text itself.
    let keep = fit.max_chars.saturating_sub(chars(&notice(&fit.artifact)));
    let mut cut: String = out.chars().take(keep).collect();
    cut.push_str(&notice(&fit.artifact));
    cut
}

/// The plan's lines, grouped so that a `<details>` block is kept or dropped whole.
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for line in text.lines() {
        depth += line.matches("<details").count();
        depth = depth.saturating_sub(line.matches("</details>").count());
        current.push_str(line);
        current.push('\n');
        if depth == 0 {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Copies of the parts with no items shown: the size of the skeleton.
fn empty(parts: &[Part]) -> Vec<Part> {
    parts
        .iter()
        .map(|p| Part {
            head: p.head.clone(),
            items: p.items.clone(),
            tail: p.tail.clone(),
            omitted: p.omitted,
            rank: p.rank,
            shown: 0,
        })
        .collect()
}

/// Show as many items as `budget` characters allow (the skeleton, with every part's "… n
/// more" line, is already paid for), lower ranks first: problems, the table of objects, the
/// plan, then detail blocks (which come most severe first).
fn fit_parts(parts: &mut [Part], mut budget: usize) {
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| parts[i].rank);
    for i in order {
        let p = &mut parts[i];
        p.shown = 0;
        if p.items.is_empty() {
            continue;
        }
        // The skeleton paid for the "… n more" line at its longest; showing items may still
        // need it, so it stays reserved until every item fits.
        let reserve = chars(&(p.omitted)(p.items.len()));
        budget += reserve;
        let total: usize = p.items.iter().map(|i| chars(i)).sum();
        if total <= budget {
            p.shown = p.items.len();
            budget -= total;
            continue;
        }
        let mut used = 0;
        for item in &p.items {
            let n = chars(item);
            if used + n + reserve > budget {
                break;
            }
            used += n;
            p.shown += 1;
        }
        budget -= used + reserve;
    }
}

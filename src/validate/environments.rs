//! Every environment, checked: its names resolve, and the repo as that environment sees it
//! (the [`overlay`]) breaks no rule the repo itself keeps.
//!
//! Problems the overlay *introduces* are reported at the environment document, so a person
//! fixes the environment rather than hunting for a problem the base repo does not have.

use super::references::{self, ViaRef};
use super::rules::*;
use crate::diag::{Diagnostic, Severity};
use crate::model::environment::overlay_lenient;
use crate::model::{Declared, Environment, Origin, Repo};
use std::collections::{HashMap, HashSet};

/// Which environments to check.
#[derive(Debug, Clone, Copy, Default)]
pub enum Environments<'a> {
    #[default]
    All,
    Only(&'a str),
}

pub fn check(repo: &Repo, via: &[ViaRef], which: Environments) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut names: HashMap<&str, &Origin> = HashMap::new();
    for env in &repo.environments {
        if let Some(first) = names.insert(&env.spec.name, &env.origin) {
            out.push(ENV_DUPLICATE.at(
                &env.origin.file,
                env.origin.locate("/name"),
                format!("environment `{}` is declared twice", env.spec.name),
                Some(format!("first at {}:{}", first.file, first.pos.line)),
            ));
        }
    }
    if repo.environments.is_empty() {
        return out;
    }
    let mut base_refs: HashSet<(String, String)> =
        references::check(repo).into_iter().map(identity).collect();
    base_refs.extend(references::check_via(repo, via).iter().map(via_identity));
    for env in &repo.environments {
        if let Environments::Only(name) = which
            && env.spec.name != name
        {
            continue;
        }
        let (seen, problems) = overlay_lenient(repo, &env.spec);
        for p in problems {
            out.push(ENV_UNKNOWN.at(
                &env.origin.file,
                env.origin.locate(&p.pointer),
                format!("environment `{}`: {}", env.spec.name, p.message),
                None,
            ));
        }
        introduced(repo, env, &seen, via, &base_refs, &mut out);
    }
    out
}

/// A command's own findings, as messages.
fn command_findings(c: &crate::model::Command) -> HashSet<String> {
    super::command::check(c)
        .into_vec()
        .into_iter()
        .map(|f| f.message)
        .collect()
}

/// A setup/wrapup reference problem, as (what, where): the reference's file, document and
/// pointer (it is located only when reported).
fn via_identity(p: &references::ViaProblem) -> (String, String) {
    (
        format!("{} [{}]", p.message, p.rule.code),
        format!("{} (document {}, {})", p.via.file, p.via.doc + 1, p.via.at),
    )
}

fn identity(d: Diagnostic) -> (String, String) {
    let place = d
        .location
        .map(|l| format!("{}:{}:{}", l.file, l.line, l.col))
        .unwrap_or_default();
    (format!("{} [{}]", d.message, d.code), place)
}

/// Report what the overlay `seen` breaks that `repo` does not.
fn introduced(
    repo: &Repo,
    env: &Declared<Environment>,
    seen: &Repo,
    via: &[ViaRef],
    base_refs: &HashSet<(String, String)>,
    out: &mut Vec<Diagnostic>,
) {
    let name = &env.spec.name;
    for c in &seen.commands {
        // Only what the overlay changed can have new problems.
        let base = repo
            .commands
            .iter()
            .find(|b| b.spec.name == c.spec.name && b.spec.version == c.spec.version);
        if base.is_some_and(|b| b.spec == c.spec) {
            continue;
        }
        let pointer = env
            .spec
            .overrides
            .commands
            .keys()
            .find(|r| {
                repo.resolve_command(r)
                    .is_ok_and(|b| b.spec.name == c.spec.name && b.spec.version == c.spec.version)
                    || **r == c.spec.name
            })
            .map(|r| {
                crate::load::Ptr::root()
                    .key("overrides")
                    .key("commands")
                    .key(r)
            });
        let pos = pointer
            .as_ref()
            .map_or(env.origin.pos, |p| env.origin.locate(p.as_str()));
        let before = base.map(|b| command_findings(&b.spec));
        for f in super::command::check(&c.spec).into_vec() {
            if before.as_ref().is_some_and(|b| b.contains(&f.message)) {
                continue;
            }
            out.push(overlay_rule(f.rule.severity).at(
                &env.origin.file,
                pos,
                format!(
                    "with environment `{name}`, command `{}`: {} [{}]",
                    c.spec.name, f.message, f.rule.code
                ),
                f.hint,
            ));
        }
    }
    // Setup and wrapup references of the commands the environment keeps.
    let kept: HashSet<(&str, usize)> = seen
        .commands
        .iter()
        .map(|c| (&*c.origin.file, c.origin.doc))
        .collect();
    let via: Vec<ViaRef> = via
        .iter()
        .filter(|v| kept.contains(&(&*v.file, v.doc)))
        .cloned()
        .collect();
    let mut found: Vec<(String, String, &'static Rule, Option<String>)> = references::check(seen)
        .into_iter()
        .map(|d| {
            let severity = rule_of(d.code, d.severity);
            let hint = d.hint.clone();
            let (what, place) = identity(d);
            (what, place, severity, hint)
        })
        .collect();
    found.extend(references::check_via(seen, &via).iter().map(|p| {
        let (what, place) = via_identity(p);
        (what, place, p.rule, p.hint.clone())
    }));
    for (what, place, rule, hint) in found {
        if base_refs.contains(&(what.clone(), place.clone())) {
            continue;
        }
        out.push(overlay_rule(rule.severity).at(
            &env.origin.file,
            env.origin.pos,
            format!("with environment `{name}`: {what} (at {place})"),
            hint,
        ));
    }
}

/// The rule a diagnostic came from, for its severity.
fn rule_of(code: &str, severity: Severity) -> &'static Rule {
    super::rules::by_code(code).unwrap_or(match severity {
        Severity::Error => ENV_OVERLAY_ERROR,
        Severity::Warning => ENV_OVERLAY_WARNING,
    })
}

fn overlay_rule(severity: Severity) -> &'static Rule {
    match severity {
        Severity::Error => ENV_OVERLAY_ERROR,
        Severity::Warning => ENV_OVERLAY_WARNING,
    }
}

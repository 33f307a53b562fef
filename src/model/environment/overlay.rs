//! Environments: the repo as one XNAT sees it. A pure function of the repo and an
//! [`Environment`]; `validate`, `diff`, `plan`, `apply` and `site build` all go through
//! [`overlay`] (or [`for_environment`]) so they agree on what "production" means.

use crate::model::environment::{CommandOverride, Environment};
use crate::model::repo::Unresolved;
use crate::model::{Declared, Repo, WrapperSetting};
use std::collections::HashSet;

/// Why an environment cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OverlayError {
    #[error("no environment `{name}` in this repo (known: {known})")]
    UnknownEnvironment { name: String, known: String },
    #[error("environment `{environment}` names what the repo does not declare: {}", list(.problems))]
    Unresolved {
        environment: String,
        problems: Vec<OverlayProblem>,
    },
}

/// One name in an environment that resolves to nothing, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayProblem {
    /// JSON pointer into the Environment document, e.g. `/only/commands/1`.
    pub pointer: String,
    pub message: String,
}

fn list(problems: &[OverlayProblem]) -> String {
    problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The repo for the environment called `name`.
pub fn for_environment(repo: &Repo, name: &str) -> Result<Repo, OverlayError> {
    let env = repo
        .environment(name)
        .ok_or_else(|| OverlayError::UnknownEnvironment {
            name: name.to_string(),
            known: known_environments(repo),
        })?;
    overlay(repo, &env.spec)
}

/// `a`, `b` or `none`, for messages.
pub fn known_environments(repo: &Repo) -> String {
    if repo.environments.is_empty() {
        return "none; declare one in environments/<name>.yaml".to_string();
    }
    repo.environments
        .iter()
        .map(|e| format!("`{}`", e.spec.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Apply `env` to `repo`: keep what its `only` lists select (and nothing that depends on what
/// they drop), then apply its overrides. Origins are kept, so diagnostics and diffs still point
/// at the repo's files. The result holds no environments: it is what one XNAT should look like.
///
/// Every name the environment uses must resolve; all that do not are reported together.
pub fn overlay(repo: &Repo, env: &Environment) -> Result<Repo, OverlayError> {
    let (out, problems) = overlay_lenient(repo, env);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(OverlayError::Unresolved {
            environment: env.name.clone(),
            problems,
        })
    }
}

/// [`overlay`], applying what resolves and listing what does not, so validation can go on to
/// check the result.
pub fn overlay_lenient(repo: &Repo, env: &Environment) -> (Repo, Vec<OverlayProblem>) {
    let mut problems = Vec::new();
    let mut out = repo.clone();
    out.environments.clear();

    select_commands(repo, env, &mut out, &mut problems);
    select_projects(repo, env, &mut out, &mut problems);
    select_automations(repo, env, &mut out, &mut problems);
    override_registries(repo, env, &mut out, &mut problems);
    override_backend(repo, env, &mut out);
    override_commands(repo, env, &mut out, &mut problems);
    override_automations(repo, env, &mut out, &mut problems);
    (out, problems)
}

/// Only the commands `only.commands` selects, and what depends on them.
fn select_commands(
    repo: &Repo,
    env: &Environment,
    out: &mut Repo,
    problems: &mut Vec<OverlayProblem>,
) {
    // Commands: resolve the allow-list to indices of repo.commands.
    if let Some(selected) = &env.only.commands {
        let mut keep = HashSet::new();
        for (i, reference) in selected.iter().enumerate() {
            match repo.resolve_command(reference) {
                Ok(c) => {
                    keep.insert(command_key(&c.spec));
                }
                Err(Unresolved::Ambiguous(_)) if !reference.contains('@') => {
                    // A bare name selects every version of it.
                    for c in repo.commands.iter().filter(|c| c.spec.name == *reference) {
                        keep.insert(command_key(&c.spec));
                    }
                }
                Err(_) if source_names(repo).contains(reference.as_str()) => {}
                Err(_) => problems.push(OverlayProblem {
                    pointer: format!("/only/commands/{i}"),
                    message: format!("no command `{reference}`"),
                }),
            }
        }
        out.commands
            .retain(|c| keep.contains(&command_key(&c.spec)));
        out.command_sources.retain(|s| {
            s.spec.names.is_empty() || s.spec.names.iter().any(|n| selected.contains(n))
        });
        // Settings of dropped commands go too; references the repo cannot resolve at all are
        // left for validation to report.
        let kept = |reference: &str| match repo.resolve_command(reference) {
            Ok(c) => keep.contains(&command_key(&c.spec)),
            Err(_) => true,
        };
        for site in &mut out.sites {
            site.spec
                .wrappers
                .retain(|w: &WrapperSetting| kept(&w.command));
        }
        for project in &mut out.projects {
            project
                .spec
                .wrappers
                .retain(|w: &WrapperSetting| kept(&w.command));
        }
        out.automations.retain(|a| kept(&a.spec.command));
    }
}

/// Only the projects `only.projects` selects, and automations that can run.
fn select_projects(
    repo: &Repo,
    env: &Environment,
    out: &mut Repo,
    problems: &mut Vec<OverlayProblem>,
) {
    if let Some(selected) = &env.only.projects {
        for (i, id) in selected.iter().enumerate() {
            if repo.project(id).is_none() {
                problems.push(OverlayProblem {
                    pointer: format!("/only/projects/{i}"),
                    message: format!("no project `{id}`"),
                });
            }
        }
        out.projects.retain(|p| selected.contains(&p.spec.id));
        // A project automation for a project outside the selection has nothing to run on.
        out.automations.retain(|a| {
            a.spec
                .project
                .as_ref()
                .is_none_or(|p| repo.project(p).is_none() || selected.contains(p))
        });
    }
}

/// Only the automations `only.automations` selects.
fn select_automations(
    repo: &Repo,
    env: &Environment,
    out: &mut Repo,
    problems: &mut Vec<OverlayProblem>,
) {
    if let Some(selected) = &env.only.automations {
        for (i, name) in selected.iter().enumerate() {
            if !repo.automations.iter().any(|a| a.spec.name == *name) {
                problems.push(OverlayProblem {
                    pointer: format!("/only/automations/{i}"),
                    message: format!("no automation `{name}`"),
                });
            }
        }
        out.automations.retain(|a| selected.contains(&a.spec.name));
    }
}

/// Registry overrides: URL, credentials and e-mail.
fn override_registries(
    repo: &Repo,
    env: &Environment,
    out: &mut Repo,
    problems: &mut Vec<OverlayProblem>,
) {
    for (name, patch) in &env.overrides.registries {
        let Some(r) = out.registries.iter_mut().find(|r| r.spec.name == *name) else {
            if !repo.registries.iter().any(|r| r.spec.name == *name) {
                problems.push(OverlayProblem {
                    pointer: format!("/overrides/registries/{}", escape(name)),
                    message: format!("no registry `{name}`"),
                });
            }
            continue;
        };
        let spec = &mut r.spec;
        set(&mut spec.url, &patch.url);
        replace(&mut spec.username, &patch.username);
        replace(&mut spec.password, &patch.password);
        replace(&mut spec.token, &patch.token);
        replace(&mut spec.email, &patch.email);
    }
}

/// The compute backend override (or the environment's own backend).
fn override_backend(repo: &Repo, env: &Environment, out: &mut Repo) {
    if let Some(backend) = &env.overrides.compute_backend {
        match out.backends.first_mut() {
            Some(b) => b.spec = backend.clone(),
            None => {
                // No backend in the repo: the environment's own declaration is the backend, and
                // it points at the environment document.
                if let Some(declared) = repo.environment(&env.name) {
                    out.backends.push(Declared {
                        spec: backend.clone(),
                        origin: declared.origin.clone(),
                    });
                }
            }
        }
    }
}

/// Command overrides, for one version or every version of a name.
fn override_commands(
    repo: &Repo,
    env: &Environment,
    out: &mut Repo,
    problems: &mut Vec<OverlayProblem>,
) {
    for (reference, patch) in &env.overrides.commands {
        let targets: Vec<(String, Option<String>)> = match repo.resolve_command(reference) {
            Ok(c) => vec![command_key(&c.spec)],
            Err(Unresolved::Ambiguous(_)) if !reference.contains('@') => repo
                .commands
                .iter()
                .filter(|c| c.spec.name == *reference)
                .map(|c| command_key(&c.spec))
                .collect(),
            Err(_) => {
                problems.push(OverlayProblem {
                    pointer: format!("/overrides/commands/{}", escape(reference)),
                    message: format!("no command `{reference}`"),
                });
                continue;
            }
        };
        for c in out
            .commands
            .iter_mut()
            .filter(|c| targets.contains(&command_key(&c.spec)))
        {
            apply_command(&mut c.spec, patch);
        }
    }
}

/// Automation overrides: active, and inputs.
fn override_automations(
    repo: &Repo,
    env: &Environment,
    out: &mut Repo,
    problems: &mut Vec<OverlayProblem>,
) {
    for (name, patch) in &env.overrides.automations {
        if !repo.automations.iter().any(|a| a.spec.name == *name) {
            problems.push(OverlayProblem {
                pointer: format!("/overrides/automations/{}", escape(name)),
                message: format!("no automation `{name}`"),
            });
            continue;
        }
        if let Some(a) = out.automations.iter_mut().find(|a| a.spec.name == *name) {
            if let Some(active) = patch.active {
                a.spec.active = active;
            }
            for (k, v) in &patch.inputs {
                a.spec.inputs.insert(k.clone(), v.clone());
            }
        }
    }
}

fn apply_command(c: &mut crate::model::Command, patch: &CommandOverride) {
    replace(&mut c.image, &patch.image);
    replace(&mut c.reserve_memory, &patch.reserve_memory);
    replace(&mut c.limit_memory, &patch.limit_memory);
    replace(&mut c.limit_cpu, &patch.limit_cpu);
    replace(&mut c.shm_size, &patch.shm_size);
    replace(&mut c.runtime, &patch.runtime);
    replace(&mut c.network, &patch.network);
    replace(&mut c.generic_resources, &patch.generic_resources);
    for (k, v) in &patch.environment_variables {
        c.environment_variables.insert(k.clone(), v.clone());
    }
}

fn replace<T: Clone>(field: &mut Option<T>, patch: &Option<T>) {
    if let Some(v) = patch {
        *field = Some(v.clone());
    }
}

fn set<T: Clone>(field: &mut T, patch: &Option<T>) {
    if let Some(v) = patch {
        *field = v.clone();
    }
}

/// Commands are told apart by name and version (the image may be what an environment changes).
fn command_key(c: &crate::model::Command) -> (String, Option<String>) {
    (c.name.clone(), c.version.clone())
}

/// Command names a `from:` source promises, which the repo cannot see before resolving it.
fn source_names(repo: &Repo) -> HashSet<&str> {
    repo.command_sources
        .iter()
        .flat_map(|s| s.spec.names.iter().map(String::as_str))
        .collect()
}

/// JSON pointer escaping of one key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::environment::{RegistryOverride, Selection};
    use crate::model::{Automation, Command, EventTrigger, Origin, Project, Registry, Site};

    fn declared<T>(spec: T) -> Declared<T> {
        Declared {
            spec,
            origin: Origin {
                file: "x.yaml".into(),
                rel: "x.yaml".into(),
                doc: 0,
                pos: crate::position::Pos::new(1, 1),
                node: None,
            },
        }
    }

    fn setting(command: &str) -> WrapperSetting {
        WrapperSetting {
            command: command.into(),
            wrapper: "w".into(),
            enabled: true,
            config: Default::default(),
        }
    }

    fn repo() -> Repo {
        let command = |name: &str| Command {
            name: name.into(),
            version: Some("1".into()),
            image: Some(format!("x/{name}:1")),
            limit_memory: Some(1024),
            ..Command::default()
        };
        let automation = |name: &str, command: &str, project: Option<&str>| Automation {
            name: name.into(),
            project: project.map(str::to_string),
            event: EventTrigger {
                event_type: "SessionEvent".into(),
                status: "CREATED".into(),
                payload_filter: None,
            },
            command: command.into(),
            wrapper: "w".into(),
            inputs: Default::default(),
            active: true,
            act_as_event_user: false,
        };
        Repo {
            commands: vec![declared(command("a")), declared(command("b"))],
            registries: vec![declared(Registry {
                name: "lab".into(),
                url: "https://registry.example.org".into(),
                username: Some("bot".into()),
                password: None,
                token: None,
                email: None,
                default: false,
            })],
            sites: vec![declared(Site {
                wrappers: vec![setting("a"), setting("b")],
            })],
            projects: vec![
                declared(Project {
                    id: "P1".into(),
                    wrappers: vec![setting("a"), setting("b")],
                }),
                declared(Project {
                    id: "P2".into(),
                    wrappers: vec![setting("a")],
                }),
            ],
            automations: vec![
                declared(automation("auto-a", "a", Some("P1"))),
                declared(automation("auto-b", "b", None)),
                declared(automation("auto-p2", "a", Some("P2"))),
            ],
            ..Repo::default()
        }
    }

    #[test]
    fn selection_drops_what_depends_on_dropped_declarations() {
        let env = Environment {
            name: "dev".into(),
            only: Selection {
                commands: Some(vec!["a".into()]),
                projects: Some(vec!["P1".into()]),
                automations: None,
            },
            ..Environment::default()
        };
        let out = overlay(&repo(), &env).expect("resolves");
        let names =
            |r: &Repo| -> Vec<String> { r.commands.iter().map(|c| c.spec.name.clone()).collect() };
        assert_eq!(names(&out), ["a"]);
        assert_eq!(out.sites[0].spec.wrappers.len(), 1);
        assert_eq!(out.projects.len(), 1);
        assert_eq!(out.projects[0].spec.wrappers.len(), 1);
        let autos: Vec<&str> = out
            .automations
            .iter()
            .map(|a| a.spec.name.as_str())
            .collect();
        assert_eq!(autos, ["auto-a"]);
    }

    #[test]
    fn overrides_change_values_and_keep_the_rest() {
        let mut env = Environment {
            name: "prod".into(),
            ..Environment::default()
        };
        env.overrides.registries.insert(
            "lab".into(),
            RegistryOverride {
                url: Some("https://mirror.example.org".into()),
                ..RegistryOverride::default()
            },
        );
        env.overrides.commands.insert(
            "b@1".into(),
            CommandOverride {
                limit_memory: Some(8192),
                ..CommandOverride::default()
            },
        );
        env.overrides.automations.insert(
            "auto-b".into(),
            crate::model::environment::AutomationOverride {
                active: Some(false),
                ..Default::default()
            },
        );
        let base = repo();
        let out = overlay(&base, &env).expect("resolves");
        assert_eq!(out.registries[0].spec.url, "https://mirror.example.org");
        assert_eq!(out.registries[0].spec.username.as_deref(), Some("bot"));
        assert_eq!(out.commands[0].spec.limit_memory, Some(1024));
        assert_eq!(out.commands[1].spec.limit_memory, Some(8192));
        assert!(!out.automations[1].spec.active);
        // The input is not changed.
        assert_eq!(base.commands[1].spec.limit_memory, Some(1024));
    }

    #[test]
    fn unknown_names_are_all_reported_with_their_place() {
        let mut env = Environment {
            name: "prod".into(),
            only: Selection {
                commands: Some(vec!["a".into(), "nope".into()]),
                projects: Some(vec!["P9".into()]),
                automations: None,
            },
            ..Environment::default()
        };
        env.overrides
            .registries
            .insert("a/b".into(), RegistryOverride::default());
        let Err(OverlayError::Unresolved { problems, .. }) = overlay(&repo(), &env) else {
            panic!("expected problems");
        };
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/only/commands/1",
                "/only/projects/0",
                "/overrides/registries/a~1b"
            ]
        );
    }

    #[test]
    fn unknown_environment_names_the_known_ones() {
        let err = for_environment(&repo(), "prod").expect_err("none declared");
        assert!(err.to_string().contains("no environment `prod`"), "{err}");
    }
}

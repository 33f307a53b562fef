//! From resolved inputs to containers: outputs, environment, ports, mounts (with their setup
//! commands), the command line, wrapup commands (`CommandResolutionHelper.resolve()` after the
//! input trees, in its order), and the container settings `DockerControlApi.createContainer`
//! passes to Docker.

use super::inputs::{self, Def, Node, Resolved};
use super::template;
use super::{
    BuildDir, ContainerSpec, InputValue, LaunchError, LaunchSpec, Request, ResolvedMount,
    ResolvedOutput, Ulimit,
};
use crate::model::archive::ObjectType;
use crate::model::{Command, Wrapper};
use indexmap::IndexMap;

const MIB: i64 = 1024 * 1024;

struct Builder<'r, 'a> {
    req: &'r Request<'a>,
    build_dirs: Vec<BuildDir>,
    setup: Vec<ContainerSpec>,
}

impl Builder<'_, '_> {
    /// A fresh build directory (XNAT's `getBuildDirectory`, one per use).
    fn build_dir(&mut self, what: &str, copy_from: Option<String>) -> String {
        let path = format!(
            "{}/{:02}-{what}",
            self.req.build_root.trim_end_matches('/'),
            self.build_dirs.len() + 1
        );
        self.build_dirs.push(BuildDir {
            path: path.clone(),
            copy_from,
        });
        path
    }
}

pub fn assemble(req: &Request<'_>, r: &Resolved<'_>) -> Result<LaunchSpec, LaunchError> {
    let command = req.command;
    let mut b = Builder {
        req,
        build_dirs: Vec::new(),
        setup: Vec::new(),
    };
    let mut outputs = resolve_outputs(req, r)?;
    let env = resolve_map(&command.environment_variables, &r.values);
    let mounts = resolve_mounts(&mut b, r)?;
    let command_line = template::resolve(
        command.command_line.as_deref().unwrap_or_default(),
        &r.command_line,
    );
    let mut main = container("main", command, command_line, env.clone(), mounts.clone());
    main.working_dir = command
        .working_directory
        .as_deref()
        .map(|w| template::resolve(w, &r.values))
        .filter(|w| !w.is_empty());
    main.ports = resolve_map(&command.ports, &r.values);
    main.name = resolve_name(command, &r.values);
    main.labels = command
        .container_labels
        .as_ref()
        .map(|l| resolve_map(l, &r.values))
        .unwrap_or_default();
    for o in &mut outputs {
        o.host_dir = mounts
            .iter()
            .find(|m| m.name == o.mount)
            .map(|m| m.host_path.clone())
            .unwrap_or_default();
    }
    let wrapup = resolve_wrapups(&mut b, &mut outputs, &mounts)?;
    // Setup and wrapup containers get the parent's environment, and their command line, labels
    // and name are filled from the parent's values.
    let populate = |mut c: ContainerSpec| {
        for (k, v) in &env {
            c.env.insert(k.clone(), v.clone());
        }
        c.command_line = template::resolve(&c.command_line, &r.command_line);
        c.cmd = cmd(&c.command_line, c.override_entrypoint);
        c.labels = c
            .labels
            .iter()
            .map(|(k, v)| {
                (
                    template::resolve(k, &r.values),
                    template::resolve(v, &r.values),
                )
            })
            .collect();
        c.name = c.name.map(|n| template::resolve(&n, &r.values));
        c
    };
    let setup = std::mem::take(&mut b.setup)
        .into_iter()
        .map(populate)
        .collect();
    let wrapup = wrapup.into_iter().map(populate).collect();
    Ok(LaunchSpec {
        command: command.name.clone(),
        wrapper: req.wrapper.map(|w| w.name.clone()),
        inputs: input_values(r),
        sensitive: sensitive_values(req, r),
        setup,
        main,
        wrapup,
        outputs,
        build_dirs: b.build_dirs,
        notes: notes(command),
    })
}

fn notes(command: &Command) -> Vec<String> {
    let mut notes = vec![
        "XNAT also sets XNAT_HOST, XNAT_USER and XNAT_PASS (a fresh alias token) in every container; xcs run does not".to_string(),
    ];
    for s in &command.secrets {
        notes.push(format!(
            "secret `{}` (XNAT system property `{}`) is not available here: the variable is left unset",
            s.destination.identifier, s.source.identifier
        ));
    }
    notes
}

fn input_values(r: &Resolved<'_>) -> Vec<InputValue> {
    fn walk(n: &Node<'_>, out: &mut Vec<InputValue>) {
        let sensitive = match n.def {
            Def::External(i) | Def::Derived(i) => i.sensitive == Some(true),
            Def::Command(i) => i.sensitive == Some(true),
        };
        let of = if matches!(n.def, Def::Command(_)) {
            "command"
        } else {
            "wrapper"
        };
        let value = match &n.values[..] {
            [(v, _)] => v.value.clone(),
            [] => None,
            many => Some(template::java_list(
                &many
                    .iter()
                    .filter_map(|(v, _)| v.value.clone())
                    .collect::<Vec<_>>(),
            )),
        };
        let value = if sensitive {
            value.map(|_| "(sensitive: withheld)".to_string())
        } else {
            value
        };
        out.push(InputValue {
            name: n.def.name().to_string(),
            of,
            value,
        });
        for (_, kids) in &n.values {
            for k in kids {
                walk(k, out);
            }
        }
    }
    let mut out = Vec::new();
    for t in &r.trees {
        walk(t, &mut out);
    }
    out
}

fn sensitive_values(req: &Request<'_>, r: &Resolved<'_>) -> Vec<String> {
    let wrapper_inputs = req
        .wrapper
        .into_iter()
        .flat_map(|w| w.inputs())
        .filter(|i| i.sensitive == Some(true))
        .map(|i| i.key());
    let command_inputs = req
        .command
        .inputs
        .iter()
        .filter(|i| i.sensitive == Some(true))
        .map(|i| i.key());
    let mut out: Vec<String> = wrapper_inputs
        .chain(command_inputs)
        .flat_map(|k| [r.values.get(&k).cloned(), r.command_line.get(&k).cloned()])
        .flatten()
        .filter(|v| !v.trim().is_empty())
        .collect();
    // Longest first, so a value is masked before any value it contains.
    out.sort_by_key(|v| std::cmp::Reverse(v.len()));
    out.dedup();
    out
}

fn resolve_map(
    map: &IndexMap<String, String>,
    values: &IndexMap<String, String>,
) -> IndexMap<String, String> {
    map.iter()
        .map(|(k, v)| (template::resolve(k, values), template::resolve(v, values)))
        .collect()
}

fn resolve_name(command: &Command, values: &IndexMap<String, String>) -> Option<String> {
    command
        .container_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| template::resolve(n, values))
}

fn cmd(line: &str, override_entrypoint: bool) -> Vec<String> {
    if override_entrypoint {
        vec!["/bin/sh".into(), "-c".into(), line.to_string()]
    } else {
        template::shell_split(line)
    }
}

/// The container settings of a command (`ResolvedCommand` → `DockerControlApi.createContainer`):
/// memory in MiB becomes bytes, CPUs nano-CPUs, `soft:hard` ulimits a pair.
fn container(
    role: &'static str,
    command: &Command,
    command_line: String,
    env: IndexMap<String, String>,
    mounts: Vec<ResolvedMount>,
) -> ContainerSpec {
    let override_entrypoint = command.override_entrypoint == Some(true);
    let ulimits = command
        .ulimits
        .iter()
        .flatten()
        .filter_map(|(name, v)| {
            let mut parts = v.split(':').map(|p| p.trim().parse::<i64>());
            let soft = parts.next()?.ok()?;
            let hard = parts.next().map_or(Some(soft), Result::ok)?;
            Some(Ulimit {
                name: name.clone(),
                soft,
                hard,
            })
        })
        .collect();
    ContainerSpec {
        role,
        command: command.name.clone(),
        image: command.image.clone().unwrap_or_default(),
        name: None,
        cmd: cmd(&command_line, override_entrypoint),
        command_line,
        override_entrypoint,
        env,
        working_dir: command.working_directory.clone(),
        ports: IndexMap::new(),
        mounts,
        labels: command.container_labels.clone().unwrap_or_default(),
        memory_bytes: command.limit_memory.filter(|m| *m > 0).map(|m| m * MIB),
        memory_reservation_bytes: command.reserve_memory.filter(|m| *m > 0).map(|m| m * MIB),
        nano_cpus: command
            .limit_cpu
            .filter(|c| *c > 0.0)
            .map(|c| (c * 1e9) as i64),
        shm_size: command.shm_size.filter(|s| *s >= 0),
        network: command.network.clone(),
        runtime: command.runtime.clone(),
        ipc_mode: command.ipc_mode.clone(),
        ulimits,
    }
}

/// `resolveOutputs` / `resolveCommandOutput`: every handler of every output, in handler order.
fn resolve_outputs(
    req: &Request<'_>,
    r: &Resolved<'_>,
) -> Result<Vec<ResolvedOutput>, LaunchError> {
    let handlers = req
        .wrapper
        .map(|w| w.output_handlers.as_slice())
        .unwrap_or_default();
    let mut by_handler: IndexMap<&str, ResolvedOutput> = IndexMap::new();
    for output in &req.command.outputs {
        let mine: Vec<_> = handlers
            .iter()
            .filter(|h| h.accepts_command_output == output.name)
            .collect();
        if mine.is_empty() {
            return Err(LaunchError::Refused(format!(
                "No wrapper output handler was configured to handle command output \"{}\".",
                output.name
            )));
        }
        let required = output.required == Some(true);
        for h in mine {
            let target = h.as_a_child_of.clone().unwrap_or_default();
            let target_uri = match target_of(req.wrapper, r, &target, h.handler_type()) {
                Ok(uri) => uri,
                Err(message) if required => return Err(LaunchError::Refused(message)),
                Err(_) => continue,
            };
            let t = |s: &Option<String>| s.as_deref().map(|s| template::resolve(s, &r.values));
            by_handler.insert(
                &h.name,
                ResolvedOutput {
                    name: format!("{}:{}", output.name, h.name),
                    output: output.name.clone(),
                    handler: h.name.clone(),
                    required,
                    mount: output.mount.clone(),
                    path: t(&output.path),
                    glob: output.glob.clone(),
                    handler_type: h.handler_type().to_string(),
                    xsi_type: h.xsi_type.clone(),
                    target,
                    target_uri,
                    label: t(&h.label),
                    format: t(&h.format),
                    content: t(&h.content),
                    description: t(&h.description),
                    tags: h
                        .tags
                        .iter()
                        .map(|s| template::resolve(s, &r.values))
                        .collect(),
                    via_wrapup: h
                        .via_wrapup_command
                        .clone()
                        .filter(|v| !v.trim().is_empty()),
                    host_dir: String::new(),
                },
            );
        }
    }
    handlers
        .iter()
        .map(|h| {
            by_handler.shift_remove(h.name.as_str()).ok_or_else(|| {
                LaunchError::Refused(format!(
                    "Command wrapper output handler \"{}\" has no resolved output to handle.",
                    h.name
                ))
            })
        })
        .collect()
}

/// Where a handler uploads: an input with an XNAT object (its URI), or an earlier handler that
/// creates an Assessor or a Scan (for a Resource handler only).
fn target_of(
    wrapper: Option<&Wrapper>,
    r: &Resolved<'_>,
    target: &str,
    handler_type: &str,
) -> Result<Option<String>, String> {
    if let Some(v) = inputs::value_by_name(&r.trees, target) {
        return match v.object {
            Some(o) => Ok(Some(o.uri.clone())),
            None => Err(format!(
                "Cannot resolve output. Input \"{target}\" is supposed to handle the output, but it does not have an XNAT object value."
            )),
        };
    }
    let other = wrapper.and_then(|w| w.output_handlers.iter().find(|h| h.name == target));
    match other {
        Some(o)
            if handler_type == "Resource" && matches!(o.handler_type(), "Assessor" | "Scan") =>
        {
            Ok(None)
        }
        Some(o) => Err(format!(
            "Cannot resolve handler. Handler has type \"{handler_type}\"; target handler \"{target}\" has type \"{}\".",
            o.handler_type()
        )),
        None => Err(format!(
            "Cannot resolve output. The handler says the output is supposed to be handled by \"{target}\", but either that isn't an input, or an output, or maybe the input does not have a uniquely resolved value."
        )),
    }
}

/// `resolveCommandMounts` / `resolveCommandMount`: a mount fed by an input gets the object's
/// directory (read-only), or a copy of it when the mount is writable; a `via-setup-command`
/// input gets a setup container that writes the mount's files; any other mount is an empty
/// build directory (`resolveOutputMount`).
fn resolve_mounts(
    b: &mut Builder<'_, '_>,
    r: &Resolved<'_>,
) -> Result<Vec<ResolvedMount>, LaunchError> {
    let mut sources = IndexMap::new();
    for t in &r.trees {
        inputs::mount_sources(t, &mut sources);
    }
    let mut out = Vec::new();
    for m in &b.req.command.mounts {
        let container_path = template::resolve(m.path.as_deref().unwrap_or_default(), &r.values);
        let Some(node) = sources.get(&m.name) else {
            let host_path = b.build_dir(&m.name, None);
            out.push(ResolvedMount {
                name: m.name.clone(),
                host_path,
                container_path,
                writable: true,
            });
            continue;
        };
        let object = match &node.values[..] {
            [(v, _)] => v.object,
            _ => {
                return Err(LaunchError::Refused(format!(
                    "Input \"{}\" has multiple resolved values. We can only use inputs with a single resolved value.",
                    node.def.name()
                )));
            }
        };
        let Some(object) = object.filter(|o| o.object_type != ObjectType::Subject) else {
            return Err(LaunchError::Refused(format!(
                "Input \"{}\"'s XnatModelObject value is null",
                node.def.name()
            )));
        };
        let mut host_path = if m.writable {
            b.build_dir(&m.name, Some(object.directory.clone()))
        } else {
            object.directory.clone()
        };
        if let Some(setup_ref) = node
            .def
            .wrapper_input()
            .and_then(|i| i.via_setup_command.clone())
            .filter(|s| !s.trim().is_empty())
        {
            let output = b.build_dir(&format!("{}-setup", m.name), None);
            let setup = special(b.req, &setup_ref, "docker-setup", host_path, output.clone())?;
            b.setup.push(setup);
            host_path = output;
        }
        out.push(ResolvedMount {
            name: m.name.clone(),
            host_path,
            container_path,
            writable: m.writable,
        });
    }
    Ok(out)
}

/// `resolveWrapupCommands`: a wrapup container per handler that names one, reading the output's
/// mount at `/input` and writing a build directory at `/output`, which the handler then uploads.
fn resolve_wrapups(
    b: &mut Builder<'_, '_>,
    outputs: &mut [ResolvedOutput],
    mounts: &[ResolvedMount],
) -> Result<Vec<ContainerSpec>, LaunchError> {
    let mut wrapups = Vec::new();
    for o in outputs.iter_mut() {
        let Some(wrapup_ref) = o.via_wrapup.clone() else {
            continue;
        };
        let input = mounts
            .iter()
            .find(|m| m.name == o.mount)
            .map(|m| m.host_path.clone())
            .unwrap_or_default();
        let output = b.build_dir(&format!("{}-wrapup", o.handler), None);
        wrapups.push(special(
            b.req,
            &wrapup_ref,
            "docker-wrapup",
            input,
            output.clone(),
        )?);
        o.host_dir = output;
    }
    Ok(wrapups)
}

/// `resolveSpecialCommandType` + `ResolvedCommand.fromSpecialCommandType`: the setup or wrapup
/// command named `image:tag` or `image:tag:command-name`, with `/input` read-only and `/output`
/// writable.
fn special(
    req: &Request<'_>,
    reference: &str,
    kind: &str,
    input: String,
    output: String,
) -> Result<ContainerSpec, LaunchError> {
    let role = if kind == "docker-setup" {
        "setup"
    } else {
        "wrapup"
    };
    let found = req.special_commands.iter().find(|c| {
        c.image
            .as_deref()
            .is_some_and(|img| reference == img || reference == format!("{img}:{}", c.name))
    });
    let Some(command) = found else {
        return Err(LaunchError::Refused(format!(
            "Could not resolve {role} command with image {reference}."
        )));
    };
    if command.command_type() != kind {
        return Err(LaunchError::Refused(format!(
            "Command {} from image {reference} has type {}, but I expected it to have type {kind}.",
            command.name,
            command.command_type()
        )));
    }
    let mounts = vec![
        ResolvedMount {
            name: "input".into(),
            host_path: input,
            container_path: "/input".into(),
            writable: false,
        },
        ResolvedMount {
            name: "output".into(),
            host_path: output,
            container_path: "/output".into(),
            writable: true,
        },
    ];
    let mut c = container(
        role,
        command,
        command.command_line.clone().unwrap_or_default(),
        IndexMap::new(),
        mounts,
    );
    c.name = command.container_name.clone();
    Ok(c)
}

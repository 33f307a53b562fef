//! Checks XNAT does not make but that break at launch or lose data.

use super::blank;
use super::templates;
use super::wrapper::hierarchy;
use crate::load::Ptr;
use crate::model::command::*;
use crate::validate::finding::{Findings, known_list, suggestion};
use crate::validate::rules::*;

/// Checks XNAT does not make.
pub(super) fn lint(cmd: &Command, f: &mut Findings) {
    let root = Ptr::root();
    if cmd.version.as_deref().is_none_or(blank) {
        f.add(
            NO_VERSION,
            &root.key("name"),
            format!("command `{}` has no version", cmd.name),
        )
        .hint("set `version`; XNAT identifies commands by name, image and version");
    }
    if let Some(image) = cmd.image.as_deref()
        && image.ends_with(":latest")
    {
        f.add(
            MUTABLE_TAG,
            &root.key("image"),
            format!("image `{image}` uses the `latest` tag"),
        )
        .hint("pin a version tag or a digest so a review shows when what runs changes");
    }
    if cmd.command_type() == "docker" && cmd.xnat.is_empty() {
        f.add(
            NO_WRAPPERS,
            &root.key("name"),
            format!("command `{}` has no wrappers", cmd.name),
        )
        .hint("add a wrapper under `xnat` so XNAT can launch it");
    }
    for (i, input) in cmd.inputs.iter().enumerate() {
        let ty = input.input_type();
        if !COMMAND_INPUT_TYPES.contains(&ty) && ty != "File" {
            f.add(
                COMMAND_INPUT_TYPE,
                &root.key("inputs").index(i).key("type"),
                format!(
                    "input `{}` has unknown type `{ty}`; XNAT will store it as `string`",
                    input.name
                ),
            )
            .hint(suggestion(ty, COMMAND_INPUT_TYPES, "use one of"));
        }
    }
    for (i, m) in cmd.mounts.iter().enumerate() {
        if let Some(path) = m.path.as_deref()
            && !blank(path)
            && !path.starts_with('/')
        {
            f.add(
                MOUNT_RELATIVE,
                &root.key("mounts").index(i).key("path"),
                format!("mount `{}` path `{path}` is not absolute", m.name),
            );
        }
    }
    for (i, out) in cmd.outputs.iter().enumerate() {
        if let Some(m) = cmd.mounts.iter().find(|m| m.name == out.mount)
            && !m.writable
        {
            f.add(
                OUTPUT_READONLY,
                &root.key("outputs").index(i).key("mount"),
                format!(
                    "output `{}` is written to mount `{}`, which is not writable",
                    out.name, m.name
                ),
            )
            .hint(format!("set `writable: true` on mount `{}`", m.name));
        }
    }
    resources(cmd, f);
    let mount_names: Vec<&str> = cmd.mounts.iter().map(|m| m.name.as_str()).collect();
    let input_names: Vec<&str> = cmd.inputs.iter().map(|i| i.name.as_str()).collect();
    for (wi, w) in cmd.xnat.iter().enumerate() {
        let at = root.key("xnat").index(wi);
        if w.contexts.is_empty() {
            f.add(
                NO_CONTEXTS,
                &at.key("name"),
                format!("wrapper `{}` has no contexts", w.name),
            )
            .hint("list the XNAT types it runs on, e.g. `contexts: [xnat:imageSessionData]`");
        }
        for (ci, c) in w.contexts.iter().enumerate() {
            let ok = c == "site"
                || c.split_once(':')
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains(':'));
            if !ok {
                f.add(
                    CONTEXT_FORMAT,
                    &at.key("contexts").index(ci),
                    format!("context `{c}` is not an XNAT data type"),
                )
                .hint("write an XSI type such as `xnat:imageSessionData`, or `site`");
            }
        }
        for (list, inputs) in [
            ("external-inputs", &w.external_inputs),
            ("derived-inputs", &w.derived_inputs),
        ] {
            for (ii, input) in inputs.iter().enumerate() {
                let iat = at.key(list).index(ii);
                if let Some(target) = input.provides_value_for_command_input.as_deref()
                    && !blank(target)
                    && !input_names.contains(&target)
                {
                    f.add(
                        DANGLING_INPUT,
                        &iat.key("provides-value-for-command-input"),
                        format!(
                            "`{}` provides a value for unknown command input `{target}`",
                            input.name
                        ),
                    )
                    .hint(suggestion(
                        target,
                        input_names.iter().copied(),
                        "command inputs:",
                    ));
                }
                if let Some(target) = input.provides_files_for_command_mount.as_deref() {
                    if !blank(target) && !mount_names.contains(&target) {
                        f.add(
                            DANGLING_MOUNT,
                            &iat.key("provides-files-for-command-mount"),
                            format!(
                                "`{}` provides files for unknown mount `{target}`",
                                input.name
                            ),
                        )
                        .hint(suggestion(
                            target,
                            mount_names.iter().copied(),
                            "mounts:",
                        ));
                    } else if !blank(target) && !MOUNTABLE_INPUT_TYPES.contains(&input.input_type())
                    {
                        f.add(
                            UNMOUNTABLE,
                            &iat.key("provides-files-for-command-mount"),
                            format!(
                                "`{}` is a `{}`, which has no files to mount",
                                input.name,
                                input.input_type()
                            ),
                        )
                        .hint(format!(
                            "mountable types: {}",
                            known_list(MOUNTABLE_INPUT_TYPES)
                        ));
                    }
                }
            }
        }
        hierarchy(w, &at, f);
    }
    templates::check(cmd, f);
}

fn resources(cmd: &Command, f: &mut Findings) {
    let root = Ptr::root();
    for (key, value) in [
        ("reserve-memory", cmd.reserve_memory),
        ("limit-memory", cmd.limit_memory),
        ("shm-size", cmd.shm_size),
    ] {
        if value.is_some_and(|v| v <= 0) {
            f.add(
                RESOURCES,
                &root.key(key),
                format!("`{key}` must be positive"),
            );
        }
    }
    if cmd.limit_cpu.is_some_and(|v| v <= 0.0) {
        f.add(
            RESOURCES,
            &root.key("limit-cpu"),
            "`limit-cpu` must be positive",
        );
    }
    if let (Some(reserve), Some(limit)) = (cmd.reserve_memory, cmd.limit_memory)
        && reserve > limit
    {
        f.add(
            RESOURCES,
            &root.key("reserve-memory"),
            format!("reserves {reserve} MiB but is limited to {limit} MiB"),
        );
    }
    if let Some(ulimits) = &cmd.ulimits {
        for (name, value) in ulimits {
            let numeric =
                |s: &str| !s.is_empty() && (s == "-1" || s.bytes().all(|b| b.is_ascii_digit()));
            if !value.is_empty() && value.split(':').count() <= 2 && !value.split(':').all(numeric)
            {
                f.add(
                    ULIMIT_NUMBER,
                    &root.key("ulimits").key(name),
                    format!("ulimit `{name}` value `{value}` is not numeric"),
                )
                .hint(
                    "write \"N\" or \"soft:hard\" with integers; XNAT fails the launch otherwise",
                );
            }
        }
    }
}

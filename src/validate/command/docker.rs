//! The container a command runs: image, mounts, ports, environment, resources as Docker (or
//! Swarm/Kubernetes) will receive them.

use super::wrapper::wrapper_rules;
use super::{bad_charset, blank, command_input_rules, opt_blank};
use crate::load::Ptr;
use crate::model::command::*;
use crate::validate::finding::{Findings, suggestion};
use crate::validate::rules::*;
use std::collections::{HashMap, HashSet};

pub(super) fn docker_rules(cmd: &Command, cn: &str, f: &mut Findings) {
    let root = Ptr::root();
    if let Some(ulimits) = &cmd.ulimits {
        for (name, value) in ulimits {
            if value.is_empty() || value.split(':').count() > 2 {
                f.add(ULIMIT_FORMAT, &root.key("ulimits").key(name), format!("ulimit `{name}` has value `{value}`"))
                    .hint("write \"N\" or \"soft:hard\"")
                    .xnat(format!(
                        "{cn} incorrect ulimit format: {value}. Should be \"name\" : \"softlimit:hardlimit\" or \"name\" : \"limit\""
                    ));
            }
        }
    }
    let env_names: HashSet<&str> = cmd
        .environment_variables
        .keys()
        .map(String::as_str)
        .collect();
    for (i, secret) in cmd.secrets.iter().enumerate() {
        if secret.destination.end_type != "environment-variable" {
            continue;
        }
        let name = secret.destination.identifier.as_str();
        let at = root
            .key("secrets")
            .index(i)
            .key("destination")
            .key("identifier");
        if ["XNAT_USER", "XNAT_PASS", "XNAT_HOST"].contains(&name) {
            f.add(
                SECRET_RESERVED,
                &at,
                format!("secret writes the reserved variable `{name}`"),
            )
            .hint("XNAT sets XNAT_USER, XNAT_PASS and XNAT_HOST itself; pick another name")
            .xnat(format!(
                "{cn} Secrets use reserved environment variable name \"{name}\""
            ));
        }
        if env_names.contains(name) {
            f.add(
                SECRET_ENV_CLASH,
                &at,
                format!("secret and `environment-variables` both set `{name}`"),
            )
            .xnat(format!(
                "{cn} Secrets and environment variables both request name \"{name}\""
            ));
        }
    }

    let mut mount_names: Vec<&str> = Vec::new();
    for (i, m) in cmd.mounts.iter().enumerate() {
        let at = root.key("mounts").index(i);
        if mount_names.contains(&m.name.as_str()) {
            f.add(
                DUPLICATE_NAME,
                &at.key("name"),
                format!("mount name `{}` is used twice", m.name),
            )
            .xnat(format!("{cn}mount name \"{}\" is not unique.", m.name));
        } else {
            mount_names.push(&m.name);
        }
        if blank(&m.name) {
            f.add(NAME_BLANK, &at.key("name"), "mount name is blank")
                .xnat(format!("{cn}Mount name cannot be blank."));
        }
        if opt_blank(m.path.as_deref()) {
            f.add(
                MOUNT_PATH,
                &at.key("path"),
                format!("mount `{}` has no path", m.name),
            )
            .hint("set the absolute path inside the container, e.g. /input")
            .xnat(format!("{cn}Mount \"{}\" path cannot be blank.", m.name));
        }
    }

    let mut inputs: HashMap<&str, &CommandInput> = HashMap::new();
    for (i, input) in cmd.inputs.iter().enumerate() {
        let at = root.key("inputs").index(i);
        if inputs.contains_key(input.name.as_str()) {
            f.add(
                DUPLICATE_NAME,
                &at.key("name"),
                format!("input name `{}` is used twice", input.name),
            )
            .xnat(format!("{cn}input name \"{}\" is not unique.", input.name));
        } else {
            inputs.insert(&input.name, input);
        }
        command_input_rules(input, &at, cn, f);
    }

    let mut output_names: Vec<&str> = Vec::new();
    for (i, out) in cmd.outputs.iter().enumerate() {
        let at = root.key("outputs").index(i);
        if output_names.contains(&out.name.as_str()) {
            f.add(
                DUPLICATE_NAME,
                &at.key("name"),
                format!("output name `{}` is used twice", out.name),
            )
            .xnat(format!("{cn}output name \"{}\" is not unique.", out.name));
        } else {
            output_names.push(&out.name);
        }
        if !mount_names.contains(&out.mount.as_str()) && !blank(&out.mount) {
            f.add(
                OUTPUT_MOUNT,
                &at.key("mount"),
                format!(
                    "output `{}` is written to unknown mount `{}`",
                    out.name, out.mount
                ),
            )
            .hint(suggestion(
                &out.mount,
                mount_names.iter().copied(),
                "mounts:",
            ))
            .xnat(format!(
                "{cn}output \"{}\" references unknown mount \"{}\". Known mounts: {}",
                out.name,
                out.mount,
                mount_names.join(", ")
            ));
        }
        if blank(&out.name) {
            f.add(NAME_BLANK, &at.key("name"), "output name is blank")
                .xnat(format!("{cn}Output name cannot be blank."));
        }
        if blank(&out.mount) {
            f.add(
                OUTPUT_MOUNT,
                &at.key("mount"),
                format!("output `{}` has no mount", out.name),
            )
            .xnat(format!(
                "{cn}Output \"{}\" - mount cannot be blank.",
                out.name
            ));
        }
        if bad_charset(&out.name) {
            f.add(NAME_CHARSET, &at.key("name"), format!("output name `{}` has characters other than A-Z a-z 0-9 _ -", out.name))
                .xnat(format!("{cn}Command output \"{}\" name should contain only alphanumeric, _ and - characters.", out.name));
        }
    }

    let mut wrapper_names: Vec<&str> = Vec::new();
    for (wi, w) in cmd.xnat.iter().enumerate() {
        let at = root.key("xnat").index(wi);
        if wrapper_names.contains(&w.name.as_str()) {
            f.add(
                DUPLICATE_NAME,
                &at.key("name"),
                format!("wrapper name `{}` is used twice", w.name),
            )
            .xnat(format!("{cn}wrapper name \"{}\" is not unique.", w.name));
        } else {
            wrapper_names.push(&w.name);
        }
        wrapper_rules(w, &at, cn, &inputs, &output_names, f);
        if blank(&w.name) {
            f.add(NAME_BLANK, &at.key("name"), "wrapper name is blank")
                .xnat(format!("{cn}Command wrapper name cannot be blank."));
        }
    }
}

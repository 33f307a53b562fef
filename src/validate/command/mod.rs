//! Rules for one Command: every check XNAT's `Command.validate()` makes (errors, with XNAT's own
//! message text), then the ones it does not make but that break at launch or lose data. One file
//! per rule family: this one the command itself and its inputs, `docker.rs` the container,
//! `wrapper.rs` wrappers, `templates.rs` replacement keys, `lint.rs` what XNAT does not check.

mod docker;
mod lint;
mod templates;
mod wrapper;

use super::finding::{Findings, did_you_mean, suggestion};
use super::rules::*;
use crate::load::Ptr;
use crate::model::command::*;
use docker::docker_rules;
use lint::lint;

/// All findings for one command, server rules first in XNAT's order.
pub fn check(cmd: &Command) -> Findings {
    let mut f = Findings::default();
    server_rules(cmd, &mut f);
    lint(cmd, &mut f);
    f
}

/// The error lines XNAT's `Command.validate()` returns for this command, in its order; empty when
/// XNAT would accept it. Used by the XNAT simulator.
pub fn xnat_errors(cmd: &Command) -> Vec<String> {
    let mut f = Findings::default();
    server_rules(cmd, &mut f);
    f.into_vec().into_iter().filter_map(|x| x.xnat).collect()
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn opt_blank(s: Option<&str>) -> bool {
    s.is_none_or(blank)
}

fn bad_charset(name: &str) -> bool {
    name.chars()
        .any(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
}

/// XNAT's tag test: `.+:[a-zA-Z0-9_.-]+$` over the whole string.
pub fn image_has_tag(image: &str) -> bool {
    match image.rsplit_once(':') {
        Some((before, tag)) => {
            !before.is_empty()
                && !tag.is_empty()
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                && !before.contains('\n')
        }
        None => false,
    }
}

fn server_rules(cmd: &Command, f: &mut Findings) {
    let root = Ptr::root();
    let cn = format!("Command \"{}\" - ", cmd.name);
    if blank(&cmd.name) {
        f.add(NAME_BLANK, &root.key("name"), "command name is blank")
            .xnat("Command name cannot be blank.");
    }
    match cmd.image.as_deref() {
        None | Some("") => {
            f.add(IMAGE_MISSING, &root.key("image"), "command has no `image`")
                .hint("set `image: repository/name:tag`; XNAT needs it to create the command")
                .xnat(format!("{cn}image name cannot be blank."));
        }
        Some(image) if !image_has_tag(image) => {
            f.add(IMAGE_TAG, &root.key("image"), format!("image `{image}` has no tag"))
                .hint(format!("write `{image}:<version>`; XNAT refuses untagged images on update and adds `:latest` on create"))
                .xnat(format!("{cn}image name must include version tag. e.g. image_name:tag"));
        }
        Some(_) => {}
    }
    match cmd.command_type() {
        "docker" => docker_rules(cmd, &cn, f),
        t @ ("docker-setup" | "docker-wrapup") => setup_rules(
            cmd,
            &cn,
            if t == "docker-setup" {
                "Setup"
            } else {
                "Wrapup"
            },
            f,
        ),
        other => {
            f.add(
                COMMAND_TYPE,
                &root.key("type"),
                format!("unknown command type `{other}`"),
            )
            .hint(suggestion(other, COMMAND_TYPES, "use one of"))
            .xnat(format!(
                "{cn}Cannot validate command of type \"{other}\". Known types: {}",
                COMMAND_TYPES.join(", ")
            ));
        }
    }
    if let Some(v) = cmd.visibility.as_deref()
        && !VISIBILITIES.contains(&v.to_lowercase().as_str())
    {
        f.add(
            VISIBILITY,
            &root.key("visibility"),
            format!("unknown visibility `{v}`"),
        )
        .hint(suggestion(v, VISIBILITIES, "use one of"))
        .xnat(format!(
            "{cn} has visibility set to an unknown value. Known types: {}",
            VISIBILITIES.join(", ")
        ));
    }
}

fn setup_rules(cmd: &Command, cn: &str, which: &str, f: &mut Findings) {
    let root = Ptr::root();
    let checks: [(&str, &str, bool); 7] = [
        ("mounts", "mounts", !cmd.mounts.is_empty()),
        ("inputs", "inputs", !cmd.inputs.is_empty()),
        ("outputs", "outputs", !cmd.outputs.is_empty()),
        ("xnat", "wrappers", !cmd.xnat.is_empty()),
        (
            "environment-variables",
            "environment variables",
            !cmd.environment_variables.is_empty(),
        ),
        ("ports", "ports", !cmd.ports.is_empty()),
        ("secrets", "secrets", !cmd.secrets.is_empty()),
    ];
    for (key, what, present) in checks {
        if present {
            f.add(
                SETUP_SHAPE,
                &root.key(key),
                format!("a {} command cannot declare {what}", cmd.command_type()),
            )
            .hint("setup and wrapup commands get /input and /output mounts from XNAT; remove this")
            .xnat(format!("{cn} {which} commands cannot declare any {what}."));
        }
    }
}

fn command_input_rules(input: &CommandInput, at: &Ptr, cn: &str, f: &mut Findings) {
    let name = &input.name;
    if blank(name) {
        f.add(NAME_BLANK, &at.key("name"), "command input name is blank")
            .xnat(format!("{cn}Command input name cannot be blank"));
    }
    if bad_charset(name) {
        f.add(NAME_CHARSET, &at.key("name"), format!("input name `{name}` has characters other than A-Z a-z 0-9 _ -"))
            .xnat(format!("{cn}Command input \"{name}\" name should contain only alphanumeric, _ and - characters."));
    }
    if let Some(md) = input.multiple_delimiter.as_deref()
        && !MULTIPLE_DELIMITERS.contains(&md)
    {
        f.add(
            MULTIPLE_DELIMITER,
            &at.key("multiple-delimiter"),
            format!("unknown multiple-delimiter `{md}`"),
        )
        .hint(suggestion(md, MULTIPLE_DELIMITERS, "use one of"))
        .xnat(format!(
            "{cn}Invalid multiple-delimiter \"{md}\", choose from: {}",
            MULTIPLE_DELIMITERS.join(", ")
        ));
    }
    let ty = input.input_type();
    if input.is_select() && input.select_values.is_empty() {
        f.add(SELECT_VALUES_MISSING, &at.key("type"), format!("input `{name}` is `{ty}` but lists no `select-values`"))
            .hint("list the choices in `select-values`, or use type `string` if a wrapper input provides the value")
            .xnat(format!(
                "{cn}Command input \"{name}\" is designated as type \"{ty}\" but doesn't list select-values. Note that command inputs with values provided by xnat inputs shouldn't be designated as select (they'll automatically render as a select if their xnat input resolves to more than one value)."
            ));
    } else if !input.is_select() && !input.select_values.is_empty() {
        f.add(
            SELECT_VALUES_UNEXPECTED,
            &at.key("select-values"),
            format!("input `{name}` has `select-values` but type `{ty}`"),
        )
        .hint("use type `select-one` or `select-many`, or remove `select-values`")
        .xnat(format!(
            "{cn}Command input \"{name}\" has select-values set, but is not a select type."
        ));
    }
    if let Some(default) = input.default_value.as_deref() {
        let sv = &input.select_values;
        let as_list = (ty == "select-many")
            .then(|| serde_json::from_str::<Vec<String>>(default).ok())
            .flatten();
        let java_list = |v: &[String]| format!("[{}]", v.join(", "));
        match as_list {
            Some(list) => {
                if !list.is_empty() && !sv.is_empty() && !list.iter().all(|d| sv.contains(d)) {
                    f.add(SELECT_DEFAULT, &at.key("default-value"), format!("defaults of `{name}` are not all among its select-values"))
                        .xnat(format!(
                            "{cn}Command input \"{name}\" one or more default values in \"{}\" is not in the list of select-values \"{}\"",
                            java_list(&list),
                            java_list(sv)
                        ));
                }
            }
            None => {
                if !sv.is_empty() && !sv.iter().any(|v| v == default) {
                    f.add(SELECT_DEFAULT, &at.key("default-value"), format!("default `{default}` of `{name}` is not one of its select-values"))
                        .maybe_hint(did_you_mean(default, sv.iter().map(String::as_str)))
                        .xnat(format!(
                            "{cn}Command input \"{name}\" default value \"{default}\" is not one of the select-values \"{}\"",
                            java_list(sv)
                        ));
                }
            }
        }
    }
}

//! Rules for one Command: every check XNAT's `Command.validate()` makes (errors, with XNAT's own
//! message text), then the ones it does not make but that break at launch or lose data.

use super::finding::{Findings, did_you_mean, known_list, suggestion};
use super::rules::*;
use super::templates;
use crate::load::Ptr;
use crate::model::command::*;
use std::collections::{HashMap, HashSet};

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
            let sent = with_default_tag(image);
            f.add(
                IMAGE_TAG,
                &root.key("image"),
                format!("image `{image}` has no tag: XNAT adds `:latest` when it creates the command, so xcs sends `{sent}`"),
            )
            .hint(format!("pin a version, e.g. `{image}:1.0`, so what runs changes only with this file (XNAT refuses an untagged image on update, which is why xcs sends the tag)"))
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

fn docker_rules(cmd: &Command, cn: &str, f: &mut Findings) {
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

fn wrapper_input_rules(input: &WrapperInput, at: &Ptr, wn: &str, f: &mut Findings) {
    let name = &input.name;
    if blank(name) {
        f.add(NAME_BLANK, &at.key("name"), "wrapper input name is blank")
            .xnat(format!("{wn}Command wrapper input name cannot be blank."));
    }
    let ty = input.input_type();
    if !WRAPPER_INPUT_TYPES.contains(&ty) {
        f.add(
            WRAPPER_INPUT_TYPE,
            &at.key("type"),
            format!("wrapper input `{name}` has unknown type `{ty}`"),
        )
        .maybe_hint(did_you_mean(ty, WRAPPER_INPUT_TYPES).or(Some(format!(
            "use one of {}",
            known_list(WRAPPER_INPUT_TYPES)
        ))))
        .xnat(format!(
            "{wn}Command wrapper input \"{name}\" - Unknown type \"{ty}\". Known types: {}",
            WRAPPER_INPUT_TYPES.join(", ")
        ));
    }
    if let Some(via) = input.via_setup_command.as_deref()
        && !blank(via)
        && opt_blank(input.provides_files_for_command_mount.as_deref())
    {
        f.add(VIA_SETUP_WITHOUT_MOUNT, &at.key("via-setup-command"), format!("`{name}` runs a setup command but provides no files to a mount"))
                .hint("set `provides-files-for-command-mount`; the setup command works on those files")
                .xnat(format!(
                    "{wn}Command wrapper input \"{name}\" - \"via-setup-command\": \"{via}\" - You cannot set \"via-setup-command\" on an input that does not provide files for a command mount."
                ));
    }
    if bad_charset(name) {
        f.add(NAME_CHARSET, &at.key("name"), format!("wrapper input name `{name}` has characters other than A-Z a-z 0-9 _ -"))
            .xnat(format!("{wn}Command wrapper input \"{name}\" name should contain only alphanumeric, _ and - characters."));
    }
}

fn feeds_select(
    input: &WrapperInput,
    kind: &str,
    at: &Ptr,
    wn: &str,
    inputs: &HashMap<&str, &CommandInput>,
    f: &mut Findings,
) {
    let Some(target) = input.provides_value_for_command_input.as_deref() else {
        return;
    };
    if let Some(ci) = inputs.get(target)
        && (ci.is_select() || !ci.select_values.is_empty())
    {
        f.add(FEEDS_SELECT, &at.key("provides-value-for-command-input"), format!("`{}` feeds select-type command input `{target}`", input.name))
                .hint("make the command input a plain `string`; XNAT renders a select when the wrapper input resolves to several values")
                .xnat(format!(
                    "{wn}{kind} input \"{}\" provides values for command input \"{target}\", which is a select type. Note that command inputs with values provided by xnat inputs shouldn't be designated as select (they'll automatically render as a select if their xnat input resolves to more than one value).",
                    input.name
                ));
    }
}

fn wrapper_rules(
    w: &Wrapper,
    at: &Ptr,
    cn: &str,
    inputs: &HashMap<&str, &CommandInput>,
    output_names: &[&str],
    f: &mut Findings,
) {
    let wn = format!("{cn}wrapper \"{}\" - ", w.name);
    let mut known: Vec<&str> = Vec::new();
    for (i, ext) in w.external_inputs.iter().enumerate() {
        let iat = at.key("external-inputs").index(i);
        if known.contains(&ext.name.as_str()) {
            f.add(
                DUPLICATE_NAME,
                &iat.key("name"),
                format!("wrapper input name `{}` is used twice", ext.name),
            )
            .xnat(format!(
                "{wn}external input name \"{}\" is not unique.",
                ext.name
            ));
        } else {
            known.push(&ext.name);
        }
        feeds_select(ext, "external", &iat, &wn, inputs, f);
        wrapper_input_rules(ext, &iat, &wn, f);
    }
    let mut multiple: Vec<&str> = Vec::new();
    for (i, d) in w.derived_inputs.iter().enumerate() {
        let iat = at.key("derived-inputs").index(i);
        if known.contains(&d.name.as_str()) {
            f.add(
                DUPLICATE_NAME,
                &iat.key("name"),
                format!("wrapper input name `{}` is used twice", d.name),
            )
            .hint("external and derived inputs share one namespace")
            .xnat(format!(
                "{wn}derived input name \"{}\" is not unique.",
                d.name
            ));
        } else {
            known.push(&d.name);
        }
        let parent = d.derived_from_wrapper_input.as_deref().unwrap_or("");
        if d.name == parent {
            f.add(
                DERIVED_FROM,
                &iat.key("derived-from-wrapper-input"),
                format!("derived input `{}` is derived from itself", d.name),
            )
            .xnat(format!(
                "{wn}derived input \"{}\" is derived from itself.",
                d.name
            ));
        }
        if !known.contains(&parent) && !blank(parent) {
            let later = w.derived_inputs[i..].iter().any(|x| x.name == parent);
            f.add(DERIVED_FROM, &iat.key("derived-from-wrapper-input"), if later {
                format!("derived input `{}` is derived from `{parent}`, which is declared after it", d.name)
            } else {
                format!("derived input `{}` is derived from unknown input `{parent}`", d.name)
            })
            .maybe_hint(if later {
                Some("move the parent above it: XNAT resolves derived inputs in order".to_string())
            } else {
                did_you_mean(parent, known.iter().copied())
            })
            .xnat(format!(
                "{wn}derived input \"{}\" is derived from an unknown XNAT input \"{parent}\". Known inputs: {}",
                d.name,
                known.join(", ")
            ));
        }
        feeds_select(d, "derived", &iat, &wn, inputs, f);
        wrapper_input_rules(d, &iat, &wn, f);
        if blank(parent) {
            f.add(DERIVED_FROM, &iat.key("derived-from-wrapper-input"), format!("derived input `{}` does not say what it is derived from", d.name))
                .xnat(format!("{wn}Command wrapper input \"{}\" - property \"derived-from-wrapper-input\" cannot be blank.", d.name));
        }
        if d.multiple == Some(true) {
            if !opt_blank(d.provides_files_for_command_mount.as_deref()) {
                f.add(DERIVED_MULTIPLE, &iat.key("provides-files-for-command-mount"), format!("`multiple` input `{}` cannot provide files to a mount", d.name))
                    .hint("mount the parent input instead")
                    .xnat(format!(
                        "{wn}derived input \"{}\" is designated as a \"multiple\" input, which means it cannot provide files for command mounts (consider mounting the parent element).",
                        d.name
                    ));
            }
            if opt_blank(d.provides_value_for_command_input.as_deref()) {
                f.add(DERIVED_MULTIPLE, &iat.key("multiple"), format!("`multiple` input `{}` must provide the value of a command input", d.name))
                    .xnat(format!(
                        "{wn}derived input \"{}\" is designated as a \"multiple\" input, whichmeans it must directly provide values for some command input.",
                        d.name
                    ));
            }
            multiple.push(&d.name);
        }
    }

    let mut handler_names: Vec<&str> = Vec::new();
    let mut handled: HashSet<&str> = HashSet::new();
    for (i, h) in w.output_handlers.iter().enumerate() {
        let hat = at.key("output-handlers").index(i);
        let hp = format!("{wn}Command wrapper output \"{}\" - ", h.name);
        if output_names.contains(&h.accepts_command_output.as_str()) {
            handled.insert(&h.accepts_command_output);
        } else if !blank(&h.accepts_command_output) {
            f.add(
                HANDLER_OUTPUT,
                &hat.key("accepts-command-output"),
                format!(
                    "handler `{}` accepts unknown command output `{}`",
                    h.name, h.accepts_command_output
                ),
            )
            .maybe_hint(
                did_you_mean(&h.accepts_command_output, output_names.iter().copied()).or(Some(
                    format!("outputs: {}", known_list(output_names.iter().copied())),
                )),
            )
            .xnat(format!(
                "{wn}output handler refers to unknown command output \"{}\". Known outputs: {}.",
                h.accepts_command_output,
                output_names.join(", ")
            ));
        }
        let target = h.as_a_child_of.as_deref().unwrap_or("");
        if !(known.contains(&target) || handler_names.contains(&target) || blank(target)) {
            let later = w.output_handlers[i..].iter().any(|x| x.name == target);
            f.add(CHILD_OF, &hat.key("as-a-child-of"), if later {
                format!("handler `{}` uploads under handler `{target}`, which is declared after it", h.name)
            } else {
                format!("handler `{}` uploads under unknown input or handler `{target}`", h.name)
            })
            .maybe_hint(if later {
                Some("move the parent handler above it".to_string())
            } else {
                did_you_mean(target, known.iter().chain(&handler_names).copied())
            })
            .xnat(format!(
                "{wn}output handler does not refer to a known wrapper input or output. \"as-a-child-of\": \"{target}\".\nKnown inputs: {}.\nKnown outputs (so far): {}.",
                known.join(", "),
                handler_names.join(", ")
            ));
        }
        if multiple.contains(&target) {
            f.add(CHILD_OF_MULTIPLE, &hat.key("as-a-child-of"), format!("handler `{}` uploads under `{target}`, a `multiple` input", h.name))
                .xnat(format!(
                    "{wn}output handler \"{}\" has \"as-a-child-of\": \"{target}\", but that input is set to allow multiple values.",
                    h.name
                ));
        }
        if let Some(prop) = w
            .derived_inputs
            .iter()
            .find(|d| d.name == target)
            .and_then(|d| d.derived_from_xnat_object_property.as_deref())
            && prop != "uri"
            && known.contains(&target)
        {
            f.add(CHILD_OF_PROPERTY, &hat.key("as-a-child-of"), format!("handler `{}` uploads under `{target}`, whose value is its `{prop}`", h.name))
                    .hint("uploads need the parent's `uri`; point at the object input itself")
                    .xnat(format!(
                        "{wn}output handler \"{}\" has \"as-a-child-of\": \"{target}\", but that input's value is set to \"{prop}\", which will cause the upload to fail (a \"uri\" is required for upload).",
                        h.name
                    ));
        }
        if handler_names.contains(&h.name.as_str()) {
            f.add(
                DUPLICATE_NAME,
                &hat.key("name"),
                format!("handler name `{}` is used twice", h.name),
            )
            .xnat(format!(
                "{wn}output handler name \"{}\" is not unique.",
                h.name
            ));
        } else {
            handler_names.push(&h.name);
        }
        handler_rules(h, &hat, &wn, &hp, f);
    }
    let mut unhandled: Vec<&str> = output_names
        .iter()
        .copied()
        .filter(|o| !handled.contains(o))
        .collect();
    unhandled.sort_unstable();
    for o in unhandled {
        f.add(
            UNHANDLED_OUTPUT,
            &at.key("output-handlers"),
            format!("wrapper `{}` does not upload command output `{o}`", w.name),
        )
        .hint("every wrapper needs an output handler for every command output")
        .xnat(format!(
            "{wn}command output \"{o}\" is not handled by any output handler."
        ));
    }
}

fn handler_rules(h: &OutputHandler, at: &Ptr, wn: &str, hp: &str, f: &mut Findings) {
    if blank(&h.name) {
        f.add(NAME_BLANK, &at.key("name"), "output handler name is blank")
            .xnat(format!(
                "{wn}Command wrapper output - name cannot be blank."
            ));
    }
    if blank(&h.accepts_command_output) {
        f.add(
            HANDLER_OUTPUT,
            &at.key("accepts-command-output"),
            format!("handler `{}` accepts no command output", h.name),
        )
        .xnat(format!(
            "{hp}property \"accepts-command-output\" cannot be blank."
        ));
    }
    if opt_blank(h.as_a_child_of.as_deref()) {
        f.add(
            CHILD_OF,
            &at.key("as-a-child-of"),
            format!("handler `{}` does not say where to upload", h.name),
        )
        .hint("set `as-a-child-of` to a wrapper input (e.g. the session) or an earlier handler")
        .xnat(format!("{hp}property \"as-a-child-of\" cannot be blank."));
    }
    let ty = h.handler_type();
    if !OUTPUT_HANDLER_TYPES.contains(&ty) {
        f.add(
            HANDLER_TYPE,
            &at.key("type"),
            format!("handler `{}` has unknown type `{ty}`", h.name),
        )
        .maybe_hint(did_you_mean(ty, OUTPUT_HANDLER_TYPES).or(Some(format!(
            "use one of {}",
            known_list(OUTPUT_HANDLER_TYPES)
        ))))
        .xnat(format!(
            "{hp}Unknown type \"{ty}\". Known types: {}",
            OUTPUT_HANDLER_TYPES.join(", ")
        ));
    }
    if ty == "Resource" && opt_blank(h.label.as_deref()) {
        f.add(
            HANDLER_LABEL,
            &at.key("label"),
            format!("Resource handler `{}` has no label", h.name),
        )
        .hint("set `label`: the name of the resource the files are uploaded into, e.g. NIFTI")
        .xnat(format!("{hp}when type = Resource, label cannot be blank."));
    }
    if bad_charset(&h.name) {
        f.add(NAME_CHARSET, &at.key("name"), format!("handler name `{}` has characters other than A-Z a-z 0-9 _ -", h.name))
            .xnat(format!("{wn}Command wrapper output \"{}\" name should contain only alphanumeric, _ and - characters.", h.name));
    }
}

/// Checks XNAT does not make.
fn lint(cmd: &Command, f: &mut Findings) {
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
                            "`{}` provides a value for unknown command input `{target}`: XNAT saves the command, and at launch the value reaches no command input (it is ignored)",
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
                                "`{}` provides files for unknown mount `{target}`: XNAT saves the command; the launch ignores it and runs without those files",
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

/// Which XNAT object types may be derived from which, as `CommandResolutionServiceImpl`
/// (CS 3.7.3) resolves them; anything else resolves to nothing at launch.
fn valid_child(parent: &str, child: &str) -> bool {
    let parents: &[&str] = match child {
        "Directory" | "File" | "File[]" => &["Resource"],
        "Project" => &[
            "ProjectAsset",
            "Subject",
            "Session",
            "SubjectAssessor",
            "Scan",
            "Assessor",
        ],
        "ProjectAsset" => &["Project"],
        "Subject" => &["Project", "Session", "SubjectAssessor"],
        "Session" => &["Subject", "Scan", "Assessor"],
        "SubjectAssessor" => &["Subject"],
        "Scan" => &["Session", "Resource"],
        "Assessor" => &["Session"],
        "Resource" => &[
            "Project",
            "ProjectAsset",
            "Subject",
            "Session",
            "Scan",
            "Assessor",
            "SubjectAssessor",
        ],
        _ => return true,
    };
    parents.contains(&parent)
}

fn hierarchy(w: &Wrapper, at: &Ptr, f: &mut Findings) {
    for (i, d) in w.derived_inputs.iter().enumerate() {
        let Some(parent) = d
            .derived_from_wrapper_input
            .as_deref()
            .and_then(|p| w.input(p))
        else {
            continue;
        };
        // A value taken from a property (`id`, `label`, …) may come from anything.
        if d.derived_from_xnat_object_property.is_some() {
            continue;
        }
        let (pt, ct) = (parent.input_type(), d.input_type());
        let object_types = [
            "Project",
            "ProjectAsset",
            "Subject",
            "SubjectAssessor",
            "Session",
            "Scan",
            "Assessor",
            "Resource",
        ];
        if object_types.contains(&pt) && !valid_child(pt, ct) {
            f.add(HIERARCHY, &at.key("derived-inputs").index(i).key("type"), format!("XNAT cannot derive a `{ct}` from `{}`, a `{pt}`", parent.name))
                .hint("e.g. Session from Subject/Scan/Assessor, Scan from Session, Resource from any object, File from a Resource");
        }
    }
}

//! Wrapper rules: external and derived inputs, output handlers, and the XNAT object hierarchy
//! that derived inputs walk.

use super::{bad_charset, blank, opt_blank};
use crate::load::Ptr;
use crate::model::command::*;
use crate::validate::finding::{Findings, did_you_mean, known_list};
use crate::validate::rules::*;
use std::collections::{HashMap, HashSet};

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

/// Names seen so far in one wrapper, in declaration order: XNAT resolves references in order.
#[derive(Default)]
struct Seen<'a> {
    /// External and derived input names (one namespace).
    inputs: Vec<&'a str>,
    /// Derived inputs marked `multiple`.
    multiple: Vec<&'a str>,
    /// Output handler names.
    handlers: Vec<&'a str>,
    /// Command outputs some handler accepts.
    handled: HashSet<&'a str>,
}

/// One wrapper: its inputs in order, its output handlers, and command outputs left unhandled.
pub(super) fn wrapper_rules(
    w: &Wrapper,
    at: &Ptr,
    cn: &str,
    inputs: &HashMap<&str, &CommandInput>,
    output_names: &[&str],
    f: &mut Findings,
) {
    let wn = format!("{cn}wrapper \"{}\" - ", w.name);
    let mut seen = Seen::default();
    for (i, ext) in w.external_inputs.iter().enumerate() {
        let iat = at.key("external-inputs").index(i);
        external_input_rules(ext, &iat, &wn, inputs, &mut seen, f);
    }
    for i in 0..w.derived_inputs.len() {
        let iat = at.key("derived-inputs").index(i);
        derived_input_rules(w, i, &iat, &wn, inputs, &mut seen, f);
    }
    for i in 0..w.output_handlers.len() {
        let hat = at.key("output-handlers").index(i);
        output_handler_rules(w, i, &hat, &wn, output_names, &mut seen, f);
    }
    unhandled_outputs(w, at, &wn, output_names, &seen, f);
}

fn external_input_rules<'a>(
    ext: &'a WrapperInput,
    iat: &Ptr,
    wn: &str,
    inputs: &HashMap<&str, &CommandInput>,
    seen: &mut Seen<'a>,
    f: &mut Findings,
) {
    if seen.inputs.contains(&ext.name.as_str()) {
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
        seen.inputs.push(&ext.name);
    }
    feeds_select(ext, "external", iat, wn, inputs, f);
    wrapper_input_rules(ext, iat, wn, f);
}

fn derived_input_rules<'a>(
    w: &'a Wrapper,
    i: usize,
    iat: &Ptr,
    wn: &str,
    inputs: &HashMap<&str, &CommandInput>,
    seen: &mut Seen<'a>,
    f: &mut Findings,
) {
    let d = &w.derived_inputs[i];
    if seen.inputs.contains(&d.name.as_str()) {
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
        seen.inputs.push(&d.name);
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
    if !seen.inputs.contains(&parent) && !blank(parent) {
        let later = w.derived_inputs[i..].iter().any(|x| x.name == parent);
        f.add(DERIVED_FROM, &iat.key("derived-from-wrapper-input"), if later {
            format!("derived input `{}` is derived from `{parent}`, which is declared after it", d.name)
        } else {
            format!("derived input `{}` is derived from unknown input `{parent}`", d.name)
        })
        .maybe_hint(if later {
            Some("move the parent above it: XNAT resolves derived inputs in order".to_string())
        } else {
            did_you_mean(parent, seen.inputs.iter().copied())
        })
        .xnat(format!(
            "{wn}derived input \"{}\" is derived from an unknown XNAT input \"{parent}\". Known inputs: {}",
            d.name,
            seen.inputs.join(", ")
        ));
    }
    feeds_select(d, "derived", iat, wn, inputs, f);
    wrapper_input_rules(d, iat, wn, f);
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
        seen.multiple.push(&d.name);
    }
}

fn output_handler_rules<'a>(
    w: &'a Wrapper,
    i: usize,
    hat: &Ptr,
    wn: &str,
    output_names: &[&'a str],
    seen: &mut Seen<'a>,
    f: &mut Findings,
) {
    let h = &w.output_handlers[i];
    let hp = format!("{wn}Command wrapper output \"{}\" - ", h.name);
    if output_names.contains(&h.accepts_command_output.as_str()) {
        seen.handled.insert(&h.accepts_command_output);
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
    if !(seen.inputs.contains(&target) || seen.handlers.contains(&target) || blank(target)) {
        let later = w.output_handlers[i..].iter().any(|x| x.name == target);
        f.add(CHILD_OF, &hat.key("as-a-child-of"), if later {
            format!("handler `{}` uploads under handler `{target}`, which is declared after it", h.name)
        } else {
            format!("handler `{}` uploads under unknown input or handler `{target}`", h.name)
        })
        .maybe_hint(if later {
            Some("move the parent handler above it".to_string())
        } else {
            did_you_mean(target, seen.inputs.iter().chain(&seen.handlers).copied())
        })
        .xnat(format!(
            "{wn}output handler does not refer to a known wrapper input or output. \"as-a-child-of\": \"{target}\".\nKnown inputs: {}.\nKnown outputs (so far): {}.",
            seen.inputs.join(", "),
            seen.handlers.join(", ")
        ));
    }
    if seen.multiple.contains(&target) {
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
        && seen.inputs.contains(&target)
    {
        f.add(CHILD_OF_PROPERTY, &hat.key("as-a-child-of"), format!("handler `{}` uploads under `{target}`, whose value is its `{prop}`", h.name))
                .hint("uploads need the parent's `uri`; point at the object input itself")
                .xnat(format!(
                    "{wn}output handler \"{}\" has \"as-a-child-of\": \"{target}\", but that input's value is set to \"{prop}\", which will cause the upload to fail (a \"uri\" is required for upload).",
                    h.name
                ));
    }
    if seen.handlers.contains(&h.name.as_str()) {
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
        seen.handlers.push(&h.name);
    }
    handler_rules(h, hat, wn, &hp, f);
}

fn unhandled_outputs(
    w: &Wrapper,
    at: &Ptr,
    wn: &str,
    output_names: &[&str],
    seen: &Seen<'_>,
    f: &mut Findings,
) {
    let mut unhandled: Vec<&str> = output_names
        .iter()
        .copied()
        .filter(|o| !seen.handled.contains(o))
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

pub(super) fn hierarchy(w: &Wrapper, at: &Ptr, f: &mut Findings) {
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
        if crate::model::command::XNAT_OBJECT_TYPES.contains(&pt) && !valid_child(pt, ct) {
            f.add(HIERARCHY, &at.key("derived-inputs").index(i).key("type"), format!("XNAT cannot derive a `{ct}` from `{}`, a `{pt}`", parent.name))
                .hint("e.g. Session from Subject/Scan/Assessor, Scan from Session, Resource from any object, File from a Resource");
        }
    }
}

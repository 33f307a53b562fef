//! Resolving the input trees: external wrapper inputs at the roots, derived inputs below their
//! parents, command inputs below the wrapper input that provides their value (or roots of
//! their own). Follows `CommandResolutionServiceImpl.CommandResolutionHelper`:
//! `initializePreresolvedInputTree`, `resolveNode`, `resolveExternalWrapperInput`,
//! `resolveDerivedWrapperInput`, `resolveCommandInput`, `findResolvedValues` and
//! `findMissingRequiredInputs`.

use super::matcher;
use super::template::{self, ILLEGAL_INPUT_STRINGS};
use super::{LaunchError, Request};
use crate::model::archive::{ObjectType, XnatObject};
use crate::model::{CommandInput, WrapperInput};
use indexmap::IndexMap;

#[derive(Debug, Clone, Copy)]
pub enum Def<'a> {
    External(&'a WrapperInput),
    Derived(&'a WrapperInput),
    Command(&'a CommandInput),
}

impl<'a> Def<'a> {
    pub fn name(&self) -> &'a str {
        match self {
            Def::External(i) | Def::Derived(i) => &i.name,
            Def::Command(i) => &i.name,
        }
    }
    pub fn key(&self) -> String {
        match self {
            Def::External(i) | Def::Derived(i) => i.key(),
            Def::Command(i) => i.key(),
        }
    }
    pub fn type_name(&self) -> &'a str {
        match self {
            Def::External(i) | Def::Derived(i) => i.input_type(),
            Def::Command(i) => i.input_type(),
        }
    }
    /// Wrapper inputs are required unless they say otherwise; command inputs are not.
    pub fn required(&self) -> bool {
        match self {
            Def::External(i) | Def::Derived(i) => i.required.unwrap_or(true),
            Def::Command(i) => i.required.unwrap_or(false),
        }
    }
    pub fn wrapper_input(&self) -> Option<&'a WrapperInput> {
        match self {
            Def::External(i) | Def::Derived(i) => Some(i),
            Def::Command(_) => None,
        }
    }
}

/// One resolved value of an input, and the XNAT object behind it if it is one.
#[derive(Debug, Clone, Default)]
pub struct Val<'a> {
    pub value: Option<String>,
    pub object: Option<&'a XnatObject>,
}

#[derive(Debug)]
pub struct Node<'a> {
    pub def: Def<'a>,
    pub values: Vec<(Val<'a>, Vec<Node<'a>>)>,
}

struct Pre<'a> {
    def: Def<'a>,
    children: Vec<usize>,
}

/// The outcome: the trees, and the two maps every template is filled from.
#[derive(Debug, Default)]
pub struct Resolved<'a> {
    pub trees: Vec<Node<'a>>,
    /// Raw values by replacement key (environment, mounts, outputs, labels…).
    pub values: IndexMap<String, String>,
    /// Values as they appear on the command line (flags, delimiters) by replacement key.
    pub command_line: IndexMap<String, String>,
}

/// `initializePreresolvedInputTree`: the forest of input definitions, roots first.
fn forest<'a>(
    req: &Request<'a>,
    command_line: &mut IndexMap<String, String>,
) -> Result<(Vec<Pre<'a>>, Vec<usize>), LaunchError> {
    let mut pres: Vec<Pre<'a>> = Vec::new();
    let mut roots = Vec::new();
    let mut by_name: IndexMap<&str, usize> = IndexMap::new();
    let mut provider: IndexMap<&str, usize> = IndexMap::new();
    let wrapper_inputs = req.wrapper.map(|w| {
        let ext = w.external_inputs.iter().map(Def::External);
        ext.chain(w.derived_inputs.iter().map(Def::Derived))
            .collect::<Vec<_>>()
    });
    for def in wrapper_inputs.unwrap_or_default() {
        let idx = pres.len();
        pres.push(Pre {
            def,
            children: Vec::new(),
        });
        if let Def::Derived(i) = def {
            let parent = i.derived_from_wrapper_input.as_deref().unwrap_or_default();
            let Some(&p) = by_name.get(parent) else {
                return Err(LaunchError::Refused(format!(
                    "Derived input \"{}\" claims parent \"{parent}\", but I couldn't find \"{parent}\". Are the inputs out of order?",
                    i.name
                )));
            };
            pres[p].children.push(idx);
        } else {
            roots.push(idx);
        }
        by_name.insert(def.name(), idx);
        if let Some(target) = def
            .wrapper_input()
            .and_then(|i| i.provides_value_for_command_input.as_deref())
            .filter(|t| !t.trim().is_empty())
        {
            provider.insert(target, idx);
        }
    }
    for input in &req.command.inputs {
        let idx = pres.len();
        pres.push(Pre {
            def: Def::Command(input),
            children: Vec::new(),
        });
        match provider.get(input.name.as_str()) {
            Some(&p) => {
                pres[p].children.push(idx);
                // An optional parent may resolve to nothing; XNAT blanks the key up front so
                // the command line does not keep a literal `#KEY#`.
                if !pres[p].def.required() {
                    command_line.insert(input.key(), String::new());
                }
            }
            None => roots.push(idx),
        }
    }
    Ok((pres, roots))
}

pub fn resolve<'a>(req: &Request<'a>) -> Result<Resolved<'a>, LaunchError> {
    let mut out = Resolved::default();
    let (pres, roots) = forest(req, &mut out.command_line)?;
    for root in roots {
        let node = resolve_node(req, &pres, root, None, &mut out.values)?;
        if matches!(node.def, Def::Command(i) if i.input_type() == "file")
            && node
                .values
                .first()
                .is_none_or(|(v, _)| v.value.as_deref().is_none_or(|s| s.trim().is_empty()))
        {
            continue;
        }
        find_resolved_values(&node, &mut out)?;
        out.trees.push(node);
    }
    let missing: Vec<&str> = out.trees.iter().flat_map(missing_required).collect();
    if !missing.is_empty() {
        return Err(LaunchError::MissingRequired(
            missing.iter().map(|s| s.to_string()).collect(),
        ));
    }
    Ok(out)
}

fn resolve_node<'a>(
    req: &Request<'a>,
    pres: &[Pre<'a>],
    idx: usize,
    parent: Option<&Val<'a>>,
    values: &mut IndexMap<String, String>,
) -> Result<Node<'a>, LaunchError> {
    let def = pres[idx].def;
    let vals = match def {
        Def::External(i) => vec![external(req, i, values)?],
        Def::Derived(i) => match parent {
            Some(p) => derived(req, i, p, values)?,
            None => Vec::new(),
        },
        Def::Command(i) => vec![command_input(req, i, parent.and_then(|p| p.value.clone()))?],
    };
    let mut node = Node {
        def,
        values: Vec::new(),
    };
    for val in vals {
        let mut kids = Vec::new();
        for &child in &pres[idx].children {
            values.insert(def.key(), val.value.clone().unwrap_or_default());
            kids.push(resolve_node(req, pres, child, Some(&val), values)?);
        }
        if kids.is_empty() {
            values.insert(def.key(), val.value.clone().unwrap_or_default());
        }
        node.values.push((val, kids));
    }
    Ok(node)
}

fn check_illegal(name: &str, value: Option<&str>) -> Result<(), LaunchError> {
    if let Some(v) = value
        && let Some(bad) = ILLEGAL_INPUT_STRINGS.iter().find(|s| v.contains(*s))
    {
        return Err(LaunchError::Refused(format!(
            "Input \"{name}\" has a value containing illegal string \"{bad}\"."
        )));
    }
    Ok(())
}

fn resolved_matcher(matcher: Option<&str>, values: &IndexMap<String, String>) -> Option<String> {
    matcher
        .filter(|m| !m.trim().is_empty())
        .map(|m| template::resolve(m, values))
}

/// XNAT object types xcs cannot build from a local directory.
const UNSUPPORTED_TYPES: [&str; 4] = ["Assessor", "ProjectAsset", "SubjectAssessor", "Config"];

fn external<'a>(
    req: &Request<'a>,
    input: &'a WrapperInput,
    values: &IndexMap<String, String>,
) -> Result<Val<'a>, LaunchError> {
    let mut value = input.default_value.clone();
    if let Some(v) = req.inputs.get(&input.name) {
        value = Some(v.clone());
    }
    let matcher = resolved_matcher(input.matcher.as_deref(), values);
    let t = input.input_type();
    if UNSUPPORTED_TYPES.contains(&t) {
        return Err(LaunchError::Unsupported(format!(
            "input `{}` is a {t}; xcs run reads projects, subjects, sessions, scans, resources and files only",
            input.name
        )));
    }
    if let Some(object_type) = ObjectType::from_name(t) {
        let Some(object) = req.context.find(&input.name, object_type) else {
            if value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
                return Err(LaunchError::NoContext {
                    input: input.name.clone(),
                    object_type: t.to_string(),
                });
            }
            return Ok(Val::default());
        };
        if let Some(m) = matcher
            && !matcher::matches(&m, &object.to_json())?
        {
            return Ok(Val::default());
        }
        return Ok(Val {
            value: Some(object.uri.clone()),
            object: Some(object),
        });
    }
    check_illegal(&input.name, value.as_deref())?;
    Ok(Val {
        value,
        object: None,
    })
}

fn command_input<'a>(
    req: &Request<'a>,
    input: &'a CommandInput,
    provided: Option<String>,
) -> Result<Val<'a>, LaunchError> {
    let mut value = input.default_value.clone();
    if let Some(v) = req.inputs.get(&input.name) {
        value = Some(v.clone());
    }
    if provided.is_some() {
        value = provided;
    }
    if input.input_type() == "boolean" {
        // Boolean.parseBoolean: only "true" (any case) is true; a missing value is false.
        let truth = value
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let mapped = if truth {
            &input.true_value
        } else {
            &input.false_value
        };
        if mapped.is_some() {
            value = mapped.clone();
        }
    }
    check_illegal(&input.name, value.as_deref())?;
    Ok(Val {
        value,
        object: None,
    })
}

fn derived<'a>(
    req: &Request<'a>,
    input: &'a WrapperInput,
    parent: &Val<'a>,
    values: &IndexMap<String, String>,
) -> Result<Vec<Val<'a>>, LaunchError> {
    let matcher = resolved_matcher(input.matcher.as_deref(), values);
    let wanted = req
        .inputs
        .get(&input.name)
        .cloned()
        .or_else(|| input.default_value.clone());
    let Some(pobj) = parent.object else {
        return Ok(Vec::new());
    };
    let t = input.input_type();
    let object_val = |o: &'a XnatObject| Val {
        value: Some(o.uri.clone()),
        object: Some(o),
    };
    let string_val = |s: String| Val {
        value: Some(s),
        object: None,
    };
    Ok(match t {
        "string" => {
            let prop = input
                .derived_from_xnat_object_property
                .as_deref()
                .unwrap_or_default();
            let found = pobj.to_json().get(prop).map(json_text);
            found
                .and_then(|s| parse(input.parser.as_deref(), s))
                .map(string_val)
                .into_iter()
                .collect()
        }
        "Directory" if pobj.object_type == ObjectType::Resource => {
            vec![string_val(pobj.directory.clone())]
        }
        "boolean" | "number" | "Directory" => Vec::new(),
        "File" | "File[]" | "file" if pobj.object_type == ObjectType::Resource => children(
            pobj,
            ObjectType::File,
            wanted.as_deref(),
            matcher.as_deref(),
            input.multiple == Some(true),
        )?
        .into_iter()
        .map(object_val)
        .collect(),
        _ => {
            let Some(want) = ObjectType::from_name(t) else {
                return Err(LaunchError::Unsupported(format!(
                    "derived input `{}` is a {t}, which xcs run cannot derive",
                    input.name
                )));
            };
            if archive_child(pobj.object_type, want) {
                children(
                    pobj,
                    want,
                    wanted.as_deref(),
                    matcher.as_deref(),
                    input.multiple == Some(true),
                )?
                .into_iter()
                .map(object_val)
                .collect()
            } else {
                req.context
                    .ancestor(pobj, want)
                    .map(object_val)
                    .into_iter()
                    .collect()
            }
        }
    })
}

fn archive_child(parent: ObjectType, child: ObjectType) -> bool {
    crate::model::archive::child_types(parent).contains(&child)
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `pullStringFromParentJson`'s parser: XNAT tries XPath first, then a regular expression that
/// must match the whole value; xcs does the regular expression only.
fn parse(parser: Option<&str>, value: String) -> Option<String> {
    match parser.filter(|p| !p.trim().is_empty()) {
        None => Some(value),
        Some(p) => regex::Regex::new(&format!("^(?:{p})$"))
            .ok()?
            .is_match(&value)
            .then_some(value),
    }
}

/// `matchChildFromParent`: children of a type that match the input's matcher and, when the
/// launch gives a value (or the input a default), whose uri, id, label or directory is it
/// (a JSON list of them for a `multiple` input).
fn children<'a>(
    parent: &'a XnatObject,
    t: ObjectType,
    wanted: Option<&str>,
    matcher: Option<&str>,
    multiple: bool,
) -> Result<Vec<&'a XnatObject>, LaunchError> {
    let wanted: Option<Vec<String>> = wanted.filter(|w| !w.trim().is_empty()).map(|w| {
        (multiple)
            .then(|| serde_json::from_str::<Vec<String>>(w).ok())
            .flatten()
            .unwrap_or_else(|| vec![w.to_string()])
    });
    let mut out = Vec::new();
    for child in parent.children_of(t) {
        if let Some(w) = &wanted {
            let ids = [&child.uri, &child.id, &child.label, &child.directory];
            if !ids.iter().any(|id| w.contains(id)) {
                continue;
            }
        }
        if let Some(m) = matcher
            && !matcher::matches(m, &child.to_json())?
        {
            continue;
        }
        out.push(child);
    }
    Ok(out)
}

/// `findResolvedValues`: a node with one value puts it (and its command-line form) in the maps;
/// a `multiple` derived input collects its command-input children's values; any other node
/// with zero or several values is an error when it is required.
fn find_resolved_values(node: &Node<'_>, out: &mut Resolved<'_>) -> Result<(), LaunchError> {
    let key = node.def.key();
    match (&node.values[..], node.def) {
        ([(val, kids)], _) => {
            let v = val.value.clone().unwrap_or_default();
            if let Def::Command(ci) = node.def {
                out.command_line
                    .insert(key.clone(), template::command_line_value(ci, &v));
            }
            out.values.insert(key, v);
            for kid in kids {
                find_resolved_values(kid, out)?;
            }
        }
        (vals, Def::Derived(wi)) if wi.multiple == Some(true) => {
            let mut collected = Vec::new();
            let mut ci = None;
            for (_, kids) in vals {
                for kid in kids {
                    if let (Def::Command(c), [(v, _)]) = (kid.def, &kid.values[..]) {
                        ci = Some(c);
                        collected.extend(v.value.clone().filter(|s| !s.trim().is_empty()));
                    }
                }
            }
            let text = template::java_list(&collected);
            if let Some(c) = ci {
                out.values.insert(c.key(), text.clone());
                out.command_line
                    .insert(c.key(), template::multiple(c, &collected));
            }
            out.values.insert(key, text);
        }
        (vals, def) => {
            let message = if vals.is_empty() {
                format!(
                    "Input \"{}\" could not be resolved for this item. You might check the JSONPath matchers in command.json and confirm that this item has {} data.",
                    def.name(),
                    def.type_name()
                )
            } else {
                format!(
                    "Input \"{}\"  does not have a unique, resolved value and multiple = true is not set in command.json.",
                    def.name()
                )
            };
            if def.required() {
                return Err(LaunchError::Refused(message));
            }
        }
    }
    Ok(())
}

fn missing_required<'n>(node: &'n Node<'_>) -> Vec<&'n str> {
    let mut missing: Vec<&str> = node
        .values
        .iter()
        .flat_map(|(_, kids)| kids.iter().flat_map(missing_required))
        .collect();
    if node.def.required() && node.values.iter().all(|(v, _)| v.value.is_none()) {
        missing.push(node.def.name());
    }
    missing
}

/// The inputs that provide files to mounts, through single-valued nodes only
/// (`findMountSourceInputs`).
pub fn mount_sources<'n, 'a>(node: &'n Node<'a>, out: &mut IndexMap<String, &'n Node<'a>>) {
    if let Some(mount) = node
        .def
        .wrapper_input()
        .and_then(|i| i.provides_files_for_command_mount.as_deref())
        .filter(|m| !m.trim().is_empty())
    {
        out.insert(mount.to_string(), node);
    }
    if let [(_, kids)] = &node.values[..] {
        for kid in kids {
            mount_sources(kid, out);
        }
    }
}

/// `getInputValueByName`: the single value of the named input anywhere in the trees.
pub fn value_by_name<'n, 'a>(trees: &'n [Node<'a>], name: &str) -> Option<&'n Val<'a>> {
    trees.iter().find_map(|n| find_value(n, name))
}

fn find_value<'n, 'a>(node: &'n Node<'a>, name: &str) -> Option<&'n Val<'a>> {
    if node.def.name() == name {
        return match &node.values[..] {
            [(v, _)] => Some(v),
            _ => None,
        };
    }
    match &node.values[..] {
        [(_, kids)] => kids.iter().find_map(|k| find_value(k, name)),
        _ => None,
    }
}

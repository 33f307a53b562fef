//! `xcs import boutiques`: a Boutiques descriptor (schema 0.5) as an XNAT Command.
//!
//! What maps: inputs (String → `string`, Number → `number`, Flag → `boolean` whose true-value
//! is the flag, File → a `string` path under the `/input` mount), `value-key`s → the inputs'
//! replacement keys (`[X]` in the command line becomes `#id#`), `optional` → `required`,
//! `value-choices` → `select-one` (`select-many` for a list), `command-line-flag` and its
//! separator, defaults; `output-files` → outputs in a writable `/output` mount (also the
//! working directory, so relative paths land there) with one Resource output handler each;
//! the Docker image; `environment-variables`; and one wrapper for the chosen context that
//! mounts the object's files at `/input`. The command line runs through `/bin/sh -c`
//! (`override-entrypoint`), as Boutiques runs it through a shell. Everything else is listed in
//! the conversion's notes.

use crate::load::emit;
use crate::model::json_schema::COMMAND_MODELINE;
use crate::model::{
    Command, CommandInput, CommandOutput, Mount, OutputHandler, Wrapper, WrapperInput,
};
use indexmap::IndexMap;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum BoutiquesError {
    #[error("{0}")]
    NotADescriptor(String),
    #[error(
        "the descriptor's container image is {kind} (`{image}`): XNAT runs Docker images only; convert it with a Docker image of the tool (--image IMAGE:TAG)"
    )]
    NotDocker { kind: String, image: String },
    #[error(
        "the descriptor names no container image: XNAT runs Docker images only; give one with --image IMAGE:TAG"
    )]
    NoImage,
}

/// The XNAT object a wrapper runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WrapperContext {
    Project,
    Subject,
    Session,
    Scan,
}

impl WrapperContext {
    fn parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            WrapperContext::Project => ("project", "Project", "xnat:projectData"),
            WrapperContext::Subject => ("subject", "Subject", "xnat:subjectData"),
            WrapperContext::Session => ("session", "Session", "xnat:imageSessionData"),
            WrapperContext::Scan => ("scan", "Scan", "xnat:imageScanData"),
        }
    }
}

/// A converted command and what could not be expressed.
#[derive(Debug, Clone)]
pub struct Conversion {
    pub command: Command,
    pub notes: Vec<String>,
}

const INPUT_MOUNT: &str = "input";
const OUTPUT_MOUNT: &str = "output";

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: not JSON: {error}")]
    Json {
        path: String,
        error: serde_json::Error,
    },
    #[error("{path}: {error}")]
    Convert { path: String, error: BoutiquesError },
}

/// Read a descriptor file and convert it.
pub fn convert_file(
    path: &std::path::Path,
    context: WrapperContext,
    image: Option<&str>,
) -> Result<Conversion, ReadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ReadError::Io {
        path: shown.clone(),
        error,
    })?;
    let d: Value = serde_json::from_str(&text).map_err(|error| ReadError::Json {
        path: shown.clone(),
        error,
    })?;
    convert(&d, context, image).map_err(|error| ReadError::Convert { path: shown, error })
}

/// The command as a declaration document: the schema modeline, `kind: Command`, then the
/// command in XNAT's format.
pub fn to_yaml(command: &Command) -> String {
    let mut map = serde_json::Map::new();
    map.insert("kind".into(), Value::String("Command".into()));
    if let Ok(Value::Object(fields)) = serde_json::to_value(command) {
        map.extend(fields);
    }
    format!("{COMMAND_MODELINE}\n{}", emit::yaml(&Value::Object(map)))
}

/// Convert a parsed descriptor. `image` replaces (or supplies) the container image.
pub fn convert(
    d: &Value,
    context: WrapperContext,
    image: Option<&str>,
) -> Result<Conversion, BoutiquesError> {
    let obj = d.as_object().ok_or_else(|| {
        BoutiquesError::NotADescriptor("a Boutiques descriptor is a JSON object".into())
    })?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
    let name = text("name")
        .ok_or_else(|| BoutiquesError::NotADescriptor("the descriptor has no `name`".into()))?;
    let line = text("command-line").ok_or_else(|| {
        BoutiquesError::NotADescriptor("the descriptor has no `command-line`".into())
    })?;
    let mut notes = Vec::new();
    if let Some(v) = text("schema-version").filter(|v| v != "0.5") {
        notes.push(format!("schema-version {v}: read as 0.5"));
    }
    let image = container_image(obj.get("container-image"), image, &mut notes)?;
    let inputs: Vec<&Value> = list(obj.get("inputs"));
    let outputs: Vec<&Value> = list(obj.get("output-files"));
    let keys = value_keys(&inputs);
    let mut command = Command {
        name: kebab(&name),
        label: Some(name.clone()),
        description: text("description"),
        version: text("tool-version"),
        schema_version: Some("1.0".into()),
        info_url: text("url").or_else(|| text("descriptor-url")),
        image: Some(image),
        command_type: Some("docker".into()),
        override_entrypoint: Some(true),
        ..Command::default()
    };
    command.inputs = inputs.iter().filter_map(|i| input(i, &mut notes)).collect();
    let mut line = replace_keys(&line, &keys);
    command.outputs = outputs
        .iter()
        .filter_map(|o| output(o, &keys, &mut line, &mut notes))
        .collect();
    command.command_line = Some(line);
    for e in list(obj.get("environment-variables")) {
        if let (Some(n), Some(v)) = (
            e.get("name").and_then(Value::as_str),
            e.get("value").and_then(Value::as_str),
        ) {
            command
                .environment_variables
                .insert(n.to_string(), replace_keys(v, &keys));
        }
    }
    command.mounts.push(Mount {
        name: INPUT_MOUNT.into(),
        writable: false,
        path: Some("/input".into()),
    });
    if !command.outputs.is_empty() {
        command.mounts.push(Mount {
            name: OUTPUT_MOUNT.into(),
            writable: true,
            path: Some("/output".into()),
        });
        command.working_directory = Some("/output".into());
    }
    command.xnat.push(context_wrapper(&command, context));
    unexpressed(obj, &mut notes);
    Ok(Conversion { command, notes })
}

fn list(v: Option<&Value>) -> Vec<&Value> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn container_image(
    ci: Option<&Value>,
    given: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<String, BoutiquesError> {
    let kind = ci
        .and_then(|c| c.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("docker");
    let declared = ci.and_then(|c| c.get("image")).and_then(Value::as_str);
    let image = match (given, declared) {
        (Some(g), _) => g.to_string(),
        (None, Some(img)) if kind == "docker" => img.to_string(),
        (None, Some(img)) => {
            return Err(BoutiquesError::NotDocker {
                kind: kind.into(),
                image: img.into(),
            });
        }
        (None, None) => return Err(BoutiquesError::NoImage),
    };
    if let Some(opts) = ci
        .and_then(|c| c.get("container-opts"))
        .and_then(Value::as_array)
        .filter(|o| !o.is_empty())
    {
        let shown: Vec<String> = opts
            .iter()
            .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_string))
            .collect();
        notes.push(format!("container-opts `{}`: XNAT passes no docker options; set what they do in the command (environment-variables, limits)", shown.join(" ")));
    }
    if let Some(index) = ci
        .and_then(|c| c.get("index"))
        .and_then(Value::as_str)
        .filter(|i| !i.contains("docker.io"))
    {
        notes.push(format!("index `{index}`: XNAT pulls from the registry the image name says; prefix the image with it"));
    }
    if image.ends_with(":latest") {
        notes.push(format!("image `{image}` is tagged `latest`: pin a version (--image) so a review shows when what runs changes"));
    }
    let last = image.rsplit('/').next().unwrap_or(&image);
    if !last.contains(':') && !image.contains('@') {
        notes.push(format!("image `{image}` has no tag: written as `{image}:latest`, which XNAT would add on create"));
        return Ok(format!("{image}:latest"));
    }
    Ok(image)
}

/// Boutiques value-key (`[X]`) → XNAT replacement key of the input (`#id#`).
fn value_keys(inputs: &[&Value]) -> IndexMap<String, String> {
    inputs
        .iter()
        .filter_map(|i| {
            Some((
                i.get("value-key")?.as_str()?.to_string(),
                format!("#{}#", i.get("id")?.as_str()?),
            ))
        })
        .collect()
}

fn replace_keys(text: &str, keys: &IndexMap<String, String>) -> String {
    keys.iter().fold(text.to_string(), |t, (from, to)| {
        t.replace(from.as_str(), to)
    })
}

/// A name XNAT and people read easily: lower-case words joined by `-`.
fn kebab(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "boutiques-tool".into()
    } else {
        words.join("-")
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

fn input(i: &Value, notes: &mut Vec<String>) -> Option<CommandInput> {
    let id = i.get("id")?.as_str()?.to_string();
    let s = |k: &str| i.get(k).and_then(Value::as_str).map(str::to_string);
    let t = s("type").unwrap_or_else(|| "String".into());
    let is_list = i.get("list").and_then(Value::as_bool) == Some(true);
    let choices: Vec<String> = list(i.get("value-choices"))
        .into_iter()
        .map(scalar_text)
        .collect();
    let mut ci = CommandInput {
        name: id.clone(),
        label: s("name"),
        description: s("description"),
        required: Some(i.get("optional").and_then(Value::as_bool) != Some(true)),
        command_line_flag: s("command-line-flag"),
        command_line_separator: s("command-line-flag-separator"),
        default_value: i.get("default-value").map(scalar_text),
        ..CommandInput::default()
    };
    ci.input_type = Some(match (t.as_str(), choices.is_empty(), is_list) {
        ("Flag", ..) => {
            // A Boutiques flag is its command-line-flag alone, or nothing.
            ci.true_value = ci.command_line_flag.take();
            ci.false_value = Some(String::new());
            ci.command_line_separator = None;
            "boolean".into()
        }
        (_, false, list) => {
            ci.select_values = choices;
            if list {
                "select-many".into()
            } else {
                "select-one".into()
            }
        }
        ("Number", _, false) => "number".into(),
        ("File", ..) => {
            let what = if is_list {
                "paths, space-separated,"
            } else {
                "a path"
            };
            ci.description = Some(format!(
                "{}{what} under /input, where the wrapper mounts the XNAT object's files",
                ci.description.map(|d| format!("{d} ")).unwrap_or_default()
            ));
            notes.push(format!("input `{id}` is a File: it becomes a string, {what} under /input (the wrapper mounts the context object's files there)"));
            "string".into()
        }
        (_, _, true) => {
            notes.push(format!("input `{id}` is a list: XNAT has no free-form list, so it is a string of space-separated values"));
            "string".into()
        }
        _ => "string".into(),
    });
    if let Some(sep) = i
        .get("list-separator")
        .and_then(Value::as_str)
        .filter(|s| *s != " ")
    {
        notes.push(format!(
            "input `{id}`: list-separator `{sep}` is not expressed; values are joined with spaces"
        ));
    }
    unchecked(i, &id, notes);
    Some(ci)
}

/// Constraints Boutiques checks and XNAT does not.
fn unchecked(i: &Value, id: &str, notes: &mut Vec<String>) {
    let checks = [
        "minimum",
        "maximum",
        "integer",
        "exclusive-minimum",
        "exclusive-maximum",
        "min-list-entries",
        "max-list-entries",
        "requires-inputs",
        "disables-inputs",
        "value-requires",
        "value-disables",
        "uses-absolute-path",
    ];
    let unchecked: Vec<&str> = checks.into_iter().filter(|k| i.get(*k).is_some()).collect();
    if !unchecked.is_empty() {
        notes.push(format!(
            "input `{id}`: {} not checked by XNAT",
            unchecked.join(", ")
        ));
    }
}

fn output(
    o: &Value,
    keys: &IndexMap<String, String>,
    line: &mut String,
    notes: &mut Vec<String>,
) -> Option<CommandOutput> {
    let id = o.get("id")?.as_str()?.to_string();
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
    let template = s("path-template").or_else(|| {
        let conditional = list(o.get("conditional-path-template"));
        let default = conditional
            .iter()
            .find_map(|c| c.get("default").and_then(Value::as_str).map(str::to_string));
        notes.push(format!(
            "output `{id}`: conditional-path-template is not expressed; {}",
            if default.is_some() {
                "its `default` path is used"
            } else {
                "it has no `default` path, so it is left out"
            }
        ));
        default
    })?;
    let path = replace_keys(template.trim_start_matches("./"), keys);
    if let Some(vk) = s("value-key") {
        let flag = s("command-line-flag")
            .map(|f| format!("{f} "))
            .unwrap_or_default();
        *line = line.replace(&vk, &format!("{flag}{path}"));
        if keys.values().any(|k| path.contains(k.as_str())) {
            notes.push(format!(
                "output `{id}`: its path in the command line uses input values, which XNAT writes there with their flags"
            ));
        }
    }
    if o.get("file-template").is_some() {
        notes.push(format!("output `{id}`: its file-template (a file written before the run) cannot be generated by XNAT"));
    }
    if o.get("path-template-stripped-extensions").is_some() {
        notes.push(format!("output `{id}`: path-template-stripped-extensions is not expressed; input values are used whole"));
    }
    let (path, glob) = match path.rsplit_once('/') {
        Some((dir, file)) if file.contains('*') => (dir.to_string(), Some(file.to_string())),
        None if path.contains('*') => (String::new(), Some(path.clone())),
        _ => (path, None),
    };
    Some(CommandOutput {
        name: id,
        description: s("description").or_else(|| s("name")),
        required: Some(o.get("optional").and_then(Value::as_bool) != Some(true)),
        mount: OUTPUT_MOUNT.into(),
        path: (!path.is_empty()).then_some(path),
        glob,
    })
}

/// A wrapper that runs `command` on one kind of XNAT object: the object is its external input
/// and gives its files to the `input` mount; each output gets a Resource handler on it.
pub fn context_wrapper(command: &Command, context: WrapperContext) -> Wrapper {
    let (input_name, input_type, xsi) = context.parts();
    Wrapper {
        name: format!("{}-{input_name}", command.name),
        label: command.label.clone(),
        description: Some(format!(
            "Run {} on a {input_name}",
            command.label.as_deref().unwrap_or(&command.name)
        )),
        contexts: vec![xsi.into()],
        external_inputs: vec![WrapperInput {
            name: input_name.into(),
            description: Some(format!("The {input_name} to run on")),
            input_type: Some(input_type.into()),
            required: Some(true),
            // A Subject has no files of its own (`CommandWrapperInputType.MOUNTABLE_TYPES`).
            provides_files_for_command_mount: crate::model::command::MOUNTABLE_INPUT_TYPES
                .contains(&input_type)
                .then(|| INPUT_MOUNT.into()),
            ..WrapperInput::default()
        }],
        output_handlers: command
            .outputs
            .iter()
            .map(|o| OutputHandler {
                name: format!("{}-resource", o.name),
                accepts_command_output: o.name.clone(),
                as_a_child_of: Some(input_name.into()),
                handler_type: Some("Resource".into()),
                label: Some(o.name.to_ascii_uppercase()),
                ..OutputHandler::default()
            })
            .collect(),
        ..Wrapper::default()
    }
}

fn unexpressed(obj: &serde_json::Map<String, Value>, notes: &mut Vec<String>) {
    for (key, what) in [
        (
            "groups",
            "input groups (mutually-exclusive, one-is-required, all-or-none) are not checked by XNAT",
        ),
        (
            "error-codes",
            "error-codes: XNAT marks any non-zero exit as Failed",
        ),
        (
            "suggested-resources",
            "suggested-resources: set limit-memory and limit-cpu by hand",
        ),
        ("tests", "tests: not carried over"),
        ("shell", "shell: the command line runs through /bin/sh"),
    ] {
        if obj.get(key).is_some() {
            notes.push(what.to_string());
        }
    }
}

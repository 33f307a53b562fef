//! XNAT's Command format, unchanged: kebab-case keys, wrappers under `xnat`.
//!
//! Field meanings, defaults and allowed values follow the Container Service 3.7.3 source
//! (`org.nrg.containers.model.command.auto.Command`). The doc comments here become the JSON
//! Schema descriptions that editors show on hover and the catalog's schema pages.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub type StringMap = IndexMap<String, String>;

/// The allowed values of a command's `type`.
pub const COMMAND_TYPES: [&str; 3] = ["docker", "docker-setup", "docker-wrapup"];
/// The allowed values of `visibility` (Container Service 3.7.0 and later).
pub const VISIBILITIES: [&str; 3] = ["public", "private", "protected"];
/// Command input types XNAT knows; anything else is stored as `string`.
pub const COMMAND_INPUT_TYPES: [&str; 6] = [
    "string",
    "boolean",
    "number",
    "select-one",
    "select-many",
    "file",
];
/// Wrapper input types that stand for an XNAT object, in the archive's hierarchy.
pub const XNAT_OBJECT_TYPES: [&str; 8] = [
    "Project",
    "ProjectAsset",
    "Subject",
    "SubjectAssessor",
    "Session",
    "Scan",
    "Assessor",
    "Resource",
];
/// Wrapper input types XNAT accepts (exact case).
pub const WRAPPER_INPUT_TYPES: [&str; 16] = [
    "string",
    "boolean",
    "number",
    "Directory",
    "File[]",
    "File",
    "Project",
    "ProjectAsset",
    "Subject",
    "SubjectAssessor",
    "Session",
    "Scan",
    "Assessor",
    "Resource",
    "Config",
    "file",
];
/// Wrapper input types whose files can be mounted (`provides-files-for-command-mount`).
pub const MOUNTABLE_INPUT_TYPES: [&str; 8] = [
    "Project",
    "ProjectAsset",
    "SubjectAssessor",
    "Session",
    "Scan",
    "Assessor",
    "Resource",
    "File",
];
pub const MULTIPLE_DELIMITERS: [&str; 4] = ["quoted-space", "space", "comma", "flag"];
pub const OUTPUT_HANDLER_TYPES: [&str; 3] = ["Resource", "Assessor", "Scan"];

/// A Container Service Command: how to run one image, what it takes and what it produces, and
/// the wrappers that bind its inputs to XNAT objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Command {
    /// Assigned by XNAT. Ignored when a command is created; leave it out of declarations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Command name. Required. With `image` and `version` it identifies the command in XNAT:
    /// posting a second command with the same three is refused.
    pub name: String,
    /// Short human-readable title shown in XNAT's UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What the command does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Command version. Part of the command's identity; always set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Version of the command format; "1.0". Not checked by XNAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// Link to the tool's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_url: Option<String>,
    /// Docker image with a tag, e.g. `xnat/dcm2niix:1.0`, or pinned by digest
    /// (`name@sha256:…`). XNAT requires a tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Name for the container or service; may contain `#replacement-keys#`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// `docker` (default) for a normal command; `docker-setup` / `docker-wrapup` for commands
    /// that prepare inputs or post-process outputs of another command.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["docker", "docker-setup", "docker-wrapup", null], "x-xcs-rule" = "XCS104"))]
    pub command_type: Option<String>,
    /// Registry index URL (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// Image id; XNAT sets it for commands imported from image labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Working directory inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// The command line to run; `#KEY#` replacement keys are filled from inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// Free-form metadata (authors, citation, licence…). Container Service 3.7.0 and later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_metadata: Option<Value>,
    /// When true, the image's entrypoint is replaced by an empty one so `command-line` runs as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_entrypoint: Option<bool>,
    /// Directories mounted into the container; wrapper inputs provide their files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    /// Environment variables; keys and values may contain replacement keys.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environment_variables: StringMap,
    /// Container port to host port (docker backend only); may contain replacement keys.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub ports: StringMap,
    /// The command's own inputs, rendered into the command line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<CommandInput>,
    /// Files the command writes, each in a mount; wrappers' output handlers upload them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<CommandOutput>,
    /// Wrappers: ways to launch the command on XNAT objects (sessions, scans, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub xnat: Vec<Wrapper>,
    /// Memory to reserve, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve_memory: Option<i64>,
    /// Memory limit, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_memory: Option<i64>,
    /// CPU limit, in CPUs (e.g. 1.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_cpu: Option<f64>,
    /// Container runtime, e.g. `nvidia` (docker backend only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// IPC mode (docker backend only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc_mode: Option<String>,
    /// Remove the container when it exits (docker backend only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_remove: Option<bool>,
    /// Size of /dev/shm, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<i64>,
    /// Docker network (docker and swarm; ignored on Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Labels put on the container or service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_labels: Option<StringMap>,
    /// GPU request; stored by XNAT but not used by its launch code in 3.7.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<String>,
    /// Swarm generic resources, e.g. `{"VRAM": "2000"}`; on Kubernetes the key `gpu` is a GPU count
    /// and needs the backend's `gpu-vendor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_resources: Option<StringMap>,
    /// Ulimits: `"N"` or `"soft:hard"` (docker and swarm; ignored on Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ulimits: Option<StringMap>,
    /// Values read from XNAT's JVM system properties into environment variables at launch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<CommandSecret>,
    /// Who sees the command: `public` (default), `protected`, or `private` (only where enabled).
    /// Container Service 3.7.0 and later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["public", "private", "protected", null], "x-xcs-rule" = "XCS105"))]
    pub visibility: Option<String>,
}

/// A directory mounted into the container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Mount {
    /// Mount name, unique within the command; wrapper inputs and outputs refer to it.
    pub name: String,
    /// Whether the container may write to it; output mounts must be writable.
    #[serde(default)]
    pub writable: bool,
    /// Absolute path inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// An input of the command itself, rendered into the command line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct CommandInput {
    /// Input name: letters, digits, `_` and `-`; unique within the command.
    pub name: String,
    /// Label shown in the launch form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Help text shown in the launch form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `string` (default), `boolean`, `number`, `select-one`, `select-many` or `file`. XNAT stores
    /// any other value as `string`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["string", "boolean", "number", "select-one", "select-many", "file", null], "x-xcs-rule" = "XCS140"))]
    pub input_type: Option<String>,
    /// JSONPath filter expression a value must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// Value used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// Whether launching requires a value. Default false for command inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Placeholder substituted in templates; defaults to `#name#`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_key: Option<String>,
    /// Mask the value in XNAT's UI and API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<bool>,
    /// Flag written before the value on the command line, e.g. `--threshold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line_flag: Option<String>,
    /// Separator between flag and value; a space by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line_separator: Option<String>,
    /// Text written for a true boolean (default "true").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub true_value: Option<String>,
    /// Text written for a false boolean (default "false").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub false_value: Option<String>,
    /// Choices for `select-one` and `select-many` inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select_values: Vec<String>,
    /// How several values are joined: `quoted-space`, `space`, `comma` or `flag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["quoted-space", "space", "comma", "flag", null], "x-xcs-rule" = "XCS122"))]
    pub multiple_delimiter: Option<String>,
}

/// A file or directory the command writes, uploaded by an output handler.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct CommandOutput {
    /// Output name: letters, digits, `_` and `-`; unique within the command.
    pub name: String,
    /// What the output holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// If true, the container fails when the output is missing. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// The mount the output is written to.
    pub mount: String,
    /// Path inside the mount; may contain replacement keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Glob selecting files under `path`; empty means everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
}

/// A wrapper: one way to launch the command on XNAT objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct Wrapper {
    /// Assigned by XNAT; kept across updates while the wrapper's name stays the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Wrapper name, unique within the command. Renaming a wrapper gives it a new id in XNAT and
    /// strands its enablement, configuration and automations.
    pub name: String,
    /// Title shown in XNAT's action menus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What the wrapper does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// XNAT data types the wrapper runs on, e.g. `xnat:imageSessionData`, `xnat:imageScanData`,
    /// or `site` for site-wide wrappers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contexts: Vec<String>,
    /// Inputs supplied at launch, usually the object the wrapper runs on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_inputs: Vec<WrapperInput>,
    /// Inputs derived from other wrapper inputs (session → scan → resource → files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived_inputs: Vec<WrapperInput>,
    /// How command outputs are uploaded back into XNAT.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_handlers: Vec<OutputHandler>,
}

/// An external or derived wrapper input. The `derived-…`, `multiple` and `parser` fields apply
/// to derived inputs only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct WrapperInput {
    /// Input name: letters, digits, `_` and `-`; external and derived inputs share one namespace.
    pub name: String,
    /// Label shown in the launch form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Help text shown in the launch form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// XNAT object type (`Project`, `Subject`, `Session`, `Scan`, `Assessor`, `Resource`, `File`,
    /// …) or a plain value type (`string`, `boolean`, `number`). Default `string`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["string", "boolean", "number", "Directory", "File[]", "File", "Project", "ProjectAsset", "Subject", "SubjectAssessor", "Session", "Scan", "Assessor", "Resource", "Config", "file", null], "x-xcs-rule" = "XCS130"))]
    pub input_type: Option<String>,
    /// JSONPath filter expression selecting which objects qualify, e.g. `@.label == 'DICOM'`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// Value used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// Whether launching requires a value. Default true for wrapper inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Placeholder substituted in templates; defaults to `#name#`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_key: Option<String>,
    /// Mask the value in XNAT's UI and API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<bool>,
    /// Name of the command input this input's value is given to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provides_value_for_command_input: Option<String>,
    /// Name of the command mount this input's files are mounted into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provides_files_for_command_mount: Option<String>,
    /// A `docker-setup` command, `image:tag[:command-name]`, that prepares the files first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_setup_command: Option<String>,
    /// Whether a user may change the value at launch (a site or project config may override).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_settable: Option<bool>,
    /// Load the object's children when resolving (default true); set false on big projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_children: Option<bool>,
    /// Derived inputs: the wrapper input this one is derived from; must be declared earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from_wrapper_input: Option<String>,
    /// Derived inputs: a property of the parent used as the value (`id`, `label`, `uri`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from_xnat_object_property: Option<String>,
    /// Derived inputs: collect every match into one value (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple: Option<bool>,
    /// Derived inputs: XPath or regex applied to a string value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parser: Option<String>,
}

/// How one command output is uploaded into XNAT.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct OutputHandler {
    /// Handler name: letters, digits, `_` and `-`; unique within the wrapper.
    pub name: String,
    /// The command output this handler uploads.
    pub accepts_command_output: String,
    /// The wrapper input, or an earlier handler, whose object receives the upload.
    /// (`as-a-child-of-wrapper-input` is the legacy spelling, accepted by XNAT on create only.)
    #[serde(
        default,
        alias = "as-a-child-of-wrapper-input",
        skip_serializing_if = "Option::is_none"
    )]
    pub as_a_child_of: Option<String>,
    /// `Resource` (default), `Assessor` or `Scan`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Resource", "Assessor", "Scan", null], "x-xcs-rule" = "XCS161"))]
    pub handler_type: Option<String>,
    /// XSI type of the created Assessor or Scan; lets XNAT check permissions before launch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xsi_type: Option<String>,
    /// Resource label; required when `type` is `Resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Resource format, e.g. `NIFTI`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Resource description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Resource content, e.g. `RAW`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Tags put on the uploaded resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A `docker-wrapup` command, `image:tag[:command-name]`, run on the files before upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_wrapup_command: Option<String>,
}

/// A value copied from an XNAT JVM system property into the container at launch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct CommandSecret {
    /// Where the value comes from.
    pub source: SecretEnd,
    /// Where the value goes.
    pub destination: SecretEnd,
}

/// One end of a command secret: `{type: system-property, identifier: …}` as a source,
/// `{type: environment-variable, identifier: …}` as a destination.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(deny_unknown_fields)]
pub struct SecretEnd {
    /// `system-property` (source) or `environment-variable` (destination).
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["system-property", "environment-variable"]))]
    pub end_type: String,
    /// The property or variable name.
    pub identifier: String,
}

impl Command {
    /// `docker` unless set: XNAT's default.
    pub fn command_type(&self) -> &str {
        self.command_type.as_deref().unwrap_or("docker")
    }

    pub fn wrapper(&self, name: &str) -> Option<&Wrapper> {
        self.xnat.iter().find(|w| w.name == name)
    }

    /// Every replacement key a template in this command may use: command inputs and the inputs
    /// of every wrapper.
    pub fn replacement_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.inputs.iter().map(CommandInput::key).collect();
        for w in &self.xnat {
            keys.extend(w.inputs().map(WrapperInput::key));
        }
        keys
    }
}

impl CommandInput {
    pub fn key(&self) -> String {
        replacement_key(self.replacement_key.as_deref(), &self.name)
    }
    pub fn input_type(&self) -> &str {
        self.input_type.as_deref().unwrap_or("string")
    }
    pub fn is_select(&self) -> bool {
        matches!(self.input_type(), "select-one" | "select-many")
    }
}

impl WrapperInput {
    pub fn key(&self) -> String {
        replacement_key(self.replacement_key.as_deref(), &self.name)
    }
    pub fn input_type(&self) -> &str {
        self.input_type.as_deref().unwrap_or("string")
    }
}

impl Wrapper {
    /// External inputs then derived inputs, in declaration order.
    pub fn inputs(&self) -> impl Iterator<Item = &WrapperInput> {
        self.external_inputs.iter().chain(&self.derived_inputs)
    }
    pub fn input(&self, name: &str) -> Option<&WrapperInput> {
        self.inputs().find(|i| i.name == name)
    }
}

impl OutputHandler {
    pub fn handler_type(&self) -> &str {
        self.handler_type.as_deref().unwrap_or("Resource")
    }
}

fn replacement_key(custom: Option<&str>, name: &str) -> String {
    match custom {
        Some(key) if !key.is_empty() => key.to_string(),
        _ => format!("#{name}#"),
    }
}

/// XNAT's tag test (`Command.HAS_TAG`, `.+:[a-zA-Z0-9_.-]+$` over the whole name).
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

/// The image name as XNAT stores it on create: an untagged name gets `:latest`
/// (`Command.setDefaultTag`, applied by `Command.builderFromCreation`). xcs sends this form, so
/// the command it creates can be updated in place (XNAT refuses an untagged name on update).
pub fn with_default_tag(image: &str) -> String {
    if image.is_empty() || image_has_tag(image) {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

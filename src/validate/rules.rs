//! Every rule xcs checks: a stable code, a severity, and what XNAT itself does with the problem.
//!
//! The table is the single source for `xcs rules`, the README's rule table and the severity of
//! each diagnostic. Codes never change meaning; retired codes are not reused.

use crate::diag::Severity::{self, Error, Note, Warning};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    /// What the rule catches.
    pub summary: &'static str,
    /// What XNAT does with such a declaration.
    pub xnat: &'static str,
}

macro_rules! rules {
    ($($name:ident = $code:literal, $sev:ident, $summary:literal, $xnat:literal;)*) => {
        $(pub const $name: &Rule = &Rule { code: $code, severity: $sev, summary: $summary, xnat: $xnat };)*
        /// All rules, in code order.
        pub const ALL: &[&Rule] = &[$($name),*];
    };
}

rules! {
    SYNTAX = "XCS001", Error, "File is not valid YAML or JSON", "Rejects the request body (400) or the label import skips the command";
    ENCODING = "XCS002", Error, "File is not UTF-8 text (binary or another encoding)", "Not applicable: cannot be sent";
    DUPLICATE_KEY = "XCS003", Warning, "A mapping has the same key twice (the later value is used)", "Jackson keeps the last value silently";
    LIMITS = "XCS004", Error, "File too large, nested too deep, or YAML aliases expand too far", "Not applicable";
    KIND = "XCS005", Error, "Document has no `kind`, or an unknown one", "Not applicable";
    LABEL_NOT_A_LIST = "XCS006", Error, "`org.nrg.commands` label value is one command object (or another value), not a JSON list", "Reads the label as a list of commands; logs a parse error and imports no command from the image";
    LABEL_EMPTY = "XCS007", Warning, "`org.nrg.commands` label is blank or an empty list", "Imports no command from the image, silently";
    BUILD_VARIABLE = "XCS008", Warning, "`$NAME` or `${NAME}` in a Dockerfile `LABEL` value: docker build substitutes the build variable", "Receives the substituted text (empty where the variable is not set)";
    SHAPED_COMMAND = "XCS009", Note, "Document without `kind` outside commands/ read as a Command, because its keys are a Command's", "Not applicable";
    SCHEMA = "XCS010", Error, "Value does not match the kind's JSON Schema (wrong type, missing key, value not allowed)", "Rejects (400) or fails later";
    UNKNOWN_KEY = "XCS011", Warning, "Key the format does not define (often a misspelling)", "Drops the key silently";
    COERCED = "XCS012", Warning, "Quoted number or boolean, or a number where text is expected", "Jackson converts it silently";
    LEGACY_KEY = "XCS013", Warning, "`as-a-child-of-wrapper-input`: legacy spelling of `as-a-child-of`", "Reads it on create but not on update, where the handler then fails validation";
    SERVER_FIELD = "XCS014", Warning, "Server-assigned field (`id`, `hash`) written in a declaration", "Ignores it on create";
    SWALLOWED_BY_COMMENT = "XCS015", Error, "Unquoted YAML value followed by ` #KEY#`: YAML reads the rest of the line as a comment", "Receives the truncated value (e.g. a command line without its arguments)";
    NAME_BLANK = "XCS101", Error, "Command, mount, input, output, wrapper or handler name is blank", "Rejects the command (400)";
    IMAGE_MISSING = "XCS102", Error, "Command has no image", "Rejects the command (400)";
    IMAGE_TAG = "XCS103", Warning, "Image has no `:tag` (xcs sends `name:latest`, as XNAT stores it)", "Appends `:latest` on create; refuses the untagged name on update";
    COMMAND_TYPE = "XCS104", Error, "Command `type` is not docker, docker-setup or docker-wrapup", "Rejects the command (400)";
    VISIBILITY = "XCS105", Error, "`visibility` is not public, private or protected", "Rejects the command (400)";
    SETUP_SHAPE = "XCS106", Error, "Setup or wrapup command declares mounts, inputs, outputs, wrappers, environment, ports or secrets", "Rejects the command (400)";
    ULIMIT_FORMAT = "XCS107", Error, "Ulimit value is empty or has more than one `:`", "Rejects the command (400)";
    SECRET_RESERVED = "XCS108", Error, "Command secret writes XNAT_USER, XNAT_PASS or XNAT_HOST", "Rejects the command (400)";
    SECRET_ENV_CLASH = "XCS109", Error, "Command secret and environment variable share a name", "Rejects the command (400)";
    DUPLICATE_NAME = "XCS111", Error, "Two mounts, inputs, outputs, wrappers, wrapper inputs or handlers share a name", "Rejects the command (400)";
    NAME_CHARSET = "XCS112", Error, "Input, output or handler name has characters other than A-Z a-z 0-9 _ -", "Rejects the command (400)";
    MOUNT_PATH = "XCS113", Error, "Mount path is blank", "Rejects the command (400)";
    SELECT_VALUES_MISSING = "XCS120", Error, "select-one / select-many input without `select-values`", "Rejects the command (400)";
    SELECT_VALUES_UNEXPECTED = "XCS121", Error, "`select-values` on an input that is not a select type", "Rejects the command (400)";
    MULTIPLE_DELIMITER = "XCS122", Error, "`multiple-delimiter` is not quoted-space, space, comma or flag", "Rejects the command (400)";
    SELECT_DEFAULT = "XCS123", Error, "`default-value` is not among the `select-values`", "Rejects the command (400)";
    OUTPUT_MOUNT = "XCS124", Error, "Output's `mount` is blank or names no mount", "Rejects the command (400)";
    WRAPPER_INPUT_TYPE = "XCS130", Error, "Wrapper input `type` is not one XNAT knows (exact case)", "Rejects the command (400)";
    VIA_SETUP_WITHOUT_MOUNT = "XCS131", Error, "`via-setup-command` on an input that provides no files to a mount", "Rejects the command (400)";
    FEEDS_SELECT = "XCS132", Error, "Wrapper input provides the value of a select-type command input", "Rejects the command (400)";
    DERIVED_FROM = "XCS133", Error, "Derived input's parent is blank, itself, unknown, or declared later", "Rejects the command (400)";
    DERIVED_MULTIPLE = "XCS134", Error, "`multiple` derived input provides files to a mount, or provides no command input", "Rejects the command (400)";
    COMMAND_INPUT_TYPE = "XCS140", Warning, "Command input `type` is not one XNAT knows", "Stores it as `string` silently";
    DANGLING_INPUT = "XCS141", Warning, "`provides-value-for-command-input` names no command input", "Saves it; at launch the value reaches no command input (ignored)";
    DANGLING_MOUNT = "XCS142", Warning, "`provides-files-for-command-mount` names no mount", "Saves it; the launch ignores it and runs without those files";
    UNMOUNTABLE = "XCS143", Warning, "Files provided to a mount from an input type that has no files", "Saves it; nothing is mounted at launch";
    HIERARCHY = "XCS144", Warning, "Derived input's type cannot be a child of its parent's type (e.g. a Scan from a Subject)", "Saves it; resolution finds nothing at launch";
    TEMPLATE_KEY = "XCS145", Warning, "`#KEY#` in a template matches no input's replacement key", "Saves it; the text stays literal at launch";
    NO_CONTEXTS = "XCS146", Warning, "Wrapper has no `contexts`", "Saves it; the wrapper is offered nowhere";
    CONTEXT_FORMAT = "XCS147", Warning, "Context is not an XSI type (`prefix:name`) or `site`", "Saves it; the wrapper is offered nowhere";
    VIA_COMMAND = "XCS148", Error, "`via-setup-command` / `via-wrapup-command` is malformed or names a repo command of the wrong type", "Saves it; the launch fails";
    VIA_COMMAND_UNKNOWN = "XCS149", Warning, "`via-setup-command` / `via-wrapup-command` names a command this repo does not declare", "Saves it; the launch fails unless it is installed";
    MUTABLE_TAG = "XCS150", Warning, "Image tag `latest`: what runs can change without a change here", "Runs whatever `latest` is at pull time";
    OUTPUT_READONLY = "XCS151", Warning, "An output is written to a mount that is not writable", "Saves it; the container cannot write its output";
    MOUNT_RELATIVE = "XCS152", Warning, "Mount path is not absolute", "Saves it; the runtime rejects the mount at launch";
    RESOURCES = "XCS153", Warning, "`reserve-memory` above `limit-memory`, or a non-positive resource value", "Saves it; the container cannot be scheduled";
    ULIMIT_NUMBER = "XCS154", Error, "Ulimit value is not a number or `soft:hard` numbers", "Saves it; the launch fails";
    NO_VERSION = "XCS155", Warning, "Command has no `version`", "Identity (name, image, version) with a null version is unreliable";
    NO_WRAPPERS = "XCS156", Warning, "Docker command without wrappers", "Saves it; it can never be launched";
    HANDLER_OUTPUT = "XCS160", Error, "Output handler's `accepts-command-output` is blank or names no command output", "Rejects the command (400)";
    HANDLER_TYPE = "XCS161", Error, "Output handler `type` is not Resource, Assessor or Scan", "Rejects the command (400)";
    HANDLER_LABEL = "XCS162", Error, "Resource output handler without a `label`", "Rejects the command (400)";
    CHILD_OF = "XCS163", Error, "`as-a-child-of` is blank, or names no wrapper input or earlier handler", "Rejects the command (400)";
    CHILD_OF_MULTIPLE = "XCS164", Error, "`as-a-child-of` names a `multiple` derived input", "Rejects the command (400)";
    CHILD_OF_PROPERTY = "XCS165", Error, "`as-a-child-of` names a derived input whose value is a property other than `uri`", "Rejects the command (400)";
    UNHANDLED_OUTPUT = "XCS166", Error, "A wrapper has no output handler for some command output", "Rejects the command (400)";
    DUPLICATE_COMMAND = "XCS201", Error, "Two commands with the same name, image and version", "Refuses the second (400)";
    UNKNOWN_COMMAND = "XCS202", Error, "Site, Project or Automation names a command the repo does not declare (or ambiguously)", "Not applicable";
    UNKNOWN_WRAPPER = "XCS203", Error, "Site, Project or Automation names a wrapper the command does not have", "Writes config for a wrapper id that resolves to nothing";
    UNKNOWN_CONFIG_KEY = "XCS204", Error, "Configuration names an input or output handler the wrapper does not have", "Stores it; it has no effect";
    DUPLICATE_DECLARATION = "XCS205", Error, "Two registries, projects or automations with the same name, or one wrapper listed twice at a scope", "Not applicable";
    DEFAULT_REGISTRY = "XCS206", Error, "More than one default registry", "Keeps one default";
    SINGLETON = "XCS207", Error, "More than one Site or ComputeBackend", "Keeps one enabled server";
    PROJECT_WITHOUT_SITE = "XCS208", Warning, "Project enables a wrapper that is not enabled site-wide", "Accepts it; the wrapper stays unavailable in the project";
    AUTOMATION_NOT_ENABLED = "XCS209", Error, "Automation's wrapper is not enabled where the automation runs", "Offers no action; the subscription cannot be created or never fires";
    AUTOMATION_CONTEXT = "XCS210", Warning, "Automation's event type does not match any of the wrapper's contexts", "Subscription fires but the launch fails";
    AUTOMATION_INPUT = "XCS211", Error, "Automation sets an input the wrapper does not have", "Passes it; it is ignored";
    EVENT_TYPE = "XCS212", Warning, "Event type or status the XNAT event service does not emit", "Subscription never fires";
    NOT_A_CHOICE = "XCS213", Warning, "Configured default or automation input value is not among the input's `select-values`", "Stores it; the launch gets a value the command never offers";
    LITERAL_SECRET = "XCS301", Error, "A secret field holds a literal value instead of `${env:…}` or `${file:…}`", "Not applicable: secrets never belong in git";
    BACKEND = "XCS302", Error, "Compute backend setting XNAT refuses (host, container-user, gpu-vendor, PVCs, constraints)", "Rejects the server (400)";
    K8S_CREDENTIALS = "XCS303", Warning, "Kubernetes backend with registry credentials but no `kubernetes.namespace`, so xcs keeps no pull Secret", "Does not use registry credentials on Kubernetes; private pulls fail";
    REGISTRY_URL = "XCS304", Error, "Registry URL is not an http(s) URL", "Pings and pulls fail";
    ENV_SECRET = "XCS305", Warning, "Environment variable or input default holds a credential: a credential name (`…PASS`, `…PWD`, `…TOKEN`, `…KEY…`, `CREDENTIALS`, `AUTH…`, `…LICENSE…`) with a literal value, or a value shaped like one (bearer token, private key, AWS key, URL with a password, high-entropy string)", "Shown to every user who can read the command";
    COMMAND_SOURCE = "XCS306", Error, "`from:` source without the field it needs (`image`, `path` or `url`), or an untagged image", "Not applicable";
    IMAGE_ARCHIVE = "XCS310", Error, "Image archive on a kubernetes backend, for an untagged image, or at an address that is not a relative path or an https URL", "Not applicable: XNAT cannot load archives";
    SOURCE_UNRESOLVED = "XCS320", Error, "`from:` source could not be fetched (unknown image, no label, wrong credentials, unreachable registry, pin or size refused)", "Not applicable";
    SOURCE_NAMES = "XCS321", Error, "`names:` lists a command its source does not have", "Not applicable";
    LOCK_MISSING = "XCS322", Error, "`xcs.lock` has no entry for a `from:` source (run `xcs lock`)", "Not applicable";
    LOCK_STALE = "XCS323", Error, "`xcs.lock` is unreadable, or an entry no longer matches its source or its own hash (run `xcs lock`)", "Not applicable";
    LOCK_UNUSED = "XCS324", Warning, "`xcs.lock` entry for a source the repo no longer declares", "Not applicable";
    ENV_VARIABLE = "XCS401", Error, "Environment's `xnat` variable is not an environment variable name", "Not applicable";
    ENV_UNKNOWN = "XCS402", Error, "Environment selects or overrides a command, project, registry or automation the repo does not declare", "Not applicable";
    ENV_DUPLICATE = "XCS403", Error, "Two environments with the same name", "Not applicable";
    ENV_OVERLAY_ERROR = "XCS404", Error, "The repo as an environment sees it breaks a rule that the repo itself does not", "As the underlying rule says";
    ENV_OVERLAY_WARNING = "XCS405", Warning, "The repo as an environment sees it has a warning that the repo itself does not", "As the underlying rule says";
}

impl Rule {
    /// A diagnostic of this rule at a place in a file.
    pub fn at(
        &'static self,
        file: &std::sync::Arc<str>,
        pos: crate::load::Pos,
        message: String,
        hint: Option<String>,
    ) -> crate::diag::Diagnostic {
        crate::diag::Diagnostic {
            code: self.code,
            severity: self.severity,
            message,
            hint,
            location: Some(crate::diag::Location {
                file: file.clone(),
                line: pos.line,
                col: pos.col,
            }),
            masked: false,
        }
    }
}

pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.code == code)
}

/// The table as Markdown, for the README and `xcs rules --format markdown`.
pub fn markdown_table() -> String {
    let mut out =
        String::from("| code | severity | what it catches | what XNAT does |\n|---|---|---|---|\n");
    for r in ALL {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.code,
            r.severity.as_str(),
            r.summary,
            r.xnat
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_in_order() {
        let codes: Vec<&str> = ALL.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }
}

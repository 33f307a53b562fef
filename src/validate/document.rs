//! One file at a time: parse, find each document's kind, check it against its schema, read
//! the typed model, and run the rules that need only that document.

use super::command;
use super::finding::{Finding, Findings};
use super::kind::{kind_of, kind_of_dir};
use super::rules::*;
use super::schema_check::{self, Instance};
use crate::diag::Diagnostic;
use crate::load::{Form, Limits, Node, ParseIssueKind, Ptr, RawFile, parse_file};
use crate::model::backend::{BackendKind, ComputeBackend};
use crate::model::secret::SecretRef;
use crate::model::{
    Automation, Command, CommandSource, Declared, Environment, Kind, Origin, Project, Registry,
    Repo, Site,
};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// What one file contributes.
#[derive(Clone)]
pub struct FileReport {
    pub repo: Repo,
    pub diagnostics: Vec<Diagnostic>,
    /// The file's text, kept only when it has diagnostics to quote.
    pub text: Option<Arc<str>>,
    pub path: Arc<str>,
    pub documents: usize,
    /// Setup/wrapup command references, resolved against the whole repo later.
    pub via: Vec<super::references::ViaRef>,
    /// `name` of every document, in order (a resolved source's `names:` are checked against it).
    pub names: Vec<String>,
    /// Whether the file declares something the way a declaration repo does: a `kind`, a
    /// document under `commands/` or `environments/`.
    pub declares: bool,
    /// "document has no `kind`" for documents that are not Commands either: errors in a
    /// declaration repo, but other files in a tool's own repo (see [`super::validate_with`]).
    pub unkinded: Vec<Diagnostic>,
}

/// How a text fetched for a `from:` source is read: the image its commands get (as XNAT sets
/// it on import) and the names to keep (all when empty).
#[derive(Debug, Default)]
pub struct Resolved<'a> {
    pub image: Option<&'a str>,
    pub names: &'a [String],
}

pub fn check_file(raw: &RawFile, limits: &Limits) -> FileReport {
    check_file_as(raw, limits, &Resolved::default())
}

pub fn check_file_as(raw: &RawFile, limits: &Limits, resolved: &Resolved) -> FileReport {
    let parsed = parse_file(raw, limits);
    let mut report = FileReport {
        repo: Repo::default(),
        diagnostics: Vec::new(),
        text: None,
        path: parsed.path.clone(),
        documents: parsed.documents.len(),
        via: Vec::new(),
        names: Vec::new(),
        declares: false,
        unkinded: Vec::new(),
    };
    for issue in &parsed.issues {
        let rule = match issue.kind {
            ParseIssueKind::Syntax => SYNTAX,
            ParseIssueKind::Encoding => ENCODING,
            ParseIssueKind::DuplicateKey => DUPLICATE_KEY,
            ParseIssueKind::TooDeep | ParseIssueKind::TooLarge => LIMITS,
            ParseIssueKind::SwallowedByComment => SWALLOWED_BY_COMMENT,
            ParseIssueKind::LabelNotAList => LABEL_NOT_A_LIST,
            ParseIssueKind::LabelEmpty => LABEL_EMPTY,
            ParseIssueKind::BuildVariable => BUILD_VARIABLE,
        };
        let hint = match issue.kind {
            ParseIssueKind::SwallowedByComment => {
                Some("quote the whole value: `command-line: \"run #IN# #OUT#\"`")
            }
            ParseIssueKind::LabelNotAList => {
                Some("write the label as a list, even of one command: `[{\"name\": …}]`")
            }
            ParseIssueKind::BuildVariable => Some(
                "write `\\$` to keep the text as written; or set the variable with ARG or ENV if it is meant",
            ),
            _ => None,
        }
        .map(str::to_string);
        report
            .diagnostics
            .push(rule.at(&parsed.path, issue.pos, issue.message.clone(), hint));
    }
    let file = FileRef {
        path: parsed.path.clone(),
        rel: parsed.rel.clone(),
        text: parsed.text.clone(),
        form: parsed.form,
        image: resolved.image,
    };
    for (index, node) in parsed.documents.into_iter().enumerate() {
        let name = node.get("name").and_then(|n| n.as_str()).unwrap_or("");
        report.names.push(name.to_string());
        if !resolved.names.is_empty() && !resolved.names.iter().any(|n| n == name) {
            continue;
        }
        check_document(&file, index, node, &mut report);
    }
    if !report.diagnostics.is_empty() || !report.unkinded.is_empty() {
        report.text = Some(file.text.clone());
    }
    report
}

/// A file being checked. Each document's tree is checked and read in place and kept until its
/// findings are located, so a file is parsed once, problems or not.
pub(super) struct FileRef<'l> {
    pub(super) path: Arc<str>,
    pub(super) rel: Arc<str>,
    text: Arc<str>,
    /// Label values and Dockerfiles hold only Commands.
    pub(super) form: Form,
    /// Image set on every command (a resolved `from:` source).
    image: Option<&'l str>,
}

/// Turn findings into diagnostics, locating each pointer in the document.
pub fn locate(file: &Arc<str>, node: &Node, findings: Vec<Finding>, out: &mut Vec<Diagnostic>) {
    for f in findings {
        let pos = if f.on_key {
            node.locate_key(f.at.as_str())
        } else {
            node.locate(f.at.as_str())
        };
        let mut d = f.rule.at(file, pos, f.message, f.hint);
        d.masked = f.sensitive;
        out.push(d);
    }
}

/// Rules about a command's own `image`, which a label command does not use.
const IMAGE_RULES: [&str; 3] = [IMAGE_MISSING.code, IMAGE_TAG.code, MUTABLE_TAG.code];

/// A command's own rules. XNAT sets a label command's image to the image it imports the label
/// from (`CommandLabelServiceImpl.parseLabels`), so the image rules do not apply to labels.
fn command_findings(spec: &Command, form: Form) -> Vec<Finding> {
    let mut found = command::check(spec).into_vec();
    if form != Form::Documents {
        found.retain(|x| !IMAGE_RULES.contains(&x.rule.code));
    }
    found
}

/// A `via-setup-command` / `via-wrapup-command` found in a command, before it is located.
struct PendingVia {
    at: Ptr,
    reference: String,
    expected_type: &'static str,
}

fn check_document(file: &FileRef, index: usize, node: Node, report: &mut FileReport) {
    let mut f = Findings::default();
    if !matches!(node.value, crate::position::NodeValue::Map(_)) {
        let hint = if matches!(node.value, crate::position::NodeValue::Seq(_)) {
            "a list at the top looks like an `org.nrg.commands` label value: put each command in its own document (separate them with `---`)"
        } else {
            "a declaration is a mapping with a `kind` key"
        };
        f.add(SCHEMA, &Ptr::root(), "document is not a mapping")
            .hint(hint);
        locate(&file.path, &node, f.into_vec(), &mut report.diagnostics);
        return;
    }
    let under_dir = kind_of_dir(file);
    if node.get("kind").is_some() || under_dir {
        report.declares = true;
    }
    let Some(kind) = kind_of(file, &node, &mut f) else {
        let out = if node.get("kind").is_none() {
            &mut report.unkinded
        } else {
            &mut report.diagnostics
        };
        locate(&file.path, &node, f.into_vec(), out);
        return;
    };
    if kind == Kind::Command && node.get("xnat").is_some() {
        legacy_keys(&node, &mut f);
    }
    let pos = node
        .get("name")
        .or_else(|| node.get("id"))
        .map_or(node.pos, |n| n.pos);
    // Small kinds keep their tree: rules across documents point into them.
    // So do `from:` sources: a lock problem points at their `image` or `url`.
    let keep = kind != Kind::Command || node.get("from").is_some();
    let mut node = node;
    // The tree is checked and read as it is, unless xcs adds an image to it (a resolved source)
    // or the schema check repairs it. A coercion replaces a scalar in place, keeping its
    // position, when the tree is not kept past this document; any other change is made to a
    // JSON value made from the tree, which stays as parsed, for positions.
    let injected = file.image.filter(|_| kind == Kind::Command).map(|image| {
        let mut value = node.to_json();
        if let Some(map) = value.as_object_mut() {
            map.insert("image".into(), serde_json::Value::from(image));
        }
        value
    });
    let mut result = match &injected {
        Some(value) => schema_check::check(kind, Instance::Value(value), &mut f),
        None => schema_check::check(kind, Instance::Tree(&node), &mut f),
    };
    if injected.is_none() && !keep && result.dropped.is_empty() {
        schema_check::coerce_in_place(&mut node, &mut result);
    }
    let node = Arc::new(node);
    let kept = keep.then(|| node.clone());
    let tree: &Node = &node;
    let value = match injected {
        Some(value) => Some(value),
        None if result.repairs() => Some(tree.to_json()),
        None => None,
    }
    .map(|mut value| {
        schema_check::repair(&mut value, &mut result);
        value
    });
    let from_source = match &value {
        Some(value) => value.get("from").is_some(),
        None => tree.get("from").is_some(),
    };
    let doc = Doc { tree, value };
    let origin = Origin {
        file: file.path.clone(),
        rel: file.rel.clone(),
        doc: index,
        pos,
        node: kept.clone(),
        from_label: file.form != Form::Documents,
    };
    let mut via = Vec::new();
    let repo = &mut report.repo;
    match kind {
        Kind::Command if from_source => {
            if let Some(spec) = typed::<CommandSource>(doc, result.has_errors, &mut f) {
                source_rules(&spec, &mut f);
                repo.command_sources.push(Declared { spec, origin });
            }
        }
        Kind::Command => {
            if let Some(spec) = typed::<Command>(doc, result.has_errors, &mut f) {
                f.0.extend(command_findings(&spec, file.form));
                env_secrets(&spec, &mut f);
                via = via_refs(&spec);
                repo.commands.push(Declared { spec, origin });
            }
        }
        Kind::Registry => {
            if let Some(spec) = typed::<Registry>(doc, result.has_errors, &mut f) {
                registry_rules(&spec, &mut f);
                repo.registries.push(Declared { spec, origin });
            }
        }
        Kind::ComputeBackend => {
            if let Some(spec) = typed::<ComputeBackend>(doc, result.has_errors, &mut f) {
                backend_rules(&spec, &mut f);
                repo.backends.push(Declared { spec, origin });
            }
        }
        Kind::Site => {
            if let Some(spec) = typed::<Site>(doc, result.has_errors, &mut f) {
                repo.sites.push(Declared { spec, origin });
            }
        }
        Kind::Project => {
            if let Some(spec) = typed::<Project>(doc, result.has_errors, &mut f) {
                repo.projects.push(Declared { spec, origin });
            }
        }
        Kind::Automation => {
            if let Some(spec) = typed::<Automation>(doc, result.has_errors, &mut f) {
                super::references::event_rules(&spec, &mut f);
                repo.automations.push(Declared { spec, origin });
            }
        }
        Kind::Environment => {
            if let Some(spec) = typed::<Environment>(doc, result.has_errors, &mut f) {
                environment_rules(&spec, &mut f);
                repo.environments.push(Declared { spec, origin });
            }
        }
    }
    report
        .via
        .extend(via.into_iter().map(|v| super::references::ViaRef {
            file: file.path.clone(),
            doc: index,
            at: v.at,
            reference: v.reference,
            expected_type: v.expected_type,
        }));
    locate(&file.path, tree, f.into_vec(), &mut report.diagnostics);
}

/// What the typed model is read from: the tree as parsed, or the JSON value made from it when
/// something had to change.
struct Doc<'n> {
    tree: &'n Node,
    value: Option<serde_json::Value>,
}

/// Read the typed model. If the schema already reported errors, a failure here adds nothing new
/// (the semantic rules then skip this document).
fn typed<T: DeserializeOwned>(doc: Doc<'_>, schema_errors: bool, f: &mut Findings) -> Option<T> {
    let read = match doc.value {
        Some(value) => serde_json::from_value::<T>(value),
        // A failure is read again the long way, for serde_json's own words about it.
        None => crate::position::from_node::<T>(doc.tree)
            .or_else(|_| serde_json::from_value::<T>(doc.tree.to_json())),
    };
    match read {
        Ok(spec) => Some(spec),
        Err(e) => {
            if !schema_errors {
                f.add(
                    SCHEMA,
                    &Ptr::root(),
                    format!("cannot read the document: {e}"),
                );
            }
            None
        }
    }
}

fn legacy_keys(node: &Node, f: &mut Findings) {
    let Some(wrappers) = node.get("xnat") else {
        return;
    };
    let crate::position::NodeValue::Seq(wrappers) = &wrappers.value else {
        return;
    };
    for (wi, w) in wrappers.iter().enumerate() {
        let Some(crate::position::NodeValue::Seq(handlers)) =
            w.get("output-handlers").map(|h| &h.value)
        else {
            continue;
        };
        for (hi, h) in handlers.iter().enumerate() {
            if h.get("as-a-child-of-wrapper-input").is_some() {
                f.add(
                    LEGACY_KEY,
                    &Ptr::root().key("xnat").index(wi).key("output-handlers").index(hi).key("as-a-child-of-wrapper-input"),
                    "`as-a-child-of-wrapper-input` is the legacy spelling of `as-a-child-of`",
                )
                .on_key()
                .hint("rename it to `as-a-child-of`; XNAT ignores the old key when a command is updated");
            }
        }
    }
}

fn secret_field(value: Option<&SecretRef>, field: &str, f: &mut Findings) {
    if let Some(r) = value
        && let Err(e) = r.source()
    {
        f.add(LITERAL_SECRET, &Ptr::root().key(field), format!("`{field}` {e}"))
                .sensitive()
                .hint("secrets never belong in git: reference a CI secret with `${env:NAME}` or a mounted file with `${file:PATH}`");
    }
}

/// What an Environment document can get wrong on its own; its names are resolved (and its
/// overlay validated) once the whole repo is read.
fn environment_rules(e: &Environment, f: &mut Findings) {
    let root = Ptr::root();
    for (key, name) in e.xnat.all() {
        let valid = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit();
        if !valid {
            f.add(
                ENV_VARIABLE,
                &root.key("xnat").key(key),
                format!("`{name}` is not an environment variable name"),
            )
            .hint("letters, digits and `_`, not starting with a digit, e.g. `XNAT_PROD_URL`");
        }
    }
    for (name, r) in &e.overrides.registries {
        let at = root.key("overrides").key("registries").key(name);
        for (field, value) in [("password", &r.password), ("token", &r.token)] {
            if let Some(v) = value
                && let Err(err) = v.source()
            {
                f.add(LITERAL_SECRET, &at.key(field), format!("`{field}` {err}"))
                    .sensitive()
                    .hint("secrets never belong in git: reference a CI secret with `${env:NAME}` or a mounted file with `${file:PATH}`");
            }
        }
        if let Some(url) = &r.url {
            registry_url(url, &at.key("url"), f);
        }
    }
    if let Some(b) = &e.overrides.compute_backend {
        let mut inner = Findings::default();
        backend_rules(b, &mut inner);
        let prefix = root.key("overrides").key("compute-backend");
        for mut finding in inner.into_vec() {
            finding.at = prefix.join(&finding.at);
            f.0.push(finding);
        }
    }
}

fn registry_rules(r: &Registry, f: &mut Findings) {
    secret_field(r.password.as_ref(), "password", f);
    secret_field(r.token.as_ref(), "token", f);
    registry_url(&r.url, &Ptr::root().key("url"), f);
}

fn registry_url(url: &str, at: &Ptr, f: &mut Findings) {
    let url = url.trim();
    let valid = ["https://", "http://"].iter().any(|scheme| {
        url.strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(' '))
    });
    if !valid {
        f.add(
            REGISTRY_URL,
            at,
            format!("registry url `{url}` is not an http(s) URL"),
        )
        .hint("e.g. `https://index.docker.io/v1/` or `https://registry.example.org`");
    }
}

/// `image-archives`: loaded into a Docker daemon, so not on Kubernetes; a tagged image (the tag
/// is how plans find it on the server); a path inside the repo or an https URL.
fn archive_rules(b: &ComputeBackend, f: &mut Findings) {
    for (i, a) in b.image_archives.iter().enumerate() {
        let at = Ptr::root().key("image-archives").index(i);
        if b.backend == BackendKind::Kubernetes {
            f.add(
                IMAGE_ARCHIVE,
                &at,
                "a kubernetes backend has no Docker daemon to load an image archive into",
            )
            .hint("push the image to a registry the cluster can pull from");
        }
        if !crate::model::command::image_has_tag(&a.image) {
            f.add(
                IMAGE_ARCHIVE,
                &at.key("image"),
                format!("image `{}` has no `:tag`", a.image),
            );
        }
        let address = a.archive.trim();
        let remote = address.contains("://");
        if address.is_empty()
            || (remote && !address.starts_with("https://"))
            || (!remote && std::path::Path::new(address).is_absolute())
        {
            f.add(
                IMAGE_ARCHIVE,
                &at.key("archive"),
                format!("archive `{address}` is not a path inside the repo or an https URL"),
            );
        }
    }
}

/// XNAT's `DockerServer.validate()`.
fn backend_rules(b: &ComputeBackend, f: &mut Findings) {
    let root = Ptr::root();
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    match b.backend {
        BackendKind::Kubernetes => {
            if let Some(user) = b.container_user.as_deref().filter(|u| !u.trim().is_empty())
                && user.trim().parse::<i64>().is_err()
            {
                f.add(
                    BACKEND,
                    &root.key("container-user"),
                    format!("container-user `{user}` is not a numeric uid"),
                )
                .hint("on Kubernetes the container user must be an integer uid");
            }
            if let Some(vendor) = b.gpu_vendor.as_deref()
                && !["nvidia", "amd"].contains(&vendor.to_lowercase().as_str())
            {
                f.add(
                    BACKEND,
                    &root.key("gpu-vendor"),
                    format!("gpu-vendor `{vendor}` is not nvidia or amd"),
                );
            }
            if set(&b.combined_pvc_name) && (set(&b.archive_pvc_name) || set(&b.build_pvc_name)) {
                f.add(
                    BACKEND,
                    &root.key("combined-pvc-name"),
                    "combined-pvc-name cannot be used with archive-pvc-name or build-pvc-name",
                );
            }
            if set(&b.combined_path_translation)
                && (set(&b.archive_path_translation) || set(&b.build_path_translation))
            {
                f.add(BACKEND, &root.key("combined-path-translation"), "combined-path-translation cannot be used with archive- or build-path-translation");
            }
        }
        BackendKind::Docker | BackendKind::Swarm => {
            if !set(&b.host) {
                f.add(
                    BACKEND,
                    &root.key("host"),
                    format!("a {} backend needs `host`", b.backend.as_str()),
                )
                .hint("e.g. `unix:///var/run/docker.sock` or `https://docker-host:2376`");
            }
        }
    }
    archive_rules(b, f);
    for (i, c) in b.swarm_constraints.iter().enumerate() {
        let at = root.key("swarm-constraints").index(i);
        if c.attribute.trim().is_empty() {
            f.add(
                BACKEND,
                &at.key("attribute"),
                "swarm constraint has a blank attribute",
            );
        }
        if c.values.is_empty() || c.values.iter().any(|v| v.trim().is_empty()) {
            f.add(
                BACKEND,
                &at.key("values"),
                "swarm constraint needs values, none blank",
            );
        }
    }
}

fn source_rules(s: &CommandSource, f: &mut Findings) {
    use crate::model::source::SourceKind;
    let root = Ptr::root();
    match s.from {
        SourceKind::ImageLabels => match s.image.as_deref() {
            None => {
                f.add(
                    COMMAND_SOURCE,
                    &root.key("from"),
                    "`from: image-labels` needs `image`",
                );
            }
            Some(image) if !crate::model::command::image_has_tag(image) => {
                f.add(COMMAND_SOURCE, &root.key("image"), format!("image `{image}` has no tag"))
                    .hint("XNAT saves label commands for the exact tagged name; untagged names save nothing");
            }
            Some(_) => {}
        },
        SourceKind::ImageFile => {
            if s.image.is_none() {
                f.add(
                    COMMAND_SOURCE,
                    &root.key("from"),
                    "`from: image-file` needs `image`",
                );
            }
            if !s.path.as_deref().is_some_and(|p| p.starts_with('/')) {
                f.add(
                    COMMAND_SOURCE,
                    &root.key("path"),
                    "`from: image-file` needs an absolute `path` inside the image",
                );
            }
        }
        SourceKind::Url => {
            if s.url
                .as_deref()
                .is_none_or(|u| !u.starts_with("https://") && !u.starts_with("http://"))
            {
                f.add(
                    COMMAND_SOURCE,
                    &root.key("url"),
                    "`from: url` needs an http(s) `url`",
                );
            }
        }
    }
}

fn via_refs(cmd: &Command) -> Vec<PendingVia> {
    let mut out = Vec::new();
    for (wi, w) in cmd.xnat.iter().enumerate() {
        let at = Ptr::root().key("xnat").index(wi);
        for (list, inputs) in [
            ("external-inputs", &w.external_inputs),
            ("derived-inputs", &w.derived_inputs),
        ] {
            for (i, input) in inputs.iter().enumerate() {
                if let Some(via) = input
                    .via_setup_command
                    .as_deref()
                    .filter(|v| !v.trim().is_empty())
                {
                    out.push(PendingVia {
                        at: at.key(list).index(i).key("via-setup-command"),
                        reference: via.to_string(),
                        expected_type: "docker-setup",
                    });
                }
            }
        }
        for (i, h) in w.output_handlers.iter().enumerate() {
            if let Some(via) = h
                .via_wrapup_command
                .as_deref()
                .filter(|v| !v.trim().is_empty())
            {
                out.push(PendingVia {
                    at: at.key("output-handlers").index(i).key("via-wrapup-command"),
                    reference: via.to_string(),
                    expected_type: "docker-wrapup",
                });
            }
        }
    }
    out
}

/// Credentials written into a command (environment variable values, input defaults) are
/// visible to everyone who can read the command. The detector is the one the catalog site uses
/// to withhold them; the message never carries the value, and the quoted line is masked.
fn env_secrets(cmd: &Command, f: &mut Findings) {
    use crate::model::credential::detect;
    let root = Ptr::root();
    for (k, v) in &cmd.environment_variables {
        if let Some(shape) = detect(k, v) {
            f.add(
                ENV_SECRET,
                &root.key("environment-variables").key(k),
                format!(
                    "environment variable `{k}` holds a credential: {}",
                    shape.words()
                ),
            )
            .sensitive()
            .hint("use a command `secrets` entry (from an XNAT system property) instead");
        }
    }
    let mut defaults: Vec<(Ptr, &str, &str)> = Vec::new();
    for (i, input) in cmd.inputs.iter().enumerate() {
        if let Some(v) = &input.default_value {
            defaults.push((root.key("inputs").index(i), &input.name, v));
        }
    }
    for (wi, w) in cmd.xnat.iter().enumerate() {
        let at = root.key("xnat").index(wi);
        for (list, inputs) in [
            ("external-inputs", &w.external_inputs),
            ("derived-inputs", &w.derived_inputs),
        ] {
            for (i, input) in inputs.iter().enumerate() {
                if let Some(v) = &input.default_value {
                    defaults.push((at.key(list).index(i), &input.name, v));
                }
            }
        }
    }
    for (at, name, value) in defaults {
        if let Some(shape) = detect(name, value) {
            f.add(
                ENV_SECRET,
                &at.key("default-value"),
                format!("default of input `{name}` holds a credential: {}", shape.words()),
            )
            .sensitive()
            .hint("leave the default out and mark the input `sensitive: true`; supply the value at launch or from a secret");
        }
    }
}

//! `from:` sources, resolved from `xcs.lock` without any network: each locked text is checked
//! like a command file (positions inside the label text), its commands join the repo with
//! `image` set to the declared reference, and a missing or stale entry is a diagnostic at the
//! source declaration.

use super::Validation;
use super::document::{Resolved, check_file_as};
use super::references::ViaRef;
use super::rules::{LOCK_MISSING, LOCK_STALE, LOCK_UNUSED, Rule, SOURCE_NAMES};
use crate::load::{Content, Limits, Node, Pos, RawFile};
use crate::model::Declared;
use crate::model::lock::{LOCK_VERSION, Lock, LockEntry, TextShape, sha256_hex, text_name};
use crate::model::source::{CommandSource, SourceKind};
use std::sync::Arc;

/// The lock file as read: where it is (for messages) and its text, `None` when absent.
#[derive(Debug, Clone)]
pub struct LockInput {
    pub path: Arc<str>,
    pub text: Option<String>,
}

/// The lock, read; a lock that cannot be read is a diagnostic, and counts as absent.
pub fn read_lock(input: &LockInput, limits: &Limits, v: &mut Validation) -> Option<(Lock, Node)> {
    let text = input.text.as_deref()?;
    let problem = |v: &mut Validation, pos: Pos, message: String| {
        v.diagnostics.push(LOCK_STALE.at(
            &input.path,
            pos,
            message,
            Some("run `xcs lock` to write it again".into()),
        ));
        v.sources.insert(input.path.clone(), Arc::from(text));
    };
    let node = match crate::load::json::parse(text, limits) {
        Ok((node, _)) => node,
        Err(issue) => {
            problem(
                v,
                issue.pos,
                format!("`xcs.lock` is not valid JSON: {}", issue.message),
            );
            return None;
        }
    };
    match serde_json::from_value::<Lock>(node.clone().into_json()) {
        Ok(lock) if lock.version == LOCK_VERSION => Some((lock, node)),
        Ok(lock) => {
            let pos = node.locate("/version");
            problem(
                v,
                pos,
                format!("`xcs.lock` version {} is not {LOCK_VERSION}", lock.version),
            );
            None
        }
        Err(e) => {
            problem(v, node.pos, format!("`xcs.lock` is not a lock file: {e}"));
            None
        }
    }
}

/// Add every source's locked commands to `v.repo`, or say why they cannot be. Returns the
/// texts read (for locating setup/wrapup problems) and the references they hold.
pub fn apply(
    v: &mut Validation,
    input: &LockInput,
    limits: &Limits,
) -> (Vec<RawFile>, Vec<ViaRef>) {
    let lock = read_lock(input, limits, v);
    let mut texts = Vec::new();
    let mut via = Vec::new();
    let sources = v.repo.command_sources.clone();
    for source in &sources {
        let entry = lock
            .as_ref()
            .and_then(|(l, _)| l.sources.iter().find(|e| e.records(&source.spec)));
        let Some(entry) = entry else {
            let message = match &lock {
                None => format!("no `xcs.lock` to read `{}` from", source.spec.location()),
                Some(_) => format!("`xcs.lock` has no entry for `{}`", source.spec.location()),
            };
            at_source(v, LOCK_MISSING, source, message);
            continue;
        };
        if let Some(problem) = stale(entry, &source.spec) {
            at_source(v, LOCK_STALE, source, problem);
            continue;
        }
        let raw = text_file(entry);
        let report = check_file_as(
            &raw,
            limits,
            &Resolved {
                image: source
                    .spec
                    .image
                    .as_deref()
                    .filter(|_| entry.from != SourceKind::Url),
                names: &source.spec.names,
            },
        );
        for (k, name) in source.spec.names.iter().enumerate() {
            if !report.names.contains(name) {
                let pos = source.origin.locate(&format!("/names/{k}"));
                let have = report.names.join(", ");
                v.diagnostics.push(SOURCE_NAMES.at(
                    &source.origin.file,
                    pos,
                    format!(
                        "`{}` has no command `{name}` (it has: {have})",
                        source.spec.location()
                    ),
                    None,
                ));
            }
        }
        if let Some(text) = report.text {
            v.sources.insert(report.path.clone(), text);
        }
        v.diagnostics.extend(report.diagnostics);
        // The text is read as a label, but these commands are the repo's own declarations:
        // applied with the image the source names (a label file's are only validated).
        v.repo
            .commands
            .extend(report.repo.commands.into_iter().map(|mut c| {
                c.origin.from_label = false;
                c
            }));
        via.extend(report.via);
        if let (Some(image), Some(digest)) = (&entry.image, &entry.digest) {
            v.repo.image_digests.insert(image.clone(), digest.clone());
        }
        texts.push(raw);
    }
    if let Some((lock, node)) = &lock {
        unused(v, input, lock, node, &sources);
    }
    (texts, via)
}

/// Why a locked entry no longer stands for its source, if it does not.
fn stale(entry: &LockEntry, spec: &CommandSource) -> Option<String> {
    let actual = sha256_hex(entry.text.as_bytes());
    if actual != entry.sha256 {
        return Some(format!(
            "the `xcs.lock` text of `{}` does not match its recorded sha256 (edited by hand?)",
            spec.location()
        ));
    }
    match &spec.sha256 {
        Some(pin) if !pin.eq_ignore_ascii_case(&entry.sha256) => Some(format!(
            "`{}` pins sha256 {pin} but `xcs.lock` holds {}",
            spec.location(),
            entry.sha256
        )),
        _ => None,
    }
}

/// The locked text as a file to check, named after its image, registry and label.
pub fn text_file(entry: &LockEntry) -> RawFile {
    let shape = match entry.from {
        SourceKind::ImageLabels => TextShape::Label,
        SourceKind::ImageFile => TextShape::of_file(entry.path.as_deref().unwrap_or("")),
        SourceKind::Url => TextShape::of_file(entry.url.as_deref().unwrap_or("")),
    };
    let bytes = entry.text.as_bytes().to_vec();
    // The file name picks the loader: `*.label.json` is read as a label value.
    let rel = match shape {
        TextShape::Label => "commands/org.nrg.commands.label.json",
        TextShape::Json => "commands/source.json",
        TextShape::Yaml => "commands/source.yaml",
    };
    let content = Content::Memory(bytes);
    RawFile {
        path: Arc::from(text_name(entry)),
        rel: Arc::from(rel),
        content,
    }
}

fn at_source(
    v: &mut Validation,
    rule: &'static Rule,
    source: &Declared<CommandSource>,
    message: String,
) {
    let key = match source.spec.from {
        SourceKind::Url => "/url",
        _ => "/image",
    };
    let pos = source.origin.locate(key);
    v.diagnostics.push(rule.at(
        &source.origin.file,
        pos,
        message,
        Some("run `xcs lock` to fetch it and record it in `xcs.lock`".into()),
    ));
}

fn unused(
    v: &mut Validation,
    input: &LockInput,
    lock: &Lock,
    node: &Node,
    sources: &[Declared<CommandSource>],
) {
    let mut any = false;
    for (i, e) in lock.sources.iter().enumerate() {
        if sources.iter().any(|s| e.records(&s.spec)) {
            continue;
        }
        any = true;
        v.diagnostics.push(LOCK_UNUSED.at(
            &input.path,
            node.locate(&format!("/sources/{i}")),
            format!(
                "`xcs.lock` entry for `{}` matches no `from:` source",
                text_name(e)
            ),
            Some("run `xcs lock` to drop it".into()),
        ));
    }
    if any && let Some(text) = &input.text {
        v.sources
            .insert(input.path.clone(), Arc::from(text.as_str()));
    }
}

//! Reading a local directory laid out like an XNAT archive into the objects a launch runs on
//! (`xcs run --context session=DIR`). The layout (README, "A local archive"):
//!
//! ```text
//! P1/                              a project (its id is the directory name)
//!   xnat.yaml                      optional metadata, in every object directory
//!   resources/NOTES/…              project resources: every file below is a file of it
//!   subjects/S1/
//!     sessions/E1/                 a session
//!       resources/SNAPSHOTS/…
//!       scans/1/                   a scan (its id is the directory name)
//!         resources/DICOM/*.dcm
//! ```
//!
//! An object's type comes from the folder it is in (`subjects/`, `sessions/`, `scans/`,
//! `resources/`); the top directory's from its `xnat.yaml` `type`, else what it holds. `xnat.yaml`
//! sets `id`, `label` and `xsiType` (defaults: the directory name, and the type's base xsiType);
//! every other key is a property matchers see (`scan-type`, `series-description`, `format`…).

use super::{Limits, yaml};
use crate::model::archive::{LaunchContext, ObjectType, XnatObject};
use indexmap::IndexMap;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const METADATA_FILE: &str = "xnat.yaml";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {message}")]
    Metadata { path: String, message: String },
    #[error(
        "{path}: cannot tell what XNAT object this is; put `type: project|subject|session|scan|resource` in its {METADATA_FILE}"
    )]
    UnknownType { path: String },
}

/// Read each `(name, DIR)` the user gave, with the whole tree above and below it.
pub fn read_context(given: &[(String, PathBuf)]) -> Result<LaunchContext, ArchiveError> {
    let mut ctx = LaunchContext::default();
    for (name, dir) in given {
        let dir = dir.canonicalize().map_err(|source| io(dir, source))?;
        let hint = ObjectType::from_name(&capitalised(name));
        let (top, top_type) = top_of(&dir, hint)?;
        let top_dir = top.display().to_string();
        if !ctx.trees.iter().any(|t| t.directory == top_dir) {
            ctx.trees.push(read_object(&top, top_type, None)?);
        }
        let wanted = dir.display().to_string();
        let uri = ctx
            .trees
            .iter()
            .find_map(|t| find_dir(t, &wanted))
            .map(|o| o.uri.clone())
            .ok_or_else(|| ArchiveError::UnknownType {
                path: wanted.clone(),
            })?;
        ctx.chosen.push((name.clone(), uri));
    }
    Ok(ctx)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase()
            .chain(c.map(|c| c.to_ascii_lowercase()))
            .collect()
    })
}

fn io(path: &Path, source: std::io::Error) -> ArchiveError {
    ArchiveError::Io {
        path: path.display().to_string(),
        error: source,
    }
}

fn find_dir<'a>(o: &'a XnatObject, dir: &str) -> Option<&'a XnatObject> {
    if o.directory == dir && o.object_type != ObjectType::File {
        return Some(o);
    }
    o.children.iter().find_map(|c| find_dir(c, dir))
}

/// The type an object directory has by the folder it sits in.
fn type_by_folder(dir: &Path) -> Option<ObjectType> {
    let folder = dir.parent()?.file_name()?.to_str()?;
    [
        ObjectType::Subject,
        ObjectType::Session,
        ObjectType::Scan,
        ObjectType::Resource,
    ]
    .into_iter()
    .find(|t| t.folder() == folder)
}

/// Walk up through `subjects/`, `sessions/`, `scans/`, `resources/` folders to the top object.
fn top_of(dir: &Path, hint: Option<ObjectType>) -> Result<(PathBuf, ObjectType), ArchiveError> {
    let mut at = dir.to_path_buf();
    while type_by_folder(&at).is_some() {
        match at.parent().and_then(Path::parent) {
            Some(up) if metadata(up)?.is_some() || looks_like_object(up) => at = up.to_path_buf(),
            _ => break,
        }
    }
    if let Some(t) = type_by_folder(&at) {
        return Ok((at, t));
    }
    let declared = metadata(&at)?
        .and_then(|m| m.get("type").and_then(Value::as_str).map(capitalised))
        .and_then(|t| ObjectType::from_name(&t));
    let by_contents = [ObjectType::Subject, ObjectType::Session, ObjectType::Scan]
        .into_iter()
        .find(|t| at.join(t.folder()).is_dir())
        .map(|child| match child {
            ObjectType::Subject => ObjectType::Project,
            ObjectType::Session => ObjectType::Subject,
            _ => ObjectType::Session,
        });
    let t = declared
        .or(by_contents)
        .or(if at == dir { hint } else { None });
    t.map(|t| (at.clone(), t))
        .ok_or_else(|| ArchiveError::UnknownType {
            path: at.display().to_string(),
        })
}

fn looks_like_object(dir: &Path) -> bool {
    ["subjects", "sessions", "scans", "resources"]
        .iter()
        .any(|f| dir.join(f).is_dir())
}

fn metadata(dir: &Path) -> Result<Option<serde_json::Map<String, Value>>, ArchiveError> {
    let path = dir.join(METADATA_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path, e)),
    };
    let bad = |message: String| ArchiveError::Metadata {
        path: path.display().to_string(),
        message,
    };
    let (docs, _) = yaml::parse(&text, &Limits::default())
        .map_err(|i| bad(format!("{}:{}: {}", i.pos.line, i.pos.col, i.message)))?;
    match docs.first().map(|d| d.to_json()) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(bad(
            "expected a mapping of properties (id, label, xsiType, …)".into(),
        )),
    }
}

fn read_object(
    dir: &Path,
    t: ObjectType,
    parent: Option<&XnatObject>,
) -> Result<XnatObject, ArchiveError> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let mut meta = metadata(dir)?.unwrap_or_default();
    let mut take = |k: &str| {
        meta.remove(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    };
    let label = take("label").unwrap_or_else(|| name.clone());
    let id = take("id").unwrap_or_else(|| {
        if t == ObjectType::Resource {
            label.clone()
        } else {
            name.clone()
        }
    });
    let xsi_type = take("xsiType").unwrap_or_else(|| t.default_xsi_type().to_string());
    meta.remove("type");
    let parent_uri = parent.map(|p| p.uri.clone()).unwrap_or_default();
    // URIs as `UriParserUtils.getArchiveUri` writes them for each type.
    let uri = match t {
        ObjectType::Project => format!("/archive/projects/{id}"),
        ObjectType::Subject => format!("/archive/subjects/{id}"),
        ObjectType::Session => format!("/archive/experiments/{id}"),
        ObjectType::Scan => format!("{parent_uri}/scans/{id}"),
        ObjectType::Resource => format!("{parent_uri}/resources/{label}"),
        ObjectType::File => format!("{parent_uri}/files/{id}"),
    };
    let mut properties: IndexMap<String, Value> = meta.into_iter().collect();
    add_parent_ids(&mut properties, t, parent);
    let mut object = XnatObject {
        object_type: t,
        id,
        label,
        xsi_type,
        uri,
        directory: dir.display().to_string(),
        properties,
        children: Vec::new(),
    };
    if t == ObjectType::Resource {
        object.children = files(dir, &object)?;
        return Ok(object);
    }
    for child in crate::model::archive::child_types(t) {
        let folder = dir.join(child.folder());
        for sub in sorted_entries(&folder)? {
            if sub.is_dir() {
                let kid = read_object(&sub, *child, Some(&object))?;
                object.children.push(kid);
            }
        }
    }
    Ok(object)
}

/// `project-id`, `subject-id`, `session-id` as the Container Service's model objects carry them.
fn add_parent_ids(props: &mut IndexMap<String, Value>, t: ObjectType, parent: Option<&XnatObject>) {
    let Some(p) = parent else { return };
    let inherited = |k: &str| p.properties.get(k).cloned();
    match (t, p.object_type) {
        (ObjectType::Subject, ObjectType::Project) => {
            props
                .entry("project-id".into())
                .or_insert(Value::String(p.id.clone()));
        }
        (ObjectType::Session, ObjectType::Subject) => {
            props
                .entry("subject-id".into())
                .or_insert(Value::String(p.id.clone()));
            if let Some(v) = inherited("project-id") {
                props.entry("project-id".into()).or_insert(v);
            }
        }
        (ObjectType::Scan, ObjectType::Session) => {
            props
                .entry("session-id".into())
                .or_insert(Value::String(p.id.clone()));
            if let Some(v) = inherited("project-id") {
                props.entry("project-id".into()).or_insert(v);
            }
        }
        _ => {}
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir, e)),
    };
    let mut out: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    Ok(out)
}

/// Every file under a resource directory (its metadata file aside), by path relative to it.
fn files(root: &Path, resource: &XnatObject) -> Result<Vec<XnatObject>, ArchiveError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in sorted_entries(&dir)? {
            if entry.is_dir() {
                stack.push(entry);
                continue;
            }
            let rel = entry
                .strip_prefix(root)
                .unwrap_or(&entry)
                .to_string_lossy()
                .replace('\\', "/");
            if rel == METADATA_FILE {
                continue;
            }
            out.push(XnatObject {
                object_type: ObjectType::File,
                id: rel.clone(),
                label: rel.clone(),
                xsi_type: String::new(),
                uri: format!("{}/files/{rel}", resource.uri),
                directory: entry.display().to_string(),
                properties: IndexMap::new(),
                children: Vec::new(),
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

//! XNAT data objects (project, subject, session, scan, resource, file) as the Container
//! Service sees them when it resolves a launch: a tree of objects, each with its ids, labels,
//! type, URI and the directory its files are in.
//!
//! The JSON form of an object (`to_json`) follows the Container Service's own model classes
//! (`org.nrg.containers.model.xnat.{Project,Subject,Session,Scan,Resource,XnatFile}`, CS 3.7.3):
//! the same property names (`id`, `label`, `xsiType`, `uri`, `directory`, `scan-type`,
//! `series-description`, `project-id`, `subject-id`, …), because wrapper matchers
//! (`@.scan-type == 'T1'`) and `derived-from-xnat-object-property` read those names.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

/// The XNAT object types a wrapper input can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    Project,
    Subject,
    Session,
    Scan,
    Resource,
    File,
}

impl ObjectType {
    /// The wrapper input `type` spelling (`CommandWrapperInputType` names).
    pub fn name(self) -> &'static str {
        match self {
            ObjectType::Project => "Project",
            ObjectType::Subject => "Subject",
            ObjectType::Session => "Session",
            ObjectType::Scan => "Scan",
            ObjectType::Resource => "Resource",
            ObjectType::File => "File",
        }
    }

    pub fn from_name(name: &str) -> Option<ObjectType> {
        Some(match name {
            "Project" => ObjectType::Project,
            "Subject" => ObjectType::Subject,
            "Session" => ObjectType::Session,
            "Scan" => ObjectType::Scan,
            "Resource" => ObjectType::Resource,
            "File" => ObjectType::File,
            _ => return None,
        })
    }

    /// The folder under a parent object that holds children of this type in the local layout.
    pub fn folder(self) -> &'static str {
        match self {
            ObjectType::Project => "projects",
            ObjectType::Subject => "subjects",
            ObjectType::Session => "sessions",
            ObjectType::Scan => "scans",
            ObjectType::Resource => "resources",
            ObjectType::File => "files",
        }
    }

    /// The `xsiType` used when the metadata file does not name one.
    pub fn default_xsi_type(self) -> &'static str {
        match self {
            ObjectType::Project => "xnat:projectData",
            ObjectType::Subject => "xnat:subjectData",
            ObjectType::Session => "xnat:imageSessionData",
            ObjectType::Scan => "xnat:imageScanData",
            ObjectType::Resource => "xnat:resourceCatalog",
            ObjectType::File => "",
        }
    }
}

/// One XNAT object and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct XnatObject {
    pub object_type: ObjectType,
    /// The XNAT id (`XNAT_E00001`; for a scan its scan id; for a resource and a file, the label
    /// and the name).
    pub id: String,
    pub label: String,
    pub xsi_type: String,
    /// The REST path, e.g. `/archive/experiments/XNAT_E00001/scans/1`.
    pub uri: String,
    /// Where its files are on this machine (for a file, the file itself).
    pub directory: String,
    /// Properties beyond the common ones (`scan-type`, `series-description`, `format`, …).
    pub properties: IndexMap<String, Value>,
    pub children: Vec<XnatObject>,
}

impl XnatObject {
    pub fn children_of(&self, t: ObjectType) -> impl Iterator<Item = &XnatObject> {
        self.children.iter().filter(move |c| c.object_type == t)
    }

    /// The object as the Container Service serialises it for matchers and derived properties:
    /// common properties, its own ones, and its children under `scans`, `resources`, `files`…
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), json!(self.id));
        map.insert("label".into(), json!(self.label));
        if !self.xsi_type.is_empty() {
            map.insert("xsiType".into(), json!(self.xsi_type));
        }
        map.insert("uri".into(), json!(self.uri));
        map.insert("directory".into(), json!(self.directory));
        if self.object_type == ObjectType::File {
            map.insert("name".into(), json!(self.label));
            map.insert("path".into(), json!(self.directory));
        }
        for (k, v) in &self.properties {
            map.insert(k.clone(), v.clone());
        }
        for t in [
            ObjectType::Subject,
            ObjectType::Session,
            ObjectType::Scan,
            ObjectType::Resource,
            ObjectType::File,
        ] {
            let kids: Vec<Value> = self.children_of(t).map(XnatObject::to_json).collect();
            if !kids.is_empty() || child_types(self.object_type).contains(&t) {
                map.insert(t.folder().into(), Value::Array(kids));
            }
        }
        Value::Object(map)
    }
}

/// The child types an object of a type has in XNAT's model.
pub fn child_types(t: ObjectType) -> &'static [ObjectType] {
    match t {
        ObjectType::Project => &[ObjectType::Subject, ObjectType::Resource],
        ObjectType::Subject => &[ObjectType::Session, ObjectType::Resource],
        ObjectType::Session => &[ObjectType::Scan, ObjectType::Resource],
        ObjectType::Scan => &[ObjectType::Resource],
        ObjectType::Resource => &[ObjectType::File],
        ObjectType::File => &[],
    }
}

/// The objects a launch runs on: whole trees read from the local archive, and which object in
/// them each `--context` names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchContext {
    /// Top-level objects (usually one project), with everything below them.
    pub trees: Vec<XnatObject>,
    /// `(name, uri)`: the name the user gave (`session`, `scan`, or an input's name) and the
    /// object it points at.
    pub chosen: Vec<(String, String)>,
}

impl LaunchContext {
    /// The object for an external input: the context given under the input's name, else the
    /// one given under its type (`session` for a `Session` input).
    pub fn find(&self, input: &str, t: ObjectType) -> Option<&XnatObject> {
        let by = |want: &dyn Fn(&str) -> bool| {
            self.chosen
                .iter()
                .filter(|(name, _)| want(name))
                .find_map(|(_, uri)| self.by_uri(uri))
                .filter(|o| o.object_type == t)
        };
        by(&|n| n == input).or_else(|| by(&|n| n.eq_ignore_ascii_case(t.name())))
    }

    pub fn by_uri(&self, uri: &str) -> Option<&XnatObject> {
        fn walk<'a>(o: &'a XnatObject, uri: &str) -> Option<&'a XnatObject> {
            if o.uri == uri {
                return Some(o);
            }
            o.children.iter().find_map(|c| walk(c, uri))
        }
        self.trees.iter().find_map(|t| walk(t, uri))
    }

    /// The nearest ancestor of `of` with type `t` (a scan's session, a session's project).
    pub fn ancestor(&self, of: &XnatObject, t: ObjectType) -> Option<&XnatObject> {
        fn path<'a>(o: &'a XnatObject, target: &XnatObject, acc: &mut Vec<&'a XnatObject>) -> bool {
            if std::ptr::eq(o, target) || o.uri == target.uri {
                return true;
            }
            acc.push(o);
            if o.children.iter().any(|c| path(c, target, acc)) {
                return true;
            }
            acc.pop();
            false
        }
        let mut chain = Vec::new();
        self.trees
            .iter()
            .find(|tree| path(tree, of, &mut chain))
            .and(chain.into_iter().rev().find(|o| o.object_type == t))
    }
}

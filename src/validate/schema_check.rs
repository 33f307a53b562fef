//! JSON Schema validation of one document, and turning schema errors into diagnostics.
//!
//! Also decides what Jackson would quietly accept: a quoted boolean or number, or a number where
//! text is expected, is a warning (XNAT converts it) and is converted here too before the typed
//! model is read.

use super::finding::{Findings, did_you_mean, known_list};
use super::rules::{COERCED, SCHEMA, SERVER_FIELD, UNKNOWN_KEY};
use crate::model::Kind;
use crate::position::{Node, NodeValue, Positioned, Ptr, pointer_tokens};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Validator};
use serde_json::Value;
use std::sync::OnceLock;

struct Compiled {
    schema: Value,
    /// Compiled on first use: most runs only ever check trees.
    value: OnceLock<Validator>,
    tree: OnceLock<Validator<Positioned>>,
}

// The schemas are generated from our own model and checked by a unit test.
#[allow(clippy::expect_used)]
impl Compiled {
    fn value(&self) -> &Validator {
        self.value.get_or_init(|| {
            jsonschema::validator_for(&self.schema).expect("generated schemas compile")
        })
    }

    fn tree(&self) -> &Validator<Positioned> {
        self.tree.get_or_init(|| {
            jsonschema::options_for::<Positioned>()
                .build(&self.schema)
                .expect("generated schemas compile")
        })
    }
}

fn compiled(kind: Kind) -> &'static Compiled {
    static CACHE: OnceLock<Vec<Compiled>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        Kind::ALL
            .iter()
            .map(|&k| Compiled {
                schema: crate::model::json_schema::schema(k),
                value: OnceLock::new(),
                tree: OnceLock::new(),
            })
            .collect()
    });
    let index = Kind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
    &all[index]
}

/// A document to check: its positioned tree as parsed, or a JSON value (when xcs added to it).
#[derive(Clone, Copy)]
pub enum Instance<'a> {
    Tree(&'a Node),
    Value(&'a Value),
}

impl<'a> Instance<'a> {
    fn get(self, key: &str) -> Option<Instance<'a>> {
        match self {
            Instance::Tree(n) => n.get(key).map(Instance::Tree),
            Instance::Value(v) => v.get(key).map(Instance::Value),
        }
    }

    fn is_null(self) -> bool {
        match self {
            Instance::Tree(n) => matches!(n.value, NodeValue::Scalar(Value::Null)),
            Instance::Value(v) => v.is_null(),
        }
    }

    fn items(self) -> Option<Vec<Instance<'a>>> {
        match self {
            Instance::Tree(Node {
                value: NodeValue::Seq(items),
                ..
            }) => Some(items.iter().map(Instance::Tree).collect()),
            Instance::Value(Value::Array(items)) => {
                Some(items.iter().map(Instance::Value).collect())
            }
            _ => None,
        }
    }
}

/// A value to replace at a pointer before reading the typed model.
pub struct Coercion {
    pub at: String,
    pub value: Value,
}

pub struct SchemaResult {
    /// At least one error-level finding: the typed model may not be readable.
    pub has_errors: bool,
    pub coercions: Vec<Coercion>,
    /// Optional values of the wrong type, dropped before the typed model is read so the rest of
    /// the document is still checked.
    pub dropped: Vec<String>,
}

impl SchemaResult {
    /// Whether the document must change before the typed model is read.
    pub fn repairs(&self) -> bool {
        !self.coercions.is_empty() || !self.dropped.is_empty()
    }
}

/// Validate `doc` against `kind`'s schema, adding findings; returns what to coerce.
pub fn check(kind: Kind, doc: Instance<'_>, f: &mut Findings) -> SchemaResult {
    let c = compiled(kind);
    let mut result = SchemaResult {
        has_errors: false,
        coercions: Vec::new(),
        dropped: Vec::new(),
    };
    let from_source = kind == Kind::Command && doc.get("from").is_some();
    // Most documents are valid; asking first is much cheaper than collecting errors.
    let errors: Vec<jsonschema::ValidationError<'_>> = match doc {
        Instance::Tree(node) if !c.tree().is_valid(node) => c.tree().iter_errors(node).collect(),
        Instance::Value(value) if !c.value().is_valid(value) => {
            c.value().iter_errors(value).collect()
        }
        _ => Vec::new(),
    };
    for error in errors {
        let instance = error.instance_path().to_string();
        let tokens = pointer_tokens(&instance);
        let prop = property_schema(&c.schema, from_source, &tokens);
        let at = pointer(&tokens);
        let before = f.0.len();
        let sensitive = prop
            .and_then(|p| p.get("x-sensitive"))
            .is_some_and(|v| v == &Value::Bool(true));
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    if kind == Kind::Command && matches!(key.as_str(), "kind") {
                        continue;
                    }
                    f.add(
                        UNKNOWN_KEY,
                        &at.key(key),
                        format!("unknown key `{key}`; XNAT ignores it"),
                    )
                    .on_key()
                    .hint(unknown_key_hint(prop, key));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                result.has_errors = true;
                f.add(SCHEMA, &at, format!("missing required key `{name}`"))
                    .hint(field_help(prop, name));
            }
            ValidationErrorKind::Type { kind: expected } => {
                let expected = expected_types(expected);
                match coerce(error.instance(), &expected) {
                    Some(value) => {
                        f.add(
                            COERCED,
                            &at,
                            format!(
                                "`{}` is {}; XNAT reads it as {}",
                                last_key(&tokens),
                                describe(error.instance()),
                                describe(&value)
                            ),
                        )
                        .hint(format!("write {}", literal(&value)));
                        result.coercions.push(Coercion {
                            at: instance.clone(),
                            value,
                        });
                    }
                    None => {
                        result.has_errors = true;
                        result.dropped.push(instance.clone());
                        f.add(
                            SCHEMA,
                            &at,
                            format!(
                                "`{}` must be {}, found {}",
                                last_key(&tokens),
                                expected
                                    .iter()
                                    .map(|t| article(*t))
                                    .collect::<Vec<_>>()
                                    .join(" or "),
                                describe(error.instance())
                            ),
                        );
                    }
                }
            }
            ValidationErrorKind::Enum { options } => {
                // A semantic rule owns this value and reports it with its own code and severity.
                if prop.and_then(|p| p.get("x-xcs-rule")).is_some() {
                    continue;
                }
                let allowed: Vec<String> = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let found = error
                    .instance()
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| error.instance().to_string());
                result.has_errors = true;
                result.dropped.push(instance.clone());
                f.add(
                    SCHEMA,
                    &at,
                    format!("`{}` is `{found}`, which is not allowed", last_key(&tokens)),
                )
                .maybe_hint(
                    did_you_mean(&found, allowed.iter().map(String::as_str)).or(Some(format!(
                        "use one of {}",
                        known_list(allowed.iter().map(String::as_str))
                    ))),
                );
            }
            ValidationErrorKind::Constant { expected_value } => {
                result.has_errors = true;
                f.add(
                    SCHEMA,
                    &at,
                    format!("`{}` must be {expected_value}", last_key(&tokens)),
                );
            }
            _ => {
                result.has_errors = true;
                f.add(
                    SCHEMA,
                    &at,
                    format!("`{}`: {}", last_key(&tokens), error.masked()),
                );
            }
        }
        if sensitive {
            for finding in &mut f.0[before..] {
                finding.sensitive = true;
            }
        }
    }
    if kind == Kind::Command && !from_source {
        server_fields(doc, f);
    }
    result
}

/// `id` and `hash` come from XNAT; a declaration that carries them was probably exported.
fn server_fields(doc: Instance<'_>, f: &mut Findings) {
    let root = Ptr::root();
    for key in ["id", "hash"] {
        if doc.get(key).is_some_and(|v| !v.is_null()) {
            f.add(
                SERVER_FIELD,
                &root.key(key),
                format!("`{key}` is assigned by XNAT and ignored here"),
            )
            .on_key()
            .hint("remove it; xcs matches commands by name, image and version");
        }
    }
    if let Some(wrappers) = doc.get("xnat").and_then(Instance::items) {
        for (i, w) in wrappers.into_iter().enumerate() {
            if w.get("id").is_some_and(|v| !v.is_null()) {
                f.add(
                    SERVER_FIELD,
                    &root.key("xnat").index(i).key("id"),
                    "wrapper `id` is assigned by XNAT and ignored here",
                )
                .on_key()
                .hint("remove it; wrappers are matched by name");
            }
        }
    }
}

fn pointer(tokens: &[String]) -> Ptr {
    tokens.iter().fold(Ptr::root(), |p, t| p.key(t))
}

fn last_key(tokens: &[String]) -> String {
    let mut named = tokens
        .iter()
        .rev()
        .skip_while(|t| t.parse::<usize>().is_ok());
    match (tokens.last(), named.next()) {
        (Some(last), Some(name)) if last.parse::<usize>().is_ok() => format!("{name}[{last}]"),
        (_, Some(name)) => name.clone(),
        _ => "document".to_string(),
    }
}

/// Follow `$ref`s and the Command `if/then/else` to the schema describing an instance location.
fn property_schema<'s>(root: &'s Value, from_source: bool, tokens: &[String]) -> Option<&'s Value> {
    let resolve = |mut s: &'s Value| -> Option<&'s Value> {
        for _ in 0..16 {
            if let Some(r) = s.get("$ref").and_then(Value::as_str) {
                s = root.pointer(r.strip_prefix('#')?)?;
            } else if s.get("if").is_some() {
                let branch = if from_source { "then" } else { "else" };
                s = s.get(branch)?;
            } else if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
                s = any
                    .iter()
                    .find(|v| v.get("type") != Some(&Value::from("null")))?;
            } else {
                return Some(s);
            }
        }
        None
    };
    let mut current = resolve(root)?;
    for token in tokens {
        let next = if let Some(p) = current
            .get("properties")
            .and_then(|p| p.get(token.as_str()))
        {
            p
        } else if let Some(items) = current.get("items") {
            items
        } else {
            current
                .get("additionalProperties")
                .filter(|a| a.is_object())?
        };
        current = resolve(next)?;
    }
    Some(current)
}

/// "did you mean …?" or the known keys, for an unknown `key` where `schema` applies. The same
/// misspelling tends to recur across a repo's documents, so answers are remembered per thread.
fn unknown_key_hint(schema: Option<&'static Value>, key: &str) -> String {
    thread_local! {
        static HINTS: std::cell::RefCell<std::collections::HashMap<(usize, String), String>> =
            std::cell::RefCell::default();
    }
    let at = schema.map_or(0, |s| std::ptr::from_ref(s) as usize);
    let compute = || {
        let known = schema.map(property_names).unwrap_or_default();
        did_you_mean(key, known.iter().map(String::as_str)).unwrap_or_else(|| {
            format!(
                "known keys here: {}",
                known_list(known.iter().map(String::as_str))
            )
        })
    };
    HINTS.with(|hints| {
        let mut hints = hints.borrow_mut();
        if let Some(hint) = hints.get(&(at, key.to_string())) {
            return hint.clone();
        }
        let hint = compute();
        // Bounded: keys come from the documents.
        if hints.len() >= 4096 {
            hints.clear();
        }
        hints.insert((at, key.to_string()), hint.clone());
        hint
    })
}

fn property_names(schema: &Value) -> Vec<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

fn field_help(schema: Option<&Value>, name: &str) -> String {
    schema
        .and_then(|s| s.get("properties"))
        .and_then(|p| p.get(name))
        .and_then(|p| p.get("description"))
        .and_then(Value::as_str)
        .map_or_else(|| format!("add `{name}`"), |d| format!("`{name}`: {d}"))
}

fn expected_types(kind: &TypeKind) -> Vec<JsonType> {
    match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set.iter().filter(|t| *t != JsonType::Null).collect(),
    }
}

/// What Jackson's default scalar coercion makes of a value, if it accepts it.
fn coerce(found: &Value, expected: &[JsonType]) -> Option<Value> {
    for t in expected {
        let converted = match (t, found) {
            (JsonType::Boolean, Value::String(s)) => match s.as_str() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            (JsonType::Integer, Value::String(s)) => s.trim().parse::<i64>().ok().map(Value::from),
            (JsonType::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            (JsonType::String, Value::Number(n)) => Some(Value::String(n.to_string())),
            (JsonType::String, Value::Bool(b)) => Some(Value::String(b.to_string())),
            _ => None,
        };
        if converted.is_some() {
            return converted;
        }
    }
    None
}

fn article(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "true or false",
        JsonType::Integer => "a whole number",
        JsonType::Null => "null",
        JsonType::Number => "a number",
        JsonType::Object => "a mapping",
        JsonType::String => "text",
    }
}

/// A value's type in words; never the value itself (it may be a secret).
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "text".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\" (quoted)"),
        other => format!("{other} (unquoted)"),
    }
}

/// Apply the coercions to the tree itself: each replaces a scalar with a scalar, and the node
/// keeps its position, so findings are located in the tree as before.
pub fn coerce_in_place(tree: &mut Node, result: &mut SchemaResult) {
    for c in result.coercions.drain(..) {
        if let Some(slot) = tree.pointer_mut(&c.at) {
            slot.value = NodeValue::Scalar(c.value);
        }
    }
}

/// Prepare a document for the typed model: apply coercions, and drop wrong-typed values whose
/// parent is a mapping (they read as absent; the schema error already says what is wrong).
pub fn repair(doc: &mut Value, result: &mut SchemaResult) {
    for c in result.coercions.drain(..) {
        if let Some(slot) = doc.pointer_mut(&c.at) {
            *slot = c.value;
        }
    }
    for at in result.dropped.drain(..) {
        let tokens = pointer_tokens(&at);
        let Some((last, parents)) = tokens.split_last() else {
            continue;
        };
        let parent_ptr: String = parents
            .iter()
            .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
            .collect();
        if let Some(Value::Object(map)) = doc.pointer_mut(&parent_ptr) {
            map.remove(last);
        }
    }
}

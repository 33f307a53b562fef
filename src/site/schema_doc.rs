//! Reference pages for the declaration kinds, generated from the JSON Schemas (whose
//! descriptions come from the model's doc comments), so the site documents exactly what
//! `xcs validate` checks.

use crate::model::Kind;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct SchemaDoc {
    pub kind: String,
    pub slug: String,
    pub url: String,
    pub description: String,
    pub sections: Vec<Section>,
    /// The schema file in `schemas/`, for the editor hint.
    pub file: String,
}

/// One object type: the document itself, or a nested definition.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub name: String,
    pub anchor: String,
    pub description: String,
    pub fields: Vec<Field>,
    /// For enumerations: the allowed values.
    pub allowed: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    pub type_text: String,
    /// The section describing the field's type, when it is an object.
    pub type_anchor: Option<String>,
    pub required: bool,
    pub description: String,
    pub allowed: Vec<String>,
    pub default: Option<String>,
    pub sensitive: bool,
}

pub fn docs() -> Vec<SchemaDoc> {
    Kind::ALL.iter().map(|&k| doc(k)).collect()
}

fn doc(kind: Kind) -> SchemaDoc {
    let schema = crate::model::json_schema::schema(kind);
    let mut sections = Vec::new();
    if schema.get("properties").is_some() {
        sections.push(section(kind.as_str(), &schema));
    }
    if let Some(Value::Object(defs)) = schema.get("$defs") {
        // The kind's own definition first (Command), then the rest in schema order.
        let mut names: Vec<&String> = defs.keys().collect();
        names.sort_by_key(|n| *n != kind.as_str());
        for name in names {
            sections.push(section(name, &defs[name]));
        }
    }
    SchemaDoc {
        kind: kind.as_str().to_string(),
        slug: kind.slug().to_string(),
        url: format!("schema/{}/", kind.slug()),
        description: text(&schema, "description"),
        sections,
        file: kind.schema_file(),
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .replace('\n', " ")
}

fn anchor(name: &str) -> String {
    format!("type-{}", super::words::slug(name))
}

fn section(name: &str, schema: &Value) -> Section {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fields = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(field, s)| {
                    let (type_text, type_anchor) = type_of(s);
                    Field {
                        name: field.clone(),
                        type_text,
                        type_anchor,
                        required: required.contains(&field.as_str()),
                        description: text(s, "description"),
                        allowed: allowed(s),
                        default: s
                            .get("default")
                            .filter(|d| !d.is_null() && d != &&Value::Array(vec![]))
                            .map(Value::to_string),
                        sensitive: s.get("x-sensitive") == Some(&Value::Bool(true)),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Section {
        name: name.to_string(),
        anchor: anchor(name),
        description: text(schema, "description"),
        fields,
        allowed: allowed(schema),
    }
}

fn allowed(s: &Value) -> Vec<String> {
    if let Some(c) = s.get("const") {
        return vec![scalar(c)];
    }
    let mut out: Vec<String> = s
        .get("enum")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter(|v| !v.is_null()).map(scalar).collect())
        .unwrap_or_default();
    for key in ["oneOf", "anyOf"] {
        for branch in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            out.extend(allowed(branch));
        }
    }
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A type in words (`list of Mount`, `string or null`) and the section to link to.
fn type_of(s: &Value) -> (String, Option<String>) {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r).to_string();
        return (name.clone(), Some(anchor(&name)));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(branches) = s.get(key).and_then(Value::as_array) {
            let parts: Vec<(String, Option<String>)> = branches
                .iter()
                .map(type_of)
                .filter(|(t, _)| !t.is_empty() && t != "null")
                .collect();
            let link = parts.iter().find_map(|(_, a)| a.clone());
            let mut names: Vec<String> = parts.into_iter().map(|(t, _)| t).collect();
            names.dedup();
            return (names.join(" or "), link);
        }
    }
    let types: Vec<String> = match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    if types.len() == 1
        && types[0] == "array"
        && let Some(items) = s.get("items")
    {
        let (inner, link) = type_of(items);
        return (format!("list of {inner}"), link);
    }
    if types.len() == 1
        && types[0] == "object"
        && let Some(values) = s.get("additionalProperties").filter(|v| v.is_object())
    {
        let (inner, link) = type_of(values);
        return (format!("map of {inner}"), link);
    }
    if types.is_empty() && s.get("const").is_some() {
        return ("constant".to_string(), None);
    }
    (types.join(" or "), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_documents_its_fields() {
        for d in docs() {
            let fields: usize = d.sections.iter().map(|s| s.fields.len()).sum();
            assert!(fields > 0, "{}", d.kind);
        }
        let command = doc(Kind::Command);
        assert_eq!(command.sections[0].name, "Command");
        let mounts = command.sections[0]
            .fields
            .iter()
            .find(|f| f.name == "mounts")
            .expect("mounts");
        assert_eq!(mounts.type_text, "list of Mount");
        let registry = doc(Kind::Registry);
        assert!(
            registry.sections[0]
                .fields
                .iter()
                .any(|f| f.name == "password" && f.sensitive)
        );
    }
}

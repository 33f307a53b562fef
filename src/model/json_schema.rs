//! The JSON Schemas of the declaration kinds, generated from the model so the two cannot drift.
//!
//! `schemas/*.schema.json` are these, written out for editors (a test keeps them in step). The
//! validator uses the in-memory copies.

use crate::model::{
    Automation, Command, CommandSource, ComputeBackend, Environment, Kind, Project, Registry, Site,
};
use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Value, json};

pub const ID_PREFIX: &str = "urn:xcs:schemas:";

/// The first line of a command file xcs writes: editors with the YAML language server check it
/// against the Command schema (the path is right for a file in a repo's `commands/`).
pub const COMMAND_MODELINE: &str = "# yaml-language-server: $schema=../schemas/command.schema.json";

/// The schema of one kind, draft 2020-12, with `$id`, a description on every field, and
/// `x-sensitive: true` on secret fields.
pub fn schema(kind: Kind) -> Value {
    let mut root = match kind {
        Kind::Command => command_schema(),
        Kind::Registry => with_kind(generate::<Registry>(), kind),
        Kind::ComputeBackend => with_kind(generate::<ComputeBackend>(), kind),
        Kind::Site => with_kind(generate::<Site>(), kind),
        Kind::Project => with_kind(generate::<Project>(), kind),
        Kind::Automation => with_kind(generate::<Automation>(), kind),
        Kind::Environment => with_kind(generate::<Environment>(), kind),
    };
    if let Some(obj) = root.as_object_mut() {
        let mut head = serde_json::Map::new();
        head.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        head.insert("$id".into(), json!(format!("{ID_PREFIX}{}", kind.slug())));
        head.insert("title".into(), json!(format!("xcs {kind}")));
        for (k, v) in std::mem::take(obj) {
            if k != "$schema" && k != "title" {
                head.insert(k, v);
            }
        }
        *obj = head;
    }
    root
}

fn generate<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

fn kind_property(kind: Kind) -> Value {
    json!({
        "description": format!("Document kind: `{kind}`."),
        "const": kind.as_str()
    })
}

/// Add the `kind` discriminator every document carries.
fn with_kind(mut schema: Value, kind: Kind) -> Value {
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        props.shift_insert(0, "kind".into(), kind_property(kind));
    }
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        required.insert(0, json!("kind"));
    } else if let Some(obj) = schema.as_object_mut() {
        obj.insert("required".into(), json!(["kind"]));
    }
    schema
}

/// A Command document is XNAT's Command JSON (with an optional `kind: Command`), or a
/// `from:` source. `if`/`then`/`else` keeps errors about the branch that applies.
fn command_schema() -> Value {
    let mut command = generate::<Command>();
    let mut source = generate::<CommandSource>();
    let mut defs = serde_json::Map::new();
    for schema in [&mut command, &mut source] {
        if let Some(obj) = schema.as_object_mut() {
            if let Some(Value::Object(d)) = obj.remove("$defs") {
                defs.extend(d);
            }
            obj.remove("$schema");
            obj.remove("title");
            if let Some(Value::Object(props)) = obj.get_mut("properties") {
                props.shift_insert(0, "kind".into(), kind_property(Kind::Command));
            }
        }
    }
    // XNAT's create path also accepts the legacy spelling of `as-a-child-of`.
    if let Some(Value::Object(props)) = defs
        .get_mut("OutputHandler")
        .and_then(|h| h.get_mut("properties"))
    {
        props.insert(
            "as-a-child-of-wrapper-input".into(),
            json!({
                "description": "Legacy spelling of `as-a-child-of`. XNAT reads it when a command is created but not when one is updated; write `as-a-child-of`.",
                "type": ["string", "null"],
                "deprecated": true
            }),
        );
    }
    let description = command.get("description").cloned().unwrap_or(Value::Null);
    defs.insert("Command".into(), command);
    defs.insert("CommandSource".into(), source);
    json!({
        "description": description,
        "type": "object",
        "if": {"required": ["from"]},
        "then": {"$ref": "#/$defs/CommandSource"},
        "else": {"$ref": "#/$defs/Command"},
        "$defs": defs
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk_properties(schema: &Value, path: &str, missing: &mut Vec<String>) {
        match schema {
            Value::Object(obj) => {
                if let Some(Value::Object(props)) = obj.get("properties") {
                    for (name, prop) in props {
                        let has = prop
                            .get("description")
                            .and_then(Value::as_str)
                            .is_some_and(|d| !d.is_empty());
                        if !has {
                            missing.push(format!("{path}/{name}"));
                        }
                    }
                }
                for (k, v) in obj {
                    walk_properties(v, &format!("{path}/{k}"), missing);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk_properties(v, &format!("{path}/{i}"), missing);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_field_has_a_description() {
        for kind in Kind::ALL {
            let mut missing = Vec::new();
            walk_properties(&schema(kind), kind.slug(), &mut missing);
            assert!(
                missing.is_empty(),
                "fields without a description: {missing:#?}"
            );
        }
    }

    #[test]
    fn secret_fields_are_marked_sensitive() {
        let registry = schema(Kind::Registry);
        assert_eq!(
            registry["properties"]["password"]["x-sensitive"],
            json!(true)
        );
        assert_eq!(registry["properties"]["token"]["x-sensitive"], json!(true));
    }

    #[test]
    fn schemas_compile_as_draft_2020_12() {
        for kind in Kind::ALL {
            let s = schema(kind);
            assert_eq!(
                s["$schema"],
                json!("https://json-schema.org/draft/2020-12/schema")
            );
            jsonschema::validator_for(&s).unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    }

    /// `schemas/` is what editors load; it must be exactly what the validator uses.
    /// Run with `XCS_UPDATE_SCHEMAS=1` to rewrite it after changing the model.
    #[test]
    fn committed_schemas_are_up_to_date() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let update = std::env::var_os("XCS_UPDATE_SCHEMAS").is_some();
        for kind in Kind::ALL {
            let path = dir.join(kind.schema_file());
            let expected =
                serde_json::to_string_pretty(&schema(kind)).expect("serializable") + "\n";
            if update {
                std::fs::create_dir_all(&dir).expect("create schemas/");
                std::fs::write(&path, &expected).expect("write schema");
            }
            let actual = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                actual == expected,
                "{} is stale; run `XCS_UPDATE_SCHEMAS=1 cargo test committed_schemas`",
                path.display()
            );
        }
    }
}

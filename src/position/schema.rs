//! The positioned tree as a JSON representation the `jsonschema` crate validates in place, so a
//! document is checked against its schema without first being copied into a
//! `serde_json::Value`. Scalars are `serde_json` values already; only the containers differ.

use super::{Entry, Node, NodeValue, Pos};
use jsonschema::JsonType;
use jsonschema::json::{self, NodeIdentity};
use serde_json::Value;
use std::borrow::Cow;

/// Marker for [`Node`] trees as `jsonschema` instances: `jsonschema::options_for::<Positioned>()`.
pub struct Positioned;

impl json::Json for Positioned {
    type Node<'a> = &'a Node;
    type PreparedKey = String;
    type StringBuffer = ();

    // Mappings are vectors searched in order, as `serde_json`'s insertion-ordered map is.
    const KEYS_PER_LOOKUP: usize = 2;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(&Node) -> T) -> T {
        f(&Node::scalar(
            Pos::default(),
            Value::String(string.to_owned()),
        ))
    }
}

/// A mapping's entries.
#[derive(Clone, Copy)]
pub struct Members<'a>(&'a [Entry]);

/// A list's items.
#[derive(Clone, Copy)]
pub struct Items<'a>(&'a [Node]);

impl<'a> json::Node<'a, Positioned> for &'a Node {
    type Object = Members<'a>;
    type Array = Items<'a>;
    type Number = &'a serde_json::Number;

    fn as_object(&self) -> Option<Members<'a>> {
        match &self.value {
            NodeValue::Map(entries) => Some(Members(entries)),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Items<'a>> {
        match &self.value {
            NodeValue::Seq(items) => Some(Items(items)),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match &self.value {
            NodeValue::Scalar(Value::String(s)) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<&'a serde_json::Number> {
        match &self.value {
            NodeValue::Scalar(Value::Number(n)) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match &self.value {
            NodeValue::Scalar(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Scalar(Value::Null))
    }

    fn json_type(&self) -> JsonType {
        match &self.value {
            NodeValue::Scalar(Value::Null) => JsonType::Null,
            NodeValue::Scalar(Value::Bool(_)) => JsonType::Boolean,
            NodeValue::Scalar(Value::Number(_)) => JsonType::Number,
            NodeValue::Scalar(Value::String(_)) => JsonType::String,
            NodeValue::Scalar(Value::Array(_)) | NodeValue::Seq(_) => JsonType::Array,
            NodeValue::Scalar(Value::Object(_)) | NodeValue::Map(_) => JsonType::Object,
        }
    }

    fn equals_value(&self, expected: &Value) -> bool {
        match &self.value {
            NodeValue::Scalar(v) => json::cmp::equal(v, expected),
            _ => json::cmp::equal(&self.to_json(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        match &self.value {
            NodeValue::Scalar(v) => Cow::Borrowed(v),
            _ => Cow::Owned(self.to_json()),
        }
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(self) as usize))
    }
}

pub struct MembersIter<'a>(std::slice::Iter<'a, Entry>);

impl<'a> Iterator for MembersIter<'a> {
    type Item = (&'a str, &'a Node);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|e| (e.key.as_str(), &e.value))
    }
}

impl<'a> json::Object<'a, Positioned> for Members<'a> {
    type Node = &'a Node;
    type MemberName = &'a str;
    type MembersIter = MembersIter<'a>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, key: &String) -> Option<&'a Node> {
        self.0.iter().find(|e| &e.key == key).map(|e| &e.value)
    }

    fn members(&self) -> MembersIter<'a> {
        MembersIter(self.0.iter())
    }
}

impl<'a> json::Array<'a, Positioned> for Items<'a> {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn elements(&self) -> std::slice::Iter<'a, Node> {
        self.0.iter()
    }
}

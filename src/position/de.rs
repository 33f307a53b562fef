//! Reading a typed value straight from a positioned tree, without building a
//! `serde_json::Value` first (which costs a second copy of every key and an index per mapping).
//!
//! Scalars are handed to serde_json's own `&Value` deserializer, so numbers, strings and
//! booleans read exactly as `serde_json::from_value` reads them. Callers that need serde_json's
//! exact error text read the document through `from_value` again when this fails: errors are
//! rare, and this way every message stays the one serde_json writes.

use super::{Entry, Node, NodeValue};
use serde::de::{self, DeserializeSeed, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Error, Value};

/// Read a `T` from `node` as `serde_json::from_value(node.to_json())` would.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, Error> {
    T::deserialize(node)
}

macro_rules! scalar_or_any {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                match &self.value {
                    NodeValue::Scalar(v) => de::Deserializer::$method(v, visitor),
                    _ => self.deserialize_any(visitor),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &'de Node {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            NodeValue::Scalar(v) => de::Deserializer::deserialize_any(v, visitor),
            NodeValue::Seq(items) => {
                let mut seq = Items(items.iter());
                let value = visitor.visit_seq(&mut seq)?;
                match seq.0.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(
                        items.len(),
                        &"fewer elements in array",
                    )),
                }
            }
            NodeValue::Map(entries) => {
                let mut map = Members {
                    entries: entries.iter(),
                    value: None,
                };
                let value = visitor.visit_map(&mut map)?;
                match map.entries.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(
                        entries.len(),
                        &"fewer elements in map",
                    )),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            NodeValue::Scalar(Value::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.value {
            NodeValue::Scalar(v) => de::Deserializer::deserialize_newtype_struct(v, name, visitor),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.value {
            NodeValue::Scalar(v) => de::Deserializer::deserialize_enum(v, name, variants, visitor),
            NodeValue::Map(entries) if entries.len() == 1 => visitor.visit_enum(Variant {
                key: &entries[0].key,
                value: &entries[0].value,
            }),
            _ => Err(de::Error::invalid_type(
                de::Unexpected::Other("a list or a mapping of other than one key"),
                &"string or map",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    scalar_or_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_identifier
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.value {
            NodeValue::Scalar(v) => de::Deserializer::deserialize_unit_struct(v, name, visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        seq tuple tuple_struct map struct
    }
}

struct Items<'de>(std::slice::Iter<'de, Node>);

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|n| seed.deserialize(n)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Members<'de> {
    entries: std::slice::Iter<'de, Entry>,
    value: Option<&'de Node>,
}

impl<'de> de::MapAccess<'de> for Members<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some(entry) => {
                self.value = Some(&entry.value);
                let key: de::value::BorrowedStrDeserializer<'de, Error> =
                    de::value::BorrowedStrDeserializer::new(&entry.key);
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(node) => seed.deserialize(node),
            None => Err(de::Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Variant<'de> {
    key: &'de str,
    value: &'de Node,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let key: de::value::BorrowedStrDeserializer<'de, Error> =
            de::value::BorrowedStrDeserializer::new(self.key);
        Ok((seed.deserialize(key)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self.value)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.value)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self.value, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self.value, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::position::Pos;
    use serde_json::json;

    /// A tree with the shape of `value` (positions do not matter here).
    fn tree(value: &Value) -> Node {
        let pos = Pos::default();
        match value {
            Value::Array(items) => Node {
                pos,
                value: NodeValue::Seq(items.iter().map(tree).collect()),
            },
            Value::Object(map) => Node {
                pos,
                value: NodeValue::Map(
                    map.iter()
                        .map(|(k, v)| Entry {
                            key: k.clone(),
                            key_pos: pos,
                            value: tree(v),
                        })
                        .collect(),
                ),
            },
            scalar => Node::scalar(pos, scalar.clone()),
        }
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "kebab-case", deny_unknown_fields)]
    struct Sample {
        name: String,
        count: Option<u32>,
        ratio: f64,
        flags: Vec<bool>,
        kind: Shape,
        nested: Option<Box<Sample>>,
        #[serde(default)]
        extra: indexmap::IndexMap<String, Value>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "kebab-case")]
    enum Shape {
        Round,
        Sized(u8),
    }

    #[test]
    fn reads_what_from_value_reads() {
        let value = json!({
            "name": "a", "count": null, "ratio": 1, "flags": [true, false], "kind": "round",
            "nested": {"name": "b", "count": 3, "ratio": 2.5, "flags": [], "kind": {"sized": 4},
                "extra": {"x": [1, {"y": null}]}}
        });
        let direct: Sample = from_node(&tree(&value)).expect("reads");
        let via_value: Sample = serde_json::from_value(value).expect("reads");
        assert_eq!(direct, via_value);
    }

    #[test]
    fn refuses_what_from_value_refuses() {
        for bad in [
            json!({"name": 1, "ratio": 1, "flags": [], "kind": "round"}),
            json!({"name": "a", "ratio": 1, "flags": [], "kind": "square"}),
            json!({"name": "a", "ratio": 1, "flags": [], "kind": "round", "other": 1}),
            json!({"name": "a", "ratio": "1", "flags": [], "kind": "round"}),
            json!({"name": "a", "ratio": 1, "flags": {}, "kind": "round"}),
            json!({"name": "a", "ratio": 1, "flags": [], "kind": {"round": 1, "sized": 2}}),
        ] {
            assert!(from_node::<Sample>(&tree(&bad)).is_err(), "{bad}");
            assert!(serde_json::from_value::<Sample>(bad).is_err());
        }
    }
}

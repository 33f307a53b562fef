//! A parsed YAML or JSON value that remembers where every value and key came from.
//!
//! Both parsers build this tree so that every later stage (schema errors at a JSON pointer,
//! semantic rules, cross-document references) can point a person at `file:line:col`.

use serde::Serialize;
use serde_json::{Map, Value};

mod de;
mod schema;

pub use de::from_node;
pub use schema::Positioned;

/// A position in a source file: 1-based line, 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: usize, col: usize) -> Pos {
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: NodeValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// null, bool, number or string
    Scalar(Value),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    pub fn scalar(pos: Pos, value: Value) -> Node {
        Node {
            pos,
            value: NodeValue::Scalar(value),
        }
    }

    /// The plain JSON value, as XNAT would receive it.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Scalar(v) => v.clone(),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for e in entries {
                    map.insert(e.key.clone(), e.value.to_json());
                }
                Value::Object(map)
            }
        }
    }

    /// The plain JSON value, consuming the tree (no copies of its strings).
    pub fn into_json(self) -> Value {
        match self.value {
            NodeValue::Scalar(v) => v,
            NodeValue::Seq(items) => Value::Array(items.into_iter().map(Node::into_json).collect()),
            NodeValue::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for e in entries {
                    map.insert(e.key, e.value.into_json());
                }
                Value::Object(map)
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Number of nodes in this subtree (used to bound alias expansion).
    pub fn size(&self) -> usize {
        match &self.value {
            NodeValue::Scalar(_) => 1,
            NodeValue::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            NodeValue::Map(entries) => 1 + entries.iter().map(|e| e.value.size()).sum::<usize>(),
        }
    }

    fn child(&self, token: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(_) => self.get(token),
            NodeValue::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            NodeValue::Scalar(_) => None,
        }
    }

    /// The node a JSON pointer designates, if it exists (as `serde_json::Value::pointer_mut`).
    pub fn pointer_mut(&mut self, pointer: &str) -> Option<&mut Node> {
        let mut node = self;
        for token in pointer_tokens(pointer) {
            node = match &mut node.value {
                NodeValue::Map(entries) => &mut entries.iter_mut().find(|e| e.key == token)?.value,
                NodeValue::Seq(items) => items.get_mut(token.parse::<usize>().ok()?)?,
                NodeValue::Scalar(_) => return None,
            };
        }
        Some(node)
    }

    /// The position a JSON pointer designates: the value itself when it exists, otherwise the
    /// deepest ancestor that does (a missing required key points at the object that lacks it).
    pub fn locate(&self, pointer: &str) -> Pos {
        let mut node = self;
        for token in pointer_tokens(pointer) {
            match node.child(&token) {
                Some(next) => node = next,
                None => break,
            }
        }
        node.pos
    }

    /// The position of the *key* a pointer ends in, when its parent is a mapping that has it;
    /// otherwise the same as [`Node::locate`]. Used for problems with a key itself (unknown or
    /// misspelt keys).
    pub fn locate_key(&self, pointer: &str) -> Pos {
        let tokens = pointer_tokens(pointer);
        let Some((last, parents)) = tokens.split_last() else {
            return self.pos;
        };
        let mut node = self;
        for token in parents {
            match node.child(token) {
                Some(next) => node = next,
                None => return node.pos,
            }
        }
        match node.entry(last) {
            Some(entry) => entry.key_pos,
            None => node.pos,
        }
    }
}

/// Split a JSON pointer (`/a/b~1c/0`) into unescaped tokens.
pub fn pointer_tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Builds JSON pointers without string-formatting at every call site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ptr(String);

impl Ptr {
    pub fn root() -> Ptr {
        Ptr(String::new())
    }
    #[must_use]
    pub fn key(&self, key: &str) -> Ptr {
        let escaped = key.replace('~', "~0").replace('/', "~1");
        Ptr(format!("{}/{}", self.0, escaped))
    }
    #[must_use]
    pub fn index(&self, index: usize) -> Ptr {
        Ptr(format!("{}/{}", self.0, index))
    }
    /// `other`, read as relative to this pointer.
    #[must_use]
    pub fn join(&self, other: &Ptr) -> Ptr {
        Ptr(format!("{}{}", self.0, other.0))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Ptr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    #[test]
    fn locate_walks_as_far_as_the_pointer_exists() {
        let leaf = Node::scalar(at(3, 9), Value::from("x"));
        let seq = Node {
            pos: at(2, 5),
            value: NodeValue::Seq(vec![leaf]),
        };
        let root = Node {
            pos: at(1, 1),
            value: NodeValue::Map(vec![Entry {
                key: "a/b".into(),
                key_pos: at(2, 1),
                value: seq,
            }]),
        };
        assert_eq!(root.locate("/a~1b/0"), at(3, 9));
        assert_eq!(root.locate("/a~1b/7"), at(2, 5));
        assert_eq!(root.locate("/missing"), at(1, 1));
        assert_eq!(root.locate_key("/a~1b"), at(2, 1));
        assert_eq!(Ptr::root().key("a/b").index(0).as_str(), "/a~1b/0");
    }
}

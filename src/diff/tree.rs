//! Field-by-field comparison of two canonical JSON values, knowing which lists are keyed by name
//! (so a reordered list is no change and an element is followed by its name), which are sets,
//! and that an element with the same content under a new name was renamed.

use serde::Serialize;
use serde_json::{Map, Value};

/// One step of a path into a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Seg {
    /// A key of a mapping.
    Key(String),
    /// The element called `name` of the list (or set) `list`.
    Item { list: String, name: String },
}

/// How lists under a key are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// Elements are objects identified by a field (their order means nothing).
    Keyed(&'static str),
    /// Elements are strings whose order means nothing.
    Set,
    /// Compared whole.
    Whole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Added,
    Removed,
    Changed,
    Renamed,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Added => "added",
            Op::Removed => "removed",
            Op::Changed => "changed",
            Op::Renamed => "renamed",
        }
    }
}

/// A difference before classification.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    pub path: Vec<Seg>,
    pub op: Op,
    /// The old value; for a rename, the old name.
    pub before: Option<Value>,
    /// The new value; for a rename, the new name.
    pub after: Option<Value>,
}

/// Compare `a` and `b`. `lists` says how the list under a key is compared; keys it does not
/// know are compared whole.
pub fn diff(
    a: Option<&Value>,
    b: Option<&Value>,
    lists: &dyn Fn(&str) -> ListKind,
    leaf: &dyn Fn(&str) -> bool,
) -> Vec<Raw> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), a, b, lists, leaf, &mut out);
    out
}

fn walk(
    path: &mut Vec<Seg>,
    a: Option<&Value>,
    b: Option<&Value>,
    lists: &dyn Fn(&str) -> ListKind,
    leaf: &dyn Fn(&str) -> bool,
    out: &mut Vec<Raw>,
) {
    let last_key = match path.last() {
        Some(Seg::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    let is_leaf = last_key.is_some_and(leaf);
    // An absent list or map is an empty one (canonical forms drop empty ones), so that its
    // elements are still followed one by one.
    let empty_list = Value::Array(Vec::new());
    let empty_map = Value::Object(Map::new());
    let (a, b) = match (a, b) {
        (None, Some(Value::Array(_))) if !is_leaf => (Some(&empty_list), b),
        (Some(Value::Array(_)), None) if !is_leaf => (a, Some(&empty_list)),
        (None, Some(Value::Object(_))) if !is_leaf && !path.is_empty() => (Some(&empty_map), b),
        (Some(Value::Object(_)), None) if !is_leaf && !path.is_empty() => (a, Some(&empty_map)),
        _ => (a, b),
    };
    match (a, b) {
        (None, None) => {}
        (Some(Value::Object(x)), Some(Value::Object(y))) if !is_leaf => {
            let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                path.push(Seg::Key(k.clone()));
                walk(path, x.get(k), y.get(k), lists, leaf, out);
                path.pop();
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if !is_leaf => {
            match last_key.map_or(ListKind::Whole, lists) {
                ListKind::Keyed(field) => keyed(path, x, y, field, lists, leaf, out),
                ListKind::Set => set(path, x, y, out),
                ListKind::Whole => {
                    if x != y {
                        out.push(raw(path, Op::Changed, a, b));
                    }
                }
            }
        }
        _ if a == b => {}
        (None, Some(_)) => out.push(raw(path, Op::Added, a, b)),
        (Some(_), None) => out.push(raw(path, Op::Removed, a, b)),
        (Some(_), Some(_)) => out.push(raw(path, Op::Changed, a, b)),
    }
}

fn raw(path: &[Seg], op: Op, a: Option<&Value>, b: Option<&Value>) -> Raw {
    Raw {
        path: path.to_vec(),
        op,
        before: a.cloned(),
        after: b.cloned(),
    }
}

/// The identity of a list element: the field's text, or the element itself when it has none.
pub fn element_name(v: &Value, field: &str) -> String {
    let mut at = v;
    for part in field.split('.') {
        match at.get(part) {
            Some(next) => at = next,
            None => return v.to_string(),
        }
    }
    at.as_str().map_or_else(|| at.to_string(), str::to_string)
}

/// Whether two elements are the same but for their identifying field: a rename. An input's
/// replacement key follows its name when it is the default (`#name#` on both sides), so it
/// does not stop a rename from being seen.
pub fn same_but_name(a: &Value, b: &Value, field: &str) -> bool {
    let strip = |v: &Value, drop_key: bool| {
        let mut v = v.clone();
        if let Some(obj) = v.as_object_mut() {
            if !field.contains('.') {
                obj.remove(field);
            }
            if drop_key {
                obj.remove("replacement-key");
            }
        }
        v
    };
    let key = |v: &Value| {
        v.get("replacement-key")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                v.get(field)
                    .and_then(Value::as_str)
                    .map(|n| format!("#{n}#"))
            })
    };
    let own_default = |v: &Value, k: &Option<String>| {
        k.is_some()
            && *k
                == v.get(field)
                    .and_then(Value::as_str)
                    .map(|n| format!("#{n}#"))
    };
    let (ka, kb) = (key(a), key(b));
    let drop_key = ka == kb || (own_default(a, &ka) && own_default(b, &kb));
    strip(a, drop_key) == strip(b, drop_key)
}

fn keyed(
    path: &mut Vec<Seg>,
    x: &[Value],
    y: &[Value],
    field: &'static str,
    lists: &dyn Fn(&str) -> ListKind,
    leaf: &dyn Fn(&str) -> bool,
    out: &mut Vec<Raw>,
) {
    let list = match path.last() {
        Some(Seg::Key(k)) => k.clone(),
        _ => String::new(),
    };
    let names_x: Vec<String> = x.iter().map(|v| element_name(v, field)).collect();
    let names_y: Vec<String> = y.iter().map(|v| element_name(v, field)).collect();
    let removed: Vec<usize> = (0..x.len())
        .filter(|&i| !names_y.contains(&names_x[i]))
        .collect();
    let added: Vec<usize> = (0..y.len())
        .filter(|&j| !names_x.contains(&names_y[j]))
        .collect();
    let renames = renames(
        &removed.iter().map(|&i| x[i].clone()).collect::<Vec<_>>(),
        &added.iter().map(|&j| y[j].clone()).collect::<Vec<_>>(),
        &|a, b| same_but_name(a, b, field),
    );
    let renamed_from: Vec<usize> = renames.iter().map(|&(r, _)| removed[r]).collect();
    let renamed_to: Vec<usize> = renames.iter().map(|&(_, a)| added[a]).collect();
    let item = |name: &str| Seg::Item {
        list: list.clone(),
        name: name.to_string(),
    };
    // Old order first (removals and changes where they were), then additions in new order.
    for (i, v) in x.iter().enumerate() {
        let name = &names_x[i];
        path.pop();
        path.push(item(name));
        if let Some(k) = renamed_from.iter().position(|&r| r == i) {
            let to = &names_y[renamed_to[k]];
            path.pop();
            path.push(item(to));
            out.push(Raw {
                path: path.clone(),
                op: Op::Renamed,
                before: Some(Value::String(name.clone())),
                after: Some(Value::String(to.clone())),
            });
        } else if let Some(j) = names_y.iter().position(|n| n == name) {
            walk_element(path, v, &y[j], lists, leaf, out);
        } else {
            out.push(raw(path, Op::Removed, Some(v), None));
        }
        path.pop();
        path.push(Seg::Key(list.clone()));
    }
    for (j, v) in y.iter().enumerate() {
        if names_x.contains(&names_y[j]) || renamed_to.contains(&j) {
            continue;
        }
        path.pop();
        path.push(item(&names_y[j]));
        out.push(raw(path, Op::Added, None, Some(v)));
        path.pop();
        path.push(Seg::Key(list.clone()));
    }
}

/// Recurse into a list element's fields (the path already ends with the element).
fn walk_element(
    path: &mut Vec<Seg>,
    a: &Value,
    b: &Value,
    lists: &dyn Fn(&str) -> ListKind,
    leaf: &dyn Fn(&str) -> bool,
    out: &mut Vec<Raw>,
) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => fields(path, x, y, lists, leaf, out),
        _ if a != b => out.push(raw(path, Op::Changed, Some(a), Some(b))),
        _ => {}
    }
}

fn fields(
    path: &mut Vec<Seg>,
    x: &Map<String, Value>,
    y: &Map<String, Value>,
    lists: &dyn Fn(&str) -> ListKind,
    leaf: &dyn Fn(&str) -> bool,
    out: &mut Vec<Raw>,
) {
    let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
    for k in keys {
        path.push(Seg::Key(k.clone()));
        walk(path, x.get(k), y.get(k), lists, leaf, out);
        path.pop();
    }
}

fn set(path: &mut [Seg], x: &[Value], y: &[Value], out: &mut Vec<Raw>) {
    let list = match path.last() {
        Some(Seg::Key(k)) => k.clone(),
        _ => String::new(),
    };
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let base = &path[..path.len().saturating_sub(1)];
    let at = |name: String| {
        let mut p = base.to_vec();
        p.push(Seg::Item {
            list: list.clone(),
            name,
        });
        p
    };
    for v in x.iter().filter(|v| !y.contains(v)) {
        out.push(Raw {
            path: at(text(v)),
            op: Op::Removed,
            before: Some(v.clone()),
            after: None,
        });
    }
    for v in y.iter().filter(|v| !x.contains(v)) {
        out.push(Raw {
            path: at(text(v)),
            op: Op::Added,
            before: None,
            after: Some(v.clone()),
        });
    }
}

/// Pairs (index into `removed`, index into `added`) that are `same`, one to one: an element
/// matching several candidates is not called a rename (a person could not tell either).
pub fn renames(
    removed: &[Value],
    added: &[Value],
    same: &dyn Fn(&Value, &Value) -> bool,
) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (r, old) in removed.iter().enumerate() {
        let matches: Vec<usize> = (0..added.len()).filter(|&a| same(old, &added[a])).collect();
        if let [a] = matches.as_slice() {
            let back = removed.iter().filter(|o| same(o, &added[*a])).count();
            if back == 1 {
                pairs.push((r, *a));
            }
        }
    }
    pairs
}

/// `xnat[w].external-inputs[scan].required`: how a path is shown.
pub fn display(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Item { list, name } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(list);
                out.push('[');
                out.push_str(name);
                out.push(']');
            }
        }
    }
    out
}

/// The path with names left out (`xnat[].external-inputs[].required`), for matching rules.
pub fn shape(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        if !out.is_empty() {
            out.push('.');
        }
        match seg {
            Seg::Key(k) => out.push_str(k),
            Seg::Item { list, .. } => {
                out.push_str(list);
                out.push_str("[]");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lists(key: &str) -> ListKind {
        match key {
            "inputs" => ListKind::Keyed("name"),
            "contexts" => ListKind::Set,
            _ => ListKind::Whole,
        }
    }

    fn run(a: Value, b: Value) -> Vec<(String, Op)> {
        diff(Some(&a), Some(&b), &lists, &|k| k == "meta")
            .into_iter()
            .map(|r| (display(&r.path), r.op))
            .collect()
    }

    #[test]
    fn keyed_lists_follow_names_and_spot_renames() {
        let a = json!({"inputs": [{"name": "a", "t": 1}, {"name": "b", "t": 2}, {"name": "c", "t": 3}]});
        let b = json!({"inputs": [{"name": "c", "t": 4}, {"name": "a2", "t": 1}, {"name": "d", "t": 9}]});
        assert_eq!(
            run(a, b),
            [
                ("inputs[a2]".to_string(), Op::Renamed),
                ("inputs[b]".to_string(), Op::Removed),
                ("inputs[c].t".to_string(), Op::Changed),
                ("inputs[d]".to_string(), Op::Added),
            ]
        );
    }

    #[test]
    fn sets_ignore_order_and_leaves_compare_whole() {
        let a = json!({"contexts": ["x", "y"], "meta": {"a": 1}});
        let b = json!({"contexts": ["z", "x"], "meta": {"a": 2}});
        assert_eq!(
            run(a, b),
            [
                ("contexts[y]".to_string(), Op::Removed),
                ("contexts[z]".to_string(), Op::Added),
                ("meta".to_string(), Op::Changed),
            ]
        );
    }

    #[test]
    fn ambiguous_renames_stay_removals_and_additions() {
        let a = json!({"inputs": [{"name": "a", "t": 1}, {"name": "b", "t": 1}]});
        let b = json!({"inputs": [{"name": "c", "t": 1}]});
        let ops: Vec<Op> = run(a, b).into_iter().map(|(_, op)| op).collect();
        assert_eq!(ops, [Op::Removed, Op::Removed, Op::Added]);
    }
}

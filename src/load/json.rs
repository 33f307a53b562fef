//! A strict JSON parser (RFC 8259) that builds a [`Node`] tree with positions.
//!
//! serde_json reports where a syntax error is, but not where each value is; YAML parsers accept
//! things JSON forbids (trailing commas, comments, unquoted keys), and XNAT's Jackson rejects
//! those. So `.json` files get their own small parser: strict grammar, duplicate keys reported,
//! depth bounded, no recursion beyond the depth limit.

use super::{Limits, ParseIssue, ParseIssueKind};
use crate::position::{Entry, Node, NodeValue, Pos};
use serde_json::Value;

pub fn parse(text: &str, limits: &Limits) -> Result<(Node, Vec<ParseIssue>), ParseIssue> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        at: 0,
        line: 1,
        col: 1,
        depth: 0,
        nodes: 0,
        limits,
        issues: Vec::new(),
    };
    p.skip_ws();
    let root = p.value()?;
    p.skip_ws();
    if p.at < p.bytes.len() {
        return Err(p.error("unexpected content after the JSON value"));
    }
    Ok((root, p.issues))
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: usize,
    col: usize,
    depth: usize,
    nodes: usize,
    limits: &'a Limits,
    issues: Vec<ParseIssue>,
}

impl Parser<'_> {
    fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    fn error(&self, message: impl Into<String>) -> ParseIssue {
        ParseIssue {
            pos: self.pos(),
            kind: ParseIssueKind::Syntax,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) {
        if let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            if b == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if b & 0xC0 != 0x80 {
                self.col += 1;
            }
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.bump();
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), ParseIssue> {
        if self.peek() == Some(byte) {
            self.bump();
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", self.describe_here())))
        }
    }

    fn describe_here(&self) -> String {
        match self.text[self.at..].chars().next() {
            None => "end of file".to_string(),
            Some(c) => format!("`{}`", c.escape_debug()),
        }
    }

    fn count_node(&mut self) -> Result<(), ParseIssue> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(ParseIssue {
                pos: self.pos(),
                kind: ParseIssueKind::TooLarge,
                message: format!("more than {} values in one file", self.limits.max_nodes),
            });
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Node, ParseIssue> {
        self.count_node()?;
        let pos = self.pos();
        match self.peek() {
            Some(b'{') => self.nested(pos, Self::object),
            Some(b'[') => self.nested(pos, Self::array),
            Some(b'"') => Ok(Node::scalar(pos, Value::String(self.string()?))),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error(format!(
                "expected a JSON value, found {}",
                self.describe_here()
            ))),
        }
    }

    fn nested(
        &mut self,
        pos: Pos,
        inner: fn(&mut Self, Pos) -> Result<Node, ParseIssue>,
    ) -> Result<Node, ParseIssue> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(ParseIssue {
                pos,
                kind: ParseIssueKind::TooDeep,
                message: format!("nesting deeper than {} levels", self.limits.max_depth),
            });
        }
        let node = inner(self, pos)?;
        self.depth -= 1;
        Ok(node)
    }

    fn object(&mut self, pos: Pos) -> Result<Node, ParseIssue> {
        self.bump(); // {
        let mut entries: Vec<Entry> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(Node {
                pos,
                value: NodeValue::Map(entries),
            });
        }
        loop {
            self.skip_ws();
            let key_pos = self.pos();
            if self.peek() != Some(b'"') {
                return Err(self.error(format!(
                    "expected a property name in double quotes, found {}",
                    self.describe_here()
                )));
            }
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':', "`:` after the property name")?;
            self.skip_ws();
            let value = self.value()?;
            if let Some(previous) = entries.iter_mut().find(|e| e.key == key) {
                self.issues.push(ParseIssue {
                    pos: key_pos,
                    kind: ParseIssueKind::DuplicateKey,
                    message: format!(
                        "duplicate key `{key}` (first at line {}); the later value wins, the earlier one is lost",
                        previous.key_pos.line
                    ),
                });
                previous.value = value;
                previous.key_pos = key_pos;
            } else {
                entries.push(Entry {
                    key,
                    key_pos,
                    value,
                });
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        return Err(self.error("trailing comma before `}` (JSON allows none)"));
                    }
                }
                Some(b'}') => {
                    self.bump();
                    return Ok(Node {
                        pos,
                        value: NodeValue::Map(entries),
                    });
                }
                _ => {
                    return Err(self.error(format!(
                        "expected `,` or `}}`, found {}",
                        self.describe_here()
                    )));
                }
            }
        }
    }

    fn array(&mut self, pos: Pos) -> Result<Node, ParseIssue> {
        self.bump(); // [
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(Node {
                pos,
                value: NodeValue::Seq(items),
            });
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        return Err(self.error("trailing comma before `]` (JSON allows none)"));
                    }
                }
                Some(b']') => {
                    self.bump();
                    return Ok(Node {
                        pos,
                        value: NodeValue::Seq(items),
                    });
                }
                _ => {
                    return Err(self.error(format!(
                        "expected `,` or `]`, found {}",
                        self.describe_here()
                    )));
                }
            }
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Node, ParseIssue> {
        let pos = self.pos();
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            for _ in 0..word.len() {
                self.bump();
            }
            Ok(Node::scalar(pos, value))
        } else {
            Err(self.error(format!(
                "expected a JSON value, found {}",
                self.describe_here()
            )))
        }
    }

    fn number(&mut self) -> Result<Node, ParseIssue> {
        let pos = self.pos();
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number: expected digits after `.`"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.bump();
            if let Some(b'+' | b'-') = self.peek() {
                self.bump();
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number: expected digits in the exponent"));
            }
            self.digits();
        }
        let text = &self.text[start..self.at];
        let number: serde_json::Number = text.parse().map_err(|_| ParseIssue {
            pos,
            kind: ParseIssueKind::Syntax,
            message: format!("number `{text}` is out of range"),
        })?;
        Ok(Node::scalar(pos, Value::Number(number)))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.bump();
        }
    }

    fn string(&mut self) -> Result<String, ParseIssue> {
        self.bump(); // opening quote
        let mut out = String::new();
        loop {
            let run_start = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.bump();
            }
            out.push_str(&self.text[run_start..self.at]);
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.bump();
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.bump();
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    return Err(self.error("control character in a string (escape it, e.g. `\\n`)"));
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseIssue> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.bump();
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if self.bytes[self.at..].starts_with(b"\\u") {
                        self.bump();
                        self.bump();
                        let second = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&second) {
                            return Err(self.error("invalid low surrogate in a `\\u` escape"));
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    } else {
                        return Err(self.error("lone surrogate in a `\\u` escape"));
                    }
                } else {
                    first
                };
                let ch = char::from_u32(code)
                    .ok_or_else(|| self.error("invalid code point in a `\\u` escape"))?;
                out.push(ch);
                return Ok(());
            }
            _ => {
                return Err(self.error(format!(
                    "invalid escape `\\{}`",
                    self.describe_here().trim_matches('`')
                )));
            }
        };
        self.bump();
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseIssue> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| (b as char).to_digit(16))
                .ok_or_else(|| self.error("expected four hex digits in a `\\u` escape"))?;
            code = code * 16 + digit;
            self.bump();
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> (Node, Vec<ParseIssue>) {
        parse(text, &Limits::default()).expect("valid JSON")
    }

    fn parse_err(text: &str) -> ParseIssue {
        parse(text, &Limits::default()).expect_err("invalid JSON")
    }

    #[test]
    fn values_carry_their_positions() {
        let (root, issues) = parse_ok("{\n  \"a\": [1, \"x\"],\n  \"é\": {\"b\": true}\n}");
        assert!(issues.is_empty());
        assert_eq!(root.locate("/a/1"), Pos { line: 2, col: 12 });
        assert_eq!(root.locate("/é/b"), Pos { line: 3, col: 14 });
        assert_eq!(root.locate_key("/é"), Pos { line: 3, col: 3 });
        assert_eq!(
            root.to_json(),
            serde_json::json!({"a": [1, "x"], "é": {"b": true}})
        );
    }

    #[test]
    fn trailing_comma_is_an_error_at_its_position() {
        let e = parse_err("{\n  \"a\": 1,\n}");
        assert_eq!(e.pos, Pos { line: 3, col: 1 });
        assert!(e.message.contains("trailing comma"), "{}", e.message);
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_last_wins() {
        let (root, issues) = parse_ok("{\"a\": 1, \"a\": 2}");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].kind, ParseIssueKind::DuplicateKey);
        assert_eq!(issues[0].pos, Pos { line: 1, col: 10 });
        assert_eq!(root.to_json(), serde_json::json!({"a": 2}));
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(10_000);
        let e = parse_err(&deep);
        assert_eq!(e.kind, ParseIssueKind::TooDeep);
    }

    #[test]
    fn escapes_and_surrogates_decode() {
        let (root, _) = parse_ok(r#"["\u00e9\ud83d\ude00\n\/"]"#);
        assert_eq!(root.to_json(), serde_json::json!(["é😀\n/"]));
        assert!(parse(r#"["\ud83d"]"#, &Limits::default()).is_err());
    }

    #[test]
    fn numbers_follow_the_grammar() {
        for bad in ["01", "1.", "-", "1e", ".5", "+1"] {
            assert!(parse(bad, &Limits::default()).is_err(), "{bad} should fail");
        }
        let (root, _) = parse_ok("[0, -1.5e3, 12345678901234567890]");
        assert_eq!(root.to_json()[1], serde_json::json!(-1500.0));
    }
}

//! A strict JSON parser (RFC 8259) that builds a [`Node`] tree with positions.
//!
//! serde_json reports where a syntax error is, but not where each value is; YAML parsers accept
//! things JSON forbids (trailing commas, comments, unquoted keys), and XNAT's Jackson rejects
//! those. So `.json` files get their own small parser: strict grammar, duplicate keys reported,
//! depth bounded, no recursion beyond the depth limit.
//!
//! A syntax error says what was probably meant (a missing comma after a given line, a trailing
//! comma, a missing colon) with the position of the offending token, and parsing goes on past
//! the mistakes it can step over (a missing or extra comma, a missing colon), so one run reports
//! them all. Any other syntax error ends the parse.

use super::{Limits, ParseIssue, ParseIssueKind};
use crate::position::{Entry, Node, NodeValue, Pos};
use serde_json::Value;

pub fn parse(text: &str, limits: &Limits) -> Result<(Node, Vec<ParseIssue>), ParseIssue> {
    let (root, mut issues) = parse_all(text, limits);
    match (root, issues.iter().position(is_fatal)) {
        (Some(root), None) => Ok((root, issues)),
        (_, Some(i)) => Err(issues.swap_remove(i)),
        (None, None) => Err(ParseIssue {
            pos: Pos { line: 1, col: 1 },
            kind: ParseIssueKind::Syntax,
            message: "no JSON value".to_string(),
        }),
    }
}

/// Syntax errors and limits make the tree unusable; duplicate keys do not.
fn is_fatal(issue: &ParseIssue) -> bool {
    issue.kind != ParseIssueKind::DuplicateKey
}

/// At most this many syntax errors are reported from one file.
const MAX_SYNTAX_ERRORS: usize = 20;

/// Every problem found in the text, going on past the syntax errors that can be stepped over.
/// The tree is returned only when the text is valid JSON (duplicate keys allowed).
pub fn parse_all(text: &str, limits: &Limits) -> (Option<Node>, Vec<ParseIssue>) {
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
        recovered: 0,
    };
    p.skip_ws();
    let result = p.value().and_then(|root| {
        p.skip_ws();
        if p.at < p.bytes.len() {
            Err(p.error(format!(
                "unexpected {} after the end of the JSON value (a file holds one value)",
                p.describe_here()
            )))
        } else {
            Ok(root)
        }
    });
    let root = match result {
        Ok(root) => Some(root),
        Err(issue) => {
            p.issues.push(issue);
            None
        }
    };
    let mut issues = p.issues;
    issues.sort_by_key(|i| i.pos);
    let root = root.filter(|_| !issues.iter().any(is_fatal));
    (root, issues)
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
    /// Syntax errors stepped over so far.
    recovered: usize,
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

    /// Report a syntax error at `pos` and go on, as long as not too many were stepped over.
    fn recover(&mut self, pos: Pos, message: String) -> Result<(), ParseIssue> {
        let issue = ParseIssue {
            pos,
            kind: ParseIssueKind::Syntax,
            message,
        };
        if self.recovered >= MAX_SYNTAX_ERRORS {
            return Err(issue);
        }
        self.recovered += 1;
        self.issues.push(issue);
        Ok(())
    }

    /// Whether the next character can start a value (so a comma before it was forgotten).
    fn at_value_start(&self) -> bool {
        matches!(
            self.peek(),
            Some(b'{' | b'[' | b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9')
        )
    }

    /// "a comma after line N" when the previous value ended on an earlier line.
    fn missing_comma(&self, ended: Pos, closer: char) -> String {
        if ended.line < self.pos().line {
            format!(
                "expected a comma after line {} (found {} where `,` or `{closer}` belongs)",
                ended.line,
                self.describe_here()
            )
        } else {
            format!(
                "expected a comma before {} (found it where `,` or `{closer}` belongs)",
                self.describe_here()
            )
        }
    }

    /// End of file inside an object or array.
    fn unclosed(&self, what: &str, opened: Pos, closer: char) -> ParseIssue {
        self.error(format!(
            "the {what} opened at line {}, column {} is never closed: expected `,` or `{closer}`, found end of file",
            opened.line, opened.col
        ))
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

    fn describe_here(&self) -> String {
        match self.text[self.at..].chars().next() {
            None => "end of file".to_string(),
            Some(c) if c.is_control() => format!("`{}`", c.escape_debug()),
            Some(c) => format!("`{c}`"),
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
            if self.peek() == Some(b':') {
                self.bump();
            } else if self.at_value_start() {
                let message = format!(
                    "expected `:` after the property name `{key}`, found {}",
                    self.describe_here()
                );
                self.recover(self.pos(), message)?;
            } else {
                return Err(self.error(format!(
                    "expected `:` after the property name `{key}`, found {}",
                    self.describe_here()
                )));
            }
            self.skip_ws();
            let value = self.value()?;
            let ended = self.pos();
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
                    let comma = self.pos();
                    self.bump();
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.recover(
                            comma,
                            "trailing comma before `}` (JSON allows none): remove this comma"
                                .to_string(),
                        )?;
                        self.bump();
                        return Ok(Node {
                            pos,
                            value: NodeValue::Map(entries),
                        });
                    }
                }
                Some(b'}') => {
                    self.bump();
                    return Ok(Node {
                        pos,
                        value: NodeValue::Map(entries),
                    });
                }
                Some(b'"') => {
                    let message = self.missing_comma(ended, '}');
                    self.recover(self.pos(), message)?;
                }
                None => return Err(self.unclosed("object", pos, '}')),
                _ => {
                    return Err(self.error(format!(
                        "expected `,` or `}}` after the value, found {}",
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
            let ended = self.pos();
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    let comma = self.pos();
                    self.bump();
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.recover(
                            comma,
                            "trailing comma before `]` (JSON allows none): remove this comma"
                                .to_string(),
                        )?;
                        self.bump();
                        return Ok(Node {
                            pos,
                            value: NodeValue::Seq(items),
                        });
                    }
                }
                Some(b']') => {
                    self.bump();
                    return Ok(Node {
                        pos,
                        value: NodeValue::Seq(items),
                    });
                }
                None => return Err(self.unclosed("list", pos, ']')),
                _ if self.at_value_start() => {
                    let message = self.missing_comma(ended, ']');
                    self.recover(self.pos(), message)?;
                }
                _ => {
                    return Err(self.error(format!(
                        "expected `,` or `]` after the value, found {}",
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
    fn trailing_comma_is_an_error_at_the_comma() {
        let e = parse_err("{\n  \"a\": 1,\n}");
        assert_eq!(e.pos, Pos { line: 2, col: 9 });
        assert!(e.message.contains("trailing comma"), "{}", e.message);
    }

    #[test]
    fn parsing_goes_on_past_missing_and_extra_commas() {
        let text = "{\n  \"a\": [1 2,],\n  \"b\": 1\n  \"c\" 2,\n  \"d\": {\"e\": 1,}\n}";
        let (root, issues) = parse_all(text, &Limits::default());
        assert!(root.is_none());
        let found: Vec<(u32, u32, &str)> = issues
            .iter()
            .map(|i| (i.pos.line, i.pos.col, i.message.as_str()))
            .collect();
        assert_eq!(found.len(), 5, "{found:#?}");
        assert_eq!((found[0].0, found[0].1), (2, 11));
        assert!(
            found[0].2.starts_with("expected a comma before `2`"),
            "{}",
            found[0].2
        );
        assert_eq!((found[1].0, found[1].1), (2, 12));
        assert!(found[1].2.contains("trailing comma"));
        assert_eq!((found[2].0, found[2].1), (4, 3));
        assert!(
            found[2].2.starts_with("expected a comma after line 3"),
            "{}",
            found[2].2
        );
        assert_eq!((found[3].0, found[3].1), (4, 7));
        assert!(
            found[3]
                .2
                .contains("expected `:` after the property name `c`")
        );
        assert_eq!((found[4].0, found[4].1), (5, 15));
    }

    #[test]
    fn an_unclosed_object_names_where_it_opened() {
        let e = parse_err("[\n  {\"a\": 1\n");
        assert!(
            e.message.contains("opened at line 2, column 3"),
            "{}",
            e.message
        );
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

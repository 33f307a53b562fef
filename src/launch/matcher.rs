//! The JSONPath filter expressions wrapper inputs use as `matcher`s (`@.scan-type == 'T1'`,
//! `@.label =~ /^NIFTI/i`, `'DICOM' in @.tags`), evaluated against an object's JSON.
//!
//! XNAT hands them to Jayway JsonPath as `$.scans[?(MATCHER)]`
//! (`CommandResolutionServiceImpl.matchChildFromParent`). This is the subset command authors
//! write: `@.a.b` / `@['a-b']` paths, string, number, boolean and list literals, `==`, `!=`,
//! `<`, `<=`, `>`, `>=`, `=~` (Jayway matches the whole value), `in`, `nin`, `contains`,
//! `empty`, `&&`, `||`, `!` and parentheses. Anything else is an error, never a silent miss.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("matcher `{matcher}`: {reason}")]
pub struct MatcherError {
    pub matcher: String,
    pub reason: String,
}

/// Whether `object` satisfies `matcher`.
pub fn matches(matcher: &str, object: &Value) -> Result<bool, MatcherError> {
    let fail = |reason: String| MatcherError {
        matcher: matcher.to_string(),
        reason,
    };
    let tokens = tokenize(matcher).map_err(fail)?;
    let mut p = Parser { tokens, at: 0 };
    let expr = p.or().map_err(fail)?;
    if p.at != p.tokens.len() {
        return Err(fail(format!("unexpected `{}`", p.tokens[p.at].text())));
    }
    eval(&expr, object).map_err(fail)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Path(Vec<String>),
    Lit(Value),
    Regex(String, bool),
    Op(&'static str),
    Open,
    Close,
    ListOpen,
    ListClose,
    Comma,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Path(p) => format!("@.{}", p.join(".")),
            Tok::Lit(v) => v.to_string(),
            Tok::Regex(r, _) => format!("/{r}/"),
            Tok::Op(o) => (*o).to_string(),
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::ListOpen => "[".into(),
            Tok::ListClose => "]".into(),
            Tok::Comma => ",".into(),
        }
    }
}

const OPS: [&str; 13] = [
    "==", "!=", "<=", ">=", "=~", "&&", "||", "<", ">", "!", "nin", "in", "contains",
];

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '@' {
            let (path, next) = path(&chars, i + 1)?;
            out.push(Tok::Path(path));
            i = next;
        } else if c == '\'' || c == '"' {
            let (s, next) = quoted(&chars, i)?;
            out.push(Tok::Lit(Value::String(s)));
            i = next;
        } else if c == '/' && matches!(out.last(), Some(Tok::Op("=~"))) {
            let end = (i + 1..chars.len())
                .find(|&j| chars[j] == '/' && chars[j - 1] != '\\')
                .ok_or("a regular expression without its closing `/`")?;
            let flags_i = chars.get(end + 1) == Some(&'i');
            out.push(Tok::Regex(chars[i + 1..end].iter().collect(), flags_i));
            i = end + 1 + usize::from(flags_i);
        } else if c == '(' || c == ')' || c == '[' || c == ']' || c == ',' {
            out.push(match c {
                '(' => Tok::Open,
                ')' => Tok::Close,
                '[' => Tok::ListOpen,
                ']' => Tok::ListClose,
                _ => Tok::Comma,
            });
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let n: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
            out.push(Tok::Lit(serde_json::json!(n)));
        } else if let Some(op) = OPS.iter().find(|op| starts_with(&chars, i, op)) {
            out.push(Tok::Op(op));
            i += op.chars().count();
        } else if let Some(word) = ["true", "false", "null"]
            .iter()
            .find(|w| starts_with(&chars, i, w))
        {
            out.push(Tok::Lit(serde_json::from_str(word).unwrap_or(Value::Null)));
            i += word.len();
        } else {
            return Err(format!(
                "cannot read `{}` (xcs evaluates a subset of JSONPath filters)",
                chars[i..].iter().collect::<String>()
            ));
        }
    }
    Ok(out)
}

fn starts_with(chars: &[char], at: usize, word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    chars.len() >= at + w.len() && chars[at..at + w.len()] == w[..]
}

fn quoted(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let q = chars[start];
    let mut s = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                s.push(chars[i + 1]);
                i += 2;
            }
            c if c == q => return Ok((s, i + 1)),
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err("a string without its closing quote".into())
}

/// `.a.b-c` or `['a-b']` segments after `@`.
fn path(chars: &[char], mut i: usize) -> Result<(Vec<String>, usize), String> {
    let mut segments = Vec::new();
    loop {
        if chars.get(i) == Some(&'.') {
            let start = i + 1;
            i = start;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '-' | '_')) {
                i += 1;
            }
            if i == start {
                return Err("`@.` without a property name".into());
            }
            segments.push(chars[start..i].iter().collect());
        } else if chars.get(i) == Some(&'[') && matches!(chars.get(i + 1), Some('\'' | '"')) {
            let (s, next) = quoted(chars, i + 1)?;
            if chars.get(next) != Some(&']') {
                return Err("`@['…'` without its closing `]`".into());
            }
            segments.push(s);
            i = next + 1;
        } else {
            return Ok((segments, i));
        }
    }
}

#[derive(Debug)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Operand, &'static str, Operand),
    Exists(Operand),
}

#[derive(Debug)]
enum Operand {
    Path(Vec<String>),
    Lit(Value),
    Regex(String, bool),
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Op("||")) {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Tok::Op("&&")) {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some(Tok::Op("!")) => {
                self.at += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                self.at += 1;
                let e = self.or()?;
                match self.next() {
                    Some(Tok::Close) => Ok(e),
                    _ => Err("a `(` without its `)`".into()),
                }
            }
            _ => {
                let left = self.operand()?;
                match self.peek() {
                    Some(Tok::Op(op)) if !matches!(*op, "&&" | "||" | "!") => {
                        let op = *op;
                        self.at += 1;
                        Ok(Expr::Cmp(left, op, self.operand()?))
                    }
                    _ => Ok(Expr::Exists(left)),
                }
            }
        }
    }
    fn operand(&mut self) -> Result<Operand, String> {
        match self.next() {
            Some(Tok::Path(p)) => Ok(Operand::Path(p)),
            Some(Tok::Lit(v)) => Ok(Operand::Lit(v)),
            Some(Tok::Regex(r, i)) => Ok(Operand::Regex(r, i)),
            Some(Tok::ListOpen) => {
                let mut items = Vec::new();
                loop {
                    match self.next() {
                        Some(Tok::ListClose) => break,
                        Some(Tok::Comma) => {}
                        Some(Tok::Lit(v)) => items.push(v),
                        other => {
                            return Err(format!(
                                "a list holds literals only, found {}",
                                other.map_or("the end".into(), |t| format!("`{}`", t.text()))
                            ));
                        }
                    }
                }
                Ok(Operand::Lit(Value::Array(items)))
            }
            Some(t) => Err(format!("expected a value, found `{}`", t.text())),
            None => Err("the expression ends too early".into()),
        }
    }
}

fn eval(e: &Expr, obj: &Value) -> Result<bool, String> {
    Ok(match e {
        Expr::Or(a, b) => eval(a, obj)? || eval(b, obj)?,
        Expr::And(a, b) => eval(a, obj)? && eval(b, obj)?,
        Expr::Not(a) => !eval(a, obj)?,
        Expr::Exists(o) => !matches!(value(o, obj), Value::Null),
        Expr::Cmp(a, op, b) => compare(&value(a, obj), op, b, obj)?,
    })
}

fn value(o: &Operand, obj: &Value) -> Value {
    match o {
        Operand::Path(p) => p
            .iter()
            .try_fold(obj, |v, seg| v.get(seg))
            .cloned()
            .unwrap_or(Value::Null),
        Operand::Lit(v) => v.clone(),
        Operand::Regex(r, _) => Value::String(r.clone()),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map_or(n.to_string(), |f| format!("{}", f as i64)),
        other => other.to_string(),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => !a.is_null() && !b.is_null() && text(a) == text(b) || a.is_null() && b.is_null(),
    }
}

fn compare(left: &Value, op: &str, right: &Operand, obj: &Value) -> Result<bool, String> {
    if op == "=~" {
        let Operand::Regex(pattern, insensitive) = right else {
            return Err("`=~` needs a /regular expression/".into());
        };
        let anchored = format!("{}^(?:{pattern})$", if *insensitive { "(?i)" } else { "" });
        let re =
            regex::Regex::new(&anchored).map_err(|e| format!("bad regular expression: {e}"))?;
        return Ok(!left.is_null() && re.is_match(&text(left)));
    }
    let r = value(right, obj);
    Ok(match op {
        "==" => equal(left, &r),
        "!=" => !equal(left, &r),
        "in" | "nin" => {
            let found = r
                .as_array()
                .is_some_and(|a| a.iter().any(|x| equal(left, x)));
            found == (op == "in")
        }
        "contains" => match left {
            Value::Array(a) => a.iter().any(|x| equal(x, &r)),
            Value::String(s) => s.contains(&text(&r)),
            _ => false,
        },
        "<" | "<=" | ">" | ">=" => {
            let ord = match (left.as_f64(), r.as_f64()) {
                (Some(x), Some(y)) => x.partial_cmp(&y),
                _ if left.is_null() || r.is_null() => None,
                _ => Some(text(left).cmp(&text(&r))),
            };
            ord.is_some_and(|o| match op {
                "<" => o.is_lt(),
                "<=" => o.is_le(),
                ">" => o.is_gt(),
                _ => o.is_ge(),
            })
        }
        other => return Err(format!("`{other}` is not a comparison")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_forms_authors_write() {
        let scan =
            json!({"id": "2", "scan-type": "T1w", "frames": 176, "tags": ["a"], "label": "NIFTI"});
        for (m, want) in [
            ("@.scan-type == 'T1w'", true),
            ("@['scan-type'] == \"T1w\"", true),
            ("@.scan-type in ['T2', 'T1w']", true),
            ("@.scan-type nin ['T2']", true),
            ("@.label =~ /nif.*/i", true),
            ("@.label =~ /NIF/", false),
            ("@.frames > 100 && !(@.id == '3')", true),
            ("@.id == 2 || @.missing", true),
            ("@.tags contains 'a'", true),
            ("@.missing", false),
        ] {
            assert_eq!(matches(m, &scan), Ok(want), "{m}");
        }
        assert!(matches("@.a ~~ 3", &scan).is_err());
        assert!(matches("@.label =~ /(/", &scan).is_err());
    }
}

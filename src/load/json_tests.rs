//! Unit tests of the JSON parser (`json.rs`).

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

//! XNAT's template syntax: `#KEY#` replacement keys in command lines, mounts and output
//! patterns. Pure text handling, shared by the YAML reader (comment heuristics) and validation.

/// `#token#` spans in a template: non-empty, no spaces or `#` inside.
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('#') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('#') else { break };
        let inner = &after[..end];
        if !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            out.push(&rest[start..start + end + 2]);
            rest = &after[end + 1..];
        } else {
            rest = after;
        }
    }
    out
}

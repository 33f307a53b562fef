//! The redactor: every text xcs prints, writes or puts in an error passes through [`scrub`],
//! which replaces each secret value this process has resolved — and the forms it takes on the
//! way to a server and back (JSON-escaped, URL-encoded, base64 at any alignment) — with
//! `[REDACTED]`. A [`Secret`](super::Secret) registers its value here when it is made, so the
//! redactor knows every secret xcs could have sent, whoever sends it and whatever echoes it.
//!
//! Values shorter than [`MIN_LEN`] characters are not matched: they would blank ordinary words
//! in the output, and no registry or XNAT credential worth protecting is that short.

use base64::Engine as _;
use std::sync::RwLock;

pub const MASK: &str = "[REDACTED]";
pub const MIN_LEN: usize = 6;

static NEEDLES: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Every form of `secret` that can appear in text: as is, JSON-escaped, URL-encoded (path and
/// form style), and base64 (standard and URL-safe alphabets) at each of the three alignments it
/// can have inside a longer encoded text (e.g. a Basic `Authorization` header).
pub fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    let json = serde_json::to_string(secret).unwrap_or_default();
    out.push(json.trim_matches('"').to_string());
    let url = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    out.push(url.replace("%20", "+"));
    out.push(url);
    let query = percent_encoding::utf8_percent_encode(secret, QUERY).to_string();
    out.push(query);
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        out.push(engine.encode(secret));
        for shift in 0..3usize {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = engine.encode(&bytes);
            // The first characters mix in the unknown bytes before the secret; the last ones
            // the unknown bytes after it. What lies between is fixed wherever the secret sits.
            let skip = (shift * 8).div_ceil(6);
            let keep = (bytes.len() / 3) * 4;
            if keep > skip {
                out.push(encoded[skip..keep].to_string());
            }
        }
    }
    out.retain(|f| f.len() >= MIN_LEN);
    out.sort();
    out.dedup();
    out
}

/// Characters a query-string encoder escapes (reqwest / url's form encoding keeps these).
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'*');

/// Remember a secret value (and its encoded forms) for [`scrub`].
pub fn register(secret: &str) {
    if secret.chars().count() < MIN_LEN {
        return;
    }
    let forms = forms(secret);
    let mut needles = NEEDLES.write().unwrap_or_else(|e| e.into_inner());
    for f in forms {
        if !needles.contains(&f) {
            needles.push(f);
        }
    }
    // Longest first, so a form that contains another is replaced whole.
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
}

/// `text` with every known secret form replaced by [`MASK`].
pub fn scrub(text: &str) -> String {
    let needles = NEEDLES.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for n in needles.iter() {
        if out.contains(n.as_str()) {
            out = out.replace(n.as_str(), MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_masked() {
        let secret = "CANARY-s3cr3t \"q\"/+=&é";
        register(secret);
        let json = serde_json::to_string(&serde_json::json!({ "password": secret })).expect("json");
        assert!(!scrub(&json).contains("s3cr3t"), "{}", scrub(&json));
        let url = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        assert_eq!(scrub(&format!("?p={url}&x=1")), format!("?p={MASK}&x=1"));
        for prefix in ["", "a", "ab", "abc:"] {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{prefix}{secret}").as_bytes());
            let scrubbed = scrub(&basic);
            assert!(scrubbed.contains(MASK), "{prefix}: {basic} → {scrubbed}");
        }
        assert_eq!(scrub("nothing secret here"), "nothing secret here");
    }

    #[test]
    fn short_values_are_not_matched() {
        register("admin");
        assert_eq!(scrub("user admin"), "user admin");
    }
}

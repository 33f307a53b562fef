//! The one credential detector: whether a name says it holds a credential, and whether a value
//! is shaped like one. Pure functions, shared by `validate` (warning XCS305) and the catalog
//! site (which withholds what they find on every page, snippet and JSON file), so the two never
//! disagree about what is a secret.

use super::Command;
use std::collections::HashSet;

/// Stands in for a withheld value everywhere xcs publishes a command.
pub const WITHHELD: &str = "<withheld: sensitive>";

/// Why a value is taken for a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The name says so (`XNAT_PASS`, `DB_PWD`, `AWS_ACCESS_KEY_ID`…) and the value is a literal.
    Name,
    /// `Bearer …`, `Basic …`, `Token …`.
    AuthScheme,
    /// A PEM `-----BEGIN … PRIVATE KEY-----` block.
    PrivateKey,
    /// An AWS access key id (`AKIA…`, `ASIA…`).
    AwsKey,
    /// A token with a well-known prefix (GitHub, GitLab, Slack, OpenAI-style) or a JWT.
    KnownToken,
    /// A URL carrying a password (`scheme://user:pass@host`).
    UrlPassword,
    /// A long random-looking string (mixed case and digits, high entropy).
    HighEntropy,
}

impl Shape {
    /// In words, for messages (never with the value).
    pub fn words(self) -> &'static str {
        match self {
            Shape::Name => "its name says it holds a credential",
            Shape::AuthScheme => "the value is an HTTP authorization (bearer/basic token)",
            Shape::PrivateKey => "the value is a private key",
            Shape::AwsKey => "the value is an AWS access key",
            Shape::KnownToken => "the value is an access token",
            Shape::UrlPassword => "the value is a URL with a password",
            Shape::HighEntropy => "the value looks like a random key or token",
        }
    }
}

/// Name parts that mean a credential on their own (`XNAT_PASS`, `DB_PWD`, `AUTH_HEADER`).
const NAME_PARTS: &[&str] = &[
    "PASS",
    "PWD",
    "PW",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "KEY",
    "KEYS",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "AUTH",
    "AUTHORIZATION",
    "COOKIE",
    "LICENSE",
    "LICENCE",
    "PRIVATE",
];

/// Name fragments that mean a credential anywhere (`MYAPITOKEN`, `DBPASSWORD`).
const NAME_FRAGMENTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "CREDENTIAL",
    "PRIVATEKEY",
    "ACCESSKEY",
];

/// Names that contain a credential word but are well known not to hold one.
const NOT_CREDENTIALS: &[&str] = &["PWD", "OLDPWD"];

/// Whether a name (environment variable, input) says it holds a credential.
pub fn is_credential_name(name: &str) -> bool {
    let upper = name.to_uppercase();
    if NOT_CREDENTIALS.contains(&upper.as_str()) {
        return false;
    }
    if NAME_FRAGMENTS.iter().any(|f| upper.contains(f)) {
        return true;
    }
    name_parts(name)
        .iter()
        .any(|p| NAME_PARTS.contains(&p.as_str()))
}

/// `xnatPass_B64` → `XNAT`, `PASS`, `B64`: split at non-alphanumerics and lower→upper steps.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            parts.push(std::mem::take(&mut current));
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            parts.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    parts.push(current);
    parts.retain(|p| !p.is_empty());
    parts
}

/// What is left of a value once what is filled in elsewhere is taken out: `#KEY#` templates
/// (XNAT fills them at launch), and a value that is wholly a reference to another variable
/// (`$NAME`, `${NAME}`, `${env:NAME}`, `${file:PATH}`, with `NAME` in upper snake case). A `$`
/// value that is not exactly such a reference is a literal like any other (`$ecretPassw0rd`,
/// `$2y$10$…` are not references).
fn literal_part(value: &str) -> String {
    let trimmed = value.trim();
    if is_reference(trimmed) {
        return String::new();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = trimmed;
    while let Some(start) = rest.find('#') {
        let after = &rest[start + 1..];
        match after.find('#') {
            Some(end)
                if end > 0
                    && after[..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                out.push_str(&rest[..start]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(&rest[..=start]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// An environment variable name as references write them: `UPPER_SNAKE`. (`$ecretPassw0rd`
/// has the form of a shell reference but not of a variable anyone declares.)
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn is_reference(value: &str) -> bool {
    if let Some(inner) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        return is_identifier(inner)
            || inner.strip_prefix("env:").is_some_and(is_identifier)
            || inner.strip_prefix("file:").is_some_and(|p| !p.is_empty());
    }
    value.strip_prefix('$').is_some_and(is_identifier)
}

/// Whether `value`, under `name`, holds a credential, and why. `None` for values that are
/// empty, templates (`#PASSWORD#`) or references once templates are taken out, and for ordinary
/// text under an ordinary name.
pub fn detect(name: &str, value: &str) -> Option<Shape> {
    let literal = literal_part(value);
    if literal.is_empty() {
        return None;
    }
    if let Some(shape) = value_shape(&literal) {
        return Some(shape);
    }
    // "Bearer " before a template is a scheme word, not a secret; an absolute path says where
    // the credential is (`FS_LICENSE: /run/secrets/license.txt`), not what it is.
    let scheme_only = matches!(
        literal.to_ascii_lowercase().as_str(),
        "bearer" | "basic" | "token" | "digest"
    );
    let path = literal.starts_with('/') && !literal.contains(char::is_whitespace);
    (is_credential_name(name) && !scheme_only && !path).then_some(Shape::Name)
}

/// Whether a value is shaped like a credential, whatever its name.
pub fn value_shape(value: &str) -> Option<Shape> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some(Shape::PrivateKey);
    }
    let words: Vec<&str> = value
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '=' | '$'))
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        let scheme = pair[0].trim_end_matches(':').to_ascii_lowercase();
        if matches!(scheme.as_str(), "bearer" | "basic" | "token" | "digest") && pair[1].len() >= 8
        {
            return Some(Shape::AuthScheme);
        }
    }
    if url_has_password(value) {
        return Some(Shape::UrlPassword);
    }
    for w in &words {
        if is_aws_key(w) {
            return Some(Shape::AwsKey);
        }
        if is_known_token(w) {
            return Some(Shape::KnownToken);
        }
    }
    // The whole value too: base64 keeps its `=` padding, which the split took away.
    std::iter::once(value.trim())
        .chain(words.iter().copied())
        .any(is_high_entropy)
        .then_some(Shape::HighEntropy)
}

fn is_aws_key(word: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA",
    ];
    let w = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    w.len() == 20
        && PREFIXES.iter().any(|p| w.starts_with(p))
        && w[4..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_known_token(word: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "xoxs-",
        "sk-",
        "sk_live_",
        "rk_live_",
        "hf_",
        "AIza",
    ];
    let long_enough = word.len() >= 20;
    let jwt = word.starts_with("eyJ") && word.matches('.').count() == 2 && long_enough;
    jwt || (long_enough && PREFIXES.iter().any(|p| word.starts_with(p)))
}

fn url_has_password(value: &str) -> bool {
    value.split_whitespace().any(|w| {
        w.split_once("://").is_some_and(|(_, rest)| {
            let authority = rest.split('/').next().unwrap_or_default();
            authority.rsplit_once('@').is_some_and(|(userinfo, _)| {
                userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty())
            })
        })
    })
}

/// At least 20 characters of letters, digits and `+/=_-`, with upper case, lower case and
/// digits all present, and more than 3.5 bits of entropy per character: random keys and
/// base64 blobs, not paths, words, version strings or lower-case hex ids.
fn is_high_entropy(word: &str) -> bool {
    if word.len() < 20
        || !word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-'))
    {
        return false;
    }
    let has = |f: fn(&char) -> bool| word.chars().any(|c| f(&c));
    if !(has(char::is_ascii_uppercase)
        && has(char::is_ascii_lowercase)
        && has(char::is_ascii_digit))
    {
        return false;
    }
    // A path of words (`/opt/Bin2/Tools`) is not a key: keys have few separators.
    if word.matches('/').count() > 3 || word.starts_with('/') {
        return false;
    }
    entropy(word) > 3.5
}

/// Shannon entropy in bits per character.
fn entropy(word: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut n = 0u32;
    for b in word.bytes().filter(u8::is_ascii) {
        counts[usize::from(b)] += 1;
        n += 1;
    }
    let n = f64::from(n.max(1));
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The names of the command's sensitive inputs, command and wrapper inputs alike (XNAT masks
/// their values in its own UI).
pub fn sensitive_inputs(cmd: &Command) -> HashSet<String> {
    let mut names: HashSet<String> = cmd
        .inputs
        .iter()
        .filter(|i| i.sensitive == Some(true))
        .map(|i| i.name.clone())
        .collect();
    for w in &cmd.xnat {
        names.extend(
            w.inputs()
                .filter(|i| i.sensitive == Some(true))
                .map(|i| i.name.clone()),
        );
    }
    names
}

/// Whether a value set for input `name` (a default, a configured value, an automation's value)
/// must be withheld: the input is `sensitive`, or the value is a credential.
pub fn withhold_input(sensitive: &HashSet<String>, name: &str, value: &str) -> bool {
    sensitive.contains(name) || detect(name, value).is_some()
}

/// The command with every credential replaced by [`WITHHELD`]: environment variable values the
/// detector flags, and defaults of inputs that are sensitive or hold a credential. Whatever
/// publishes a command publishes this, so pages, snippets and JSON all show the same mask.
pub fn withhold(cmd: &Command) -> Command {
    let mut out = cmd.clone();
    let sensitive = sensitive_inputs(cmd);
    let labels = out.container_labels.iter_mut().flat_map(|l| l.iter_mut());
    for (k, v) in out.environment_variables.iter_mut().chain(labels) {
        if detect(k, v).is_some() {
            *v = WITHHELD.to_string();
        }
    }
    let mask = |name: &str, value: &mut Option<String>| {
        if value
            .as_deref()
            .is_some_and(|v| withhold_input(&sensitive, name, v))
        {
            *value = Some(WITHHELD.to_string());
        }
    };
    for input in &mut out.inputs {
        mask(&input.name, &mut input.default_value);
    }
    for w in &mut out.xnat {
        for input in w
            .external_inputs
            .iter_mut()
            .chain(w.derived_inputs.iter_mut())
        {
            mask(&input.name, &mut input.default_value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for name in [
            "XNAT_PASS",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "PRIVATE_KEY",
            "FS_LICENSE_B64",
            "DB_PWD",
            "CREDENTIALS",
            "AUTH_HEADER",
            "xnatPass",
            "api-token",
            "DB_PASSWORD",
            "MYAPIKEY",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in [
            "PWD",
            "MODE",
            "OMP_NUM_THREADS",
            "PASSES_MAX",
            "AUTHOR",
            "KEYWORDS",
            "BYPASS",
        ] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

    #[test]
    fn one_test_per_shape() {
        let cases = [
            (
                "AUTH_HEADER",
                "Bearer CANARY-abc123def456",
                Shape::AuthScheme,
            ),
            (
                "H",
                "Authorization: Basic dXNlcjpwYXNzd29yZA==",
                Shape::AuthScheme,
            ),
            (
                "K",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
                Shape::PrivateKey,
            ),
            ("ID", "AKIAIOSFODNN7EXAMPLE", Shape::AwsKey),
            (
                "GH",
                "ghp_0123456789abcdefABCDEF0123456789ab",
                Shape::KnownToken,
            ),
            (
                "J",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlX2hlcmU",
                Shape::KnownToken,
            ),
            (
                "DB",
                "postgres://app:hunter2@db.example.org/x",
                Shape::UrlPassword,
            ),
            (
                "S",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                Shape::HighEntropy,
            ),
            (
                "B64",
                "TGljZW5zZSBmb3IgRnJlZVN1cmZlcjogMTIzNDU2Nzg5MA==",
                Shape::HighEntropy,
            ),
            ("XNAT_PASS", "hunter2", Shape::Name),
            ("DB_PWD", "$ecretPassw0rd", Shape::Name),
            (
                "X",
                "$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
                Shape::HighEntropy,
            ),
        ];
        for (name, value, shape) in cases {
            assert_eq!(detect(name, value), Some(shape), "{name}={value}");
        }
    }

    #[test]
    fn templates_references_and_plain_text_are_not_credentials() {
        for (name, value) in [
            ("XNAT_PASS", "#PASSWORD#"),
            ("AUTH_HEADER", "Bearer #TOKEN#"),
            ("DB_PASSWORD", "${env:DB_PASSWORD}"),
            ("DB_PASSWORD", "$DB_PASSWORD"),
            ("DB_PASSWORD", ""),
            ("MODE", "fast"),
            ("FREESURFER_HOME", "/usr/local/freesurfer/7.4.1-1/bin/Tools"),
            (
                "IMAGE_ID",
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
            ("RUN", "1234567890abcdef1234567890abcdef"),
            (
                "DESCRIPTION",
                "Converts DICOM series to NIfTI with BIDS sidecars",
            ),
            ("VERSION", "v1.0.20240202"),
            ("PWD", "/work"),
            ("FS_LICENSE", "/tmp/freesurfer-license.txt"),
        ] {
            assert_eq!(detect(name, value), None, "{name}={value}");
        }
    }

    #[test]
    fn withheld_everywhere_in_a_command() {
        let mut cmd = Command {
            name: "x".into(),
            ..Command::default()
        };
        cmd.environment_variables
            .insert("API_TOKEN".into(), "canary-1".into());
        cmd.environment_variables
            .insert("DB_PASSWORD".into(), "#PASS#".into());
        cmd.environment_variables
            .insert("MODE".into(), "fast".into());
        cmd.inputs.push(super::super::CommandInput {
            name: "key".into(),
            sensitive: Some(true),
            default_value: Some("canary-2".into()),
            ..Default::default()
        });
        cmd.inputs.push(super::super::CommandInput {
            name: "header".into(),
            default_value: Some("Bearer canary-3-abcdefgh".into()),
            ..Default::default()
        });
        let masked = serde_json::to_string(&withhold(&cmd)).expect("json");
        assert!(!masked.contains("canary"), "{masked}");
        assert!(
            masked.contains("#PASS#") && masked.contains("fast"),
            "{masked}"
        );
    }
}

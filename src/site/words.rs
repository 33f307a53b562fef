//! Plain words for XNAT's machine names: contexts as object types people know, image
//! references split into their parts, memory sizes, and URL slugs.

use serde::Serialize;

/// An XNAT context (an XSI type, or `site`) in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Context {
    /// As written in the command, e.g. `xnat:mrSessionData`.
    pub xsi: String,
    /// What a person calls it, e.g. `MR session`.
    pub words: String,
    /// The broad object type used for filtering: `session`, `scan`, `subject`, `project`,
    /// `assessor`, `resource`, `site` or `other`.
    pub object: &'static str,
}

/// Broad object types in the order the filters list them.
pub const OBJECTS: [&str; 8] = [
    "project", "subject", "session", "scan", "assessor", "resource", "site", "other",
];

pub fn context(xsi: &str) -> Context {
    let (object, words) = context_words(xsi);
    Context {
        xsi: xsi.to_string(),
        words,
        object,
    }
}

fn context_words(xsi: &str) -> (&'static str, String) {
    if xsi == "site" {
        return ("site", "whole site".to_string());
    }
    let local = xsi.rsplit(':').next().unwrap_or(xsi);
    let fixed = match local {
        "projectData" => Some(("project", "project")),
        "subjectData" => Some(("subject", "subject")),
        "imageSessionData" | "experimentData" => Some(("session", "session")),
        "subjectAssessorData" => Some(("session", "subject assessor")),
        "imageScanData" => Some(("scan", "scan")),
        "imageAssessorData" => Some(("assessor", "image assessor")),
        "abstractResource" | "resourceCatalog" => Some(("resource", "resource")),
        _ => None,
    };
    if let Some((object, words)) = fixed {
        return (object, words.to_string());
    }
    // `mrSessionData` → "MR session", `petScanData` → "PET scan": the prefix is the modality.
    for (suffix, object, noun) in [
        ("SessionData", "session", "session"),
        ("ScanData", "scan", "scan"),
        ("AssessorData", "assessor", "assessor"),
    ] {
        if let Some(modality) = local.strip_suffix(suffix)
            && !modality.is_empty()
        {
            return (object, format!("{} {noun}", modality.to_uppercase()));
        }
    }
    ("other", xsi.to_string())
}

/// A Docker image reference split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// As written.
    pub full: String,
    /// Registry host, `docker.io` when the reference names none.
    pub host: String,
    /// Repository without host, tag or digest, e.g. `xnat/dcm2niix`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:…` when the reference pins a digest.
    pub digest: Option<String>,
}

pub const DOCKER_HUB: &str = "docker.io";

pub fn image_ref(full: &str) -> ImageRef {
    let (name, digest) = match full.split_once('@') {
        Some((n, d)) => (n, Some(d.to_string())),
        None => (full, None),
    };
    let (name, tag) = match name.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t.to_string())),
        _ => (name, None),
    };
    // The first path component is a registry host when it looks like one (Docker's own rule).
    let (host, repository) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DOCKER_HUB.to_string(), name.to_string()),
    };
    ImageRef {
        full: full.to_string(),
        host,
        repository,
        tag,
        digest,
    }
}

/// The host of a registry URL (`https://index.docker.io/v1/` → `docker.io`), folding Docker
/// Hub's several names into one.
pub fn registry_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io"
        | "registry-1.docker.io"
        | "registry.hub.docker.com"
        | "hub.docker.com" => DOCKER_HUB.to_string(),
        _ => host,
    }
}

/// Memory in MiB as a person reads it.
pub fn mebibytes(mib: i64) -> String {
    if mib >= 1024 && mib % 1024 == 0 {
        format!("{} GiB", mib / 1024)
    } else if mib >= 1024 {
        format!("{:.1} GiB", mib as f64 / 1024.0)
    } else {
        format!("{mib} MiB")
    }
}

/// Bytes as a person reads them (for `shm-size`).
pub fn bytes(n: i64) -> String {
    const MIB: i64 = 1024 * 1024;
    if n >= MIB && n % MIB == 0 {
        mebibytes(n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// The memory filter's buckets, by the command's memory limit (or reservation).
pub const MEMORY_BUCKETS: [&str; 5] = [
    "up to 1 GiB",
    "up to 4 GiB",
    "up to 16 GiB",
    "over 16 GiB",
    "not stated",
];

pub fn memory_bucket(mib: Option<i64>) -> &'static str {
    match mib {
        None => MEMORY_BUCKETS[4],
        Some(m) if m <= 1024 => MEMORY_BUCKETS[0],
        Some(m) if m <= 4096 => MEMORY_BUCKETS[1],
        Some(m) if m <= 16384 => MEMORY_BUCKETS[2],
        Some(_) => MEMORY_BUCKETS[3],
    }
}

/// A URL path segment: lower-case ASCII letters, digits, `.`, `_` and `-`; everything else
/// becomes `-`. Never empty.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches(|c| c == '-' || c == '.');
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The first sentence (or line) of a description, cut to about `max` characters.
pub fn summary(text: &str, max: usize) -> String {
    let first = text.trim().lines().next().unwrap_or_default().trim();
    let sentence = match first.find(". ") {
        Some(i) => &first[..=i],
        None => first,
    };
    if sentence.chars().count() <= max {
        sentence.to_string()
    } else {
        let cut: String = sentence.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Only web links become `href`s: a `javascript:` or `data:` "info URL" is shown as text.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_in_plain_words() {
        assert_eq!(context("xnat:mrSessionData").words, "MR session");
        assert_eq!(context("xnat:mrSessionData").object, "session");
        assert_eq!(context("xnat:imageScanData").words, "scan");
        assert_eq!(context("xnat:petScanData").words, "PET scan");
        assert_eq!(context("site").object, "site");
        assert_eq!(context("icr:roiCollectionData").object, "other");
    }

    #[test]
    fn image_references_split() {
        let i = image_ref("registry.example.org:5000/lab/tool:1.2@sha256:abc");
        assert_eq!(i.host, "registry.example.org:5000");
        assert_eq!(i.repository, "lab/tool");
        assert_eq!(i.tag.as_deref(), Some("1.2"));
        assert_eq!(i.digest.as_deref(), Some("sha256:abc"));
        let h = image_ref("xnat/dcm2niix:1.0");
        assert_eq!(
            (h.host.as_str(), h.tag.as_deref()),
            (DOCKER_HUB, Some("1.0"))
        );
        assert_eq!(image_ref("localhost:5000/x").tag, None);
        assert_eq!(registry_host("https://index.docker.io/v1/"), DOCKER_HUB);
    }

    #[test]
    fn slugs_and_summaries() {
        assert_eq!(
            slug("Debug (with setup) Command"),
            "debug-with-setup-command"
        );
        assert_eq!(slug("../.."), "x");
        assert_eq!(summary("One. Two.", 80), "One.");
        assert_eq!(summary("abcdef", 4), "abc…");
        assert!(!is_web_url("javascript:alert(1)"));
    }
}

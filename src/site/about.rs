//! What people look for first about a command: licence, authors, contact, citation and DOI,
//! source repository. From `command-metadata`, then the image's OCI labels
//! (`org.opencontainers.image.*`, as `container-labels` declares them), then `info-url`.

use crate::model::Command;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize)]
pub struct About {
    pub license: Option<String>,
    pub authors: Vec<String>,
    pub contact: Option<String>,
    /// A `mailto:` or http(s) link for the contact, when it is one.
    pub contact_link: Option<String>,
    pub citation: Option<String>,
    /// `10.5281/zenodo.3524401`, linked to `https://doi.org/…`.
    pub doi: Option<String>,
    /// An http(s) URL of the source code.
    pub source: Option<String>,
}

impl About {
    pub fn is_empty(&self) -> bool {
        self.license.is_none()
            && self.authors.is_empty()
            && self.contact.is_none()
            && self.citation.is_none()
            && self.source.is_none()
    }
}

const OCI: &str = "org.opencontainers.image.";

pub fn about(cmd: &Command) -> About {
    let meta = cmd.command_metadata.as_ref();
    let text = |keys: &[&str]| -> Option<String> {
        keys.iter()
            .filter_map(|k| meta.and_then(|m| m.get(*k)))
            .find_map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                _ => None,
            })
    };
    let label = |name: &str| -> Option<String> {
        cmd.container_labels
            .as_ref()
            .and_then(|l| l.get(&format!("{OCI}{name}")))
            .filter(|v| !v.trim().is_empty())
            .cloned()
    };
    let mut authors: Vec<String> = meta
        .and_then(|m| m.get("authors").or_else(|| m.get("author")))
        .map(|v| match v {
            Value::Array(list) => list
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        })
        .unwrap_or_default();
    if authors.is_empty()
        && let Some(a) = label("authors")
    {
        authors = a.split(',').map(|s| s.trim().to_string()).collect();
    }
    authors.retain(|a| !a.is_empty());
    let citation = text(&["citation", "cite"]);
    let doi = text(&["doi"])
        .or_else(|| citation.as_deref().and_then(find_doi))
        .and_then(|d| find_doi(&d).or(Some(d)))
        .filter(|d| d.starts_with("10."));
    let source = text(&["source", "repository", "code", "source-url"])
        .or_else(|| label("source"))
        .or_else(|| {
            cmd.info_url.clone().filter(|u| {
                ["github.com/", "gitlab.com/", "bitbucket.org/"]
                    .iter()
                    .any(|h| u.contains(h))
            })
        })
        .filter(|u| super::words::is_web_url(u));
    let contact = text(&["contact", "email", "maintainer"]);
    let contact_link = contact.as_deref().and_then(|c| {
        if super::words::is_web_url(c) {
            Some(c.to_string())
        } else if c.contains('@') && !c.contains(char::is_whitespace) && !c.contains(':') {
            Some(format!("mailto:{c}"))
        } else {
            None
        }
    });
    About {
        license: text(&["license", "licence"]).or_else(|| label("licenses")),
        authors,
        contact,
        contact_link,
        citation,
        doi,
        source,
    }
}

/// The first `10.NNNN/…` in a text (`doi:10.…`, `https://doi.org/10.…`).
fn find_doi(text: &str) -> Option<String> {
    let start = text.find("10.")?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | ')' | ','))
        .unwrap_or(rest.len());
    let doi = rest[..end].trim_end_matches(['.', ';']);
    (doi.contains('/') && doi[3..].starts_with(|c: char| c.is_ascii_digit()))
        .then(|| doi.to_string())
}

#[cfg(test)]
mod tests {
    use super::find_doi;

    #[test]
    fn dois() {
        assert_eq!(
            find_doi("Zenodo. doi:10.5281/zenodo.3524401").as_deref(),
            Some("10.5281/zenodo.3524401")
        );
        assert_eq!(
            find_doi("https://doi.org/10.1016/j.jneumeth.2016.03.001.").as_deref(),
            Some("10.1016/j.jneumeth.2016.03.001")
        );
        assert_eq!(find_doi("version 10.0 of it"), None);
    }
}

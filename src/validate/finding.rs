//! What a rule reports before it has a file position: a rule, a JSON pointer and a message.
//!
//! Server-enforced rules also carry XNAT's own error text, so the XNAT simulator answers a bad
//! command exactly as XNAT would, from the same checks.

use super::rules::Rule;
use crate::load::Ptr;

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub at: Ptr,
    /// Point at the key rather than its value (unknown or misspelt keys).
    pub on_key: bool,
    pub message: String,
    pub hint: Option<String>,
    /// The line XNAT's `Command.validate()` produces for the same problem.
    pub xnat: Option<String>,
    /// The value is a secret; never quote it.
    pub sensitive: bool,
}

#[derive(Debug, Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn add(
        &mut self,
        rule: &'static Rule,
        at: &Ptr,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.0.push(Finding {
            rule,
            at: at.clone(),
            on_key: false,
            message: message.into(),
            hint: None,
            xnat: None,
            sensitive: false,
        });
        let last = self.0.len() - 1;
        &mut self.0[last]
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.0
    }
}

impl Finding {
    pub fn hint(&mut self, hint: impl Into<String>) -> &mut Finding {
        self.hint = Some(hint.into());
        self
    }
    pub fn maybe_hint(&mut self, hint: Option<String>) -> &mut Finding {
        self.hint = hint;
        self
    }
    pub fn xnat(&mut self, text: impl Into<String>) -> &mut Finding {
        self.xnat = Some(text.into());
        self
    }
    pub fn sensitive(&mut self) -> &mut Finding {
        self.sensitive = true;
        self
    }
    pub fn on_key(&mut self) -> &mut Finding {
        self.on_key = true;
        self
    }
}

/// "did you mean `x`?" for a misspelt name among known ones.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// A hint for a name that is not one of `known`: "did you mean `x`?" when one is close,
/// otherwise `otherwise` followed by the known names (e.g. "use one of `a`, `b`").
pub fn suggestion<'a, I>(word: &str, known: I, otherwise: &str) -> String
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    did_you_mean(word, known.clone())
        .unwrap_or_else(|| format!("{otherwise} {}", known_list(known)))
}

/// `a, b, c` for messages listing what is known.
pub fn known_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let list: Vec<String> = items.into_iter().map(|s| format!("`{s}`")).collect();
    if list.is_empty() {
        "none".to_string()
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_close_names_only() {
        assert_eq!(
            did_you_mean(
                "provides-value-to-command-input",
                ["provides-value-for-command-input", "name"]
            ),
            Some("did you mean `provides-value-for-command-input`?".into())
        );
        assert_eq!(did_you_mean("zzz", ["name", "image"]), None);
    }
}

//! What xcs manages on an XNAT, recorded in XNAT itself (its config service, tool `xcs`,
//! entry `managed`), so `--prune` deletes only what xcs created and any CI runner sees the same
//! record. Any XNAT user can read the config service: the record never holds a secret, only a
//! salted, deliberately slow fingerprint of each registry credential, so a changed credential is
//! sent and an unchanged one is not a perpetual difference.

use crate::model::Secret;
use serde::{Deserialize, Serialize};

pub const ENTRY: &str = "managed";
pub const FORMAT_VERSION: u32 = 1;
const ITERATIONS: u32 = 200_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Record {
    pub version: u32,
    #[serde(default)]
    pub commands: Vec<ManagedCommand>,
    #[serde(default)]
    pub registries: Vec<ManagedRegistry>,
    #[serde(default)]
    pub subscriptions: Vec<ManagedSubscription>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ManagedCommand {
    pub id: i64,
    pub name: String,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ManagedRegistry {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Fingerprint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ManagedSubscription {
    pub id: i64,
    pub name: String,
}

/// PBKDF2-HMAC-SHA256 of a credential with a random salt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub salt: String,
    pub hash: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn derive(secret: &str, salt: &[u8]) -> String {
    let mut out = [0u8; 32];
    let iterations = std::num::NonZeroU32::new(ITERATIONS).unwrap_or(std::num::NonZeroU32::MIN);
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        secret.as_bytes(),
        &mut out,
    );
    hex(&out)
}

impl Fingerprint {
    /// A new fingerprint of the credential (password and token together).
    pub fn new(credential: &str) -> Fingerprint {
        let mut salt = [0u8; 16];
        // A fixed salt only if the system RNG fails; the fingerprint stays correct, merely less
        // protected against precomputation.
        let _ = aws_lc_rs::rand::fill(&mut salt);
        Fingerprint {
            salt: hex(&salt),
            hash: derive(credential, &salt),
        }
    }

    pub fn matches(&self, credential: &str) -> bool {
        let salt: Vec<u8> = (0..self.salt.len() / 2)
            .filter_map(|i| u8::from_str_radix(self.salt.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        derive(credential, &salt) == self.hash
    }
}

/// The credential of a registry as one string for fingerprinting.
pub fn credential_text(password: Option<&Secret>, token: Option<&Secret>) -> String {
    format!(
        "p:{}\u{0}t:{}",
        password.map_or("", |s| s.expose()),
        token.map_or("", |s| s.expose())
    )
}

impl Record {
    pub fn parse(text: &str) -> Record {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    pub fn manages_command(&self, id: i64) -> bool {
        self.commands.iter().any(|c| c.id == id)
    }

    pub fn manages_registry(&self, name: &str) -> bool {
        self.registries.iter().any(|r| r.name == name)
    }

    pub fn manages_subscription(&self, id: i64) -> bool {
        self.subscriptions.iter().any(|s| s.id == id)
    }

    pub fn fingerprint(&self, registry: &str) -> Option<&Fingerprint> {
        self.registries
            .iter()
            .find(|r| r.name == registry)
            .and_then(|r| r.credential.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_only_their_credential_and_hide_it() {
        let canary = "canary-0c1a-registry-password";
        let f = Fingerprint::new(canary);
        assert!(f.matches(canary));
        assert!(!f.matches("another"));
        let text = serde_json::to_string(&f).expect("json");
        assert!(!text.contains(canary));
        assert_ne!(Fingerprint::new(canary).salt, f.salt, "salts are random");
    }
}

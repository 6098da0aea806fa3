//! Bearer tokens: random, shown once, stored as SHA-256 hashes. A token is 256 random bits, so
//! a fast hash is enough: there is nothing to brute-force that a slow hash would protect.

use sha2::Digest as _;

/// What a token may do. `admin` includes the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Upload snapshots.
    Push,
    /// Read images, findings, changes, health and metrics.
    Read,
    /// Manage webhooks and images, trigger advisory checks.
    Admin,
}

impl Scope {
    /// The name tokens are created with.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Push => "push",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "push" => Ok(Scope::Push),
            "read" => Ok(Scope::Read),
            "admin" => Ok(Scope::Admin),
            other => Err(format!("unknown scope {other:?} (push, read, admin)")),
        }
    }
}

/// A new token: `ddk_` and 64 hex digits from two v4 UUIDs' random bits (the OS generator).
/// A new token: `ddk_` and 256 random bits in hex.
pub fn new_token() -> String {
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    format!("ddk_{}{}", hex::encode(a.as_bytes()), hex::encode(b.as_bytes()))
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Whether a token holding `granted` may do what `needed` names.
pub fn allows(granted: &[String], needed: Scope) -> bool {
    granted
        .iter()
        .any(|g| g == needed.as_str() || g == Scope::Admin.as_str())
}

/// The token from an `Authorization: Bearer …` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

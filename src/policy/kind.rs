//! Policy kinds and the size limits RAM enforces on each.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a policy document is for; decides which elements it must and may
/// carry and how large it may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// A permission policy attached to a user, group or role.
    Identity,
    /// A RAM role's trust policy (`AssumeRolePolicyDocument`).
    Trust,
    /// An STS session policy (the AssumeRole `Policy` parameter).
    Session,
    /// A resource's own policy (a KMS key policy, an OSS bucket policy).
    Resource,
}

/// The largest document any front end reads at all, in bytes. Far above
/// every RAM limit (the largest, a KMS key policy, is 32,768 bytes), it only
/// keeps hostile input from costing time and memory.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// The deepest nesting any front end accepts. A RAM policy needs five levels
/// (`{Statement: [{Condition: {Op: {key: [..]}}}]}`); the rest is hostile.
pub const MAX_DEPTH: usize = 32;

impl PolicyKind {
    /// All kinds, for iteration in tests and help texts.
    pub const ALL: [PolicyKind; 4] = [
        PolicyKind::Identity,
        PolicyKind::Trust,
        PolicyKind::Session,
        PolicyKind::Resource,
    ];

    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Trust => "trust",
            PolicyKind::Session => "session",
            PolicyKind::Resource => "resource",
        }
    }

    /// The largest document RAM accepts for this kind, in characters of the
    /// document with insignificant JSON white space removed.
    ///
    /// * identity: 6,144 (CreatePolicy / CreatePolicyVersion, spec §9.1).
    /// * session: 2,048 (AssumeRole `Policy`, spec §9.1).
    /// * trust: RAM has a limit (`InvalidParameter.AssumeRolePolicyDocument.Length`)
    ///   whose value is not documented; we choose 4,096, twice the session
    ///   limit and AWS's largest trust-policy quota.
    /// * resource: 32,768, the KMS key policy limit (spec §3.2), which is in
    ///   bytes; we count characters, which is never more.
    ///
    /// Whether RAM counts white space is not documented; not counting it is
    /// AWS's rule and keeps pretty-printed policies from being rejected.
    pub fn max_chars(self) -> usize {
        match self {
            PolicyKind::Identity => 6_144,
            PolicyKind::Trust => 4_096,
            PolicyKind::Session => 2_048,
            PolicyKind::Resource => 32_768,
        }
    }

    /// Whether statements must (and may) name a `Principal`.
    pub fn has_principal(self) -> bool {
        matches!(self, PolicyKind::Trust | PolicyKind::Resource)
    }

    /// Whether statements must name a `Resource` (trust policies may not).
    pub fn has_resource(self) -> bool {
        !matches!(self, PolicyKind::Trust)
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a kind name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy kind `{0}`, expected `identity`, `trust`, `session` or `resource`")]
pub struct UnknownKind(pub String);

impl FromStr for PolicyKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        PolicyKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// Counts the characters of a JSON text outside insignificant white space:
/// the measure [`PolicyKind::max_chars`] limits.
pub fn significant_chars(src: &str) -> usize {
    let mut count = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in src.chars() {
        if in_string {
            count += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            count += 1;
            in_string = c == '"';
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_outside_strings_is_not_counted() {
        assert_eq!(significant_chars("{ \"a b\" :\n [ ] }"), 10);
        assert_eq!(significant_chars(r#""\" x""#), 6);
    }

    #[test]
    fn kinds_parse_from_their_names_only() {
        for k in PolicyKind::ALL {
            assert_eq!(k.as_str().parse::<PolicyKind>(), Ok(k));
        }
        assert_eq!(
            "Identity".parse::<PolicyKind>().map_err(|e| e.to_string()),
            Err("unknown policy kind `Identity`, expected `identity`, `trust`, `session` or `resource`".to_string())
        );
    }
}

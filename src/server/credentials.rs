//! Who a signed request is: the access key it names, resolved to the
//! secret its signature is checked with and the identity it acts as.
//!
//! The HTTP front asks a [`Credentials`] for every request before it
//! verifies the signature, so an unknown, inactive or expired key is
//! refused with Alibaba's code before any work is done. The persistent
//! store (access keys of users and of the account, STS sessions) sits
//! behind this trait; [`StaticCredentials`] is the in-memory one that
//! tests use.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::RwLock;

use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::ram::Identity;

/// What an access key resolves to.
pub struct Resolved {
    /// The secret the request's signature is an HMAC under. Zeroized on
    /// drop; never shown.
    pub secret: Zeroizing<Vec<u8>>,
    /// The identity the request acts as (a user, the account, or a role
    /// session with its session policy and expiration).
    pub identity: Identity,
}

impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolved")
            .field("secret", &"<redacted>")
            .field("identity", &self.identity)
            .finish()
    }
}

/// Why an access key does not resolve. Each is a 4xx with Alibaba's code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// No such access key.
    #[error("the access key `{0}` does not exist")]
    NotFound(String),
    /// The access key exists and is `Inactive`.
    #[error("the access key `{0}` is inactive")]
    Inactive(String),
    /// An STS access key without its security token, or with another one.
    #[error("the security token does not belong to the access key `{0}`")]
    TokenInvalid(String),
    /// An STS session past its `Expiration`.
    #[error("the security token of `{access_key_id}` expired at {expiration}")]
    TokenExpired {
        /// The STS access key.
        access_key_id: String,
        /// When it expired (RFC 3339).
        expiration: String,
    },
    /// The store could not be read (a disk error, damaged data).
    #[error("the credential store cannot be read: {0}")]
    Store(String),
}

impl CredentialError {
    /// Alibaba's code: the same text for Log Service and POP.
    pub fn code(&self) -> &'static str {
        match self {
            CredentialError::NotFound(_) => "InvalidAccessKeyId.NotFound",
            CredentialError::Inactive(_) => "InvalidAccessKeyId.Inactive",
            CredentialError::TokenInvalid(_) => "InvalidSecurityToken.Mismatch",
            CredentialError::TokenExpired { .. } => "SecurityToken.Expired",
            CredentialError::Store(_) => "InternalError",
        }
    }

    /// The HTTP status. A damaged store is the server's fault, yet still a
    /// 4xx-free answer would hide it: it is the one 500 here, and the SDKs
    /// retrying it is right.
    pub fn http_status(&self) -> u16 {
        match self {
            CredentialError::Store(_) => 500,
            CredentialError::NotFound(_) | CredentialError::Inactive(_) => 403,
            _ => 400,
        }
    }
}

/// Resolves access keys. Shared by every request of a server, so `Sync`.
pub trait Credentials: Send + Sync {
    /// The secret and identity of `access_key_id`, with the request's
    /// `security_token` (required for `STS.` keys), at time `now`.
    fn resolve(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Resolved, CredentialError>;
}

/// Access keys held in memory: for tests and embedders that bring their
/// own. Never persisted.
#[derive(Default)]
pub struct StaticCredentials {
    keys: RwLock<BTreeMap<String, StaticKey>>,
}

/// One in-memory key: its secret, whose it is, and whether it is active.
type StaticKey = (Zeroizing<Vec<u8>>, Identity, bool);

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticCredentials { .. }")
    }
}

impl StaticCredentials {
    /// No keys.
    pub fn new() -> StaticCredentials {
        StaticCredentials::default()
    }

    /// Adds (or replaces) an active key.
    pub fn insert(&self, access_key_id: &str, secret: &[u8], identity: Identity) {
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(
                access_key_id.to_string(),
                (Zeroizing::new(secret.to_vec()), identity, true),
            );
        }
    }

    /// Marks a key active or inactive; false when there is no such key.
    pub fn set_active(&self, access_key_id: &str, active: bool) -> bool {
        match self.keys.write() {
            Ok(mut keys) => match keys.get_mut(access_key_id) {
                Some(entry) => {
                    entry.2 = active;
                    true
                }
                None => false,
            },
            Err(_) => false,
        }
    }
}

impl Credentials for StaticCredentials {
    fn resolve(
        &self,
        access_key_id: &str,
        _security_token: Option<&str>,
        _now: OffsetDateTime,
    ) -> Result<Resolved, CredentialError> {
        let keys = self
            .keys
            .read()
            .map_err(|_| CredentialError::Store("a writer panicked".into()))?;
        match keys.get(access_key_id) {
            None => Err(CredentialError::NotFound(access_key_id.to_string())),
            Some((_, _, false)) => Err(CredentialError::Inactive(access_key_id.to_string())),
            Some((secret, identity, true)) => Ok(Resolved {
                secret: secret.clone(),
                identity: identity.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_keys_resolve_refuse_unknown_and_inactive_and_never_show_the_secret() {
        let store = StaticCredentials::new();
        let alice = Identity::User {
            account: "1234567890123456".into(),
            name: "alice".into(),
        };
        store.insert("LTAIalice", b"s3cr3t-value", alice.clone());
        let now = OffsetDateTime::UNIX_EPOCH;
        let got = store.resolve("LTAIalice", None, now).unwrap();
        assert_eq!(got.identity, alice);
        assert_eq!(got.secret.as_slice(), b"s3cr3t-value");
        assert!(!format!("{got:?}").contains("s3cr3t"));
        assert_eq!(
            store.resolve("LTAIbob", None, now).unwrap_err().code(),
            "InvalidAccessKeyId.NotFound"
        );
        assert!(store.set_active("LTAIalice", false));
        let inactive = store.resolve("LTAIalice", None, now).unwrap_err();
        assert_eq!(inactive.code(), "InvalidAccessKeyId.Inactive");
        assert_eq!(inactive.http_status(), 403);
    }
}

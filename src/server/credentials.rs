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

use crate::ram::{Identity, RoleSession};

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
    /// A management call named an access key its owner does not have.
    #[error("{owner} has no access key `{id}`")]
    AccessKeyNotFound {
        /// The owner asked about.
        owner: KeyOwner,
        /// The access key id.
        id: String,
    },
    /// The owner has as many access keys as it may.
    #[error("{owner} already has {max} access keys, the most allowed")]
    AccessKeyLimit {
        /// The owner.
        owner: KeyOwner,
        /// The limit.
        max: usize,
    },
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
            CredentialError::AccessKeyNotFound { .. } => "EntityNotExist.User.AccessKey",
            CredentialError::AccessKeyLimit { .. } => "LimitExceeded.User.AccessKey",
        }
    }

    /// The HTTP status. A damaged store is the server's fault, yet still a
    /// 4xx-free answer would hide it: it is the one 500 here, and the SDKs
    /// retrying it is right.
    pub fn http_status(&self) -> u16 {
        match self {
            CredentialError::Store(_) => 500,
            CredentialError::NotFound(_) | CredentialError::Inactive(_) => 403,
            CredentialError::AccessKeyNotFound { .. } => 404,
            CredentialError::AccessKeyLimit { .. } => 409,
            _ => 400,
        }
    }
}

/// RFC 3339 in UTC to the second (`2026-12-01T08:00:00Z`), as POP writes
/// dates.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
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

    /// The management side (access keys, STS sessions), for stores that
    /// have one; the RAM access-key APIs and STS `AssumeRole` need it.
    /// `None` (the default): those APIs answer `NotSupported`.
    fn store(&self) -> Option<&dyn CredentialStore> {
        None
    }
}

/// Whose an access key is: the account itself or one of its RAM users.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyOwner {
    /// The account (`acs:ram::<uid>:root`).
    Root,
    /// A RAM user of the account.
    User(String),
}

impl fmt::Display for KeyOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOwner::Root => f.write_str("the account"),
            KeyOwner::User(name) => write!(f, "user `{name}`"),
        }
    }
}

/// `Active` or `Inactive`, as RAM writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyStatus {
    /// Signs requests.
    Active,
    /// Refused with `InvalidAccessKeyId.Inactive`.
    Inactive,
}

impl KeyStatus {
    /// `Active` / `Inactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }

    /// Reads `Active` or `Inactive` (exactly, as RAM's API takes them).
    pub fn parse(text: &str) -> Option<KeyStatus> {
        match text {
            "Active" => Some(KeyStatus::Active),
            "Inactive" => Some(KeyStatus::Inactive),
            _ => None,
        }
    }
}

/// An access key as listed: everything but its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyInfo {
    /// `LTAI…`.
    pub id: String,
    /// Whose it is.
    pub owner: KeyOwner,
    /// Active or inactive.
    pub status: KeyStatus,
    /// When it was made.
    pub create_date: OffsetDateTime,
}

/// A new access key with its secret: shown once, to whoever made it.
pub struct NewAccessKey {
    /// The key as listed.
    pub info: AccessKeyInfo,
    /// The secret (30 characters). Zeroized on drop; never in `Debug`.
    pub secret: Zeroizing<String>,
}

impl fmt::Debug for NewAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccessKey")
            .field("info", &self.info)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The credentials of a new STS session.
pub struct SessionCredentials {
    /// `STS.…`.
    pub access_key_id: String,
    /// The session's secret. Zeroized on drop; never in `Debug`.
    pub secret: Zeroizing<String>,
    /// The security token every request of the session carries.
    pub security_token: Zeroizing<String>,
    /// When the session ends.
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Access keys and sessions made and changed over the API (RAM's
/// access-key calls, STS `AssumeRole`), beside [`Credentials::resolve`].
pub trait CredentialStore: Credentials {
    /// A new `Active` key for `owner` (whose existence the caller checked).
    fn create_access_key(&self, owner: &KeyOwner) -> Result<NewAccessKey, CredentialError>;
    /// The keys of `owner`, oldest first.
    fn list_access_keys(&self, owner: &KeyOwner) -> Result<Vec<AccessKeyInfo>, CredentialError>;
    /// Makes `owner`'s key `id` active or inactive.
    fn set_access_key_status(
        &self,
        owner: &KeyOwner,
        id: &str,
        status: KeyStatus,
    ) -> Result<(), CredentialError>;
    /// Deletes `owner`'s key `id`.
    fn delete_access_key(&self, owner: &KeyOwner, id: &str) -> Result<(), CredentialError>;
    /// Credentials for `session`, whose session policy text (as sent) is
    /// `policy`.
    fn issue_session(
        &self,
        session: &RoleSession,
        policy: Option<&str>,
    ) -> Result<SessionCredentials, CredentialError>;
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

//! The persistent credential store of a data directory: the access keys of
//! the account and its RAM users, and the STS sessions `AssumeRole` issues.
//!
//! # Access keys: `access-keys.json`
//!
//! ```json
//! {"format": 1, "sealed": "<base64>"}
//! ```
//!
//! `sealed` is [`crate::kms::Kms::wrap_local`] (AES-256-GCM under the data directory's
//! root key, random nonce) of the JSON list of keys, bound to the label
//! `ramgate access keys v1`: the whole list, secrets included, is
//! encrypted and authenticated as one, so no secret is ever on disk in
//! plaintext, and a file changed, truncated or taken from another
//! directory does not open (the store refuses to start rather than guess).
//! A change is written with `write_atomically` (a temp file, `fsync`,
//! rename, `fsync` of the directory) under the store's writer mutex, and
//! published to readers only once durable. Readers (`resolve`, on every
//! request) clone an `Arc` of the decoded keys under a read lock and hold
//! no lock while they work.
//!
//! # STS sessions: nothing stored
//!
//! A `SecurityToken` is itself the session: `wrap_local` of the session's
//! access key id, secret, account, role, session name, session policy and
//! expiration, under the label `ramgate sts token v1`, in URL-safe base64.
//! `resolve` opens it, checks that it names the access key the request
//! signed with and that it has not expired, and rebuilds the
//! [`RoleSession`]. So sessions survive a restart with nothing to store,
//! and a token cannot be forged or altered without the root key. (The
//! replay cache of request nonces lives in memory and does not survive a
//! restart; that is the HTTP front's.) A session cannot be revoked before
//! it expires, as with Alibaba's STS.
//!
//! Ids and secrets look like Alibaba's: `LTAI` + 20 letters and digits with
//! a 30-character secret; `STS.` + 24 with a 44-character secret; all from
//! the operating system's randomness.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::durable::write_atomically;
use crate::logstore::LogService;
use crate::policy::PolicyKind;
use crate::ram::{Identity, PolicyDocument, RoleSession};

use super::credentials::{
    AccessKeyInfo, CredentialError, CredentialStore, Credentials, KeyOwner, KeyStatus,
    NewAccessKey, Resolved, SessionCredentials, rfc3339,
};

/// The access keys' file in the data directory.
pub const ACCESS_KEYS_FILE: &str = "access-keys.json";

/// The file's format version.
pub const ACCESS_KEYS_FORMAT: u32 = 1;

/// The most access keys one owner may have (RAM allows a user two).
pub const MAX_KEYS_PER_OWNER: usize = 2;

/// The largest `access-keys.json` the store reads.
const MAX_FILE_BYTES: u64 = 16 << 20;

const KEYS_LABEL: &[u8] = b"ramgate access keys v1";
const TOKEN_LABEL: &[u8] = b"ramgate sts token v1";
/// The longest security token `resolve` opens (a 2,048-character session
/// policy and the names fit well within).
const MAX_TOKEN_CHARS: usize = 16 * 1024;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The credential store of one data directory (module docs). `Send +
/// Sync`: one per server, shared by every request.
pub struct KeyStore {
    service: LogService,
    path: PathBuf,
    current: RwLock<Arc<Keys>>,
    writer: Mutex<()>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The decoded keys, by id.
type Keys = BTreeMap<String, StoredKey>;

/// One key as sealed in the file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredKey {
    id: String,
    owner: KeyOwner,
    status: KeyStatus,
    /// Unix seconds.
    created: i64,
    #[serde(with = "secret_text")]
    secret: Zeroizing<String>,
}

impl StoredKey {
    fn info(&self) -> AccessKeyInfo {
        AccessKeyInfo {
            id: self.id.clone(),
            owner: self.owner.clone(),
            status: self.status,
            create_date: OffsetDateTime::from_unix_timestamp(self.created)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        }
    }
}

/// The file's outer form.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    format: u32,
    sealed: String,
}

/// What a security token seals.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Token {
    access_key_id: String,
    #[serde(with = "secret_text")]
    secret: Zeroizing<String>,
    account: String,
    role: String,
    session: String,
    policy: Option<String>,
    expiration: i64,
}

/// Secrets in the sealed JSON: read into zeroized memory.
mod secret_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub(super) fn serialize<S: Serializer>(
        s: &Zeroizing<String>,
        out: S,
    ) -> Result<S::Ok, S::Error> {
        out.serialize_str(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Zeroizing<String>, D::Error> {
        String::deserialize(d).map(Zeroizing::new)
    }
}

fn store_error(e: impl fmt::Display) -> CredentialError {
    CredentialError::Store(e.to_string())
}

/// `n` random letters and digits.
fn random_alphanumeric(n: usize) -> Result<Zeroizing<String>, CredentialError> {
    let mut out = Zeroizing::new(String::with_capacity(n));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < n {
        getrandom::fill(&mut *buf).map_err(store_error)?;
        // 62 * 4 = 248: bytes at or above it are dropped, so every
        // character is equally likely.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == n {
                break;
            }
            if let Some(&c) = ALPHANUMERIC.get(usize::from(b % 62)) {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

impl KeyStore {
    /// The store of `service`'s data directory: `access-keys.json` read
    /// and opened with the root key (an empty store when the file does not
    /// exist yet). The HTTP front makes one with
    /// `KeyStore::open(&service)?` and hands it to every request.
    pub fn open(service: &LogService) -> Result<KeyStore, CredentialError> {
        let path = service.data_dir().join(ACCESS_KEYS_FILE);
        let keys = load(service, &path)?;
        Ok(KeyStore {
            service: service.clone(),
            path,
            current: RwLock::new(Arc::new(keys)),
            writer: Mutex::new(()),
        })
    }

    fn snapshot(&self) -> Arc<Keys> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes a copy of the keys, saves it durably, then publishes it;
    /// nothing changes when `change` or the save fails.
    fn edit<T>(
        &self,
        change: impl FnOnce(&mut Keys) -> Result<T, CredentialError>,
    ) -> Result<T, CredentialError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut keys = (*self.snapshot()).clone();
        let out = change(&mut keys)?;
        self.save(&keys)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
        Ok(out)
    }

    fn save(&self, keys: &Keys) -> Result<(), CredentialError> {
        let list: Vec<&StoredKey> = keys.values().collect();
        let plain = Zeroizing::new(serde_json::to_vec(&list).map_err(store_error)?);
        let sealed = self
            .service
            .kms()
            .wrap_local(KEYS_LABEL, &plain)
            .map_err(store_error)?;
        let file = KeysFile {
            format: ACCESS_KEYS_FORMAT,
            sealed: STANDARD.encode(sealed),
        };
        let bytes = serde_json::to_vec(&file).map_err(store_error)?;
        let dir = self.service.data_dir();
        write_atomically(dir, ACCESS_KEYS_FILE, &bytes)
            .map_err(|e| store_error(format!("cannot write `{}`: {e}", self.path.display())))
    }

    fn owned<'k>(
        keys: &'k mut Keys,
        owner: &KeyOwner,
        id: &str,
    ) -> Result<&'k mut StoredKey, CredentialError> {
        keys.get_mut(id)
            .filter(|k| k.owner == *owner)
            .ok_or_else(|| CredentialError::AccessKeyNotFound {
                owner: owner.clone(),
                id: id.to_string(),
            })
    }

    fn resolve_session(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Resolved, CredentialError> {
        let invalid = || CredentialError::TokenInvalid(access_key_id.to_string());
        let text = token
            .filter(|t| t.len() <= MAX_TOKEN_CHARS)
            .ok_or_else(invalid)?;
        let sealed = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let plain = self
            .service
            .kms()
            .unwrap_local(TOKEN_LABEL, &sealed)
            .map_err(|_| invalid())?;
        let token: Token = serde_json::from_slice(plain.expose()).map_err(|_| invalid())?;
        if token.access_key_id != access_key_id {
            return Err(invalid());
        }
        let expiration =
            OffsetDateTime::from_unix_timestamp(token.expiration).map_err(|_| invalid())?;
        if now >= expiration {
            return Err(CredentialError::TokenExpired {
                access_key_id: access_key_id.to_string(),
                expiration: rfc3339(expiration),
            });
        }
        // The policy parsed when the session was issued; it was sealed as
        // sent, so it parses again the same way.
        let policy = match &token.policy {
            Some(text) => Some(
                PolicyDocument::parse(text, PolicyKind::Session, "the session policy", None)
                    .map_err(|_| invalid())?,
            ),
            None => None,
        };
        let session = RoleSession::new(
            &token.account,
            &token.role,
            &token.session,
            policy,
            expiration,
        )
        .map_err(|_| invalid())?;
        Ok(Resolved {
            secret: Zeroizing::new(token.secret.as_bytes().to_vec()),
            identity: Identity::RoleSession(session),
        })
    }
}

/// Reads and opens `access-keys.json`; a missing file is an empty store.
fn load(service: &LogService, path: &std::path::Path) -> Result<Keys, CredentialError> {
    let damaged = |why: &str| store_error(format!("`{}` {why}", path.display()));
    let bytes = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Keys::new()),
        Err(e) => return Err(damaged(&format!("cannot be read: {e}"))),
        Ok(m) if !m.is_file() => return Err(damaged("is not a regular file")),
        Ok(m) if m.len() > MAX_FILE_BYTES => return Err(damaged("is larger than 16 MiB")),
        Ok(_) => std::fs::read(path).map_err(|e| damaged(&format!("cannot be read: {e}")))?,
    };
    let file: KeysFile =
        serde_json::from_slice(&bytes).map_err(|e| damaged(&format!("is not valid: {e}")))?;
    if file.format != ACCESS_KEYS_FORMAT {
        return Err(damaged(&format!(
            "has format `{}`, this ramgate reads `{ACCESS_KEYS_FORMAT}`",
            file.format
        )));
    }
    let sealed = STANDARD
        .decode(file.sealed.as_bytes())
        .map_err(|_| damaged("holds a sealed list that is not base64"))?;
    let plain = service
        .kms()
        .unwrap_local(KEYS_LABEL, &sealed)
        .map_err(|_| {
            damaged("does not open with this directory's root key (damaged or replaced)")
        })?;
    let list: Vec<StoredKey> = serde_json::from_slice(plain.expose())
        .map_err(|_| damaged("holds a sealed list that does not parse"))?;
    Ok(list.into_iter().map(|k| (k.id.clone(), k)).collect())
}

impl Credentials for KeyStore {
    fn resolve(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Resolved, CredentialError> {
        if access_key_id.starts_with("STS.") {
            return self.resolve_session(access_key_id, security_token, now);
        }
        let keys = self.snapshot();
        let key = keys
            .get(access_key_id)
            .ok_or_else(|| CredentialError::NotFound(access_key_id.to_string()))?;
        if key.status == KeyStatus::Inactive {
            return Err(CredentialError::Inactive(access_key_id.to_string()));
        }
        let account = self.service.account().to_string();
        let identity = match &key.owner {
            KeyOwner::Root => Identity::Account { uid: account },
            KeyOwner::User(name) => Identity::User {
                account,
                name: name.clone(),
            },
        };
        Ok(Resolved {
            secret: Zeroizing::new(key.secret.as_bytes().to_vec()),
            identity,
        })
    }

    fn store(&self) -> Option<&dyn CredentialStore> {
        Some(self)
    }
}

impl CredentialStore for KeyStore {
    fn create_access_key(&self, owner: &KeyOwner) -> Result<NewAccessKey, CredentialError> {
        let now = self.service.clock().now();
        self.edit(|keys| {
            if keys.values().filter(|k| k.owner == *owner).count() >= MAX_KEYS_PER_OWNER {
                return Err(CredentialError::AccessKeyLimit {
                    owner: owner.clone(),
                    max: MAX_KEYS_PER_OWNER,
                });
            }
            let id = loop {
                let id = format!("LTAI{}", &*random_alphanumeric(20)?);
                if !keys.contains_key(&id) {
                    break id;
                }
            };
            let key = StoredKey {
                id: id.clone(),
                owner: owner.clone(),
                status: KeyStatus::Active,
                created: now.unix_timestamp(),
                secret: random_alphanumeric(30)?,
            };
            let new = NewAccessKey {
                info: key.info(),
                secret: key.secret.clone(),
            };
            keys.insert(id, key);
            Ok(new)
        })
    }

    fn list_access_keys(&self, owner: &KeyOwner) -> Result<Vec<AccessKeyInfo>, CredentialError> {
        let mut list: Vec<AccessKeyInfo> = self
            .snapshot()
            .values()
            .filter(|k| k.owner == *owner)
            .map(StoredKey::info)
            .collect();
        list.sort_by(|a, b| (a.create_date, &a.id).cmp(&(b.create_date, &b.id)));
        Ok(list)
    }

    fn set_access_key_status(
        &self,
        owner: &KeyOwner,
        id: &str,
        status: KeyStatus,
    ) -> Result<(), CredentialError> {
        self.edit(|keys| {
            KeyStore::owned(keys, owner, id)?.status = status;
            Ok(())
        })
    }

    fn delete_access_key(&self, owner: &KeyOwner, id: &str) -> Result<(), CredentialError> {
        self.edit(|keys| {
            KeyStore::owned(keys, owner, id)?;
            keys.remove(id);
            Ok(())
        })
    }

    fn issue_session(
        &self,
        session: &RoleSession,
        policy: Option<&str>,
    ) -> Result<SessionCredentials, CredentialError> {
        let access_key_id = format!("STS.{}", &*random_alphanumeric(24)?);
        let secret = random_alphanumeric(44)?;
        let token = Token {
            access_key_id: access_key_id.clone(),
            secret: secret.clone(),
            account: session.account().to_string(),
            role: session.role().to_string(),
            session: session.name().to_string(),
            policy: policy.map(str::to_string),
            expiration: session.expiration().unix_timestamp(),
        };
        let plain = Zeroizing::new(serde_json::to_vec(&token).map_err(store_error)?);
        let sealed = self
            .service
            .kms()
            .wrap_local(TOKEN_LABEL, &plain)
            .map_err(store_error)?;
        Ok(SessionCredentials {
            access_key_id,
            secret,
            security_token: Zeroizing::new(URL_SAFE_NO_PAD.encode(sealed)),
            expiration: session.expiration(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_text_is_alphanumeric_of_the_length_asked() {
        let a = random_alphanumeric(30).unwrap_or_else(|e| panic!("{e}"));
        let b = random_alphanumeric(30).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.len(), 30);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(*a, *b);
    }
}

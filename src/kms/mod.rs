//! A local KMS after Alibaba Cloud KMS (API 2016-01-20): customer master
//! keys (CMKs) with Alibaba's states, data keys and envelope encryption.
//!
//! ```
//! use std::sync::Arc;
//! use ramgate::kms::{Caller, DataKeySpec, EncryptionContext, KeySpec, KeyUsage, Kms, RootKeySource, SystemClock};
//! use ramgate::ram::{Directory, Identity, Ram};
//!
//! // Every call is authorized by RAM; here the account itself calls.
//! let mut directory = Directory::new();
//! directory.add_account("1234567890123456")?;
//! let account = Identity::Account { uid: "1234567890123456".into() };
//! let root = Caller::new(Ram::new(&directory, &SystemClock), &account);
//!
//! let dir = tempfile::tempdir()?;
//! let kms = Kms::open_with_root_key(
//!     dir.path(), "cn-hangzhou", "1234567890123456",
//!     Arc::new(SystemClock), RootKeySource::data_dir(),
//! )?;
//! let key = kms.create_key(&root, KeySpec::AliyunSm4, KeyUsage::EncryptDecrypt, "logstore key")?;
//! let ctx = EncryptionContext::from_pairs([("project", "p1"), ("logstore", "l1")])?;
//! let data_key = kms.generate_data_key(&root, &key.key_id.to_string(), DataKeySpec::AES_256, &ctx)?;
//! // Keep only the blob; get the data key back when needed:
//! let opened = kms.decrypt(&root, &data_key.ciphertext_blob, &ctx)?;
//! assert_eq!(opened.plaintext.expose(), data_key.plaintext.expose());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Keys and states
//!
//! `CreateKey` makes a key of spec `Aliyun_AES_256` (AES-256-GCM, the
//! default) or `Aliyun_SM4` (SM4-GCM, RFC 8998), usage `ENCRYPT/DECRYPT`,
//! with a random (version 4 UUID) key id, the ARN
//! `acs:kms:<region>:<account>:key/<id>`, and one key version — its primary
//! version — whose 16 or 32 bytes of material come from the operating
//! system (`getrandom`). Material is zeroized on drop and never printed.
//!
//! Keys are `Enabled`, `Disabled` or `PendingDeletion`, and each call is
//! allowed or refused by Alibaba's state/API matrix, kept as data in
//! [`state::MATRIX`]. When a deletion window (7–30 days, read from the
//! injectable [`Clock`]) has ended, the key is destroyed — its metadata and
//! material erased from the store — and from then on every call naming it
//! answers `404 Forbidden.KeyNotFound`.
//!
//! # `CiphertextBlob` format (version 1)
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `RGKB` |
//! | 4 | 1 | format version, `0x01` |
//! | 5 | 1 | algorithm: `0x01` AES-256-GCM, `0x02` SM4-GCM |
//! | 6 | 16 | key id (the UUID's 16 bytes) |
//! | 22 | 16 | key version id (the UUID's 16 bytes) |
//! | 38 | 12 | nonce, random per blob |
//! | 50 | n | ciphertext, as long as the plaintext (at most 6,144 bytes) |
//! | 50 + n | 16 | GCM tag |
//!
//! The associated data is bytes 0–49 (the whole header) followed by the
//! canonical encoding of the `EncryptionContext` (see [`EncryptionContext`]:
//! count, then length-prefixed pairs sorted by key; empty context, no
//! bytes). So the tag covers the format, the algorithm, the key and version,
//! the nonce and the context; none of them can change without `Decrypt`
//! failing.
//!
//! `Decrypt` reads the header only to find the key; it refuses a blob that
//! is longer than 6,210 bytes, shorter than 66, has another magic, another
//! format version or an unknown algorithm, names a missing key or version,
//! or whose tag does not verify — and returns plaintext only after the tag
//! has. The blob does not hold the context: the caller keeps it, as with
//! Alibaba. ramgate's blobs are its own format, not byte-compatible with
//! Alibaba's.
//!
//! # Nonces
//!
//! Every blob gets a random 96-bit nonce. Random nonces are safe for at
//! most 2^32 seals under one key version (NIST SP 800-38D §8.3, spec
//! `sls-kms.md` §5.3); `Encrypt` and `GenerateDataKey` are called once per
//! data key or small secret, orders of magnitude below that. Bulk data is
//! sealed under data keys, never under the CMK.
//!
//! # Errors
//!
//! [`KmsError::code`] and [`KmsError::http_status`] give Alibaba's code and
//! status: `Rejected.Disabled`, `Rejected.PendingDeletion`,
//! `Rejected.StateModifiedFailed` (409), `Forbidden.KeyNotFound` (404),
//! `Forbidden.NoPermission` (403), `InvalidParameter` (400),
//! `InternalFailure` (500). A blob that does not verify, including under
//! another context, is `InvalidParameter` (Alibaba documents no code for it).
//!
//! # Storage
//!
//! See [`RootKeySource`] and the `store` module: `keys.json` holds the
//! metadata and each version's material sealed under a root key; writes
//! are atomic.

pub mod api;
mod blob;
mod caller;
pub mod cipher;
mod context;
mod error;
mod id;
mod key;
mod service;
pub mod state;
mod store;

#[cfg(test)]
mod leak_tests;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use api::{Api, key_arn, key_container_arn};
pub use blob::{FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_BLOB_LEN, MAX_PLAINTEXT_LEN};
pub use caller::Caller;
pub use cipher::{Algorithm, CipherError};
pub use context::{EncryptionContext, MAX_CONTEXT_CHARS};
pub use error::KmsError;
pub use id::{KeyId, KeyVersionId};
pub use key::{DataKeySpec, KeyMetadata, KeySpec, KeyUsage, Plaintext};
pub use service::{
    DecryptOutput, EncryptOutput, GenerateDataKeyOutput, KeyList, KeyListEntry, Kms,
    MAX_DESCRIPTION_CHARS, MAX_PAGE_SIZE, PENDING_WINDOW_DAYS,
};
pub use state::KeyState;
pub use store::{ROOT_KEY_ENV, ROOT_KEY_FILE, RootKeySource, STORE_FILE, derive_key_read_only};

//! KMS errors, each with Alibaba's error code and HTTP status (spec
//! `sls-kms.md` §3.6).
//!
//! No variant holds key material or plaintext: what an error names is a key
//! id, a state, a parameter value or a length.

use std::path::PathBuf;

use super::api::Api;
use super::cipher::CipherError;
use super::id::{KeyId, KeyVersionId};
use super::state::KeyState;

/// Why a KMS call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KmsError {
    /// The key is `Disabled`.
    #[error("key `{0}` is disabled")]
    Disabled(KeyId),
    /// The key is `PendingDeletion`.
    #[error("key `{0}` is pending deletion")]
    PendingDeletion(KeyId),
    /// The state/API matrix refuses the state change.
    #[error("cannot `{api}` key `{key}` in state `{state}`")]
    StateModifiedFailed {
        /// The key.
        key: KeyId,
        /// The call.
        api: Api,
        /// The key's state.
        state: KeyState,
    },
    /// No such key: never made, destroyed after its deletion window, or not
    /// a key id or key ARN of this region and account.
    #[error("key `{0}` is not found")]
    KeyNotFound(String),
    /// The caller may not make the call (RAM said no).
    #[error("`{action}` on `{resource}` is forbidden by the permission system")]
    NoPermission {
        /// The RAM action.
        action: String,
        /// The resource ARN.
        resource: String,
    },

    /// The caller could not be authorized at all: its user or role is gone,
    /// or its session has expired. Carries RAM's own error.
    #[error("the caller cannot be authorized: {0}")]
    Caller(crate::ram::RamError),

    /// A `KeySpec` ramgate does not emulate.
    #[error("unsupported key spec `{0}`")]
    UnsupportedKeySpec(String),
    /// A `KeyUsage` other than `ENCRYPT/DECRYPT`.
    #[error("unsupported key usage `{0}`")]
    UnsupportedKeyUsage(String),
    /// A data key `KeySpec` other than `AES_256` / `AES_128`.
    #[error("unsupported data key spec `{0}`")]
    UnsupportedDataKeySpec(String),
    /// `NumberOfBytes` outside 1–1024.
    #[error("`NumberOfBytes` `{0}` is outside 1–1024")]
    NumberOfBytesOutOfRange(u32),
    /// `PendingWindowInDays` outside 7–30.
    #[error("`PendingWindowInDays` `{0}` is outside 7–30")]
    PendingWindowOutOfRange(u32),
    /// `PageNumber` 0 or `PageSize` outside 1–100.
    #[error("`{name}` `{value}` is outside {range}")]
    PageOutOfRange {
        /// `PageNumber` or `PageSize`.
        name: &'static str,
        /// The value given.
        value: u32,
        /// The allowed range.
        range: &'static str,
    },
    /// An `Encrypt` plaintext over 6 KiB.
    #[error("the plaintext has {0} bytes, more than the 6144 `Encrypt` accepts")]
    PlaintextTooLarge(usize),
    /// A `Description` over 8,192 characters.
    #[error("the description has {0} characters, more than 8192")]
    DescriptionTooLong(usize),
    /// An `EncryptionContext` over 8,192 characters.
    #[error("the encryption context has {0} characters, more than 8192")]
    ContextTooLarge(usize),
    /// An `EncryptionContext` that is not a JSON object of strings.
    #[error("invalid encryption context: {0}")]
    InvalidContext(String),
    /// Not a ciphertext blob ramgate made, or one cut short.
    #[error("the ciphertext blob is malformed: {0}")]
    MalformedBlob(&'static str),
    /// A ciphertext blob of a format version this build does not read.
    #[error("unsupported ciphertext blob format version `{0}`")]
    UnsupportedBlobVersion(u8),
    /// The blob names a key version the key does not have, or an algorithm
    /// other than its key's, or its tag does not verify.
    #[error(
        "the ciphertext blob does not verify under key `{key}` version `{version}`: it was altered, or the encryption context differs"
    )]
    BlobNotAuthentic {
        /// The key the blob names.
        key: KeyId,
        /// The version the blob names.
        version: KeyVersionId,
    },
    /// A region name that cannot go into an ARN.
    #[error("invalid region `{0}`")]
    InvalidRegion(String),
    /// An account id that is not 16 digits.
    #[error("invalid account id `{0}`, expected 16 digits")]
    InvalidAccount(String),

    /// A file of the key store could not be read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// What was being done (`read`, `write`, `rename`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The key store file does not hold a valid key store.
    #[error("the key store `{path}` is corrupt: {reason}")]
    CorruptStore {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key store was made for another region or account.
    #[error("the key store `{path}` belongs to `{found}`, not `{expected}`")]
    StoreMismatch {
        /// The file.
        path: PathBuf,
        /// `<region>:<account>` in the file.
        found: String,
        /// `<region>:<account>` asked for.
        expected: String,
    },
    /// The root key is unreadable or malformed (the reason never quotes it).
    #[error("invalid root key from {origin}: {reason}")]
    InvalidRootKey {
        /// Where it came from (`RAMGATE_ROOT_KEY`, a path).
        origin: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Keys are wrapped under a root key (the key store, or the root key's
    /// check value, says so), but the root key file is missing: never a
    /// reason to make a new one, which would orphan every wrapped key (D6).
    #[error(
        "the root key file is missing, but `{0}` shows that keys are wrapped under it (CMK material, Logstore service keys)"
    )]
    MissingRootKey(PathBuf),
    /// The root key given is not the one this directory's keys are
    /// wrapped under: its check value does not open.
    #[error(
        "the root key does not match `{0}`, the check value of the key this directory's keys are wrapped under"
    )]
    RootKeyMismatch(PathBuf),
    /// The root key does not open the key material in the store.
    #[error("the root key does not open the key material of key `{0}` in the key store")]
    WrongRootKey(KeyId),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(getrandom::Error),
    /// A cipher failed where it cannot on valid keys (a bug or corrupt
    /// state, never the caller's input).
    #[error("internal cipher failure: {0}")]
    Cipher(CipherError),
}

impl KmsError {
    /// Alibaba's error code (`Rejected.Disabled`).
    pub fn code(&self) -> &'static str {
        use KmsError::*;
        match self {
            Disabled(_) => "Rejected.Disabled",
            PendingDeletion(_) => "Rejected.PendingDeletion",
            StateModifiedFailed { .. } => "Rejected.StateModifiedFailed",
            KeyNotFound(_) => "Forbidden.KeyNotFound",
            NoPermission { .. } => "Forbidden.NoPermission",
            // RAM's codes for a caller that cannot be authorized; any other
            // RAM error is a refusal.
            Caller(e) => match e.code().as_str() {
                "EntityNotExist.User" => "EntityNotExist.User",
                "EntityNotExist.Role" => "EntityNotExist.Role",
                "InvalidSecurityToken.Expired" => "InvalidSecurityToken.Expired",
                _ => "Forbidden.NoPermission",
            },
            // Alibaba does not document Decrypt's code for a bad blob or a
            // context mismatch (spec §3.2, "L for context-mismatch code");
            // ramgate answers the generic `InvalidParameter`, and keeps the
            // variants apart for callers that care.
            UnsupportedKeySpec(_)
            | UnsupportedKeyUsage(_)
            | UnsupportedDataKeySpec(_)
            | NumberOfBytesOutOfRange(_)
            | PendingWindowOutOfRange(_)
            | PageOutOfRange { .. }
            | PlaintextTooLarge(_)
            | DescriptionTooLong(_)
            | ContextTooLarge(_)
            | InvalidContext(_)
            | MalformedBlob(_)
            | UnsupportedBlobVersion(_)
            | BlobNotAuthentic { .. }
            | InvalidRegion(_)
            | InvalidAccount(_) => "InvalidParameter",
            Io { .. }
            | CorruptStore { .. }
            | StoreMismatch { .. }
            | InvalidRootKey { .. }
            | MissingRootKey(_)
            | RootKeyMismatch(_)
            | WrongRootKey(_)
            | Random(_)
            | Cipher(_) => "InternalFailure",
        }
    }

    /// The HTTP status Alibaba answers with the code.
    pub fn http_status(&self) -> u16 {
        match self.code() {
            "Rejected.Disabled" | "Rejected.PendingDeletion" | "Rejected.StateModifiedFailed" => {
                409
            }
            "Forbidden.KeyNotFound" | "EntityNotExist.User" | "EntityNotExist.Role" => 404,
            "InvalidSecurityToken.Expired" => 400,
            "Forbidden.NoPermission" => 403,
            "InvalidParameter" => 400,
            _ => 500,
        }
    }

    /// How to fix it, when there is something to say.
    pub fn help(&self) -> Option<&'static str> {
        use KmsError::*;
        match self {
            UnsupportedKeySpec(_) => {
                Some("ramgate emulates the symmetric specs `Aliyun_AES_256` and `Aliyun_SM4`")
            }
            UnsupportedKeyUsage(_) => Some("symmetric keys have the usage `ENCRYPT/DECRYPT`"),
            UnsupportedDataKeySpec(_) => {
                Some("use `AES_256` or `AES_128`, or `NumberOfBytes` for other lengths")
            }
            Disabled(_) => Some("`EnableKey` makes the key usable again"),
            PendingDeletion(_) => Some("`CancelKeyDeletion` before the window ends keeps the key"),
            BlobNotAuthentic { .. } => {
                Some("pass the same `EncryptionContext` as when the blob was made")
            }
            MissingRootKey(_) | RootKeyMismatch(_) | WrongRootKey(_) => Some(
                "restore `kms/root.key` from a backup, or give the right key in `RAMGATE_ROOT_KEY`",
            ),
            _ => None,
        }
    }
}

impl From<CipherError> for KmsError {
    fn from(e: CipherError) -> KmsError {
        match e {
            CipherError::Random(e) => KmsError::Random(e),
            other => KmsError::Cipher(other),
        }
    }
}

impl From<getrandom::Error> for KmsError {
    fn from(e: getrandom::Error) -> KmsError {
        KmsError::Random(e)
    }
}

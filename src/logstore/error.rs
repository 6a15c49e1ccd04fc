//! Errors of the Log Service emulation, with Log Service's own codes and
//! HTTP statuses (`{"errorCode", "errorMessage"}` on the wire).
//!
//! Three kinds of failure are kept apart for whoever acts on them
//! ([`LogError::kind`]): a refusal (the service said no), bad input, damaged
//! data (a file or block failed a check: never served, never erased), and a
//! busy data directory (another process owns it).
//!
//! Two texts are kept apart: the wire's (`code()` and `wire_message()`, what
//! an SDK gets: Alibaba's codes and messages, and for ramgate's own failures
//! a message that names no file) and ramgate's own for whoever runs it (the
//! `Display`: the file, shard, block or record, the step, and the cause,
//! which stays reachable as the error's `source`).

use std::path::Path;
use std::sync::Arc;

/// What went wrong with a Log Service call.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A Logstore definition or `encrypt_conf` that is not valid
    /// (`LogStoreInfoInvalid`, 400). The message for a bad `encrypt_type` is
    /// the live service's exact text.
    #[error("{0}")]
    LogStoreInfoInvalid(String),
    /// A name that breaks Log Service's rules (`ParameterInvalid`, 400).
    #[error("{0}")]
    ParameterInvalid(String),
    /// `ProjectNotExist`, 404.
    #[error("The Project does not exist: {0}")]
    ProjectNotExist(String),
    /// `ProjectAlreadyExist`, 400.
    #[error("project {0} already exists")]
    ProjectAlreadyExist(String),
    /// `LogStoreNotExist`, 404.
    #[error("logstore {0} does not exist")]
    LogStoreNotExist(String),
    /// `LogStoreAlreadyExist`, 400.
    #[error("logstore {0} already exists")]
    LogStoreAlreadyExist(String),
    /// `ShardNotExist`, 404.
    #[error("shard {0} does not exist")]
    ShardNotExist(u32),
    /// `InvalidCursor`, 400: a cursor before the oldest log group kept (the
    /// segments that held it were removed under the Logstore's `ttl`).
    #[error(
        "cursor {cursor} of shard {shard} is before the oldest log group kept ({first}): \
         older data expired under the Logstore's ttl"
    )]
    CursorExpired {
        /// The shard.
        shard: u32,
        /// The cursor given.
        cursor: u64,
        /// The oldest cursor kept (GetCursor `begin`).
        first: u64,
    },
    /// `InvalidCursor`, 400: a cursor past the end of the shard.
    #[error("cursor {cursor} is past the end of shard {shard}, which holds {len} log groups")]
    InvalidCursor {
        /// The shard.
        shard: u32,
        /// The cursor given.
        cursor: u64,
        /// How many groups the shard holds (the end cursor).
        len: u64,
    },
    /// `PostBodyTooLarge`, 400: over PutLogs' limits of 3 MB and 4096 logs.
    #[error(
        "Logs must be less than or equal to 3 MB and 4096 entries: this log group has {bytes} bytes and {logs} logs"
    )]
    PostBodyTooLarge {
        /// The group's encoded size.
        bytes: usize,
        /// Its number of logs.
        logs: usize,
    },
    /// The caller may not do this (`Unauthorized`, 401): the step of the
    /// decision chain that refused is named, with RAM's reason.
    #[error("the caller is not authorized at step `{step}`: {reason}")]
    Unauthorized {
        /// The chain step that refused (`authorize`, `pass-role`).
        step: String,
        /// Why, in one sentence.
        reason: String,
    },
    /// BYOK could not be used: the role, its trust, its KMS permissions or
    /// the CMK's state refused (`KMSKeyUnavailable`, 403). The underlying
    /// STS / KMS code is in the message.
    #[error("the BYOK key is unavailable: step `{step}` failed with {code}: {message}")]
    KeyUnavailable {
        /// The chain step that failed.
        step: String,
        /// The STS / KMS / RAM code.
        code: String,
        /// Its message.
        message: String,
    },
    /// A stored block failed its integrity check (`InternalServerError`,
    /// 500): never returned as data.
    #[error("integrity check failed for {what}")]
    Integrity {
        /// Which block or file.
        what: String,
    },
    /// Stored state that does not read (a metadata file that does not
    /// parse, a broken audit chain, a key store the root key does not
    /// open): `InternalServerError`, 500, and exit status 3. The message
    /// names the file and what to do.
    #[error("damaged data: {what}")]
    Damaged {
        /// The file (and line or record), and what is wrong with it.
        what: String,
        /// What the operator can do about it.
        hint: String,
    },
    /// A file of the data directory could not be read or written
    /// (`InternalServerError`, 500): the file, the step, and the system's
    /// own error, kept as the source.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What was being done (`open`, `write`, `sync`, …).
        action: &'static str,
        /// What the system said.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Another process owns the data directory (exit status 4): its pid
    /// and command, as it recorded them in the lock file.
    #[error("the data directory is busy: `{lock}` is held by {holder}; waited {waited} s")]
    Busy {
        /// The lock file.
        lock: String,
        /// The holder as its lock file records it: `pid <n>` and its command.
        holder: String,
        /// How long this process waited, in seconds.
        waited: u64,
    },
    /// The audit log could not be read or written (500); the audit
    /// error is kept as the source (a broken chain is [`LogError::Damaged`]).
    #[error("the audit log failed: {source}")]
    Audit {
        /// What the audit log said.
        #[source]
        source: super::audit::AuditError,
    },
    /// The local KMS failed at `step` (wrapping or unwrapping a Logstore
    /// key under the root key, opening the key store): 500, the KMS error
    /// kept as the source.
    #[error("the local KMS failed to {step}: {source}")]
    Kms {
        /// What was being done.
        step: &'static str,
        /// What the KMS said.
        #[source]
        source: Arc<crate::kms::KmsError>,
    },
    /// The system's random source failed (500).
    #[error("the random source failed: {source}")]
    Random {
        /// What the random source said.
        #[source]
        source: getrandom::Error,
    },
    /// The data directory could not be read or written (500).
    #[error("storage error: {0}")]
    Storage(String),
}

/// What kind of failure an error is, for whoever has to act on it (the
/// CLI's exit status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service understood and said no (exit 1).
    Refused,
    /// Bad input: unknown names, invalid values (exit 2).
    BadInput,
    /// Stored data failed a check (exit 3).
    Damaged,
    /// Another process owns the data directory (exit 4).
    Busy,
    /// The system failed (a disk error): reported as bad input's status 2.
    System,
}

impl LogError {
    /// Log Service's `errorCode`.
    pub fn code(&self) -> &'static str {
        match self {
            LogError::LogStoreInfoInvalid(_) => "LogStoreInfoInvalid",
            LogError::ParameterInvalid(_) => "ParameterInvalid",
            LogError::ProjectNotExist(_) => "ProjectNotExist",
            LogError::ProjectAlreadyExist(_) => "ProjectAlreadyExist",
            LogError::LogStoreNotExist(_) => "LogStoreNotExist",
            LogError::LogStoreAlreadyExist(_) => "LogStoreAlreadyExist",
            LogError::ShardNotExist(_) => "ShardNotExist",
            LogError::InvalidCursor { .. } | LogError::CursorExpired { .. } => "InvalidCursor",
            LogError::PostBodyTooLarge { .. } => "PostBodyTooLarge",
            LogError::Unauthorized { .. } => "Unauthorized",
            LogError::KeyUnavailable { .. } => "KMSKeyUnavailable",
            LogError::Integrity { .. }
            | LogError::Damaged { .. }
            | LogError::Io { .. }
            | LogError::Audit { .. }
            | LogError::Kms { .. }
            | LogError::Random { .. }
            | LogError::Storage(_) => "InternalServerError",
            LogError::Busy { .. } => "DataDirectoryBusy",
        }
    }

    /// The `errorMessage` an SDK gets with [`LogError::code`]: Log
    /// Service's own text for its errors; for ramgate's own failures
    /// (damaged data, I/O, a busy directory) a fixed sentence that names no
    /// file or key of the data directory — the `Display` text, with those,
    /// is for whoever runs ramgate.
    pub fn wire_message(&self) -> String {
        match self.kind() {
            ErrorKind::Damaged | ErrorKind::System => {
                "Internal server error: the stored data could not be served".to_string()
            }
            ErrorKind::Busy => {
                "The service is busy: another process owns its data; retry later".to_string()
            }
            ErrorKind::Refused | ErrorKind::BadInput => self.to_string(),
        }
    }

    /// A failure of the local KMS at `step`, keeping it as the source.
    pub fn kms(step: &'static str, source: crate::kms::KmsError) -> LogError {
        LogError::Kms {
            step,
            source: Arc::new(source),
        }
    }

    /// An I/O failure on `path` while doing `action`, keeping the cause.
    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> LogError {
        LogError::Io {
            path: path.display().to_string(),
            action,
            source: Arc::new(source),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            LogError::Unauthorized { .. } | LogError::KeyUnavailable { .. } => ErrorKind::Refused,
            LogError::Integrity { .. } | LogError::Damaged { .. } => ErrorKind::Damaged,
            LogError::Busy { .. } => ErrorKind::Busy,
            LogError::Io { .. }
            | LogError::Audit { .. }
            | LogError::Kms { .. }
            | LogError::Random { .. }
            | LogError::Storage(_) => ErrorKind::System,
            _ => ErrorKind::BadInput,
        }
    }

    /// What to do about it, when ramgate knows.
    pub fn hint(&self) -> Option<&str> {
        match self {
            LogError::Damaged { hint, .. } => Some(hint),
            LogError::Busy { .. } => {
                Some("wait for that command to finish, or pass `--wait SECONDS` to wait longer")
            }
            LogError::CursorExpired { .. } => {
                Some("take a new cursor with GetCursor `from=begin` (the oldest log group kept)")
            }
            _ => None,
        }
    }

    /// The HTTP status Log Service answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            LogError::LogStoreInfoInvalid(_)
            | LogError::ParameterInvalid(_)
            | LogError::ProjectAlreadyExist(_)
            | LogError::LogStoreAlreadyExist(_)
            | LogError::InvalidCursor { .. }
            | LogError::CursorExpired { .. }
            | LogError::PostBodyTooLarge { .. } => 400,
            LogError::Unauthorized { .. } => 401,
            LogError::KeyUnavailable { .. } => 403,
            LogError::ProjectNotExist(_)
            | LogError::LogStoreNotExist(_)
            | LogError::ShardNotExist(_) => 404,
            LogError::Integrity { .. }
            | LogError::Damaged { .. }
            | LogError::Io { .. }
            | LogError::Audit { .. }
            | LogError::Kms { .. }
            | LogError::Random { .. }
            | LogError::Storage(_) => 500,
            LogError::Busy { .. } => 503,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_text_is_kept_apart_from_ramgate_s_own_message() {
        let damaged = LogError::Damaged {
            what: "`/srv/data/logstores.json`: its MAC does not verify".into(),
            hint: "restore it".into(),
        };
        assert_eq!(damaged.code(), "InternalServerError");
        assert!(damaged.to_string().contains("/srv/data/logstores.json"));
        assert!(
            !damaged.wire_message().contains("/srv"),
            "no path on the wire"
        );
        let refused = LogError::ProjectNotExist("app".into());
        assert_eq!(refused.wire_message(), "The Project does not exist: app");
        let io = LogError::io(
            Path::new("/srv/data/audit.jsonl"),
            "sync",
            std::io::Error::other("disk on fire"),
        );
        assert!(!io.wire_message().contains("audit.jsonl"));
        let source = std::error::Error::source(&io).map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("disk on fire"), "the cause is kept");
        let kms = LogError::kms(
            "wrap a service key",
            crate::kms::KmsError::KeyNotFound("k".into()),
        );
        assert!(std::error::Error::source(&kms).is_some());
        assert_eq!(kms.kind(), ErrorKind::System);
    }
}

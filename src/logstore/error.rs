//! Errors of the Log Service emulation, with Log Service's own codes and
//! HTTP statuses (`{"errorCode", "errorMessage"}` on the wire).
//!
//! Three kinds of failure are kept apart for whoever acts on them
//! ([`LogError::kind`]): a refusal (the service said no), bad input, damaged
//! data (a file or block failed a check: never served, never erased), and a
//! busy data directory (another process owns it).

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
            | LogError::Storage(_) => "InternalServerError",
            LogError::Busy { .. } => "DataDirectoryBusy",
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
            LogError::Io { .. } | LogError::Storage(_) => ErrorKind::System,
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
            | LogError::Storage(_) => 500,
            LogError::Busy { .. } => 503,
        }
    }
}

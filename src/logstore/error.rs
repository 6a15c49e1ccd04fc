//! Errors of the Log Service emulation, with Log Service's own codes and
//! HTTP statuses (`{"errorCode", "errorMessage"}` on the wire).

/// What went wrong with a Log Service call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    /// The data directory could not be read or written (500).
    #[error("storage error: {0}")]
    Storage(String),
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
            LogError::Unauthorized { .. } => "Unauthorized",
            LogError::KeyUnavailable { .. } => "KMSKeyUnavailable",
            LogError::Integrity { .. } | LogError::Storage(_) => "InternalServerError",
        }
    }

    /// The HTTP status Log Service answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            LogError::LogStoreInfoInvalid(_)
            | LogError::ParameterInvalid(_)
            | LogError::ProjectAlreadyExist(_)
            | LogError::LogStoreAlreadyExist(_) => 400,
            LogError::Unauthorized { .. } => 401,
            LogError::KeyUnavailable { .. } => 403,
            LogError::ProjectNotExist(_)
            | LogError::LogStoreNotExist(_)
            | LogError::ShardNotExist(_) => 404,
            LogError::Integrity { .. } | LogError::Storage(_) => 500,
        }
    }
}

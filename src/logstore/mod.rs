//! Log Service Logstores with encryption at rest, gated by RAM decisions.

// Storage internals are crate-private: the API is what this module
// re-exports below.
pub(crate) mod audit;
mod audited;
// The block format is internal; the `internals` feature (unstable, not part
// of the API) opens it to ramgate's own crypto bench and fuzz target.
#[cfg(not(feature = "internals"))]
mod block;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod block;
mod catalog;
mod commit;
mod datadir;
pub mod encrypt_conf;
pub mod error;
mod gate;
mod journal;
mod keyring;
mod lock;
pub(crate) mod meta;
pub mod model;
mod op;
mod ops_logs;
mod ops_logstore;
mod ops_project;
mod ops_retention;
mod ops_sts;
mod plaintext;
mod positional;
mod ramstore;
mod segment;
mod service;
mod shard;
mod shards;
mod strict_json;

pub use audit::{
    AUDIT_FILE, AuditError, AuditKey, Record as AuditRecord, Repair as AuditRepair, StateVersions,
    last_records as last_audit_records, repair as repair_audit_log, verify as verify_audit_log,
    verify_each as verify_audit_log_each, verify_with as verify_audit_log_with,
};
pub use audited::{AuditedCall, AuditedFailure};
pub use journal::{DEFAULT_JOURNAL_BYTES, recover_journal};
pub use lock::DirLock;

pub use datadir::ReadOnlyDir;
pub use encrypt_conf::{EncryptConf, EncryptType, UserCmkInfo};
pub use error::{ErrorKind, LogError};
pub use model::{Log, LogGroup};
pub use ramstore::{EditRefused, RamSnapshot};
pub use service::{
    CursorFrom, DEFAULT_SEGMENT_BYTES, DEFAULT_TTL_DAYS, ExpiredSegment, LOG_SERVICE, LogService,
    LogstoreConfig, LogstoreInfo, Options, Pulled, Receipt, RequestScope, StoredGroup, Traced,
};
pub use strict_json::JsonInputError;

//! Log Service Logstores with encryption at rest, gated by RAM decisions.

mod audit;
// The block format is internal; the `internals` feature (unstable, not part
// of the API) opens it to ramgate's own crypto bench and fuzz target.
#[cfg(not(feature = "internals"))]
mod block;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod block;
pub mod encrypt_conf;
pub mod error;
pub(crate) mod meta;
pub mod model;
mod segment;
mod service;
mod strict_json;

pub use audit::{AUDIT_FILE, AuditError, Record as AuditRecord, verify as verify_audit_log};

pub use encrypt_conf::{EncryptConf, EncryptType, UserCmkInfo};
pub use error::LogError;
pub use model::{Log, LogGroup};
pub use service::{
    LOG_SERVICE, LogService, LogstoreConfig, LogstoreInfo, Options, Pulled, Receipt, StoredGroup,
};
pub use strict_json::JsonInputError;

//! Log Service Logstores with encryption at rest, gated by RAM decisions.

pub mod audit;
pub mod block;
mod catalog;
pub mod commit;
pub mod datadir;
pub mod encrypt_conf;
pub mod error;
mod gate;
mod keyring;
pub mod lock;
pub mod meta;
pub mod model;
mod op;
mod ops_logs;
mod ops_logstore;
mod positional;
pub mod ramstore;
pub mod segment;
mod service;
mod shards;

pub use datadir::ReadOnlyDir;
pub use encrypt_conf::{EncryptConf, EncryptType, UserCmkInfo};
pub use error::{ErrorKind, LogError};
pub use model::{Log, LogGroup};
pub use ramstore::RamSnapshot;
pub use service::{
    LOG_SERVICE, LogService, LogstoreConfig, LogstoreInfo, Options, Pulled, Receipt, StoredGroup,
    Traced,
};

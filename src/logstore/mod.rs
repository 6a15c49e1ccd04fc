//! Log Service Logstores with encryption at rest, gated by RAM decisions.

pub mod audit;
pub mod block;
pub mod datadir;
pub mod encrypt_conf;
pub mod error;
pub mod lock;
pub mod meta;
pub mod model;
pub mod segment;
mod service;

pub use datadir::ReadOnlyDir;
pub use encrypt_conf::{EncryptConf, EncryptType, UserCmkInfo};
pub use error::{ErrorKind, LogError};
pub use model::{Log, LogGroup};
pub use service::{
    LOG_SERVICE, LogService, LogstoreConfig, LogstoreInfo, Options, Pulled, Receipt, StoredGroup,
};

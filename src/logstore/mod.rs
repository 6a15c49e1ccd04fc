//! Log Service Logstores with encryption at rest, gated by RAM decisions.

pub mod audit;
pub mod block;
pub mod encrypt_conf;
pub mod error;
pub mod meta;
pub mod model;
pub mod segment;
mod service;

pub use encrypt_conf::{EncryptConf, EncryptType, UserCmkInfo};
pub use error::LogError;
pub use model::{Log, LogGroup};
pub use service::{
    LOG_SERVICE, LogService, LogstoreConfig, LogstoreInfo, Options, Pulled, Receipt, StoredGroup,
};

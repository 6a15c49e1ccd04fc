//! Identities, roles and STS: the Alibaba Cloud accounts, RAM users, groups
//! and roles a request can come from, the system and custom policies
//! attached to them, STS `AssumeRole` with session policies, `ram:PassRole`,
//! and the decision chains that record every answer.
//!
//! The single-policy decision stays in [`crate::authz`]; this layer picks
//! which policies speak (session, identity, resource, trust) and combines
//! their decisions as RAM does (spec §8.2–§8.5), into traced
//! [`ChainStep`]s.
//!
//! ```
//! use ramgate::ram::{Access, AssumeRoleRequest, Directory, Identity, ManualClock, PolicyRef, Ram, Target};
//! use time::OffsetDateTime;
//!
//! let mut dir = Directory::new();
//! let account = dir.add_account("1234567890123456")?;
//! account.create_role("sls-byok", r#"{"Version": "1", "Statement": [{"Action": "sts:AssumeRole",
//!     "Effect": "Allow", "Principal": {"Service": ["log.aliyuncs.com"]}}]}"#)?;
//! account.attach_policy(&Target::Role("sls-byok".into()), &PolicyRef::System("AliyunKMSCryptoUserAccess".into()))?;
//!
//! let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
//! let ram = Ram::new(&dir, &clock);
//! let log = Identity::Service { service: "log.aliyuncs.com".into(), account: None };
//! let assumed = ram.assume_role(&log, &AssumeRoleRequest::new("acs:ram::1234567890123456:role/sls-byok", "sls"))?;
//! let key = "acs:kms:cn-hangzhou:1234567890123456:key/key-1";
//! let step = ram.authorize(&Identity::RoleSession(assumed.session), &Access::new("kms:GenerateDataKey", key), None)?;
//! assert!(step.is_allowed());
//! assert_eq!(step.response.reasons[0].policy, "role/sls-byok:system/AliyunKMSCryptoUserAccess");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authorize;
mod chain;
mod combine;
mod directory;
mod document;
mod error;
mod file;
mod identity;
mod names;
mod pass_role;
mod sts;
mod system;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use authorize::{Access, Ram, ResourcePolicy};
pub use chain::{ChainStep, DecisionChain, Part, PartKind, StepKind};
pub use directory::{
    Account, BadPolicyRef, CustomPolicy, Directory, Group, MAX_MAX_SESSION_DURATION,
    MAX_POLICY_VERSIONS, MIN_MAX_SESSION_DURATION, PolicyRef, PolicyVersion, Role, User,
    parse_role_arn, role_arn,
};
pub use document::PolicyDocument;
pub use error::{Denied, DocumentError, Entity, RamError, Target};
pub use file::DIRECTORY_FORMAT;
pub use identity::{Identity, RoleSession};
pub use names::{NameKind, check as check_name};
pub use pass_role::{PASS_ROLE, SERVICE_KEY};
pub use sts::{
    ASSUME_ROLE, AssumeRoleRequest, AssumedRole, DEFAULT_DURATION_SECONDS, MIN_DURATION_SECONDS,
};
pub use system::{SystemPolicy, system_policies, system_policy};

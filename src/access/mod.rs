//! Access analysis: questions over a whole directory, each answer with the
//! decision chains that prove it — who can do an action on a resource
//! (directly, through groups, through chains of `sts:AssumeRole`, under
//! which residual condition), the Logstore report, privilege-escalation
//! paths, and assertions for CI.
//!
//! Nothing here decides on its own: every answer is a set of questions put
//! to [`crate::ram::Ram`], read back by partial evaluation of the traces
//! ([`partial`]), and proved by deciding once more in a context that
//! satisfies the residual condition ([`Analyzer::prove`]).
//!
//! ```
//! use ramgate::access::{Analyzer, Snapshot, who_can};
//! use ramgate::authz::Context;
//! use ramgate::ram::{Directory, PolicyRef, Target};
//!
//! let mut dir = Directory::new();
//! let a = dir.add_account("1234567890123456")?;
//! a.create_user("alice")?;
//! a.attach_policy(&Target::User("alice".into()), &PolicyRef::System("AliyunLogFullAccess".into()))?;
//! let snapshot = Snapshot::of_directory(dir);
//! let an = Analyzer::new(&snapshot);
//! let rows = who_can(&an, "log:GetLogStoreLogs", "acs:log:cn-hangzhou:1234567890123456:project/p/logstore/l", &Context::new())?;
//! let who: Vec<&str> = rows.iter().map(|r| r.principal.as_str()).collect();
//! assert_eq!(who, ["acs:ram::1234567890123456:root", "acs:ram::1234567890123456:user/alice"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod analyzer;
pub mod catalogue;
pub mod check;
mod error;
pub mod escalation;
pub mod graph;
pub mod logstore;
pub mod partial;
pub mod principals;
pub mod render;
pub mod residual;
pub mod snapshot;
pub mod who_can;

pub use analyzer::{Analyzer, Question};
pub use error::AccessError;
pub use escalation::{Escalation, Gain, PathKind, escalation};
pub use logstore::{Byok, Location, LogstoreReport, Section, report as logstore_report};
pub use principals::Subject;
pub use residual::{Literal, Residual};
pub use snapshot::{KeyFacts, LogstoreFacts, Snapshot, read_data_dir};
pub use who_can::{Row, who_can};

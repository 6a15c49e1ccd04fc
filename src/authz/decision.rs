//! Decisions and their reasons.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::policy::Effect;

/// The three outcomes RAM distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Decision {
    /// Some statement allows and none denies.
    Allow,
    /// Some statement denies: nothing else matters.
    ExplicitDeny,
    /// Nothing applies: RAM's default.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may go ahead.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }

    /// The name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement that decided: on `Allow` the allowing statements, on
/// `ExplicitDeny` the denying ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The id of the policy in its set.
    pub policy: String,
    /// The statement's index in the policy (0-based).
    pub statement: usize,
    /// The statement's `Sid`, if it has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sid: Option<String>,
    /// The statement's effect.
    pub effect: Effect,
    /// Where the statement starts in its source (0 when built in code).
    pub line: u32,
    /// The column there.
    pub column: u32,
    /// A condition could not be evaluated for this request (a value of the
    /// wrong type), and this Deny statement applied to fail closed.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub fail_closed: bool,
}

/// The answer to a request: a decision and the statements that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Allow, explicit deny or implicit deny.
    pub decision: Decision,
    /// The deciding statements (empty on `ImplicitDeny`).
    pub reasons: Vec<Reason>,
}

impl Response {
    /// The decision of a set with nothing in it, or where nothing applied.
    pub fn implicit_deny() -> Response {
        Response {
            decision: Decision::ImplicitDeny,
            reasons: Vec::new(),
        }
    }
}

//! Decisions: requests, compiled policy sets, the authorizer, reasons and
//! traces.

mod authorizer;
mod compiled;
mod decision;
mod index;
mod principal;
mod request;
mod trace;

pub use authorizer::Authorizer;
pub use compiled::{Compiled, CompiledPolicy, PolicySet};
pub use decision::{Decision, Reason, Response};
pub use principal::PrincipalMatcher;
pub use request::{Context, Principal, Request, RequestError, is_action_name};
pub use trace::{
    ConditionBecause, ConditionResult, ConditionTrace, ElementTrace, Mismatch, StatementTrace,
    Trace,
};

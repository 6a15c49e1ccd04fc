//! The full trace: for every statement of every policy, what matched and why
//! not. Serializable, so it can be printed, stored in the audit log and
//! compared in tests.

use serde::{Deserialize, Serialize};

use crate::policy::Effect;

/// Every statement of a set, examined against one request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// One entry per statement, in set order.
    pub statements: Vec<StatementTrace>,
}

/// How one statement fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementTrace {
    /// The policy id.
    pub policy: String,
    /// The statement's index in its policy.
    pub statement: usize,
    /// The `Sid`, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sid: Option<String>,
    /// The effect.
    pub effect: Effect,
    /// Where the statement starts.
    pub line: u32,
    /// The column there.
    pub column: u32,
    /// Whether the statement applies to the request (and so took part in
    /// the decision).
    pub applies: bool,
    /// `Action` / `NotAction`.
    pub action: ElementTrace,
    /// `Resource`, absent in statements that have none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resource: Option<ElementTrace>,
    /// `Principal`, absent in statements that have none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub principal: Option<ElementTrace>,
    /// One entry per condition key, in source order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub conditions: Vec<ConditionTrace>,
}

/// How one element (`Action`, `NotAction`, `Resource`, `Principal`) fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementTrace {
    /// The element name.
    pub element: String,
    /// Whether it matched.
    pub matched: bool,
    /// The request's value (action, resource ARN, principal), if it has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request: Option<String>,
    /// The policy value that matched (for `NotAction`, the one that excluded).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy_value: Option<String>,
    /// Why it did not match.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mismatch: Option<Mismatch>,
}

/// Machine-readable reasons an element did not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    /// No listed pattern matches the request's value.
    NoValueMatched,
    /// `NotAction` lists a pattern that matches the action.
    ExcludedByNotAction,
    /// The statement names resources and the request has none.
    RequestHasNoResource,
    /// The statement names principals and the request has none.
    RequestHasNoPrincipal,
}

/// How one condition key fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionTrace {
    /// The operator with its qualifier (`ForAllValues:StringEquals`).
    pub operator: String,
    /// The key as written in the policy.
    pub key: String,
    /// The policy values.
    pub policy_values: Vec<String>,
    /// The request's values, absent when the request lacks the key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_values: Option<Vec<String>>,
    /// `true`, `false`, or `error` (could not be evaluated: fails closed).
    pub result: ConditionResult,
    /// The request value that decided, when one did.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_value: Option<String>,
    /// The policy value it matched, when it matched one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy_value: Option<String>,
    /// Why, in one machine-readable word.
    pub because: ConditionBecause,
    /// The evaluation error, when `result` is `error`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// A condition's three-valued outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionResult {
    /// It holds.
    True,
    /// It does not hold.
    False,
    /// A request value could not be compared (wrong type).
    Error,
}

/// Why a condition came out as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionBecause {
    /// A request value matched a policy value.
    ValueMatched,
    /// No request value matched any policy value.
    NoValueMatched,
    /// A request value matched none of the policy values.
    SomeValueUnmatched,
    /// The request lacks the key: positive operators and `ForAnyValue` are
    /// false, negated operators and `ForAllValues` true.
    KeyAbsent,
    /// A request value is not of the operator's type.
    EvaluationError,
}

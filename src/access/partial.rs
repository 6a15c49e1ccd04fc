//! Partial evaluation: a step the engine decided, read back as the residual
//! condition under which it allows.
//!
//! The engine decides the step with the keys the analysis knows; its full
//! trace says, for every statement, whether `Action`, `Resource` and
//! `Principal` matched and how each condition came out. A condition on a
//! known key keeps the engine's result; one on an unknown key becomes a
//! [`Literal`]. Then, as the engine combines (spec §8.1, `ram::combine`):
//! the step allows when some Allow statement applies and no Deny statement
//! does, so
//!
//! ```text
//! residual = (∨ over Allow statements: ∧ their conditions hold)
//!          ∧ (∧ over Deny statements: ∨ their conditions fail)
//! ```
//!
//! A Deny's condition that cannot be evaluated keeps the Deny in force
//! (fail closed): that is why its literals require *false*, not *not
//! true*.
//!
//! The analysis asks only questions without session or resource policies,
//! so a step has at most one part with statements (identity or trust); the
//! others (the account's own authority, the missing resource policy of
//! another account) are fixed decisions, taken as they are.

use std::collections::BTreeSet;

use crate::authz::{ConditionResult, StatementTrace};
use crate::policy::Effect;
use crate::policy::condition::QualifiedOperator;
use crate::ram::{ChainStep, PartKind};

use super::error::AccessError;
use super::residual::{Literal, Residual};

/// Which condition keys the analysis knows (their values are in the
/// context the step was decided with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known {
    /// These keys, lower-cased.
    Keys(BTreeSet<String>),
    /// Every key: the step's context is all there is (`ram:PassRole` steps,
    /// whose only key is `acs:Service`).
    All,
}

impl Known {
    /// No key is known.
    pub fn none() -> Known {
        Known::Keys(BTreeSet::new())
    }

    /// Whether `key` is known.
    pub fn contains(&self, key: &str) -> bool {
        match self {
            Known::All => true,
            Known::Keys(keys) => keys.contains(&key.to_lowercase()),
        }
    }
}

/// The residual condition under which `step` allows.
pub fn step_residual(step: &ChainStep, known: &Known) -> Result<Residual, AccessError> {
    let mut with_statements = false;
    for p in &step.parts {
        match p.kind {
            PartKind::Account | PartKind::Resource => {
                if !p.decision.is_allowed() {
                    return Ok(Residual::never());
                }
            }
            PartKind::Identity | PartKind::Trust | PartKind::Session => with_statements = true,
        }
    }
    if !with_statements {
        return Ok(Residual::always());
    }
    let mut allow = Residual::never();
    let mut no_deny = Residual::always();
    for s in step.trace.statements.iter().filter(|s| elements_match(s)) {
        match s.effect {
            Effect::Allow => {
                if let Some(conjunction) = allow_conjunction(s, known)? {
                    allow = allow.or(Residual::all_of(conjunction));
                }
            }
            Effect::Deny => {
                if let Some(escapes) = deny_escapes(s, known)? {
                    no_deny = no_deny.and(&Residual::any_of(escapes), &step.principal)?;
                }
            }
        }
    }
    allow.and(&no_deny, &step.principal)
}

fn elements_match(s: &StatementTrace) -> bool {
    s.action.matched
        && s.resource.as_ref().is_none_or(|e| e.matched)
        && s.principal.as_ref().is_none_or(|e| e.matched)
}

/// The literals an Allow statement needs, or `None` when a known key
/// already rules it out.
fn allow_conjunction(
    s: &StatementTrace,
    known: &Known,
) -> Result<Option<Vec<Literal>>, AccessError> {
    let mut out = Vec::new();
    for c in &s.conditions {
        if known.contains(&c.key) {
            if c.result != ConditionResult::True {
                return Ok(None);
            }
        } else {
            out.push(literal(&c.operator, &c.key, &c.policy_values, true)?);
        }
    }
    Ok(Some(out))
}

/// The ways out of a Deny statement (any one of its conditions false), or
/// `None` when a known key already makes it not apply. `Some(vec![])`: the
/// Deny applies whatever the context.
fn deny_escapes(s: &StatementTrace, known: &Known) -> Result<Option<Vec<Literal>>, AccessError> {
    let mut out = Vec::new();
    for c in &s.conditions {
        if known.contains(&c.key) {
            if c.result == ConditionResult::False {
                return Ok(None);
            }
        } else {
            out.push(literal(&c.operator, &c.key, &c.policy_values, false)?);
        }
    }
    Ok(Some(out))
}

fn literal(
    operator: &str,
    key: &str,
    values: &[String],
    holds: bool,
) -> Result<Literal, AccessError> {
    let op: QualifiedOperator =
        operator
            .parse()
            .map_err(
                |e: crate::policy::condition::OperatorError| AccessError::Condition {
                    operator: operator.to_string(),
                    key: key.to_string(),
                    message: e.to_string(),
                },
            )?;
    Literal::new(op, key, values.to_vec(), holds)
}

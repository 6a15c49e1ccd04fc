//! Refusals in words: which step refused, and the statement that decided
//! it as `policy:line:column`, or that no statement applies.

use crate::authz::Decision;
use crate::policy::Effect;
use crate::ram::{ChainStep, Denied, PartKind};
use crate::terminal::escape;

use super::PopFailure;

/// RAM's and STS's code for a caller its policies do not allow.
pub(crate) const NO_PERMISSION: &str = "NoPermission";

/// KMS's code for the same.
pub(crate) const KMS_NO_PERMISSION: &str = "Forbidden.NoPermission";

/// `403 NoPermission` for a step that did not allow.
pub(crate) fn no_permission(step: &ChainStep) -> PopFailure {
    refused(NO_PERMISSION, step)
}

/// `403 <code>` for a step that did not allow.
pub(crate) fn refused(code: &str, step: &ChainStep) -> PopFailure {
    PopFailure::new(403, code, step_message(step))
}

/// ``step `authorize` refused `kms:Decrypt` on `…` for `…`: <why>``.
pub(crate) fn step_message(step: &ChainStep) -> String {
    // Every field came from a request or a policy: escaped, so a message
    // printed to a terminal or a log cannot forge a line.
    format!(
        "step `{}` refused `{}` on `{}` for `{}`: {}",
        step.step.as_str(),
        escape(&step.action),
        escape(step.resource.as_deref().unwrap_or("*")),
        escape(&step.principal),
        why(step)
    )
}

/// The deciding statements, or which kind of policy had none that applies.
fn why(step: &ChainStep) -> String {
    if !step.response.reasons.is_empty() {
        let by: Vec<String> = step
            .response
            .reasons
            .iter()
            .map(|r| {
                let verb = if r.effect == Effect::Deny {
                    "denied"
                } else {
                    "allowed"
                };
                let sid = r
                    .sid
                    .as_deref()
                    .map(|s| format!(" ({})", escape(s)))
                    .unwrap_or_default();
                format!(
                    "{verb} by {}:{}:{} statement {}{sid}",
                    escape(&r.policy),
                    r.line,
                    r.column,
                    r.statement
                )
            })
            .collect();
        return by.join("; ");
    }
    let kinds: Vec<&str> = step
        .parts
        .iter()
        .filter(|p| p.required && p.decision != Decision::Allow)
        .map(|p| match p.kind {
            PartKind::Account => "not the account's own resource",
            PartKind::Session => "no statement of the session policy applies",
            PartKind::Identity => "no statement of the identity policies applies",
            PartKind::Resource => "no statement of the resource policy applies",
            PartKind::Trust => "no statement of the trust policy applies",
        })
        .collect();
    if kinds.is_empty() {
        "no statement applies".to_string()
    } else {
        kinds.join("; ")
    }
}

/// An AssumeRole refusal: STS's sentence, then each refusing step.
pub(crate) fn assume_role_message(denied: &Denied) -> String {
    let mut message = denied.to_string();
    for step in denied.steps.iter().filter(|s| !s.is_allowed()) {
        message.push_str("; ");
        message.push_str(&step_message(step));
    }
    message
}

//! Printing decision chains: one line per step (what was asked, the answer
//! and how each kind of policy answered), then the statements that decided
//! it as `policy:line:column`, or why no statement did. Shared by
//! `eval --directory` and the data-directory commands' `--trace`.

use std::fmt::Write as _;

use crate::authz::Decision;
use crate::policy::Effect;
use crate::ram::{ChainStep, DecisionChain, PartKind};
use crate::terminal::escape;

/// Whether a step's line names its request (action, resource, principal):
/// `eval` has already said it in its first line, a pipeline chain asks
/// several different questions and must.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    Named,
    Omitted,
}

/// The whole chain: its decision, then every step.
pub(crate) fn render(chain: &DecisionChain) -> String {
    let mut out = String::new();
    if chain.steps.is_empty() {
        out.push_str("chain: no step (the call asked no authorization question)\n");
        return out;
    }
    let _ = writeln!(out, "chain: {}", chain.decision());
    for step in &chain.steps {
        step_lines(&mut out, step, Request::Named);
    }
    out
}

/// One step: `  <step>: <decision> [<action> on <resource> by <principal> ]
/// [<kind> <decision>, …]`, then the deciding statements.
pub(crate) fn step_lines(out: &mut String, step: &ChainStep, request: Request) {
    let parts: Vec<String> = step
        .parts
        .iter()
        .map(|p| {
            let kind = serde_json::to_value(p.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let either = if p.required { "" } else { " (either)" };
            format!("{kind}{either} {}", p.decision)
        })
        .collect();
    let asked = match request {
        Request::Omitted => String::new(),
        // Every field came from input: escaped so none can forge a line.
        Request::Named => format!(
            " {} on {} by {}",
            escape(&step.action),
            escape(step.resource.as_deref().unwrap_or("*")),
            escape(&step.principal.to_string())
        ),
    };
    let _ = writeln!(
        out,
        "  {}: {}{asked} [{}]",
        step.step.as_str(),
        step.decision(),
        parts.join(", ")
    );
    if step.response.reasons.is_empty() {
        for why in unexplained(step) {
            let _ = writeln!(out, "    {why}");
        }
    }
    for r in &step.response.reasons {
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
        let _ = writeln!(
            out,
            "    {verb} by {}:{}:{} statement {}{sid}",
            escape(&r.policy),
            r.line,
            r.column,
            r.statement
        );
    }
}

/// Why a step without deciding statements came out as it did, one line per
/// part that counted.
fn unexplained(step: &ChainStep) -> Vec<&'static str> {
    let some_alternative_allows = step
        .parts
        .iter()
        .any(|p| !p.required && p.decision.is_allowed());
    step.parts
        .iter()
        .filter(|p| {
            if step.decision().is_allowed() {
                p.kind == PartKind::Account
            } else {
                !p.decision.is_allowed() && (p.required || !some_alternative_allows)
            }
        })
        .map(|p| match (p.kind, p.decision) {
            (PartKind::Account, Decision::Allow) => "the account's own resource: no policy needed",
            (PartKind::Account, _) => "not the account's own resource",
            (PartKind::Session, _) => "no statement of the session policy applies",
            (PartKind::Identity, _) => "no statement of the identity policies applies",
            (PartKind::Resource, _) => {
                "no statement of the resource policy applies (a resource of another account without one admits nobody)"
            }
            (PartKind::Trust, _) => "no statement of the trust policy applies",
        })
        .collect()
}

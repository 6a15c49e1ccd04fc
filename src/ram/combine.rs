//! How the decisions of several policy kinds make one (spec §8.2–§8.5).
//!
//! Each kind (session, identity, resource, trust) is evaluated on its own by
//! the single-policy authorizer, then combined here:
//!
//! 1. an explicit deny in any part wins;
//! 2. else the step allows when every *required* part allows and, if there
//!    are *alternatives*, at least one of them allows;
//! 3. else it is an implicit deny.
//!
//! Callers decide which parts are required: a session policy always is;
//! identity and resource policies are alternatives for a caller of the
//! resource's own account (§8.2 step 3, §8.5 "OR") and both required for a
//! caller of another account (§8.5 "AND"); an AssumeRole needs both the
//! caller's policies and the trust policy (§8.3).

use crate::authz::{Authorizer, Compiled, Decision, PolicySet, Reason, Request, Response, Trace};

use super::chain::{ChainStep, Part, PartKind, StepKind, context_map};

/// One kind of policy, evaluated on its own.
#[derive(Clone, Debug)]
pub(crate) struct Evaluated {
    pub kind: PartKind,
    pub required: bool,
    pub ids: Vec<String>,
    pub response: Response,
    pub trace: Trace,
}

impl Evaluated {
    /// Evaluates `policies` (ids and documents) against `request`, with the
    /// full trace.
    pub fn of(
        kind: PartKind,
        required: bool,
        policies: Vec<(String, Compiled)>,
        request: &Request,
    ) -> Evaluated {
        let mut set = PolicySet::empty();
        let mut ids = Vec::with_capacity(policies.len());
        for (id, policy) in policies {
            set.add_compiled(id.as_str(), &policy);
            ids.push(id);
        }
        let (response, trace) = Authorizer::new().explain(&set, request);
        Evaluated {
            kind,
            required,
            ids,
            response,
            trace,
        }
    }

    /// A part decided without policies: the account's authority, or a
    /// resource that has no policy.
    pub fn fixed(kind: PartKind, required: bool, decision: Decision) -> Evaluated {
        Evaluated {
            kind,
            required,
            ids: Vec::new(),
            response: Response {
                decision,
                reasons: Vec::new(),
            },
            trace: Trace::default(),
        }
    }

    fn allows(&self) -> bool {
        self.response.decision.is_allowed()
    }
}

/// Combines the parts of one question into one traced step.
pub(crate) fn combine(step: StepKind, request: &Request, parts: Vec<Evaluated>) -> ChainStep {
    let denies: Vec<Reason> = parts
        .iter()
        .filter(|p| p.response.decision == Decision::ExplicitDeny)
        .flat_map(|p| p.response.reasons.iter().cloned())
        .collect();
    let required_allow = parts.iter().filter(|p| p.required).all(Evaluated::allows);
    let mut alternatives = parts.iter().filter(|p| !p.required).peekable();
    let some_alternative_allows =
        alternatives.peek().is_none() || alternatives.any(Evaluated::allows);
    let any_deny = parts
        .iter()
        .any(|p| p.response.decision == Decision::ExplicitDeny);
    let response = if any_deny {
        Response {
            decision: Decision::ExplicitDeny,
            reasons: denies,
        }
    } else if !parts.is_empty() && required_allow && some_alternative_allows {
        Response {
            decision: Decision::Allow,
            reasons: parts
                .iter()
                .filter(|p| p.allows())
                .flat_map(|p| p.response.reasons.iter().cloned())
                .collect(),
        }
    } else {
        Response::implicit_deny()
    };
    let mut trace = Trace::default();
    let mut policies = Vec::new();
    let mut summary = Vec::with_capacity(parts.len());
    for p in parts {
        policies.extend(p.ids);
        trace.statements.extend(p.trace.statements);
        summary.push(Part {
            kind: p.kind,
            decision: p.response.decision,
            required: p.required,
        });
    }
    ChainStep {
        step,
        principal: request
            .principal
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        action: request.action.clone(),
        resource: request.resource.clone(),
        context: context_map(&request.context),
        policies,
        parts: summary,
        response,
        trace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(kind: PartKind, required: bool, decision: Decision) -> Evaluated {
        Evaluated::fixed(kind, required, decision)
    }

    fn decide(parts: Vec<Evaluated>) -> Decision {
        combine(StepKind::Authorize, &Request::new("a:B", "*"), parts).decision()
    }

    use Decision::{Allow, ExplicitDeny as Deny, ImplicitDeny as None_};
    use PartKind::{Identity, Resource, Session};

    #[test]
    fn required_parts_must_all_allow() {
        assert_eq!(
            decide(vec![
                part(Session, true, Allow),
                part(Identity, true, Allow)
            ]),
            Allow
        );
        assert_eq!(
            decide(vec![
                part(Session, true, None_),
                part(Identity, true, Allow)
            ]),
            None_
        );
        assert_eq!(
            decide(vec![
                part(Session, true, Allow),
                part(Identity, true, None_)
            ]),
            None_
        );
    }

    #[test]
    fn one_alternative_suffices() {
        let same_account = |i, r| decide(vec![part(Identity, false, i), part(Resource, false, r)]);
        assert_eq!(same_account(None_, Allow), Allow);
        assert_eq!(same_account(Allow, None_), Allow);
        assert_eq!(same_account(None_, None_), None_);
        // …but the session still gates it (spec §8.2 step 2).
        assert_eq!(
            decide(vec![
                part(Session, true, None_),
                part(Identity, false, Allow),
                part(Resource, false, Allow)
            ]),
            None_
        );
    }

    #[test]
    fn an_explicit_deny_anywhere_wins() {
        assert_eq!(
            decide(vec![
                part(Identity, false, Allow),
                part(Resource, false, Deny)
            ]),
            Deny
        );
        assert_eq!(
            decide(vec![part(Session, true, Deny), part(Identity, true, Allow)]),
            Deny
        );
    }

    #[test]
    fn nothing_to_decide_is_a_deny() {
        assert_eq!(decide(vec![]), None_);
    }
}

//! The decision procedure (spec §8.1): explicit deny wins, then allow, else
//! implicit deny. Indexing and tracing live around it, not inside it.

use std::ops::ControlFlow;

use crate::policy::Effect;
use crate::policy::arn::Arn;
use crate::policy::condition::{EvalError, Qualifier};
use crate::policy::pattern::Folded;

use super::compiled::{CompiledCondition, CompiledPolicy, CompiledStatement, PolicySet};
use super::decision::{Decision, Reason, Response};
use super::index::{Offer, ResourceTag};
use super::request::Request;
use super::trace::{
    ConditionBecause, ConditionResult, ConditionTrace, ElementTrace, Mismatch, StatementTrace,
    Trace,
};

/// Evaluates requests against policy sets. Stateless and `Copy`; the
/// compiled [`PolicySet`] carries everything that is computed once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Authorizer;

impl Authorizer {
    /// An authorizer.
    pub fn new() -> Authorizer {
        Authorizer
    }

    /// Decides a request without saying why. Stops at the first statement
    /// that settles it, and allocates nothing.
    pub fn decide(&self, set: &PolicySet, request: &Request) -> Decision {
        let action = Folded::new(&request.action);
        let asked = Asked::new(request, action.as_str());
        let offered = set.candidates(asked.action);
        let any_applies = |effect| {
            let found = offered.visit(effect, |offer| match applying(set, offer, &asked) {
                Some(_) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            });
            found.is_break()
        };
        if any_applies(Effect::Deny) {
            Decision::ExplicitDeny
        } else if any_applies(Effect::Allow) {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }

    /// What each policy of the set, on its own, could decide on a request
    /// in the most favourable context, in one pass over the statements the
    /// index offers: entry `i` is [`Decision::ExplicitDeny`] when an
    /// unconditional Deny of policy `i` applies (it applies in every
    /// context), else [`Decision::Allow`] when an Allow applies with its
    /// conditions ignored, else [`Decision::ImplicitDeny`]. So where an
    /// entry is not `Allow`, no context makes that policy allow.
    ///
    /// Deny wins, then allow, so entries combine: for any selection of the
    /// set's policies, if none of its entries is `Allow` or one is
    /// `ExplicitDeny`, no context makes the selection allow. The access
    /// analysis filters every principal of a directory (each a selection of
    /// its policies) with one such pass, instead of a set per principal.
    pub fn optimistic_each(&self, set: &PolicySet, request: &Request) -> Vec<Decision> {
        let action = Folded::new(&request.action);
        let asked = Asked::new(request, action.as_str());
        let offered = set.candidates(asked.action);
        let mut out = vec![Decision::ImplicitDeny; set.policies().len()];
        for (effect, decision) in [
            (Effect::Deny, Decision::ExplicitDeny),
            (Effect::Allow, Decision::Allow),
        ] {
            let _ = offered.visit(effect, |offer| {
                if let Some(slot) = out.get_mut(offer.at.0 as usize)
                    && *slot == Decision::ImplicitDeny
                    && offer.resource.admits(asked.resource_tag)
                    && let Some((_, stmt, _)) = set.statement(offer.at)
                    && (effect == Effect::Allow || stmt.conditions.is_empty())
                    && (offer.action_matches || action_matches(stmt, &asked).0)
                    && resource_matches(stmt, &asked).0
                    && principal_matches(stmt, &asked).0
                {
                    *slot = decision;
                }
                ControlFlow::Continue(())
            });
        }
        out
    }

    /// Decides a request, naming the statements that decided. Allocates
    /// only the reasons it returns.
    pub fn evaluate(&self, set: &PolicySet, request: &Request) -> Response {
        let action = Folded::new(&request.action);
        let asked = Asked::new(request, action.as_str());
        let offered = set.candidates(asked.action);
        let reasons = |effect| {
            let mut out = Vec::new();
            let _ = offered.visit(effect, |offer| {
                if let Some((policy, i, fail_closed)) = applying(set, offer, &asked) {
                    out.push(reason(policy, i, effect, fail_closed));
                }
                ControlFlow::Continue(())
            });
            out
        };
        let denies = reasons(Effect::Deny);
        // Once a statement denies, no allow can matter: don't look for any.
        let allows = if denies.is_empty() {
            reasons(Effect::Allow)
        } else {
            Vec::new()
        };
        respond(allows, denies)
    }

    /// Decides a request and explains every statement of the set.
    pub fn explain(&self, set: &PolicySet, request: &Request) -> (Response, Trace) {
        let action = Folded::new(&request.action);
        let asked = Asked::new(request, action.as_str());
        let mut trace = Trace {
            statements: Vec::with_capacity(set.statement_count()),
        };
        let (mut allows, mut denies) = (Vec::new(), Vec::new());
        for policy in set.policies() {
            for (i, stmt) in policy.statements.iter().enumerate() {
                let (t, fail_closed) = explain_statement(policy, i, stmt, &asked);
                if t.applies {
                    let reason = reason(policy, i, stmt.effect, fail_closed);
                    match stmt.effect {
                        Effect::Deny => denies.push(reason),
                        Effect::Allow => allows.push(reason),
                    }
                }
                trace.statements.push(t);
            }
        }
        (respond(allows, denies), trace)
    }
}

/// A request with what every statement needs from it worked out once: the
/// action folded for the case-insensitive action patterns, whether the
/// resource is a RAM role ARN (whose names compare without case), the
/// resource's account (for service principals) and its index tag.
struct Asked<'r> {
    request: &'r Request,
    action: &'r str,
    role_resource: bool,
    resource_account: Option<&'r str>,
    resource_tag: ResourceTag,
}

impl<'r> Asked<'r> {
    fn new(request: &'r Request, folded_action: &'r str) -> Asked<'r> {
        let arn = request.resource.as_deref().and_then(Arn::parse);
        Asked {
            request,
            action: folded_action,
            role_resource: arn.is_some_and(|a| a.is_role()),
            resource_account: arn.map(|a| a.account),
            resource_tag: request
                .resource
                .as_deref()
                .and_then(ResourceTag::of_arn_start)
                .unwrap_or(ResourceTag::NOT_AN_ARN),
        }
    }
}

/// The offered statement if it applies: its policy, its index there, and
/// the fail-closed flag of [`applies`].
fn applying<'s>(
    set: &'s PolicySet,
    offer: Offer,
    asked: &Asked<'_>,
) -> Option<(&'s CompiledPolicy, usize, bool)> {
    if !offer.resource.admits(asked.resource_tag) {
        return None;
    }
    let (policy, stmt, i) = set.statement(offer.at)?;
    applies(stmt, asked, offer.action_matches).map(|fail_closed| (policy, i, fail_closed))
}

/// Deny wins, then allow, else the default.
fn respond(allows: Vec<Reason>, denies: Vec<Reason>) -> Response {
    if !denies.is_empty() {
        Response {
            decision: Decision::ExplicitDeny,
            reasons: denies,
        }
    } else if !allows.is_empty() {
        Response {
            decision: Decision::Allow,
            reasons: allows,
        }
    } else {
        Response::implicit_deny()
    }
}

fn reason(policy: &CompiledPolicy, i: usize, effect: Effect, fail_closed: bool) -> Reason {
    let loc = policy.statement_loc(i);
    Reason {
        policy: policy.id.clone(),
        statement: i,
        sid: policy.statement_sid(i).map(str::to_string),
        effect,
        line: loc.line,
        column: loc.column,
        fail_closed,
    }
}

/// Whether a statement applies; `Some(true)` when it applies only because a
/// condition could not be evaluated and the statement denies (fail closed).
/// `action_known`: the index proved that the action matches.
fn applies(s: &CompiledStatement, a: &Asked<'_>, action_known: bool) -> Option<bool> {
    if !(action_known || action_matches(s, a).0)
        || !resource_matches(s, a).0
        || !principal_matches(s, a).0
    {
        return None;
    }
    match conditions(s, a.request) {
        Tri::True => Some(false),
        Tri::False => None,
        Tri::Unknown => (s.effect == Effect::Deny).then_some(true),
    }
}

/// Three-valued logic for conditions that may not be evaluable.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

/// The AND of all conditions: false if any is false, else unknown if any is.
fn conditions(s: &CompiledStatement, r: &Request) -> Tri {
    let mut all = Tri::True;
    for c in &s.conditions {
        all = and(all, condition(c, r).result);
        if all == Tri::False {
            break;
        }
    }
    all
}

fn and(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Tri::False, _) | (_, Tri::False) => Tri::False,
        (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
        (Tri::True, Tri::True) => Tri::True,
    }
}

/// `ForAllValues:StringEquals`, without the formatting machinery (a trace
/// names one operator per condition of every statement).
fn operator_name(c: &CompiledCondition) -> String {
    let operator = c.operator.operator.as_str();
    match c.operator.qualifier {
        Some(q) => [q.as_str(), ":", operator].concat(),
        None => operator.to_string(),
    }
}

/// `(matched, index of the deciding pattern)`.
type ElementOutcome = (bool, Option<usize>, Option<Mismatch>);

fn action_matches(s: &CompiledStatement, a: &Asked<'_>) -> ElementOutcome {
    let hit = s.actions.iter().position(|p| p.matches_folded(a.action));
    match (s.negated_action, hit) {
        (false, Some(i)) => (true, Some(i), None),
        (false, None) => (false, None, Some(Mismatch::NoValueMatched)),
        (true, Some(i)) => (false, Some(i), Some(Mismatch::ExcludedByNotAction)),
        (true, None) => (true, None, None),
    }
}

fn resource_matches(s: &CompiledStatement, a: &Asked<'_>) -> ElementOutcome {
    let Some(patterns) = &s.resources else {
        return (true, None, None);
    };
    let Some(resource) = &a.request.resource else {
        return (false, None, Some(Mismatch::RequestHasNoResource));
    };
    match patterns
        .iter()
        .position(|p| p.matches(resource, a.role_resource))
    {
        Some(i) => (true, Some(i), None),
        None => (false, None, Some(Mismatch::NoValueMatched)),
    }
}

fn principal_matches(s: &CompiledStatement, a: &Asked<'_>) -> ElementOutcome {
    let Some(entries) = &s.principals else {
        return (true, None, None);
    };
    let Some(principal) = &a.request.principal else {
        return (false, None, Some(Mismatch::RequestHasNoPrincipal));
    };
    match entries
        .iter()
        .position(|(_, _, m)| m.matches(principal, a.resource_account))
    {
        Some(i) => (true, Some(i), None),
        None => (false, None, Some(Mismatch::NoValueMatched)),
    }
}

/// The outcome of one condition key, with what decided it (indices into the
/// request's and the policy's values).
struct ConditionOutcome {
    result: Tri,
    because: ConditionBecause,
    request_value: Option<usize>,
    policy_value: Option<usize>,
    error: Option<EvalError>,
}

/// One condition key, by the rules in [`crate::policy::condition`]: a request
/// value *satisfies* a positive operator when it matches some policy value,
/// a negated one when it matches none; plain positive operators and
/// `ForAnyValue` need some value to satisfy, plain negated operators and
/// `ForAllValues` need every value to (so an absent key passes them).
fn condition(c: &CompiledCondition, r: &Request) -> ConditionOutcome {
    let op = c.operator.operator;
    let negated = op.is_negated();
    let need_all = match c.operator.qualifier {
        Some(Qualifier::ForAllValues) => true,
        Some(Qualifier::ForAnyValue) => false,
        None => negated,
    };
    let outcome = |result, because, request_value, policy_value| ConditionOutcome {
        result,
        because,
        request_value,
        policy_value,
        error: None,
    };
    let values = r.context.get_lowercased(&c.lookup).unwrap_or_default();
    if values.is_empty() {
        let result = if need_all { Tri::True } else { Tri::False };
        return outcome(result, ConditionBecause::KeyAbsent, None, None);
    }
    let mut error = None;
    let mut first_hit = None;
    for (j, v) in values.iter().enumerate() {
        let found = match c.values.find(op, v) {
            Ok(found) => found,
            Err(e) => {
                error.get_or_insert((j, e));
                continue;
            }
        };
        if let Some(i) = found {
            first_hit.get_or_insert((j, i));
        }
        let satisfied = found.is_some() != negated;
        match (need_all, satisfied, found) {
            // One unsatisfied value decides an "every value" test…
            (true, false, Some(i)) => {
                return outcome(Tri::False, ConditionBecause::ValueMatched, Some(j), Some(i));
            }
            (true, false, None) => {
                return outcome(
                    Tri::False,
                    ConditionBecause::SomeValueUnmatched,
                    Some(j),
                    None,
                );
            }
            // …and one satisfied value a "some value" test.
            (false, true, Some(i)) => {
                return outcome(Tri::True, ConditionBecause::ValueMatched, Some(j), Some(i));
            }
            (false, true, None) => {
                return outcome(
                    Tri::True,
                    ConditionBecause::SomeValueUnmatched,
                    Some(j),
                    None,
                );
            }
            _ => {}
        }
    }
    if let Some((j, e)) = error {
        return ConditionOutcome {
            result: Tri::Unknown,
            because: ConditionBecause::EvaluationError,
            request_value: Some(j),
            policy_value: None,
            error: Some(e),
        };
    }
    match (need_all, first_hit) {
        (true, Some((j, i))) => {
            outcome(Tri::True, ConditionBecause::ValueMatched, Some(j), Some(i))
        }
        (true, None) => outcome(Tri::True, ConditionBecause::NoValueMatched, None, None),
        (false, Some((j, i))) => {
            outcome(Tri::False, ConditionBecause::ValueMatched, Some(j), Some(i))
        }
        (false, None) => outcome(Tri::False, ConditionBecause::NoValueMatched, None, None),
    }
}

/// The trace of one statement; every element is examined, whatever the
/// others gave. The second value is the fail-closed flag of [`applies`].
fn explain_statement(
    policy: &CompiledPolicy,
    i: usize,
    s: &CompiledStatement,
    asked: &Asked<'_>,
) -> (StatementTrace, bool) {
    let r = asked.request;
    let element = |name: &str, o: ElementOutcome, request: Option<String>, value: Option<&str>| {
        ElementTrace {
            element: name.to_string(),
            matched: o.0,
            request,
            policy_value: value.map(str::to_string),
            mismatch: o.2,
        }
    };
    let a = action_matches(s, asked);
    let action = element(
        if s.negated_action {
            "NotAction"
        } else {
            "Action"
        },
        a,
        Some(r.action.clone()),
        a.1.and_then(|i| s.actions.get(i)).map(|p| p.as_str()),
    );
    let resource = s.resources.as_ref().map(|patterns| {
        let o = resource_matches(s, asked);
        element(
            "Resource",
            o,
            r.resource.clone(),
            o.1.and_then(|i| patterns.get(i)).map(|p| p.as_str()),
        )
    });
    let principal = s.principals.as_ref().map(|entries| {
        let o = principal_matches(s, asked);
        let value =
            o.1.and_then(|i| entries.get(i))
                .map(|(k, v, _)| format!("{}:{v}", k.as_str()));
        element(
            "Principal",
            o,
            r.principal.as_ref().map(|p| p.to_string()),
            value.as_deref(),
        )
    });
    let mut all = Tri::True;
    let conditions: Vec<ConditionTrace> = s
        .conditions
        .iter()
        .map(|c| {
            let o = condition(c, r);
            all = and(all, o.result);
            let request_values = r.context.get_lowercased(&c.lookup).map(<[String]>::to_vec);
            ConditionTrace {
                operator: operator_name(c),
                key: c.key.clone(),
                policy_values: c.raw.clone(),
                request_value: o
                    .request_value
                    .and_then(|j| request_values.as_ref()?.get(j).cloned()),
                request_values,
                result: match o.result {
                    Tri::True => ConditionResult::True,
                    Tri::False => ConditionResult::False,
                    Tri::Unknown => ConditionResult::Error,
                },
                policy_value: o.policy_value.and_then(|i| c.raw.get(i).cloned()),
                because: o.because,
                error: o.error.map(|e| e.to_string()),
            }
        })
        .collect();
    // What `applies` would say, from the outcomes already at hand.
    let matched = a.0
        && resource.as_ref().is_none_or(|e| e.matched)
        && principal.as_ref().is_none_or(|e| e.matched);
    let fail_closed = match (matched, all) {
        (false, _) | (true, Tri::False) => None,
        (true, Tri::True) => Some(false),
        (true, Tri::Unknown) => (s.effect == Effect::Deny).then_some(true),
    };
    let loc = policy.statement_loc(i);
    let trace = StatementTrace {
        policy: policy.id.clone(),
        statement: i,
        sid: policy.statement_sid(i).map(str::to_string),
        effect: s.effect,
        line: loc.line,
        column: loc.column,
        applies: fail_closed.is_some(),
        action,
        resource,
        principal,
        conditions,
    };
    (trace, fail_closed.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::request::{Principal, Request};
    use crate::policy::Policy;

    fn set(json: &str) -> PolicySet {
        let p = Policy::from_json(json, None).unwrap_or_else(|e| panic!("{e}"));
        PolicySet::new([("p", p)])
    }

    fn decide(set: &PolicySet, r: &Request) -> Decision {
        let fast = Authorizer.evaluate(set, r);
        let (traced, _) = Authorizer.explain(set, r);
        assert_eq!(fast, traced, "fast and traced paths disagree");
        assert_eq!(
            Authorizer.decide(set, r),
            fast.decision,
            "decision-only path disagrees"
        );
        fast.decision
    }

    /// Each entry of `optimistic_each` is what the policy alone decides
    /// with its Allow conditions removed and its conditional Denies
    /// dropped, whatever the statement's form (`NotAction`, wildcards).
    #[test]
    fn optimistic_each_decides_every_policy_alone_in_one_pass() {
        let docs = [
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:Disable*","Resource":"acs:kms:*:*:key/*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"kms:*","Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*:Describe*","Resource":"acs:*:*:*:*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"log:Get*","Resource":"acs:log:*:*:project/p/*","Condition":{"Bool":{"acs:MFAPresent":"true"}}}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"log:*","Resource":"*"},{"Effect":"Deny","NotAction":["kms:*","ecs:*"],"Resource":"*"}]}"#,
        ];
        let policies: Vec<Policy> = docs
            .iter()
            .map(|d| Policy::from_json(d, None).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let hopeful = |p: &Policy| {
            let mut p = p.clone();
            p.statements
                .retain(|st| st.effect.node == Effect::Allow || st.condition.is_none());
            for st in &mut p.statements {
                st.condition = None;
            }
            PolicySet::new([("p", p)])
        };
        let all = PolicySet::new(
            policies
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("p{i}"), p.clone())),
        );
        for (action, resource) in [
            ("kms:DisableKey", "acs:kms:cn-hangzhou:1:key/k"),
            ("kms:Decrypt", "acs:kms:cn-hangzhou:1:key/k"),
            (
                "log:GetLogStoreLogs",
                "acs:log:cn-hangzhou:1:project/p/logstore/l",
            ),
            (
                "log:GetLogStoreLogs",
                "acs:log:cn-hangzhou:1:project/q/logstore/l",
            ),
            ("ecs:DescribeInstances", "*"),
            ("ecs:DescribeInstances", "acs:ecs:cn-hangzhou:1:instance/i"),
        ] {
            let r = Request::new(action, resource);
            let each = Authorizer.optimistic_each(&all, &r);
            let alone: Vec<Decision> = policies
                .iter()
                .map(|p| Authorizer.decide(&hopeful(p), &r))
                .collect();
            assert_eq!(each, alone, "{action} on {resource}");
        }
    }

    #[test]
    fn explicit_deny_wins_and_nothing_is_implicit_deny() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"kms:*","Resource":"*"},
            {"Sid":"NoDisable","Effect":"Deny","Action":"kms:DisableKey","Resource":"*"}]}"#);
        assert_eq!(
            decide(
                &s,
                &Request::new("kms:Decrypt", "acs:kms:cn-hangzhou:1:key/k")
            ),
            Decision::Allow
        );
        let r = Request::new("kms:disablekey", "acs:kms:cn-hangzhou:1:key/k");
        let response = Authorizer.evaluate(&s, &r);
        assert_eq!(response.decision, Decision::ExplicitDeny);
        assert_eq!(response.reasons.len(), 1);
        assert_eq!(response.reasons[0].sid.as_deref(), Some("NoDisable"));
        assert_eq!(
            (response.reasons[0].line, response.reasons[0].column),
            (3, 13)
        );
        assert_eq!(
            decide(&s, &Request::new("log:GetLogStore", "x")),
            Decision::ImplicitDeny
        );
        assert_eq!(decide(&PolicySet::empty(), &r), Decision::ImplicitDeny);
    }

    #[test]
    fn not_action_allows_everything_else_without_denying_the_listed() {
        let s = set(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"ram:*","Resource":"*"}]}"#,
        );
        assert_eq!(
            decide(&s, &Request::new("ecs:StartInstance", "*")),
            Decision::Allow
        );
        assert_eq!(
            decide(&s, &Request::new("ram:CreateUser", "*")),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn missing_keys_pass_negated_operators_and_fail_positive_ones() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"oss:*","Resource":"*"},
            {"Effect":"Deny","Action":"oss:*","Resource":"*","Condition":{"StringNotLike":{"acs:SourceVpc":"vpc-*"}}}]}"#);
        let outside = Request::new("oss:GetObject", "acs:oss:*:1:b/o");
        assert_eq!(decide(&s, &outside), Decision::ExplicitDeny);
        let inside = outside.clone().with_context("acs:SourceVpc", ["vpc-123"]);
        assert_eq!(decide(&s, &inside), Decision::Allow);
    }

    #[test]
    fn set_qualifiers_follow_aws() {
        let s = set(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:CreateRole","Resource":"*",
            "Condition":{"ForAllValues:StringEquals":{"ram:TrustedPrincipalTypes":["Service"]}}}]}"#,
        );
        let r = Request::new("ram:CreateRole", "*");
        assert_eq!(
            decide(&s, &r),
            Decision::Allow,
            "ForAllValues holds on an absent key"
        );
        let mixed = r
            .clone()
            .with_context("ram:TrustedPrincipalTypes", ["Service", "RAM"]);
        assert_eq!(decide(&s, &mixed), Decision::ImplicitDeny);
        let service = r.with_context("ram:TrustedPrincipalTypes", ["Service"]);
        assert_eq!(decide(&s, &service), Decision::Allow);
    }

    #[test]
    fn unevaluable_conditions_fail_closed() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"}}},
            {"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericLessThan":{"kms:n":"5"}}}]}"#);
        let bad = Request::new("kms:Encrypt", "*").with_context("acs:CurrentTime", ["soon"]);
        assert_eq!(
            decide(&s, &bad),
            Decision::ImplicitDeny,
            "an Allow that cannot be evaluated does not apply"
        );
        let bad = Request::new("kms:Decrypt", "*")
            .with_context("acs:CurrentTime", ["2020-01-01T00:00:00Z"])
            .with_context("kms:n", ["many"]);
        let response = Authorizer.evaluate(&s, &bad);
        assert_eq!(
            response.decision,
            Decision::ExplicitDeny,
            "a Deny that cannot be evaluated applies"
        );
        assert!(response.reasons[0].fail_closed);
        let (_, trace) = Authorizer.explain(&s, &bad);
        assert_eq!(
            trace.statements[1].conditions[0].result,
            ConditionResult::Error
        );
        assert_eq!(
            trace.statements[1].conditions[0].error.as_deref(),
            Some("request value `many` is not a number")
        );
    }

    #[test]
    fn role_resources_compare_role_names_without_case() {
        let s = set(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:PassRole","Resource":"acs:ram:*:*:role/aliyunlogimportossrole"}]}"#,
        );
        let r = Request::new(
            "ram:PassRole",
            "acs:ram::1234567890123456:role/AliyunLogImportOSSRole",
        );
        assert_eq!(decide(&s, &r), Decision::Allow);
        let s = set(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:bucket/Key"}]}"#,
        );
        assert_eq!(
            decide(&s, &Request::new("oss:GetObject", "acs:oss:*:*:bucket/key")),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn the_trace_says_why_each_statement_did_not_apply() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["log.aliyuncs.com"]}},
            {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::1234567890123456:root"},
             "Condition":{"Bool":{"acs:MFAPresent":"true"}}}]}"#);
        let r = Request {
            resource: Some("acs:ram::1234567890123456:role/r".into()),
            ..Request::new("sts:AssumeRole", "")
        }
        .with_principal(Principal::from_service("ecs.aliyuncs.com"));
        let (response, trace) = Authorizer.explain(&s, &r);
        assert_eq!(response.decision, Decision::ImplicitDeny);
        let first = &trace.statements[0];
        assert!(first.action.matched);
        assert_eq!(
            first.principal.as_ref().map(|p| p.mismatch),
            Some(Some(Mismatch::NoValueMatched))
        );
        assert_eq!(
            trace.statements[1].conditions[0].because,
            ConditionBecause::KeyAbsent
        );
        let json = serde_json::to_value(&trace).unwrap_or_default();
        assert_eq!(json["statements"][1]["conditions"][0]["result"], "false");
    }
}

//! The semantics as theorems (after Cedar's Lean proofs), stated in proptest
//! over generated policies and requests.

mod common;

use common::generate;
use common::reference;
use proptest::prelude::*;
use ramgate::authz::{Authorizer, Decision, PolicySet, Request, Response};
use ramgate::policy::{Effect, Policy, PolicyKind};

fn evaluate(policies: &[(String, Policy)], request: &Request) -> Response {
    Authorizer::new().evaluate(&PolicySet::new(policies.to_vec()), request)
}

fn sids(r: &Response) -> Vec<String> {
    let mut s: Vec<String> = r.reasons.iter().filter_map(|x| x.sid.clone()).collect();
    s.sort();
    s.dedup();
    s
}

/// The decision before and after adding `extra` with every statement made
/// `effect`.
fn with_extra(
    policies: &[(String, Policy)],
    request: &Request,
    mut extra: Policy,
    effect: Effect,
) -> (Decision, Decision) {
    let before = evaluate(policies, request).decision;
    for s in extra.statements.iter_mut() {
        s.effect.node = effect;
    }
    let mut more = policies.to_vec();
    more.push(("extra".into(), extra));
    (before, evaluate(&more, request).decision)
}

fn one_statement(effect: Effect, action: &str) -> Policy {
    let json = format!(
        r#"{{"Version":"1","Statement":[{{"Sid":"extra","Effect":"{}","Action":{},"Resource":"*"}}]}}"#,
        effect.as_str(),
        serde_json::Value::from(action)
    );
    Policy::from_json(&json, Some(PolicyKind::Identity)).unwrap_or_else(|e| panic!("{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_compiled_authorizer_agrees_with_the_reference(policies in generate::policies(), request in generate::request()) {
        let fast = evaluate(&policies, &request);
        let expected = reference::evaluate(&policies, &request);
        prop_assert_eq!(&fast, &expected);
        let set = PolicySet::new(policies.clone());
        let (traced, _) = Authorizer::new().explain(&set, &request);
        prop_assert_eq!(Authorizer::new().decide(&set, &request), fast.decision);
        prop_assert_eq!(fast, traced);
    }

    #[test]
    fn explicit_deny_beats_allow(policies in generate::policies(), request in generate::request()) {
        let mut with_deny = policies.clone();
        with_deny.push(("deny".into(), one_statement(Effect::Deny, &request.action)));
        let r = evaluate(&with_deny, &request);
        prop_assert_eq!(r.decision, Decision::ExplicitDeny);
        prop_assert!(r.reasons.iter().all(|x| x.effect == Effect::Deny));
    }

    #[test]
    fn no_policy_is_implicit_deny(request in generate::request()) {
        prop_assert_eq!(evaluate(&[], &request), Response::implicit_deny());
    }

    #[test]
    fn order_and_duplicates_do_not_matter(
        policies in generate::policies(),
        request in generate::request(),
        seed in any::<u64>(),
    ) {
        let before = evaluate(&policies, &request);
        // Reverse the policies, rotate each policy's statements by the seed
        // and duplicate its first statement.
        let mut shuffled: Vec<(String, Policy)> = policies.iter().rev().cloned().collect();
        for (_, p) in shuffled.iter_mut() {
            let n = p.statements.len();
            p.statements.rotate_left((seed as usize) % n);
            let first = p.statements[0].clone();
            p.statements.push(first);
        }
        let after = evaluate(&shuffled, &request);
        prop_assert_eq!(before.decision, after.decision);
        prop_assert_eq!(sids(&before), sids(&after));
    }

    #[test]
    fn adding_an_allow_never_takes_access_away(
        policies in generate::policies(),
        request in generate::request(),
        extra in generate::policy("x"),
    ) {
        let (before, after) = with_extra(&policies, &request, extra, Effect::Allow);
        if before == Decision::Allow {
            prop_assert_eq!(after, Decision::Allow);
        }
    }

    #[test]
    fn adding_a_deny_never_grants(
        policies in generate::policies(),
        request in generate::request(),
        extra in generate::policy("x"),
    ) {
        let (before, after) = with_extra(&policies, &request, extra, Effect::Deny);
        if before != Decision::Allow {
            prop_assert_ne!(after, Decision::Allow);
        }
    }

    #[test]
    fn reasons_are_statements_whose_every_element_matched(policies in generate::policies(), request in generate::request()) {
        let (response, trace) = Authorizer::new().explain(&PolicySet::new(policies.clone()), &request);
        for reason in &response.reasons {
            let t = trace.statements.iter().find(|t| t.policy == reason.policy && t.statement == reason.statement);
            let t = t.ok_or_else(|| TestCaseError::fail("reason without a trace entry"))?;
            prop_assert!(t.applies);
            prop_assert!(t.action.matched);
            prop_assert!(t.resource.as_ref().is_none_or(|r| r.matched));
            prop_assert!(t.principal.as_ref().is_none_or(|p| p.matched));
            prop_assert_eq!(t.effect, reason.effect);
        }
        let applied = trace.statements.iter().filter(|t| t.applies && match response.decision {
            Decision::ExplicitDeny => t.effect == Effect::Deny,
            Decision::Allow => t.effect == Effect::Allow,
            Decision::ImplicitDeny => true,
        }).count();
        prop_assert_eq!(applied, response.reasons.len());
    }
}

/// The properties above mean little if generated requests rarely meet the
/// generated statements: every decision must be common.
#[test]
fn generated_cases_reach_every_decision() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (generate::policies(), generate::request());
    let mut counts = [0usize; 3];
    for _ in 0..600 {
        let (policies, request) = strategy
            .new_tree(&mut runner)
            .map(|t| t.current())
            .unwrap_or_else(|e| panic!("{e}"));
        let i = match evaluate(&policies, &request).decision {
            Decision::Allow => 0,
            Decision::ExplicitDeny => 1,
            Decision::ImplicitDeny => 2,
        };
        counts[i] += 1;
    }
    assert!(
        counts.iter().all(|&c| c >= 60),
        "decisions are unbalanced: {counts:?}"
    );
}

//! `who-can` against brute force: for random small directories with
//! conditions (unsatisfiable conjunctions included), the rows are exactly
//! the principals and AssumeRole paths the engine allows in some context of
//! a finite domain, and each row's residual condition is true exactly in
//! the contexts of that domain where the engine allows.
//!
//! The domain: for each condition key, the values the generated policies
//! can use, one fresh value, and the key absent. The operators are those
//! for which that domain is complete (every request value behaves like one
//! of its members): string equality, single IP addresses, `Bool`.

#![cfg(feature = "access")]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::{Value, json};

use ramgate::access::{Analyzer, Snapshot, Subject, who_can};
use ramgate::authz::Context;
use ramgate::clock::ManualClock;
use ramgate::ram::{Access, Directory, Identity, PolicyRef, Ram, Target};

const UID: &str = "1234567890123456";
const ACTION: &str = "log:GetLogStoreLogs";
const LOGSTORE: &str = "acs:log:cn-hangzhou:1234567890123456:project/p/logstore/l";
const USERS: [&str; 3] = ["u0", "u1", "u2"];
const ROLES: [&str; 2] = ["r0", "r1"];

/// (key, operator, values the operator may use).
const CONDITIONS: [(&str, &str, [&str; 2]); 5] = [
    ("test:k", "StringEquals", ["a", "b"]),
    ("test:k", "StringNotEquals", ["a", "b"]),
    ("acs:SourceIp", "IpAddress", ["10.0.0.1", "10.0.0.2"]),
    ("acs:SourceIp", "NotIpAddress", ["10.0.0.1", "10.0.0.2"]),
    ("acs:MFAPresent", "Bool", ["true", "false"]),
];

/// Each key: the policy values, one fresh value, and absent (`None`).
fn domain() -> Vec<Context> {
    let keys: [(&str, [Option<&str>; 4]); 3] = [
        ("test:k", [Some("a"), Some("b"), Some("c"), None]),
        (
            "acs:SourceIp",
            [Some("10.0.0.1"), Some("10.0.0.2"), Some("10.0.0.9"), None],
        ),
        (
            "acs:MFAPresent",
            [Some("true"), Some("false"), Some("maybe"), None],
        ),
    ];
    let mut out = vec![Context::new()];
    for (key, values) in keys {
        let mut next = Vec::new();
        for c in &out {
            for v in values {
                let mut c = c.clone();
                if let Some(v) = v {
                    c.insert(key, [v]);
                }
                next.push(c);
            }
        }
        out = next;
    }
    out
}

fn condition() -> impl Strategy<Value = Vec<(usize, usize)>> {
    prop::collection::vec((0..CONDITIONS.len(), 1usize..4), 0..3)
}

/// A condition block from (condition index, value mask) pairs, one block
/// per operator.
fn block(conds: &Vec<(usize, usize)>) -> Option<Value> {
    let mut ops: BTreeMap<&str, Value> = BTreeMap::new();
    for &(i, mask) in conds {
        let (key, op, values) = CONDITIONS[i];
        let vs: Vec<&str> = values
            .iter()
            .enumerate()
            .filter(|(j, _)| mask & (1 << j) != 0)
            .map(|(_, v)| *v)
            .collect();
        let vs: Vec<&str> = if op == "Bool" {
            vs.into_iter().take(1).collect()
        } else {
            vs
        };
        ops.insert(op, json!({ key: vs }));
    }
    (!ops.is_empty()).then(|| json!(ops))
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.7),
        prop::sample::select(vec![ACTION, "log:*", "sts:AssumeRole", "*"]),
        prop::sample::select(vec![
            "*",
            LOGSTORE,
            "acs:ram::1234567890123456:role/*",
            "acs:ram::1234567890123456:role/r1",
        ]),
        condition(),
    )
        .prop_map(|(allow, action, resource, conds)| {
            let mut s = json!({
                "Effect": if allow { "Allow" } else { "Deny" },
                "Action": action,
                "Resource": resource,
            });
            if let Some(c) = block(&conds) {
                s["Condition"] = c;
            }
            s
        })
}

fn trust_statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.85),
        prop::sample::select(vec![
            ("RAM", "acs:ram::1234567890123456:user/u0"),
            ("RAM", "acs:ram::1234567890123456:user/u1"),
            ("RAM", "acs:ram::1234567890123456:root"),
            ("RAM", "acs:ram::1234567890123456:role/r0"),
            ("RAM", "acs:ram::1234567890123456:role/r1"),
            ("Service", "log.aliyuncs.com"),
        ]),
        condition(),
    )
        .prop_map(|(allow, (kind, who), conds)| {
            let mut s = json!({
                "Effect": if allow { "Allow" } else { "Deny" },
                "Action": "sts:AssumeRole",
                "Principal": { kind: [who] },
            });
            if let Some(c) = block(&conds) {
                s["Condition"] = c;
            }
            s
        })
}

fn doc(statements: Vec<Value>) -> String {
    json!({"Version": "1", "Statement": statements}).to_string()
}

#[derive(Debug, Clone)]
struct Spec {
    /// Statements of the policy attached to u0, u1, u2, group g, r0, r1.
    policies: Vec<Vec<Value>>,
    members: Vec<bool>,
    trusts: Vec<Vec<Value>>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(prop::collection::vec(statement(), 0..3), 6),
        prop::collection::vec(any::<bool>(), 3),
        prop::collection::vec(prop::collection::vec(trust_statement(), 1..3), 2),
    )
        .prop_map(|(policies, members, trusts)| Spec {
            policies,
            members,
            trusts,
        })
}

fn build(spec: &Spec) -> Directory {
    let mut d = Directory::new();
    let a = d.add_account(UID).unwrap_or_else(|e| panic!("{e}"));
    for u in USERS {
        a.create_user(u).unwrap_or_else(|e| panic!("{e}"));
    }
    a.create_group("g").unwrap_or_else(|e| panic!("{e}"));
    for (u, m) in USERS.iter().zip(&spec.members) {
        if *m {
            a.add_user_to_group(u, "g")
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    for (r, t) in ROLES.iter().zip(&spec.trusts) {
        a.create_role(r, &doc(t.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let targets = [
        Target::User("u0".into()),
        Target::User("u1".into()),
        Target::User("u2".into()),
        Target::Group("g".into()),
        Target::Role("r0".into()),
        Target::Role("r1".into()),
    ];
    for (i, (t, statements)) in targets.iter().zip(&spec.policies).enumerate() {
        if statements.is_empty() {
            continue;
        }
        let name = format!("P{i}");
        a.create_policy(&name, &doc(statements.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        a.attach_policy(t, &PolicyRef::Custom(name))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    d
}

/// Every simple path of the brute force: a start and the roles it assumes.
fn paths(subjects: &[Subject]) -> Vec<(usize, Vec<usize>)> {
    let roles: Vec<usize> = subjects
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Subject::Role { .. }))
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    for (start, subject) in subjects.iter().enumerate() {
        out.push((start, vec![]));
        if !subject.can_assume() {
            continue;
        }
        for &a in &roles {
            if a == start {
                continue;
            }
            out.push((start, vec![a]));
            for &b in &roles {
                if b != a && b != start {
                    out.push((start, vec![a, b]));
                }
            }
        }
    }
    out
}

/// Whether the engine allows the path in `ctx`: every hop's AssumeRole
/// steps, then the action.
fn allowed(
    ram: &Ram<'_>,
    subjects: &[Subject],
    start: usize,
    hops: &[usize],
    ctx: &Context,
) -> bool {
    let mut acting: Identity = subjects[start].identity();
    for &h in hops {
        let role = subjects[h].arn();
        match ram.evaluate_assume_role(&acting, &role, ctx) {
            Ok(steps) if steps.iter().all(|s| s.is_allowed()) => {}
            _ => return false,
        }
        acting = subjects[h].identity();
    }
    let access = Access {
        action: ACTION.into(),
        resource: LOGSTORE.into(),
        context: ctx.clone(),
    };
    ram.authorize(&acting, &access, None)
        .is_ok_and(|s| s.is_allowed())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn who_can_matches_brute_force(spec in spec()) {
        let snapshot = Snapshot::of_directory(build(&spec));
        let an = Analyzer::new(&snapshot);
        let rows = who_can(&an, ACTION, LOGSTORE, &Context::new()).unwrap_or_else(|e| panic!("{e}"));
        let clock = ManualClock::new(time::OffsetDateTime::UNIX_EPOCH);
        let ram = Ram::new(&snapshot.directory, &clock);
        let subjects = an.subjects();
        let contexts = domain();
        let mut expected: BTreeMap<(String, Vec<String>), Vec<bool>> = BTreeMap::new();
        for (start, hops) in paths(subjects) {
            let truth: Vec<bool> = contexts
                .iter()
                .map(|c| allowed(&ram, subjects, start, &hops, c))
                .collect();
            if truth.iter().any(|t| *t) {
                let via = hops.iter().map(|&h| subjects[h].arn()).collect();
                expected.insert((subjects[start].arn(), via), truth);
            }
        }
        let got: BTreeSet<(String, Vec<String>)> =
            rows.iter().map(|r| (r.principal.clone(), r.via.clone())).collect();
        let want: BTreeSet<(String, Vec<String>)> = expected.keys().cloned().collect();
        prop_assert_eq!(&got, &want, "rows differ from brute force");
        prop_assert_eq!(rows.len(), got.len(), "one row per principal and path");
        for r in &rows {
            let truth = &expected[&(r.principal.clone(), r.via.clone())];
            for (c, t) in contexts.iter().zip(truth) {
                prop_assert_eq!(r.condition.eval(c), *t, "{} via {:?} in {:?}: {:?}", r.principal, r.via, c, r.condition.to_when());
            }
        }
    }
}

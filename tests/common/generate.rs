//! proptest generators for policies and requests over small alphabets, so
//! that random statements and requests actually meet.

use proptest::prelude::*;
use ramgate::authz::{Principal, Request};
use ramgate::policy::{Policy, PolicyKind};
use serde_json::{Value, json};

pub const ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "KMS:decrypt",
    "kms:*",
    "kms:Gen*",
    "*",
    "*:Describe*",
    "kms:DescribeKey",
    "log:GetLogStoreLogs",
    "log:Get?ogStoreLogs",
    "ram:PassRole",
    "ram:*",
    "sts:AssumeRole",
    // Shapes the action index files differently (src/authz/index.rs).
    "*:Gen*",
    "*:*",
    "kms:*Key",
    "kms:G*Key",
    "k*",
    "*Key",
];
pub const REQUEST_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
    "log:GetLogStoreLogs",
    "ram:PassRole",
    "sts:AssumeRole",
    "ecs:DescribeInstances",
    "Kms:DECRYPT",
    // Not `service:Name`: the index must still offer what can match.
    "kmsDecrypt",
    "x:kms:GenerateDataKey",
];
pub const RESOURCES: &[&str] = &[
    "*",
    "acs:kms:*:*:key/*",
    "acs:kms:cn-hangzhou:1234567890123456:key/k1",
    "acs:ram::*",
    "acs:ram:*:*:role/sls-*",
    "acs:ram::1234567890123456:role/SLS-byok",
    "acs:log:*:*:project/p/logstore/?",
    "acs:kms:cn-*:*:key/k?",
    // Role ARNs compare without case, service included.
    "acs:RAM::1234567890123456:role/*",
];
pub const REQUEST_RESOURCES: &[&str] = &[
    "acs:kms:cn-hangzhou:1234567890123456:key/k1",
    "acs:kms:cn-beijing:1234567890123456:key/k2",
    "acs:ram::1234567890123456:role/sls-byok",
    "acs:ram::1234567890123456:role/other",
    "acs:log:cn-hangzhou:1234567890123456:project/p/logstore/l",
];

/// (operator, key, candidate policy values, candidate request values)
pub const CONDITIONS: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "StringEquals",
        "acs:Service",
        &["log.aliyuncs.com", "ecs.aliyuncs.com"],
        &["log.aliyuncs.com", "oss.aliyuncs.com"],
    ),
    (
        "StringNotEquals",
        "acs:Service",
        &["log.aliyuncs.com"],
        &["log.aliyuncs.com", "ecs.aliyuncs.com"],
    ),
    (
        "StringEqualsIgnoreCase",
        "kms:tag/Project",
        &["Prod"],
        &["PROD", "dev"],
    ),
    (
        "StringNotEqualsIgnoreCase",
        "kms:tag/Project",
        &["prod"],
        &["Prod", "dev"],
    ),
    (
        "StringLike",
        "acs:SourceVpc",
        &["vpc-*", "vpc-?"],
        &["vpc-1", "vpc-123", "classic"],
    ),
    (
        "StringNotLike",
        "acs:SourceVpc",
        &["vpc-*"],
        &["vpc-1", "classic"],
    ),
    (
        "NumericLessThan",
        "kms:n",
        &["10", "3.5"],
        &["9", "10", "-2", "3.50", "abc"],
    ),
    (
        "NumericGreaterThanEquals",
        "kms:n",
        &["10"],
        &["9", "10", "007", "x"],
    ),
    ("NumericNotEquals", "kms:n", &["10"], &["10", "9"]),
    (
        "DateLessThan",
        "acs:CurrentTime",
        &["2026-01-01T00:00:00Z", "2026-01-01T08:00:00+08:00"],
        &["2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z", "soon"],
    ),
    (
        "DateNotEquals",
        "acs:CurrentTime",
        &["2026-01-01T00:00:00Z"],
        &["2026-01-01T08:00:00+08:00", "2025-01-01T00:00:00Z"],
    ),
    (
        "DateGreaterThan",
        "acs:CurrentTime",
        &["2026-01-01T00:00:00Z"],
        &["2026-06-01T00:00:00Z", "2020-01-01T00:00:00Z"],
    ),
    (
        "Bool",
        "acs:SecureTransport",
        &["true", "false"],
        &["true", "false", "yes"],
    ),
    (
        "IpAddress",
        "acs:SourceIp",
        &["10.0.0.0/8", "192.168.1.1", "2001:db8::/32"],
        &["10.1.2.3", "192.168.1.2", "2001:db8::1", "nope"],
    ),
    (
        "NotIpAddress",
        "acs:SourceIp",
        &["10.0.0.0/8"],
        &["10.1.2.3", "172.16.0.1"],
    ),
];

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

fn list(items: &'static [&'static str]) -> impl Strategy<Value = Value> {
    proptest::collection::vec(pick(items), 1..3)
        .prop_map(|v| if v.len() == 1 { json!(v[0]) } else { json!(v) })
}

fn condition() -> impl Strategy<Value = (String, String, Value)> {
    (
        0..CONDITIONS.len(),
        prop::option::of(prop_oneof![Just("ForAnyValue:"), Just("ForAllValues:")]),
    )
        .prop_flat_map(|(i, q)| {
            let (op, key, values, _) = CONDITIONS[i];
            let op = format!("{}{op}", q.unwrap_or(""));
            list(values).prop_map(move |v| (op.clone(), key.to_string(), v))
        })
}

/// A statement as JSON; `sid` makes it identifiable after shuffling.
pub fn statement(sid: String) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        list(ACTIONS),
        list(RESOURCES),
        proptest::collection::vec(condition(), 0..3),
    )
        .prop_map(move |(allow, not_action, actions, resources, conditions)| {
            let mut s = json!({"Sid": sid, "Effect": if allow { "Allow" } else { "Deny" }});
            s[if not_action { "NotAction" } else { "Action" }] = actions;
            s["Resource"] = resources;
            if !conditions.is_empty() {
                let mut block = serde_json::Map::new();
                for (op, key, values) in conditions {
                    let entry = block.entry(op).or_insert_with(|| json!({}));
                    entry[key] = values;
                }
                s["Condition"] = Value::Object(block);
            }
            s
        })
}

/// A policy of 1–5 statements whose Sids start with `prefix`.
pub fn policy(prefix: &'static str) -> impl Strategy<Value = Policy> {
    (1usize..6).prop_flat_map(move |n| {
        (0..n)
            .map(|i| statement(format!("{prefix}{i}")).boxed())
            .collect::<Vec<_>>()
            .prop_map(|statements| {
                let doc = json!({"Version": "1", "Statement": statements});
                Policy::from_json(&doc.to_string(), Some(PolicyKind::Identity))
                    .unwrap_or_else(|e| panic!("generated policy does not parse: {e}\n{doc}"))
            })
    })
}

/// A named set of 0–4 policies.
pub fn policies() -> impl Strategy<Value = Vec<(String, Policy)>> {
    const PREFIXES: [&str; 4] = ["a", "b", "c", "d"];
    (0usize..5).prop_flat_map(|n| {
        (0..n)
            .map(|i| policy(PREFIXES[i]).boxed())
            .collect::<Vec<_>>()
            .prop_map(|ps| {
                ps.into_iter()
                    .enumerate()
                    .map(|(i, p)| (format!("p{i}"), p))
                    .collect()
            })
    })
}

pub fn request() -> impl Strategy<Value = Request> {
    let context = proptest::collection::vec(
        (0..CONDITIONS.len()).prop_flat_map(|i| {
            let (_, key, _, values) = CONDITIONS[i];
            proptest::collection::vec(pick(values), 1..3).prop_map(move |v| (key, v))
        }),
        0..4,
    );
    (pick(REQUEST_ACTIONS), pick(REQUEST_RESOURCES), context).prop_map(
        |(action, resource, context)| {
            let mut r = Request::new(action, resource).with_principal(Principal::User {
                account: "1234567890123456".into(),
                name: "alice".into(),
            });
            for (k, v) in context {
                r.context.insert(k, v);
            }
            r
        },
    )
}

//! Arbitrary policy sets and requests: the compiled, indexed authorizer and
//! the reference evaluator in `tests/common/reference.rs` give the same
//! decision and the same reasons, and the traced path agrees with both.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ramgate::authz::{Authorizer, Context, PolicySet, Principal, Request};
use ramgate::policy::{Policy, PolicyKind};
use serde_json::{Value, json};

#[path = "../../tests/common/reference.rs"]
mod reference;

const ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:*",
    "KMS:gen*",
    "*",
    "*:Describe*",
    "kms:DescribeKey",
    "log:Get?ogs",
    "ram:PassRole",
    "sts:AssumeRole",
    "",
    "k*s:*",
    "?",
    "ram:*Role",
];
const RESOURCES: &[&str] = &[
    "*",
    "acs:kms:*:*:key/*",
    "acs:kms:cn-hangzhou:1234567890123456:key/k1",
    "acs:ram::*",
    "acs:ram:*:*:role/SLS-*",
    "acs:ram::1234567890123456:role/sls-byok",
    "acs:log:*:*:project/p/logstore/?",
    "",
    "acs:*",
];
const PRINCIPALS: &[(&str, &str)] = &[
    ("RAM", "acs:ram::1234567890123456:root"),
    ("RAM", "acs:ram::1234567890123456:user/alice"),
    ("RAM", "acs:ram::1234567890123456:role/CI"),
    ("RAM", "acs:ram::1234567890123456:*"),
    ("RAM", "*"),
    ("Service", "log.aliyuncs.com"),
    ("Service", "1345678901234567@log.aliyuncs.com"),
    ("Federated", "acs:ram::1234567890123456:saml-provider/idp"),
];
const CONDITIONS: &[(&str, &str, &[&str])] = &[
    ("StringEquals", "acs:Service", &["log.aliyuncs.com", "x"]),
    ("StringNotEquals", "acs:service", &["log.aliyuncs.com"]),
    ("StringEqualsIgnoreCase", "k", &["Prod", "ß"]),
    ("StringNotEqualsIgnoreCase", "k", &["PROD"]),
    ("StringLike", "acs:SourceVpc", &["vpc-*", "?"]),
    ("StringNotLike", "acs:SourceVpc", &["vpc-*"]),
    ("NumericLessThan", "n", &["10", "-3.5"]),
    ("NumericGreaterThanEquals", "n", &["0"]),
    ("NumericEquals", "n", &["10.0"]),
    ("NumericNotEquals", "n", &["7"]),
    ("NumericLessThanEquals", "n", &["7"]),
    ("NumericGreaterThan", "n", &["7"]),
    ("DateLessThan", "acs:CurrentTime", &["2026-01-01T00:00:00Z"]),
    (
        "DateGreaterThan",
        "acs:CurrentTime",
        &["2026-01-01T08:00:00+08:00"],
    ),
    ("DateEquals", "acs:CurrentTime", &["2026-01-01T00:00:00Z"]),
    (
        "DateNotEquals",
        "acs:CurrentTime",
        &["2026-01-01T00:00:00Z"],
    ),
    (
        "DateLessThanEquals",
        "acs:CurrentTime",
        &["2026-01-01T00:00:00Z"],
    ),
    (
        "DateGreaterThanEquals",
        "acs:CurrentTime",
        &["2026-01-01T00:00:00Z"],
    ),
    ("Bool", "acs:SecureTransport", &["true", "false"]),
    (
        "IpAddress",
        "acs:SourceIp",
        &["10.0.0.0/8", "::1", "192.168.0.1"],
    ),
    ("NotIpAddress", "acs:SourceIp", &["10.0.0.0/8"]),
];
const REQUEST_VALUES: &[&str] = &[
    "log.aliyuncs.com",
    "PROD",
    "prod",
    "SS",
    "vpc-1",
    "a",
    "9",
    "10",
    "-4",
    "7",
    "x",
    "2025-12-31T23:00:00Z",
    "2026-01-01T00:00:00Z",
    "2026-01-01T09:00:00+08:00",
    "true",
    "false",
    "TRUE",
    "10.1.1.1",
    "::1",
    "192.168.0.1",
    "",
    "1e3",
];
const REQUEST_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "KMS:DescribeKey",
    "log:GetLogs",
    "ram:PassRole",
    "sts:AssumeRole",
    "x",
];
const REQUEST_RESOURCES: &[&str] = &[
    "acs:kms:cn-hangzhou:1234567890123456:key/k1",
    "acs:ram::1234567890123456:role/SLS-BYOK",
    "acs:log:r:1:project/p/logstore/l",
    "*",
    "",
];

#[derive(Arbitrary, Debug)]
struct Stmt {
    allow: bool,
    not_action: bool,
    actions: Vec<u8>,
    resources: Option<Vec<u8>>,
    principals: Vec<u8>,
    conditions: Vec<(u8, u8, bool, bool)>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    trust: bool,
    policies: Vec<Vec<Stmt>>,
    action: u8,
    resource: Option<u8>,
    principal: u8,
    context: Vec<(u8, Vec<u8>)>,
}

fn pick<T: Copy>(items: &[T], i: u8) -> T {
    items[i as usize % items.len()]
}

fn statement(s: &Stmt, trust: bool) -> Value {
    let actions: Vec<&str> = s
        .actions
        .iter()
        .take(3)
        .map(|&i| pick(ACTIONS, i))
        .collect();
    let mut v = json!({"Effect": if s.allow { "Allow" } else { "Deny" }});
    v[if s.not_action { "NotAction" } else { "Action" }] = json!(actions);
    if trust {
        let mut block = serde_json::Map::new();
        for &i in s.principals.iter().take(3) {
            let (kind, value) = pick(PRINCIPALS, i);
            let entry = block.entry(kind).or_insert_with(|| json!([]));
            if let Some(list) = entry.as_array_mut() {
                list.push(json!(value));
            }
        }
        if block.is_empty() {
            block.insert("Service".into(), json!("log.aliyuncs.com"));
        }
        v["Principal"] = Value::Object(block);
    } else {
        let resources: Vec<&str> = s
            .resources
            .iter()
            .flatten()
            .take(3)
            .map(|&i| pick(RESOURCES, i))
            .collect();
        v["Resource"] = json!(resources);
    }
    if !s.conditions.is_empty() {
        let mut block = serde_json::Map::new();
        for &(op, value, qualify, all) in s.conditions.iter().take(3) {
            let (name, key, values) = pick(CONDITIONS, op);
            let name = match (qualify, all) {
                (false, _) => name.to_string(),
                (true, true) => format!("ForAllValues:{name}"),
                (true, false) => format!("ForAnyValue:{name}"),
            };
            let entry = block.entry(name).or_insert_with(|| json!({}));
            entry[key] = json!(pick(values, value));
        }
        v["Condition"] = Value::Object(block);
    }
    v
}

fuzz_target!(|input: Input| {
    let kind = if input.trust {
        PolicyKind::Trust
    } else {
        PolicyKind::Identity
    };
    let mut policies = Vec::new();
    for (i, stmts) in input.policies.iter().take(4).enumerate() {
        let statements: Vec<Value> = stmts
            .iter()
            .take(6)
            .map(|s| statement(s, input.trust))
            .collect();
        if statements.is_empty() {
            continue;
        }
        let doc = json!({"Version": "1", "Statement": statements}).to_string();
        // Generated documents can still be refused (two spellings of one
        // condition key under one operator): skip those.
        if let Ok(p) = Policy::from_json(&doc, Some(kind)) {
            policies.push((format!("p{i}"), p));
        }
    }
    let mut context = Context::new();
    for (k, values) in input.context.iter().take(4) {
        let (_, key, _) = pick(CONDITIONS, *k);
        context.insert(key, values.iter().take(3).map(|&v| pick(REQUEST_VALUES, v)));
    }
    let principal = match input.principal % 5 {
        0 => Principal::User {
            account: "1234567890123456".into(),
            name: "alice".into(),
        },
        1 => Principal::RoleSession {
            account: "1234567890123456".into(),
            role: "ci".into(),
            session: "s".into(),
        },
        2 => Principal::Service {
            service: "log.aliyuncs.com".into(),
            account: Some("1345678901234567".into()),
        },
        3 => Principal::Service {
            service: "log.aliyuncs.com".into(),
            account: None,
        },
        _ => Principal::Federated {
            provider: "acs:ram::1234567890123456:saml-provider/idp".into(),
        },
    };
    let request = Request {
        action: pick(REQUEST_ACTIONS, input.action).to_string(),
        resource: input
            .resource
            .map(|r| pick(REQUEST_RESOURCES, r).to_string()),
        principal: Some(principal),
        context,
    };
    let set = PolicySet::new(policies.clone());
    let fast = Authorizer::new().evaluate(&set, &request);
    let (traced, _) = Authorizer::new().explain(&set, &request);
    let expected = reference::evaluate(&policies, &request);
    assert_eq!(fast, expected, "compiled and reference disagree");
    assert_eq!(fast, traced, "fast and traced paths disagree");
});

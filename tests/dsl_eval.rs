//! A policy decides the same from its DSL form as from its JSON form: the
//! same decision and the same deciding statements (policy, statement, sid,
//! effect; line and column differ between the syntaxes by nature).

mod common;

use proptest::prelude::*;
use ramgate::authz::{Authorizer, Decision, PolicySet, Principal, Request, Response};
use ramgate::policy::{Effect, Policy, PolicyKind, render_with_source};
use serde_json::Value;

type Verdict = (Decision, Vec<(String, usize, Option<String>, Effect)>);

fn verdict(r: Response) -> Verdict {
    let reasons = r
        .reasons
        .into_iter()
        .map(|x| (x.policy, x.statement, x.sid, x.effect))
        .collect();
    (r.decision, reasons)
}

/// The policies read once from their JSON and once from their DSL form.
fn both_sets(policies: &[(String, Policy)]) -> (PolicySet, PolicySet) {
    let mut from_json = Vec::new();
    let mut from_dsl = Vec::new();
    for (id, p) in policies {
        let (json, dsl) = (p.to_json(), p.to_dsl());
        let j = Policy::from_json(&json, Some(p.kind))
            .unwrap_or_else(|e| panic!("{}", render_with_source(&e, id, &json)));
        let d = Policy::from_dsl(&dsl, Some(p.kind))
            .unwrap_or_else(|e| panic!("{}", render_with_source(&e, id, &dsl)));
        // The two trees differ in their locations only.
        assert!(
            j.statements
                .iter()
                .zip(&d.statements)
                .all(|(a, b)| a.loc.line != 0 && b.loc.line != 0)
        );
        from_json.push((id.clone(), j));
        from_dsl.push((id.clone(), d));
    }
    (PolicySet::new(from_json), PolicySet::new(from_dsl))
}

fn request_of(r: &Value) -> Request {
    let mut request = Request::new(
        r["action"].as_str().unwrap_or_default(),
        r["resource"].as_str().unwrap_or("*"),
    );
    let p = &r["principal"];
    let text = |k: &str| p[k].as_str().unwrap_or_default().to_string();
    request.principal = match p["type"].as_str() {
        Some("RAMUser" | "AssumedRoleUser") => Principal::from_ram_arn(&text("arn")).ok(),
        Some("Service") => Some(Principal::from_service(&text("service"))),
        Some("Federated") => Some(Principal::Federated {
            provider: text("provider"),
        }),
        _ => None,
    };
    if let Some(context) = r["context"].as_object() {
        for (key, v) in context {
            let values: Vec<String> = match v {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                other => other.as_str().map(str::to_string).into_iter().collect(),
            };
            request.context.insert(key, values);
        }
    }
    request
}

#[test]
fn every_test_vector_request_gets_the_same_answer_from_both_syntaxes() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ram-examples.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    let vectors: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut asked = 0;
    for (n, v) in vectors.iter().enumerate() {
        let mut policies = Vec::new();
        if let Some(doc) = v.get("policy") {
            let p = Policy::from_json(&doc.to_string(), None).unwrap_or_else(|e| panic!("{e}"));
            policies.push((format!("v{n}"), p));
        }
        for (m, p) in v["policies"].as_array().into_iter().flatten().enumerate() {
            let kind: Option<PolicyKind> = p["kind"].as_str().and_then(|k| k.parse().ok());
            let doc = Policy::from_json(&p["document"].to_string(), kind)
                .unwrap_or_else(|e| panic!("{e}"));
            policies.push((format!("v{n}p{m}"), doc));
        }
        // All of a vector's policies as one set, and each on its own.
        let mut sets = vec![both_sets(&policies)];
        sets.extend(policies.iter().map(|p| both_sets(std::slice::from_ref(p))));
        for r in v["requests"].as_array().into_iter().flatten() {
            let request = request_of(r);
            for (json, dsl) in &sets {
                let a = Authorizer::new();
                assert_eq!(
                    verdict(a.evaluate(json, &request)),
                    verdict(a.evaluate(dsl, &request)),
                    "vector {n}"
                );
                assert_eq!(
                    verdict(a.explain(json, &request).0),
                    verdict(a.explain(dsl, &request).0)
                );
                asked += 1;
            }
        }
    }
    assert!(asked > 118, "{asked}");
}

/// Strings from small pools, so that generated requests often match.
fn small_strings() -> common::trees::Strings {
    let pick = |v: &[&'static str]| {
        prop::sample::select(v.to_vec())
            .prop_map(str::to_string)
            .boxed()
    };
    common::trees::Strings {
        actions: pick(&[
            "kms:Decrypt",
            "kms:*",
            "KMS:decrypt",
            "*",
            "kms:En?rypt",
            "ram:PassRole",
            "sts:AssumeRole",
        ]),
        resources: pick(&[
            "*",
            "acs:kms:cn-hangzhou:1234567890123456:key/k1",
            "acs:kms:*:*:key/*",
            "acs:ram::1234567890123456:role/R",
        ]),
        principals: pick(&[
            "acs:ram::1234567890123456:root",
            "acs:ram::1234567890123456:*",
            "acs:ram::1234567890123456:user/alice",
            "log.aliyuncs.com",
            "*",
            "acs:ram::1234567890123456:saml-provider/idp",
        ]),
        keys: pick(&[
            "acs:SourceIp",
            "acs:SourceVpc",
            "acs:MFAPresent",
            "acs:CurrentTime",
            "kms:Tag/x",
        ]),
        sids: pick(&["A", "B", "with space"]),
    }
}

fn request() -> impl Strategy<Value = Request> {
    let pick = |v: &[&'static str]| prop::sample::select(v.to_vec()).prop_map(str::to_string);
    (
        pick(&[
            "kms:Decrypt",
            "kms:Encrypt",
            "ram:PassRole",
            "sts:AssumeRole",
        ]),
        pick(&[
            "acs:kms:cn-hangzhou:1234567890123456:key/k1",
            "acs:ram::1234567890123456:role/r",
        ]),
        prop::option::of(prop::sample::select(vec![
            Principal::Account {
                account: "1234567890123456".into(),
            },
            Principal::User {
                account: "1234567890123456".into(),
                name: "alice".into(),
            },
            Principal::from_service("log.aliyuncs.com"),
            Principal::Federated {
                provider: "acs:ram::1234567890123456:saml-provider/idp".into(),
            },
        ])),
        proptest::collection::vec(
            (
                pick(&[
                    "acs:SourceIp",
                    "acs:sourcevpc",
                    "acs:MFAPresent",
                    "acs:CurrentTime",
                    "kms:Tag/x",
                ]),
                proptest::collection::vec(
                    pick(&[
                        "10.0.0.1",
                        "vpc-1",
                        "true",
                        "false",
                        "2026-01-01T00:00:00Z",
                        "7",
                        "x",
                    ]),
                    0..3,
                ),
            ),
            0..4,
        ),
    )
        .prop_map(|(action, resource, principal, context)| {
            let mut r = Request::new(action, resource);
            r.principal = principal;
            for (k, v) in context {
                r.context.insert(&k, v);
            }
            r
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    prop::sample::select(PolicyKind::ALL.to_vec())
        .prop_flat_map(|kind| common::trees::policy_of(kind, small_strings()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_policies_decide_alike_from_dsl_and_json(
        p in policy(),
        requests in proptest::collection::vec(request(), 1..8),
    ) {
        let (json, dsl) = both_sets(&[("p".to_string(), p)]);
        for r in &requests {
            let a = Authorizer::new();
            prop_assert_eq!(verdict(a.evaluate(&json, r)), verdict(a.evaluate(&dsl, r)));
        }
    }
}

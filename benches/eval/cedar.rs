//! The same policies and requests in Cedar, and the check that ramgate and
//! Cedar agree on every one.
//!
//! How a RAM statement becomes a Cedar policy:
//!
//! * one statement → one Cedar policy, id `<policy id>#<statement index>`;
//!   `Allow` → `permit`, `Deny` → `forbid`. Cedar combines them as RAM does:
//!   a satisfied `forbid` wins, else a satisfied `permit` allows, else deny.
//! * Cedar entity uids cannot hold wildcards, so the scope stays open
//!   (`permit(principal, action, resource)`) and the request's action and
//!   resource travel as context strings: `Action` → `context.action like
//!   "kms:get*" || …`, `NotAction` → `!(…)`, `Resource` → `context.resource
//!   like "acs:kms:*:…:key/*" || …`. RAM compares actions without case, so
//!   action patterns and the request's action are lower-cased for Cedar
//!   (the request's when it is built, outside the timed loop); resources
//!   compare with case in both. Cedar's `like` knows `*` only: the
//!   workloads never use RAM's `?`.
//! * condition keys → context attributes named by the lower-cased key
//!   (`context["acs:sourcevpc"]`), one value each, typed per key (string,
//!   `ip`, bool, `datetime`, long). A positive operator on an absent key is
//!   false and a negated one true, as in RAM: `StringLike k [v1, v2]` →
//!   `(context has "k" && (context["k"] like "v1" || context["k"] like
//!   "v2"))`, `StringNotLike` → `(!(context has "k") || !(…))`, `IpAddress`
//!   → `isInRange(ip("…"))`, `Date*` → `<` / `>` on `datetime("…")`,
//!   `Numeric*` → `<` … on longs, `Bool` → `==`.
//!
//! Anything outside that subset panics in setup, before anything is timed.

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, EntityUid, Policy, PolicyId,
    PolicySet, Request, RestrictedExpression,
};
use ramgate::authz::{Decision, Response};
use serde_json::Value;
use std::collections::BTreeSet;
use std::str::FromStr;

use super::workload::{KeyType, NamedPolicy, Req, key_type};

/// A Cedar policy set with its authorizer and (empty) entity store.
pub struct Cedar {
    pub policies: PolicySet,
    pub authorizer: Authorizer,
    pub entities: Entities,
}

impl Cedar {
    pub fn new(policies: &[NamedPolicy]) -> Cedar {
        let mut set = PolicySet::new();
        for p in policies {
            for (i, s) in statements(&p.json).iter().enumerate() {
                let id = format!("{}#{i}", p.id);
                let text = translate(s);
                let policy = Policy::parse(Some(PolicyId::new(&id)), &text)
                    .unwrap_or_else(|e| panic!("{id}: {e}\n{text}"));
                set.add(policy).unwrap_or_else(|e| panic!("{id}: {e}"));
            }
        }
        Cedar {
            policies: set,
            authorizer: Authorizer::new(),
            entities: Entities::empty(),
        }
    }

    pub fn is_authorized(&self, r: &Request) -> cedar_policy::Response {
        self.authorizer
            .is_authorized(r, &self.policies, &self.entities)
    }
}

fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        other => panic!("no statements: {other}"),
    }
}

/// A string or a list of strings, as RAM writes them.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .unwrap_or_else(|| panic!("not a string: {x}"))
                    .to_string()
            })
            .collect(),
        other => panic!("not a string or a list: {other}"),
    }
}

fn quoted(s: &str) -> String {
    assert!(!s.contains(['"', '\\', '?']), "outside the subset: {s}");
    format!("\"{s}\"")
}

fn any(terms: Vec<String>) -> String {
    format!("({})", terms.join(" || "))
}

fn translate(s: &Value) -> String {
    let head = match s["Effect"].as_str() {
        Some("Allow") => "permit",
        Some("Deny") => "forbid",
        other => panic!("effect {other:?}"),
    };
    let mut when = Vec::new();
    let (element, negated) = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => (a, false),
        (None, Some(a)) => (a, true),
        _ => panic!("a statement has Action or NotAction"),
    };
    let actions = any(strings(element)
        .iter()
        .map(|a| format!("context.action like {}", quoted(&a.to_lowercase())))
        .collect());
    when.push(if negated {
        format!("!{actions}")
    } else {
        actions
    });
    assert!(s.get("NotResource").is_none() && s.get("Principal").is_none());
    let resources = any(strings(&s["Resource"])
        .iter()
        .map(|r| format!("context.resource like {}", quoted(r)))
        .collect());
    when.push(resources);
    if let Some(Value::Object(block)) = s.get("Condition") {
        for (op, keys) in block {
            let Value::Object(keys) = keys else {
                panic!("{op}")
            };
            for (key, values) in keys {
                when.push(condition(op, key, &strings(values)));
            }
        }
    }
    format!(
        "{head}(principal, action, resource) when {{\n  {}\n}};",
        when.join("\n  && ")
    )
}

fn condition(op: &str, key: &str, values: &[String]) -> String {
    let k = key.to_lowercase();
    let attr = format!("context[{}]", quoted(&k));
    let has = format!("context has {}", quoted(&k));
    let test = |f: &dyn Fn(&str) -> String| any(values.iter().map(|v| f(v)).collect());
    let (negated, base) = match op {
        "StringEquals" | "StringNotEquals" => (
            op == "StringNotEquals",
            test(&|v| format!("{attr} == {}", quoted(v))),
        ),
        "StringLike" | "StringNotLike" => (
            op == "StringNotLike",
            test(&|v| format!("{attr} like {}", quoted(v))),
        ),
        "IpAddress" | "NotIpAddress" => (
            op == "NotIpAddress",
            test(&|v| format!("{attr}.isInRange(ip({}))", quoted(v))),
        ),
        "Bool" => (false, test(&|v| format!("{attr} == {v}"))),
        "DateLessThan" => (
            false,
            test(&|v| format!("{attr} < datetime({})", quoted(v))),
        ),
        "DateGreaterThan" => (
            false,
            test(&|v| format!("{attr} > datetime({})", quoted(v))),
        ),
        "NumericLessThanEquals" => (false, test(&|v| format!("{attr} <= {v}"))),
        other => panic!("operator {other} is outside the subset"),
    };
    if negated {
        format!("(!({has}) || !{base})")
    } else {
        format!("({has} && {base})")
    }
}

/// The request in Cedar's terms: fixed principal, action and resource
/// entities; action, resource and condition keys in the context.
pub fn request(r: &Req) -> Request {
    let uid = |s: &str| EntityUid::from_str(s).unwrap_or_else(|e| panic!("{e}"));
    let mut pairs = vec![
        (
            "action".to_string(),
            RestrictedExpression::new_string(r.action.to_lowercase()),
        ),
        (
            "resource".to_string(),
            RestrictedExpression::new_string(r.resource.clone()),
        ),
    ];
    for (k, v) in &r.context {
        let value = match key_type(k).unwrap_or_else(|| panic!("untyped key {k}")) {
            KeyType::String => RestrictedExpression::new_string(v.clone()),
            KeyType::Ip => RestrictedExpression::new_ip(v),
            KeyType::Bool => RestrictedExpression::new_bool(v == "true"),
            KeyType::Date => RestrictedExpression::new_datetime(v),
            KeyType::Long => {
                RestrictedExpression::new_long(v.parse().unwrap_or_else(|e| panic!("{e}")))
            }
        };
        pairs.push((k.to_lowercase(), value));
    }
    Request::new(
        uid(r#"User::"session""#),
        uid(r#"Action::"call""#),
        uid(r#"Resource::"target""#),
        Context::from_pairs(pairs).unwrap_or_else(|e| panic!("{e}")),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Panics unless Cedar reaches ramgate's decision for the same reasons:
/// Allow ⇔ Allow; ExplicitDeny ⇔ Deny with the forbids as reasons;
/// ImplicitDeny ⇔ Deny with no reason; and the deciding statements are the
/// same ones (`<policy id>#<index>`).
pub fn assert_agree(what: &str, r: &Req, ours: &Response, theirs: &cedar_policy::Response) {
    let errors: Vec<String> = theirs
        .diagnostics()
        .errors()
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: cedar errors {errors:?} for {r:?}"
    );
    let cedar_reasons: BTreeSet<String> = theirs
        .diagnostics()
        .reason()
        .map(|id| id.to_string())
        .collect();
    let our_reasons: BTreeSet<String> = ours
        .reasons
        .iter()
        .map(|x| format!("{}#{}", x.policy, x.statement))
        .collect();
    let cedar_decision = match (theirs.decision(), cedar_reasons.is_empty()) {
        (CedarDecision::Allow, _) => Decision::Allow,
        (CedarDecision::Deny, false) => Decision::ExplicitDeny,
        (CedarDecision::Deny, true) => Decision::ImplicitDeny,
    };
    assert_eq!(
        ours.decision, cedar_decision,
        "{what}: decisions differ for {r:?}"
    );
    assert_eq!(
        our_reasons, cedar_reasons,
        "{what}: reasons differ for {r:?}"
    );
}

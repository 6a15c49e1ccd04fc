//! Reading the RAM test vectors (`tests/data/ram-examples.json`, copied from
//! the project's spec: public RAM documentation examples with expected
//! outcomes).

use ramgate::authz::{Context, Principal, Request};
use serde_json::Value;

/// The vectors, parsed.
pub fn load() -> Vec<Value> {
    let src = include_str!("../data/ram-examples.json");
    match serde_json::from_str::<Value>(src) {
        Ok(Value::Array(v)) => v,
        other => panic!("ram-examples.json is not an array: {other:?}"),
    }
}

/// The request principal of a vector request.
pub fn principal(p: &Value) -> Principal {
    let s = |k: &str| p[k].as_str().map(str::to_string);
    match p["type"].as_str() {
        Some("RAMUser" | "AssumedRoleUser") => {
            let arn = s("arn").unwrap_or_default();
            Principal::from_ram_arn(&arn).unwrap_or_else(|e| panic!("{e}"))
        }
        Some("Service") => Principal::Service {
            service: s("service").unwrap_or_default(),
            account: s("account"),
        },
        Some("Federated") => Principal::Federated {
            provider: s("provider").unwrap_or_default(),
        },
        other => panic!("unknown principal type {other:?}"),
    }
}

/// The authorization request of a vector request.
pub fn request(r: &Value) -> Request {
    let mut context = Context::new();
    if let Some(map) = r["context"].as_object() {
        for (k, v) in map {
            match v {
                Value::String(s) => context.insert(k, [s.clone()]),
                Value::Array(items) => context.insert(
                    k,
                    items.iter().filter_map(|i| i.as_str().map(str::to_string)),
                ),
                other => panic!("context value {other}"),
            }
        }
    }
    Request {
        action: r["action"].as_str().unwrap_or_default().to_string(),
        resource: r["resource"].as_str().map(str::to_string),
        principal: Some(principal(&r["principal"])),
        context,
    }
}

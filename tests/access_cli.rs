//! `ramgate access` through the binary.

use std::process::{Command, Output};

const SEED: &str = "tests/data/access/seed.json";
const LOGSTORE: &str = "acs:log:cn-hangzhou:1234567890123456:project/shop/logstore/orders-byok";

fn ramgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn who_can_json_has_exactly_the_contract_fields() {
    let o = ramgate(&[
        "access",
        "who-can",
        "log:GetLogStoreLogs",
        LOGSTORE,
        "--directory",
        SEED,
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}"));
    let rows = v.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let keys: Vec<&String> = r
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["principal", "via", "actions", "condition", "chain"]);
        assert!(r["condition"].is_null());
        assert_eq!(r["chain"][0]["step"], "authorize");
    }
    assert_eq!(rows[1]["principal"], "acs:ram::1234567890123456:user/alice");
    assert_eq!(rows[1]["via"], serde_json::json!([]));
    assert_eq!(
        rows[1]["actions"],
        serde_json::json!(["log:GetLogStoreLogs"])
    );
}

#[test]
fn who_can_needs_something_to_analyse() {
    let o = ramgate(&["access", "who-can", "log:GetLogStoreLogs", LOGSTORE]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--directory FILE"));
}

//! `ramgate access` through the binary.

#![cfg(feature = "cli")]

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

#[test]
fn a_directory_file_reports_a_logstore_given_its_byok_settings() {
    let o = ramgate(&[
        "access",
        "logstore",
        "shop",
        "orders-byok",
        "--directory",
        SEED,
        "--role",
        "acs:ram::1234567890123456:role/sls-byok",
        "--cmk",
        "k1",
        "--summary",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(
        out.contains("  read its plaintext: root, user/alice, user/bob\n"),
        "{out}"
    );
    assert!(
        out.contains("  pass its BYOK role to log.aliyuncs.com: root, user/alice\n"),
        "{out}"
    );
    let o = ramgate(&[
        "access",
        "logstore",
        "shop",
        "orders-byok",
        "--directory",
        SEED,
        "--role",
        "acs:ram::1234567890123456:role/sls-byok",
        "--cmk",
        "k1",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v["sections"][0]["note"],
        "the state of CMK `k1` is not known here (a directory file): taken as Enabled"
    );
}

#[test]
fn escalation_on_the_seed_is_alice_passing_the_byok_role() {
    let o = ramgate(&[
        "access",
        "escalation",
        "--directory",
        SEED,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}"));
    let paths = v.as_array().cloned().unwrap_or_default();
    assert_eq!(paths.len(), 1);
    assert_eq!(
        paths[0]["principal"],
        "acs:ram::1234567890123456:user/alice"
    );
    assert_eq!(paths[0]["kind"], "pass-role");
    assert_eq!(
        paths[0]["target"],
        "acs:ram::1234567890123456:role/sls-byok"
    );
    assert_eq!(paths[0]["chain"][0]["step"], "pass-role");
}

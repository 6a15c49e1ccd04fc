//! `ramgate eval` through the binary: the interface contract.

#![cfg(feature = "cli")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn ramgate(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .map(|mut s| s.write_all(input.as_bytes()));
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

const KMS: &str = "examples/policies/kms-guarded.json";
const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/k1";

#[test]
fn no_policy_is_implicit_deny_with_status_1() {
    let out = ramgate(
        &[
            "eval",
            "--action",
            "kms:Decrypt",
            "--resource",
            KEY,
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json(&out),
        serde_json::json!({"decision": "ImplicitDeny", "reasons": []})
    );
}

#[test]
fn json_output_carries_decision_reasons_and_trace() {
    let out = ramgate(
        &[
            "eval",
            "--policy",
            KMS,
            "--action",
            "kms:Decrypt",
            "--resource",
            KEY,
            "--format",
            "json",
            "--trace",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["decision"], "ExplicitDeny");
    assert_eq!(v["reasons"][0]["sid"], "OnlyFromVpc");
    assert_eq!(v["reasons"][0]["line"], 16);
    let statements = v["trace"]["statements"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(statements.len(), 3);
    assert_eq!(statements[1]["action"]["mismatch"], "no_value_matched");
    assert_eq!(statements[2]["conditions"][0]["because"], "key_absent");
}

#[test]
fn the_request_can_come_from_standard_input() {
    let request = r#"{"action":"kms:GenerateDataKey","resource":"acs:kms:cn-hangzhou:1234567890123456:key/k1","context":{"acs:SourceVpc":["vpc-1"]}}"#;
    let out = ramgate(&["eval", "--policy", KMS, "--request", "-"], Some(request));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Allow: kms:GenerateDataKey"));
}

#[test]
fn bad_requests_are_status_2_with_a_position() {
    let out = ramgate(
        &["eval", "--policy", KMS, "--request", "-"],
        Some("{\"action\": \"kms:Decrypt\",\n \"context\": 5}"),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: <stdin>:2:"), "{err}");
}

#[test]
fn bad_policies_are_status_2_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("p.json");
    std::fs::write(&path, "{\n  \"Version\": \"1\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"a:b\"}]\n}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let p = path.to_string_lossy().to_string();
    let out = ramgate(
        &["eval", "--policy", &p, "--action", "a:b", "--resource", "*"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "error: {p}:3:17: Statement[0]: the statement has no `Resource`"
        )),
        "{err}"
    );
}

#[test]
fn trust_policies_need_no_resource_and_infer_their_kind() {
    let trust = "examples/policies/sls-byok-trust.json";
    let out = ramgate(
        &[
            "eval",
            "--policy",
            trust,
            "--action",
            "sts:AssumeRole",
            "--principal",
            "log.aliyuncs.com",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ramgate(&["eval", "--policy", KMS, "--action", "kms:Decrypt"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = ramgate(
        &[
            "eval",
            "--policy",
            trust,
            "--kind",
            "identity",
            "--action",
            "sts:AssumeRole",
            "--resource",
            "*",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a trust document read as identity has a Principal"
    );
}

#[test]
fn principals_and_context_flags_are_read() {
    let out = ramgate(
        &[
            "eval",
            "--action",
            "a:b",
            "--resource",
            "*",
            "--principal",
            "acs:ram::1234567890123456:role/r",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a role acts through a session"));
    let out = ramgate(
        &[
            "eval",
            "--action",
            "a:b",
            "--resource",
            "*",
            "--context",
            "novalue",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let out = ramgate(&["eval", "--bogus"], None);
    assert_eq!(out.status.code(), Some(2));
}

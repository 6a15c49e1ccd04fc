//! `ramgate eval --directory … --as …` through the binary: RAM's answer for
//! an identity of a directory file, with the decision chain.

#![cfg(feature = "cli")]

use std::process::{Command, Output};

fn ramgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const DIR: &str = "examples/directory/sls-byok.json";
const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/key-1";
const ROLE: &str = "acs:ram::1234567890123456:role/sls-byok";
const SESSION: &str = "acs:ram::1234567890123456:role/sls-byok/sls";

fn eval(who: &str, action: &str, resource: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "eval",
        "--directory",
        DIR,
        "--as",
        who,
        "--action",
        action,
        "--resource",
        resource,
    ];
    args.extend_from_slice(extra);
    ramgate(&args)
}

#[test]
fn a_role_session_may_use_the_key_and_the_chain_says_why() {
    let out = eval(SESSION, "kms:GenerateDataKey", KEY, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "Allow: kms:GenerateDataKey on {KEY} by {SESSION}\n  authorize: Allow [identity Allow]\n    allowed by role/sls-byok:system/AliyunKMSCryptoUserAccess:4:5 statement 0\n"
        )
    );
    let out = eval(SESSION, "kms:DisableKey", KEY, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("no statement of the identity policies applies"));
}

#[test]
fn a_session_policy_narrows_the_session() {
    let out = eval(
        SESSION,
        "kms:GenerateDataKey",
        KEY,
        &["--session-policy", "examples/directory/decrypt-only.json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains(
        "  authorize: ImplicitDeny [session ImplicitDeny, identity Allow]\n    no statement of the session policy applies\n"
    ));
    let out = eval(
        SESSION,
        "kms:Decrypt",
        KEY,
        &["--session-policy", "examples/directory/decrypt-only.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn assume_role_runs_the_identity_and_trust_steps() {
    let out = eval(
        "log.aliyuncs.com",
        "sts:AssumeRole",
        ROLE,
        &["--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<&String> = v
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 3);
    assert_eq!(v["decision"], "Allow");
    assert_eq!(v["reasons"][0]["policy"], "role/sls-byok:trust");
    assert_eq!(v["chain"][0]["step"], "assume-role.trust");
    // The JSON keeps the chain's field order.
    let text = stdout(&out);
    let order: Vec<usize> = ["\"decision\"", "\"reasons\"", "\"chain\""]
        .iter()
        .filter_map(|k| text.find(k))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");

    let user = "acs:ram::1234567890123456:user/alice";
    let out = eval(user, "sts:AssumeRole", ROLE, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("  assume-role.identity: ImplicitDeny [identity ImplicitDeny]\n")
    );
    assert!(stdout(&out).contains("  assume-role.trust: ImplicitDeny [trust ImplicitDeny]\n"));

    let out = eval(
        "acs:ram::1234567890123456:root",
        "sts:AssumeRole",
        ROLE,
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "ImplicitDeny: the account `acs:ram::1234567890123456:root` cannot assume roles; only RAM users and role sessions can\n"
    );
}

#[test]
fn pass_role_needs_the_service_and_the_policy() {
    let alice = "acs:ram::1234567890123456:user/alice";
    let out = eval(
        alice,
        "ram:PassRole",
        ROLE,
        &["--context", "acs:Service=log.aliyuncs.com"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("  pass-role: Allow [identity Allow]\n    allowed by user/alice:policy/PassRoleForLog@v1:4:5 statement 0\n"));
    let out = eval(
        alice,
        "ram:PassRole",
        ROLE,
        &["--context", "acs:Service=ecs.aliyuncs.com"],
    );
    assert_eq!(out.status.code(), Some(1));
    let bob = "acs:ram::1234567890123456:user/bob";
    let out = eval(
        bob,
        "ram:PassRole",
        ROLE,
        &["--context", "acs:Service=log.aliyuncs.com"],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = eval(alice, "ram:PassRole", ROLE, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("give `--context acs:Service=<service>`"));
}

#[test]
fn group_policies_and_the_account_itself() {
    let out = eval(
        "acs:ram::1234567890123456:user/bob",
        "kms:DescribeKey",
        KEY,
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out)
            .contains("allowed by group/auditors:system/AliyunKMSReadOnlyAccess:4:5 statement 0")
    );
    let out = eval(
        "acs:ram::1234567890123456:root",
        "kms:ScheduleKeyDeletion",
        KEY,
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains(
        "  authorize: Allow [account Allow]\n    the account's own resource: no policy needed\n"
    ));
    let other = "acs:kms:cn-hangzhou:1999999999999999:key/k";
    let out = eval("acs:ram::1234567890123456:root", "kms:Decrypt", other, &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_input_exits_with_status_2_and_says_what_and_where() {
    let out = eval(
        "acs:ram::1234567890123456:user/carol",
        "kms:Decrypt",
        KEY,
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: [EntityNotExist.User] user `acs:ram::1234567890123456:user/carol` does not exist\n"
    );
    let out = eval(
        "acs:ram::1234567890123456:user/alice",
        "kms:Decrypt",
        KEY,
        &["--session-policy", "examples/directory/decrypt-only.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`--session-policy` needs a role session"));
    // `--as` needs `--directory`; `--directory` replaces `--policy`.
    let out = ramgate(&[
        "eval",
        "--as",
        SESSION,
        "--action",
        "kms:Decrypt",
        "--resource",
        KEY,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = ramgate(&[
        "eval",
        "--directory",
        DIR,
        "--policy",
        "x.json",
        "--as",
        SESSION,
        "--action",
        "kms:Decrypt",
    ]);
    assert_eq!(out.status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("dir.json");
    std::fs::write(
        &file,
        r#"{"accounts": [{"uid": "1234567890123456", "roles": [{"name": "r", "trust_policy": "trust.json"}]}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("trust.json"), "{\n  \"Version\": \"1\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {\"Servce\": \"log.aliyuncs.com\"}}]\n}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let path = file.display().to_string();
    let out = ramgate(&[
        "eval",
        "--directory",
        &path,
        "--as",
        "log.aliyuncs.com",
        "--action",
        "sts:AssumeRole",
        "--resource",
        "acs:ram::1234567890123456:role/r",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let trust = dir.path().join("trust.json").display().to_string();
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("error: [MalformedPolicyDocument] {trust}:3:")),
        "{err}"
    );
    assert!(err.contains("unknown principal type `Servce`"), "{err}");
    assert!(
        err.contains("= note: in the trust policy of role `r`"),
        "{err}"
    );
}

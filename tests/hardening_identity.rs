//! S4: an `--as` role session is earned through STS AssumeRole as `--via`,
//! never declared; the AssumeRole steps come first in the chain and are
//! audited; S3: turning encryption off is a security event.

#![cfg(feature = "cli")]

mod cli_data_support;

use cli_data_support::{ACCOUNT, Cli, GROUP, stderr};

// STS session names are 2 to 64 characters, so the issue's `/x` is `/x1`.
const BYOK_SESSION: &str = "acs:ram::1234567890123456:role/sls-byok/x1";
const ALICE: &str = "acs:ram::1234567890123456:user/alice";

#[test]
fn s4_a_role_that_trusts_only_log_service_cannot_be_assumed_by_a_user() {
    let cli = Cli::init();
    let cmk = cli.seed();
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "byok",
        "--encrypt-conf",
        &Cli::byok(&cmk, "m4"),
    ]);
    let e = cli.fails(
        1,
        &[
            "log",
            "put-logs",
            "app",
            "byok",
            "--group",
            GROUP,
            "--as",
            BYOK_SESSION,
            "--via",
            ALICE,
        ],
    );
    assert!(e.contains("at step `assume-role.trust`"), "{e}");
    // The refusal is audited, as operation assume_role.
    let audit = cli.ok(&["audit", "show", "--last", "1"]);
    assert!(
        audit.contains("assume_role acs:ram::1234567890123456:user/alice"),
        "{audit}"
    );
    assert!(audit.contains("refused"), "{audit}");
}

#[test]
fn s4_a_role_session_without_via_is_bad_input_naming_the_forms() {
    let cli = Cli::init();
    cli.seed();
    let e = cli.fails(2, &["log", "list-logstores", "app", "--as", BYOK_SESSION]);
    assert!(e.contains("is assumed, not declared"), "{e}");
    assert!(e.contains("--via acs:ram::<uid>:user/<name>"), "{e}");
    // The root cannot be the one who assumes.
    let e = cli.fails(
        2,
        &[
            "log",
            "list-logstores",
            "app",
            "--as",
            BYOK_SESSION,
            "--via",
            &format!("acs:ram::{ACCOUNT}:root"),
        ],
    );
    assert!(e.contains("the first `--via` must be a RAM user"), "{e}");
    // --via without a role session to assume.
    let e = cli.fails(2, &["log", "list-logstores", "app", "--via", ALICE]);
    assert!(e.contains("give `--as` too"), "{e}");
}

#[test]
fn s4_an_earned_session_acts_and_its_chain_starts_with_the_assume_role_steps() {
    let cli = Cli::init();
    cli.seed();
    cli.assumable_role("writer", "bob", &["system/AliyunLogFullAccess"]);
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "svc",
        "--encrypt-conf",
        r#"{"enable": true, "encrypt_type": "default"}"#,
    ]);
    let out = cli.run(&[
        "log",
        "put-logs",
        "app",
        "svc",
        "--group",
        GROUP,
        "--as",
        "acs:ram::1234567890123456:role/writer/w1",
        "--via",
        "acs:ram::1234567890123456:user/bob",
        "--trace",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let trace = stderr(&out);
    let steps: Vec<&str> = trace
        .lines()
        .filter_map(|l| l.trim_start().split(':').next())
        .filter(|s| ["assume-role.identity", "assume-role.trust", "authorize"].contains(s))
        .collect();
    assert_eq!(
        steps[..3],
        ["assume-role.identity", "assume-role.trust", "authorize"],
        "{trace}"
    );
    assert!(
        trace.contains("by acs:ram::1234567890123456:role/writer/w1"),
        "{trace}"
    );
}

#[test]
fn s3_switching_encryption_off_is_a_security_event_and_get_logstore_says_since_when() {
    let cli = Cli::init();
    let cmk = cli.seed();
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "byok",
        "--encrypt-conf",
        &Cli::byok(&cmk, "m4"),
    ]);
    let before = cli.ok(&["log", "get-logstore", "app", "byok"]);
    assert!(!before.contains("encryption off since"), "{before}");
    // bob has only log:* — Log Service lets him switch encryption off.
    let off = Cli::byok(&cmk, "m4").replace("\"enable\": true", "\"enable\": false");
    cli.ok(&[
        "log",
        "update-logstore",
        "app",
        "byok",
        "--encrypt-conf",
        &off,
        "--as",
        "acs:ram::1234567890123456:user/bob",
    ]);
    let after = cli.ok(&["log", "get-logstore", "app", "byok"]);
    assert!(after.contains(" encryption off since 20"), "{after}");
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok(&["log", "get-logstore", "app", "byok", "--format", "json"]))
            .unwrap();
    assert!(json["encryptionOffSince"].is_string(), "{json}");
    // Audited with its chain, marked as a security event.
    let audit = cli.ok(&["audit", "show", "--last", "1"]);
    assert!(
        audit.contains("update_logstore acs:ram::1234567890123456:user/bob"),
        "{audit}"
    );
    assert!(
        audit.contains("SECURITY-EVENT encryption-disabled"),
        "{audit}"
    );
    assert!(
        audit.contains("authorize: Allow log:UpdateLogStore"),
        "{audit}"
    );
    // Switching it back on clears it.
    cli.ok(&[
        "log",
        "update-logstore",
        "app",
        "byok",
        "--encrypt-conf",
        &Cli::byok(&cmk, "m4"),
    ]);
    let again = cli.ok(&["log", "get-logstore", "app", "byok"]);
    assert!(!again.contains("encryption off since"), "{again}");
}

//! Strict inputs and safe echoes through the binary, each test named after
//! its finding in the adversarial report: U5 (duplicate and unknown
//! members), U6 (unbounded echoes), the `--as` forms of S4, and the
//! `eval --action` and `--as` parts of U8 and S6.

#![cfg(feature = "cli")]

mod cli_data_support;

use cli_data_support::{Cli, GROUP};

#[test]
fn u5_a_duplicate_encrypt_conf_member_is_refused_by_name() {
    let cli = Cli::init();
    let e = cli.fails(
        2,
        &[
            "log",
            "create-logstore",
            "app0",
            "ls",
            "--encrypt-conf",
            r#"{"enable": true, "encrypt_type": "default", "enable": false}"#,
        ],
    );
    assert!(e.contains("duplicate member `enable`"), "{e}");
}

#[test]
fn u5_a_misspelt_log_group_member_is_refused_with_a_suggestion() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&["log", "create-logstore", "app", "logs"]);
    let group = GROUP.replace("\"topic\"", "\"topik\"");
    let e = cli.fails(2, &["log", "put-logs", "app", "logs", "--group", &group]);
    assert!(e.contains("unknown field `topik`"), "{e}");
    assert!(e.contains("did you mean `topic`?"), "{e}");
    assert!(e.contains("<inline>:1:") || e.contains(":1:"), "{e}");
    // A pair of three strings says what a pair is.
    let group = GROUP.replace(r#"["status", "200"]"#, r#"["status", "200", "x"]"#);
    let e = cli.fails(2, &["log", "put-logs", "app", "logs", "--group", &group]);
    assert!(
        e.contains("expected a [key, value] pair of two strings"),
        "{e}"
    );
    // Nothing was written.
    let pulled = cli.ok(&["log", "get-logs", "app", "logs"]);
    assert_eq!(pulled, "");
}

#[test]
fn u6_an_11_mb_value_makes_a_small_error() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    let huge = "x".repeat(11 * 1024 * 1024);
    let conf = format!(r#"{{"enable": true, "encrypt_type": "default", "{huge}": 1}}"#);
    let file = cli.file("conf.json", &conf);
    let e = cli.fails(
        2,
        &[
            "log",
            "create-logstore",
            "app",
            "ls",
            "--encrypt-conf",
            &format!("@{file}"),
        ],
    );
    assert!(e.len() < 1024, "{} bytes of error", e.len());
    assert!(e.contains(&format!("… ({} bytes)", huge.len())), "{e}");
}

#[test]
fn s4_an_as_value_of_no_identity_form_is_bad_input() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&["log", "create-logstore", "app", "logs"]);
    for bad in [
        "",
        "evil",
        "root",
        "acs:ram::1234567890123456:user/x\n#9 forged",
    ] {
        let e = cli.fails(
            2,
            &[
                "log", "put-logs", "app", "logs", "--group", GROUP, "--as", bad,
            ],
        );
        assert!(e.contains("is not an identity"), "{bad:?}: {e}");
        assert!(e.contains("`<name>.aliyuncs.com`"), "{e}");
        // The refusal is one line: an injected newline is shown escaped.
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}

#[test]
fn u8_eval_refuses_an_action_that_is_not_service_colon_action() {
    let cli = Cli::empty();
    let policy = cli.file(
        "p.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    );
    for bad in [
        "Decrypt",
        "kms:",
        ":Decrypt",
        "kms:Decr*pt",
        "kms:Decrypt\u{1b}[2J",
        "KMS:Decrypt",
    ] {
        let out = cli.run(&[
            "eval",
            "--policy",
            &policy,
            "--action",
            bad,
            "--resource",
            "*",
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let e = cli_data_support::stderr(&out);
        assert!(
            e.contains("is not an action: write `<service>:<Action>`"),
            "{e}"
        );
        assert!(!e.contains('\u{1b}'), "{e:?}");
    }
    let out = cli.run(&[
        "eval",
        "--policy",
        &policy,
        "--action",
        "kms:Decrypt",
        "--resource",
        "*",
    ]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn u8_a_cursor_past_the_end_is_invalid_cursor() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&["log", "create-logstore", "app", "logs"]);
    cli.ok(&[
        "log", "put-logs", "app", "logs", "--shard", "0", "--group", GROUP,
    ]);
    // The end cursor itself is fine: nothing more to read.
    cli.ok(&[
        "log",
        "pull-logs",
        "app",
        "logs",
        "--shard",
        "0",
        "--cursor",
        "1",
    ]);
    let e = cli.fails(
        2,
        &[
            "log",
            "pull-logs",
            "app",
            "logs",
            "--shard",
            "0",
            "--cursor",
            "5",
        ],
    );
    assert!(
        e.starts_with("error: InvalidCursor (400): cursor 5 is past the end of shard 0"),
        "{e}"
    );
}

#[test]
fn u8_a_log_group_over_the_put_logs_limits_is_refused_before_sealing() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "logs",
        "--encrypt-conf",
        r#"{"enable": true, "encrypt_type": "default"}"#,
    ]);
    let logs: Vec<String> = (0..4097)
        .map(|i| format!(r#"{{"time": 1700000000, "contents": [["n", "{i}"]]}}"#))
        .collect();
    let group = format!(r#"{{"topic": "t", "logs": [{}]}}"#, logs.join(","));
    let file = cli.file("big.json", &group);
    let e = cli.fails(
        2,
        &[
            "log",
            "put-logs",
            "app",
            "logs",
            "--group",
            &format!("@{file}"),
        ],
    );
    assert!(e.starts_with("error: PostBodyTooLarge (400): Logs must be less than or equal to 3 MB and 4096 entries"), "{e}");
    // Nothing was sealed or stored.
    assert_eq!(cli.ok(&["log", "get-logs", "app", "logs"]), "");
}

#[test]
fn u8_a_key_description_keeps_only_printable_characters() {
    let cli = Cli::init();
    let made = cli.ok(&[
        "kms",
        "create-key",
        "--description",
        "ops\u{1b}[2J key\u{202e}",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&made).unwrap();
    assert_eq!(v["Description"], "ops[2J key");
}

/// The one `.seg` file under `dir`.
fn find_segment(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_segment(&path) {
                return Some(found);
            }
        } else if path.extension().is_some_and(|e| e == "seg") {
            return Some(path);
        }
    }
    None
}

#[test]
fn u8_an_internal_failure_is_audited_as_failed_not_refused() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "logs",
        "--encrypt-conf",
        r#"{"enable": true, "encrypt_type": "default"}"#,
    ]);
    cli.ok(&[
        "log", "put-logs", "app", "logs", "--shard", "0", "--group", GROUP,
    ]);
    let seg = find_segment(&cli.data_dir().join("data")).unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&seg, bytes).unwrap();
    // Damaged data: exit 3, and the audit record says the read failed.
    cli.fails(3, &["log", "pull-logs", "app", "logs", "--shard", "0"]);
    let audit = cli.ok(&["audit", "show", "--last", "1"]);
    assert!(audit.contains("pull_logs"), "{audit}");
    assert!(audit.contains(" failed"), "{audit}");
    assert!(!audit.contains(" refused"), "{audit}");
}

#[test]
fn s6_log_contents_with_escape_sequences_reach_the_terminal_escaped() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&["log", "create-logstore", "app", "logs"]);
    let group = r#"{"topic": "t", "logs": [{"time": 1700000000, "contents": [["msg", "\u001b[2J\u009b\u202eforged\nline"]]}]}"#;
    cli.ok(&[
        "log", "put-logs", "app", "logs", "--shard", "0", "--group", group,
    ]);
    let shown = cli.ok(&["log", "get-logs", "app", "logs"]);
    assert!(
        !shown
            .chars()
            .any(|c| c != '\n' && ramgate::terminal::is_unsafe(c)),
        "{shown:?}"
    );
    assert_eq!(shown.lines().count(), 1, "{shown:?}");
    // The audit listing of that write is safe too.
    let audit = cli.ok(&["audit", "show"]);
    assert!(
        !audit
            .chars()
            .any(|c| c != '\n' && ramgate::terminal::is_unsafe(c))
    );
}

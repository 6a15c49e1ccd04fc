//! The seed document, every step through the `ramgate` binary on a data
//! directory: RAM setup, a CMK, a BYOK SM4 Logstore and a service-key AES
//! Logstore, writes and reads, the key disabled and enabled again, the
//! rules on `encrypt_conf` and PassRole, traces, and the audit log.

#![cfg(feature = "cli")]

mod cli_data_support;

use cli_data_support::*;

#[test]
fn the_seed_document_end_to_end() {
    let cli = Cli::init();
    let cmk = cli.seed();
    let shown = cli.ok(&["ram", "show"]);
    assert!(
        shown.contains(
            "role sls-byok (acs:ram::1234567890123456:role/sls-byok)\n  policy system/AliyunKMSReadOnlyAccess\n  policy system/AliyunKMSCryptoUserAccess\n"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(
            "user alice\n  policy system/AliyunLogFullAccess\n  policy policy/PassRoleForLog\n"
        ),
        "{shown}"
    );

    // Step 2: a BYOK Logstore (SM4) configured by alice, who may pass the
    // role, and a service-key Logstore (AES).
    let m4 = cli.file("m4.json", &Cli::byok(&cmk, "m4"));
    let m4_arg = format!("@{m4}");
    assert_eq!(
        cli.ok(&[
            "log",
            "create-logstore",
            "app",
            "byok-m4",
            "--encrypt-conf",
            &m4_arg,
            "--as",
            ALICE
        ]),
        "created logstore `byok-m4` in project `app`\n"
    );
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "svc-aes",
        "--encrypt-conf",
        r#"{"enable": true, "encrypt_type": "default"}"#,
        "--as",
        ALICE,
    ]);
    // GetLogStore echoes encrypt_conf as sent.
    let got = cli.ok(&["log", "get-logstore", "app", "byok-m4", "--format", "json"]);
    let got: serde_json::Value = serde_json::from_str(&got).unwrap();
    let sent: serde_json::Value = serde_json::from_str(&Cli::byok(&cmk, "m4")).unwrap();
    assert_eq!(got["encrypt_conf"], sent);
    assert_eq!(got["shardCount"], 2);

    // Put and get logs on both.
    for store in ["byok-m4", "svc-aes"] {
        let out = cli.ok(&[
            "log", "put-logs", "app", store, "--shard", "0", "--group", GROUP, "--repeat", "3",
            "--as", ALICE,
        ]);
        assert_eq!(out, "ack 0 0\nack 0 1\nack 0 2\n", "{store}");
        let pulled = cli.ok(&[
            "log",
            "pull-logs",
            "app",
            store,
            "--shard",
            "0",
            "--as",
            ALICE,
        ]);
        let lines: Vec<&str> = pulled.lines().collect();
        assert_eq!(lines.len(), 4, "{pulled}");
        assert!(lines[0].starts_with("0 0 {\"topic\":\"nginx\""), "{pulled}");
        assert!(lines[2].contains("\"GET /item/1\""), "{pulled}");
        assert_eq!(lines[3], "next_cursor 3");
        let found = cli.ok(&[
            "log",
            "get-logs",
            "app",
            store,
            "--from",
            "1700000000",
            "--to",
            "1700000001",
            "--as",
            ALICE,
        ]);
        assert_eq!(found.lines().count(), 3, "{found}");
        let none = cli.ok(&[
            "log",
            "get-logs",
            "app",
            store,
            "--from",
            "0",
            "--to",
            "1700000000",
        ]);
        assert_eq!(none, "");
        // Nothing readable is on disk.
        let seg = std::fs::read(
            ramgate::logstore::ReadOnlyDir::open(&cli.data_dir())
                .unwrap()
                .segment_path("app", store, 0)
                .unwrap(),
        )
        .unwrap();
        assert!(
            !String::from_utf8_lossy(&seg).contains("GET /item"),
            "{store} stores plaintext"
        );
    }

    // Disable the CMK: writes and reads of the BYOK Logstore fail with the
    // code printed; the service-key Logstore is untouched.
    assert_eq!(
        cli.ok(&["kms", "disable-key", &cmk]),
        format!("{cmk} Disabled\n")
    );
    let put = cli.fails(
        1,
        &[
            "log", "put-logs", "app", "byok-m4", "--shard", "0", "--group", GROUP, "--as", ALICE,
        ],
    );
    let pull = cli.fails(
        1,
        &[
            "log",
            "pull-logs",
            "app",
            "byok-m4",
            "--shard",
            "0",
            "--as",
            ALICE,
        ],
    );
    for e in [&put, &pull] {
        assert!(
            e.starts_with("error: KMSKeyUnavailable (403): the BYOK key is unavailable: step `kms:Decrypt` failed with Rejected.Disabled: key `"),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1, "one line: {e}");
    }
    cli.ok(&[
        "log",
        "pull-logs",
        "app",
        "svc-aes",
        "--shard",
        "0",
        "--as",
        ALICE,
    ]);
    // Enable it: everything reads again, nothing lost, the refused write absent.
    assert_eq!(
        cli.ok(&["kms", "enable-key", &cmk]),
        format!("{cmk} Enabled\n")
    );
    let pulled = cli.ok(&[
        "log",
        "pull-logs",
        "app",
        "byok-m4",
        "--shard",
        "0",
        "--as",
        ALICE,
    ]);
    assert!(pulled.ends_with("next_cursor 3\n"), "{pulled}");

    // The algorithm cannot change once configured.
    let aes = cli.file("aes.json", &Cli::byok(&cmk, "default"));
    let e = cli.fails(
        2,
        &[
            "log",
            "update-logstore",
            "app",
            "byok-m4",
            "--encrypt-conf",
            &format!("@{aes}"),
            "--as",
            ALICE,
        ],
    );
    assert_eq!(
        e,
        "error: LogStoreInfoInvalid (400): The encrypt_conf is invalid, [encrypt_type] cannot be changed from `m4` to `default` once encryption is configured; only [enable] can be updated\n"
    );
    // Only `enable` may change, with the complete encrypt_conf.
    let off = Cli::byok(&cmk, "m4").replace("\"enable\": true", "\"enable\": false");
    cli.ok(&[
        "log",
        "update-logstore",
        "app",
        "byok-m4",
        "--encrypt-conf",
        &off,
        "--as",
        ALICE,
    ]);
    let e = cli.fails(
        2,
        &["log", "update-logstore", "app", "byok-m4", "--as", ALICE],
    );
    assert!(
        e.contains(
            "LogStoreInfoInvalid (400): The encrypt_conf is invalid, [encrypt_conf] key is missing"
        ),
        "{e}"
    );

    // A user without PassRole is refused, naming the step.
    let e = cli.fails(
        1,
        &[
            "log",
            "create-logstore",
            "app",
            "byok-bob",
            "--encrypt-conf",
            &m4_arg,
            "--as",
            BOB,
        ],
    );
    assert_eq!(
        e,
        "error: Unauthorized (401): the caller is not authorized at step `pass-role`: `ram:PassRole` on `acs:ram::1234567890123456:role/sls-byok` for `log.aliyuncs.com` is ImplicitDeny for `acs:ram::1234567890123456:user/bob`\n"
    );
    cli.fails(2, &["log", "get-logstore", "app", "byok-bob"]);

    // The audit log holds every call and is intact.
    let verified = cli.ok(&["audit", "verify"]);
    assert!(
        verified.starts_with("audit log intact: ") && verified.ends_with(" records\n"),
        "{verified}"
    );
    let n: usize = verified
        .trim_end()
        .rsplit(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 15, "{verified}");
}

#[test]
fn trace_prints_the_chain_of_every_call() {
    let cli = Cli::init();
    let cmk = cli.seed();
    let conf = Cli::byok(&cmk, "m4");
    let out = cli.run(&[
        "log",
        "create-logstore",
        "app",
        "byok-m4",
        "--encrypt-conf",
        &conf,
        "--as",
        ALICE,
        "--trace",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "created logstore `byok-m4` in project `app`\n",
        "the trace stays off stdout"
    );
    let trace = stderr(&out);
    let key_arn = format!("acs:kms:cn-hangzhou:1234567890123456:key/{cmk}");
    assert_eq!(
        trace,
        format!(
            "chain: Allow\n\
             \x20 authorize: Allow log:CreateLogStore on acs:log:cn-hangzhou:1234567890123456:project/app/logstore/byok-m4 by {ALICE} [identity Allow]\n\
             \x20   allowed by user/alice:system/AliyunLogFullAccess:4:5 statement 0\n\
             \x20 pass-role: Allow ram:PassRole on {ROLE} by {ALICE} [identity Allow]\n\
             \x20   allowed by user/alice:policy/PassRoleForLog@v1:4:9 statement 0\n\
             \x20 assume-role.trust: Allow sts:AssumeRole on {ROLE} by 1234567890123456@log.aliyuncs.com [trust Allow]\n\
             \x20   allowed by role/sls-byok:trust:3:9 statement 0\n\
             \x20 authorize: Allow kms:DescribeKey on {key_arn} by acs:ram::1234567890123456:role/sls-byok/aliyun-log-byok [identity Allow]\n\
             \x20   allowed by role/sls-byok:system/AliyunKMSReadOnlyAccess:4:5 statement 0\n"
        )
    );
    // A write: caller, trust, then the role's use of the key.
    let out = cli.run(&[
        "log", "put-logs", "app", "byok-m4", "--group", GROUP, "--as", ALICE, "--trace",
    ]);
    let steps: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .map(|l| l.split(" on ").next().unwrap().trim().to_string())
        .collect();
    assert_eq!(
        steps,
        [
            "authorize: Allow log:PostLogStoreLogs",
            "assume-role.trust: Allow sts:AssumeRole",
            "authorize: Allow kms:GenerateDataKey",
        ]
    );
    // A refusal prints the chain up to the step that refused, then the error.
    let out = cli.run(&[
        "log",
        "create-logstore",
        "app",
        "byok-bob",
        "--encrypt-conf",
        &conf,
        "--as",
        BOB,
        "--trace",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.starts_with("chain: ImplicitDeny\n"), "{e}");
    assert!(
        e.contains(&format!("  pass-role: ImplicitDeny ram:PassRole on {ROLE} by {BOB} [identity ImplicitDeny]\n    no statement of the identity policies applies\nerror: Unauthorized (401)")),
        "{e}"
    );
    // With --format json the chain is JSON, one line per call.
    let out = cli.run(&[
        "log",
        "get-logstore",
        "app",
        "byok-m4",
        "--trace",
        "--format",
        "json",
    ]);
    let chain: serde_json::Value = serde_json::from_str(stderr(&out).trim_end()).unwrap();
    assert_eq!(chain[0]["step"], "authorize");
    assert_eq!(chain[0]["action"], "log:GetLogStore");
    assert_eq!(chain[0]["parts"][0]["kind"], "account");
    // KMS calls trace too.
    let out = cli.run(&["kms", "describe-key", &cmk, "--as", BOB, "--trace"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "chain: ImplicitDeny\n  authorize: ImplicitDeny kms:DescribeKey on {key_arn} by {BOB} [identity ImplicitDeny]\n    no statement of the identity policies applies\nerror: Forbidden.NoPermission (403): `kms:DescribeKey` on `{key_arn}` is forbidden by the permission system\n"
        )
    );
}

#[test]
fn a_changed_audit_record_is_named_by_its_line() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "svc",
        "--encrypt-conf",
        r#"{"enable": true, "encrypt_type": "default"}"#,
    ]);
    cli.ok(&[
        "log", "put-logs", "app", "svc", "--group", GROUP, "--repeat", "2",
    ]);
    assert_eq!(
        cli.ok(&["audit", "verify"]),
        "audit log intact: 4 records\n"
    );
    let log = cli.audit_log();
    let original = std::fs::read(&log).unwrap();
    // One byte of the third record: `"allowed"` → `"allowee"`.
    let lines: Vec<&[u8]> = original.split_inclusive(|&b| b == b'\n').collect();
    let at = lines[0].len()
        + lines[1].len()
        + lines[2]
            .windows(9)
            .position(|w| w == b"\"allowed\"")
            .unwrap()
        + 7;
    let mut edited = original.clone();
    edited[at] = b'e';
    std::fs::write(&log, &edited).unwrap();
    let out = cli.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!(
            "{}:3: audit record 3 is not intact: the hash does not match the record's content\n",
            log.display()
        )
    );
    // `audit show` refuses a broken log the same way.
    let out = cli.run(&["audit", "show"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(":3: audit record 3 is not intact"));
    // Put back, it verifies again.
    std::fs::write(&log, &original).unwrap();
    cli.ok(&["audit", "verify"]);
}

#[test]
fn audit_show_lists_records_with_their_chains() {
    let cli = Cli::init();
    let cmk = cli.seed();
    let conf = Cli::byok(&cmk, "default");
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "byok",
        "--encrypt-conf",
        &conf,
        "--as",
        ALICE,
    ]);
    cli.ok(&[
        "log", "put-logs", "app", "byok", "--group", GROUP, "--as", ALICE,
    ]);
    cli.fails(
        1,
        &[
            "log",
            "pull-logs",
            "app",
            "byok",
            "--shard",
            "0",
            "--as",
            BOB.replace("bob", "carol").as_str(),
        ],
    );
    let text = cli.ok(&["audit", "show", "--last", "2"]);
    let heads: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(heads.len(), 2, "{text}");
    // The seed's ten operator changes (`ram …`, `kms create-key`) are
    // records 0–9.
    assert!(heads[0].starts_with("#12 "), "{text}");
    assert!(
        heads[0].ends_with(&format!(
            " put_logs {ALICE} project=app logstore=byok allowed"
        )),
        "{text}"
    );
    assert!(
        heads[1].ends_with(" pull_logs acs:ram::1234567890123456:user/carol project=app logstore=byok shard=0 cursor=0 refused Unauthorized"),
        "{text}"
    );
    assert!(text.contains("  assume-role.trust: Allow sts:AssumeRole on acs:ram::1234567890123456:role/sls-byok by 1234567890123456@log.aliyuncs.com [trust Allow]\n"), "{text}");
    let json = cli.ok(&["audit", "show", "--format", "json"]);
    let records: serde_json::Value = serde_json::from_str(&json).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 14);
    assert_eq!(records[0]["event"]["op"], "CreateRole");
    assert_eq!(records[0]["event"]["target"]["RoleName"], "sls-byok");
    assert_eq!(records[9]["event"]["op"], "CreateKey");
    assert_eq!(records[10]["event"]["op"], "create_project");
    assert_eq!(records[11]["event"]["op"], "create_logstore");
    assert_eq!(records[13]["event"]["detail"]["code"], "Unauthorized");
    assert_eq!(records[12]["hash"].as_str().map(str::len), Some(64));
}

#[test]
fn kms_and_ram_changes_from_the_cli_leave_audit_records() {
    let cli = Cli::init();
    let cmk = cli.seed();
    cli.ok(&["kms", "disable-key", &cmk]);
    cli.fails(1, &["kms", "enable-key", &cmk, "--as", BOB]);
    cli.ok(&["ram", "create-group", "ops"]);
    let json = cli.ok(&["audit", "show", "--last", "3", "--format", "json"]);
    let records: serde_json::Value = serde_json::from_str(&json).unwrap();
    let events: Vec<&serde_json::Value> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["event"])
        .collect();
    let disabled = events[0];
    assert_eq!(disabled["op"], "DisableKey");
    assert_eq!(disabled["outcome"], "allowed");
    assert_eq!(disabled["target"]["KeyId"], cmk.as_str());
    assert_eq!(disabled["chain"][0]["action"], "kms:DisableKey");
    assert!(disabled["versions"]["kms"].is_u64(), "{disabled}");
    let refused = events[1];
    assert_eq!(refused["op"], "EnableKey");
    assert_eq!(refused["outcome"], "refused");
    assert_eq!(refused["caller"], BOB);
    assert_eq!(refused["detail"]["code"], "Forbidden.NoPermission");
    assert_eq!(
        refused["chain"][0]["response"]["decision"], "ImplicitDeny",
        "{refused}"
    );
    let group = events[2];
    assert_eq!(group["op"], "CreateGroup");
    assert_eq!(
        group["target"],
        serde_json::json!({"product": "ram", "GroupName": "ops"})
    );
    assert_eq!(group["caller"], "acs:ram::1234567890123456:root");
    cli.ok(&["audit", "verify"]);
}

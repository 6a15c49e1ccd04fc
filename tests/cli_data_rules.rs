//! The pipeline's rules through the `ramgate` binary, one test each: where
//! the data directory is, key states, revoked trust and permissions, role
//! sessions, and the error each bad input gets (code, status, exit code).

#![cfg(feature = "cli")]

mod cli_data_support;

use cli_data_support::*;

#[test]
fn the_data_directory_is_dot_ramgate_or_data_dir_or_the_environment() {
    let cli = Cli::empty();
    // Default: ./.ramgate in the working directory.
    let out = cli
        .command(&["init", "--account", ACCOUNT, "--region", REGION])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "initialized `.ramgate` for account 1234567890123456 in cn-hangzhou\n"
    );
    assert!(cli.home.path().join(".ramgate/cloud.json").is_file());
    // --data-dir, before or after the subcommand.
    let other = cli.home.path().join("other");
    let other = other.to_str().unwrap();
    let out = cli
        .command(&[
            "init",
            "--data-dir",
            other,
            "--account",
            ACCOUNT,
            "--region",
            "cn-beijing",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = cli
        .command(&["log", "--data-dir", other, "create-project", "beijing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // RAMGATE_DATA_DIR, and --data-dir wins over it.
    let out = cli
        .command(&["log", "list-logstores", "beijing"])
        .env("RAMGATE_DATA_DIR", other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = cli
        .command(&["log", "list-logstores", "beijing", "--data-dir", ".ramgate"])
        .env("RAMGATE_DATA_DIR", other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: ProjectNotExist (404): The Project does not exist: beijing\n"
    );
    // init refuses an existing data directory, naming what it holds (D7).
    let out = cli
        .command(&["init", "--account", ACCOUNT, "--region", REGION])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: ParameterInvalid (400): `.ramgate` already holds ramgate files (cloud.json, ram.json, kms, audit.jsonl, journal); `init` makes only new data directories\n"
    );
    // A directory that is not one says how to make one.
    let out = cli
        .command(&["kms", "list-keys", "--data-dir", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("make a data directory with `ramgate init`"),
        "{}",
        stderr(&out)
    );
    let out = cli
        .command(&["audit", "verify", "--data-dir", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_checks_the_account_and_region_before_writing_anything() {
    let cli = Cli::empty();
    let e = cli.fails(2, &["init", "--account", "42", "--region", REGION]);
    assert_eq!(
        e,
        "error: ParameterInvalid (400): `42` is not a 16-digit account id\n"
    );
    let e = cli.fails(2, &["init", "--account", ACCOUNT, "--region", "CN HZ"]);
    assert_eq!(
        e,
        "error: ParameterInvalid (400): `CN HZ` is not a region id such as `cn-hangzhou`\n"
    );
    // Nothing was left behind: init with good values works.
    cli.ok(&["init", "--account", ACCOUNT, "--region", REGION]);
}

#[test]
fn pending_deletion_stops_the_logstore_and_cancelling_restores_it() {
    let cli = Cli::init();
    let cmk = cli.seed();
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "byok",
        "--encrypt-conf",
        &Cli::byok(&cmk, "default"),
    ]);
    cli.ok(&[
        "log", "put-logs", "app", "byok", "--shard", "1", "--group", GROUP,
    ]);
    let e = cli.fails(2, &["kms", "schedule-key-deletion", &cmk, "--days", "3"]);
    assert_eq!(
        e,
        "error: InvalidParameter (400): `PendingWindowInDays` `3` is outside 7–30\n"
    );
    assert_eq!(
        cli.ok(&["kms", "schedule-key-deletion", &cmk, "--days", "7"]),
        format!("{cmk} PendingDeletion\n")
    );
    let described = cli.ok(&["kms", "describe-key", &cmk, "--format", "json"]);
    let described: serde_json::Value = serde_json::from_str(&described).unwrap();
    assert_eq!(described["KeyState"], "PendingDeletion");
    assert!(described["DeleteDate"].is_string());
    let e = cli.fails(1, &["log", "get-logs", "app", "byok"]);
    assert!(e.contains("failed with Rejected.PendingDeletion"), "{e}");
    // The state matrix refuses disabling a key pending deletion.
    let e = cli.fails(1, &["kms", "disable-key", &cmk]);
    assert_eq!(
        e,
        format!(
            "error: Rejected.StateModifiedFailed (409): cannot `DisableKey` key `{cmk}` in state `PendingDeletion`\n"
        )
    );
    assert_eq!(
        cli.ok(&["kms", "cancel-key-deletion", &cmk]),
        format!("{cmk} Enabled\n")
    );
    let got = cli.ok(&["log", "get-logs", "app", "byok"]);
    assert!(got.starts_with("1 0 {"), "{got}");
}

#[test]
fn revoking_the_roles_trust_or_key_permission_stops_the_next_call() {
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
    cli.ok(&[
        "log", "put-logs", "app", "byok", "--shard", "0", "--group", GROUP,
    ]);
    // Trust Elastic Compute Service instead of Log Service.
    let ecs = cli.file(
        "ecs-trust.rgp",
        "version 1\n\nallow sts:AssumeRole\n  principal service ecs.aliyuncs.com\n",
    );
    cli.ok(&["ram", "update-trust-policy", "sls-byok", &ecs]);
    let e = cli.fails(1, &["log", "pull-logs", "app", "byok", "--shard", "0"]);
    assert!(e.starts_with("error: KMSKeyUnavailable (403): the BYOK key is unavailable: step `assume-role` failed with NoPermission: "), "{e}");
    let trust = cli.file("trust.json", LOG_TRUST);
    cli.ok(&["ram", "update-trust-policy", "sls-byok", &trust]);
    cli.ok(&["log", "pull-logs", "app", "byok", "--shard", "0"]);
    // Take the crypto permission away from the role.
    assert_eq!(
        cli.ok(&[
            "ram",
            "detach-policy",
            "--role",
            "sls-byok",
            "system/AliyunKMSCryptoUserAccess"
        ]),
        "detached `system/AliyunKMSCryptoUserAccess` from role `sls-byok`\n"
    );
    let e = cli.fails(
        1,
        &[
            "log", "put-logs", "app", "byok", "--shard", "0", "--group", GROUP,
        ],
    );
    assert!(
        e.contains("step `kms:Decrypt` failed with Forbidden.NoPermission"),
        "{e}"
    );
    cli.ok(&[
        "ram",
        "attach-policy",
        "--role",
        "sls-byok",
        "system/AliyunKMSCryptoUserAccess",
    ]);
    assert_eq!(
        cli.ok(&[
            "log", "put-logs", "app", "byok", "--shard", "0", "--group", GROUP
        ]),
        "ack 0 1\n"
    );
}

/// Role `ops` with the KMS system policies, which user `carol` may
/// assume. Returns (session ARN, carol).
fn ops_role(cli: &Cli) -> (String, String) {
    cli.ok(&["ram", "create-user", "carol"]);
    cli.assumable_role(
        "ops",
        "carol",
        &[
            "system/AliyunKMSReadOnlyAccess",
            "system/AliyunKMSCryptoUserAccess",
        ],
    );
    (
        "acs:ram::1234567890123456:role/ops/ops-session".to_string(),
        "acs:ram::1234567890123456:user/carol".to_string(),
    )
}

#[test]
fn as_names_users_and_role_sessions() {
    let cli = Cli::init();
    let cmk = cli.seed();
    // A role the account trusts, with the KMS system policies, and a user
    // allowed to assume it: the session is earned through STS (S4).
    let (session, via) = ops_role(&cli);
    let session = session.as_str();
    // The role's KMS system policies let its session describe the key…
    let line = cli.ok(&["kms", "describe-key", &cmk, "--as", session, "--via", &via]);
    assert!(
        line.starts_with(&format!("{cmk} Enabled Aliyun_AES_256 acs:kms:")),
        "{line}"
    );
    // …but not disable it, nor use Log Service.
    let e = cli.fails(
        1,
        &["kms", "disable-key", &cmk, "--as", session, "--via", &via],
    );
    assert!(
        e.starts_with("error: Forbidden.NoPermission (403): `kms:DisableKey`"),
        "{e}"
    );
    let e = cli.fails(
        1,
        &[
            "log",
            "list-logstores",
            "app",
            "--as",
            session,
            "--via",
            &via,
        ],
    );
    assert!(e.starts_with("error: Unauthorized (401): the caller is not authorized at step `authorize`: `log:ListLogStores`"), "{e}");
    // A user RAM does not know is refused, not an input error.
    let e = cli.fails(
        1,
        &[
            "log",
            "list-logstores",
            "app",
            "--as",
            "acs:ram::1234567890123456:user/nobody",
        ],
    );
    assert!(e.starts_with("error: Unauthorized (401)"), "{e}");
    assert!(e.contains("EntityNotExist.User"), "{e}");
    // Something that is no identity at all is bad input.
    let e = cli.fails(
        2,
        &["log", "list-logstores", "app", "--as", "acs:ram::12:user/x"],
    );
    assert!(
        e.starts_with("error: InvalidParameter.Principal (400): "),
        "{e}"
    );
}

#[test]
fn encrypt_conf_errors_are_log_services() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    for (conf, message) in [
        (
            r#"{"enable": true, "encrypt_type": "typex"}"#,
            "The encrypt_conf is invalid, [encrypt_type] key is missing or not supported",
        ),
        (
            r#"{"enable": true}"#,
            "The encrypt_conf is invalid, [encrypt_type] key is missing or not supported",
        ),
        (
            r#"{"enable": true, "encrypt_type": "m4", "extra": 1}"#,
            "The encrypt_conf is invalid, [extra] is not a known key",
        ),
        (
            r#"{"enable": true, "encrypt_type": "m4", "user_cmk_info": {"cmk_key_id": "k"}}"#,
            "The encrypt_conf is invalid, [user_cmk_info.arn] key is missing or empty",
        ),
    ] {
        let e = cli.fails(
            2,
            &[
                "log",
                "create-logstore",
                "app",
                "store1",
                "--encrypt-conf",
                conf,
            ],
        );
        assert_eq!(
            e,
            format!("error: LogStoreInfoInvalid (400): {message}\n"),
            "{conf}"
        );
    }
    let e = cli.fails(
        2,
        &[
            "log",
            "create-logstore",
            "app",
            "store1",
            "--encrypt-conf",
            "{nope",
        ],
    );
    assert!(
        e.starts_with(
            "error: LogStoreInfoInvalid (400): The encrypt_conf is invalid, not JSON at 1:2: "
        ),
        "{e}"
    );
    let e = cli.fails(
        2,
        &[
            "log",
            "create-logstore",
            "app",
            "store1",
            "--encrypt-conf",
            "@missing.json",
        ],
    );
    assert!(
        e.starts_with("error: ParameterInvalid (400): cannot read `missing.json`: "),
        "{e}"
    );
    assert_eq!(
        cli.ok(&["log", "list-logstores", "app"]),
        "",
        "nothing was created"
    );
    // Shards: a range on create, no change on update.
    let e = cli.fails(
        2,
        &["log", "create-logstore", "app", "store1", "--shards", "0"],
    );
    assert_eq!(
        e,
        "error: LogStoreInfoInvalid (400): shard count 0 must be within range [1, 256]\n"
    );
    cli.ok(&["log", "create-logstore", "app", "store1"]);
    let e = cli.fails(
        2,
        &["log", "update-logstore", "app", "store1", "--shards", "4"],
    );
    assert_eq!(
        e,
        "error: ParameterInvalid (400): invalid shard count,you can only modify shardCount by split& merge shard.\n"
    );
    // A plain Logstore can get a service key later.
    cli.ok(&[
        "log",
        "update-logstore",
        "app",
        "store1",
        "--encrypt-conf",
        r#"{"enable": true, "encrypt_type": "m4"}"#,
    ]);
    assert_eq!(
        cli.ok(&["log", "get-logstore", "app", "store1"]),
        "store1 shards 2 ttl 30 encrypt_conf {\"enable\":true,\"encrypt_type\":\"m4\"}\n"
    );
}

#[test]
fn log_groups_and_shards_are_checked() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&["log", "create-logstore", "app", "plain", "--shards", "2"]);
    let e = cli.fails(
        2,
        &[
            "log",
            "put-logs",
            "app",
            "plain",
            "--group",
            r#"{"topic": "t"}"#,
        ],
    );
    assert_eq!(
        e,
        "error: ParameterInvalid (400): <inline>:1:14: the log group is invalid: missing field `logs`\n"
    );
    let bad = cli.file(
        "bad-group.json",
        "{\n  \"logs\": [{\"time\": -1, \"contents\": []}]\n}\n",
    );
    let e = cli.fails(
        2,
        &[
            "log",
            "put-logs",
            "app",
            "plain",
            "--group",
            &format!("@{bad}"),
        ],
    );
    assert!(e.starts_with(&format!("error: ParameterInvalid (400): {bad}:2:22: the log group is invalid: invalid value: integer `-1`")), "{e}");
    let e = cli.fails(
        2,
        &[
            "log", "put-logs", "app", "plain", "--shard", "2", "--group", GROUP,
        ],
    );
    assert_eq!(e, "error: ShardNotExist (404): shard 2 does not exist\n");
    let e = cli.fails(2, &["log", "put-logs", "app", "nope", "--group", GROUP]);
    assert_eq!(
        e,
        "error: LogStoreNotExist (404): logstore nope does not exist\n"
    );
    // Without --shard, each write goes to the emptiest shard.
    assert_eq!(
        cli.ok(&[
            "log", "put-logs", "app", "plain", "--group", GROUP, "--repeat", "3"
        ]),
        "ack 0 0\nack 1 0\nack 0 1\n"
    );
    let lines = cli.ok(&[
        "log", "put-logs", "app", "plain", "--group", GROUP, "--format", "json",
    ]);
    let ack: serde_json::Value = serde_json::from_str(lines.trim_end()).unwrap();
    assert_eq!(ack, serde_json::json!({"shard": 1, "seq": 1}));
    let pulled = cli.ok(&[
        "log",
        "pull-logs",
        "app",
        "plain",
        "--shard",
        "0",
        "--cursor",
        "1",
        "--count",
        "5",
        "--format",
        "json",
    ]);
    let pulled: serde_json::Value = serde_json::from_str(&pulled).unwrap();
    assert_eq!(pulled["next_cursor"], 2);
    assert_eq!(pulled["groups"][0]["seq"], 1);
    assert_eq!(
        pulled["groups"][0]["group"]["tags"][0],
        serde_json::json!(["host", "web-1"])
    );
    cli.ok(&["log", "delete-logstore", "app", "plain"]);
    cli.fails(2, &["log", "get-logs", "app", "plain"]);
}

#[test]
fn ram_errors_carry_rams_codes() {
    let cli = Cli::init();
    cli.ok(&["ram", "create-user", "alice"]);
    let e = cli.fails(2, &["ram", "create-user", "alice"]);
    assert_eq!(
        e,
        "error: EntityAlreadyExists.User (409): user `alice` already exists\n"
    );
    let e = cli.fails(
        2,
        &[
            "ram",
            "attach-policy",
            "--user",
            "alice",
            "system/NoSuchPolicy",
        ],
    );
    assert_eq!(
        e,
        "error: EntityNotExist.Policy (404): policy `system/NoSuchPolicy` does not exist\n"
    );
    let e = cli.fails(
        2,
        &[
            "ram",
            "attach-policy",
            "--user",
            "alice",
            "AliyunLogFullAccess",
        ],
    );
    assert_eq!(
        e,
        "error: InvalidParameter.PolicyName (400): `AliyunLogFullAccess` is not a policy reference `system/<name>` or `policy/<name>`\n"
    );
    // Exactly one of --user, --group, --role.
    let out = cli.run(&["ram", "attach-policy", "system/AliyunLogFullAccess"]);
    assert_eq!(out.status.code(), Some(2));
    // A policy file that does not parse is named with line and column.
    let bad = cli.file("bad.json", "{\"Version\": \"1\",\n \"Statement\": [{\"Effect\": \"Alow\", \"Action\": \"*\", \"Resource\": \"*\"}]}\n");
    let e = cli.fails(2, &["ram", "create-policy", "Bad", &bad]);
    assert!(
        e.starts_with(&format!(
            "error: MalformedPolicyDocument (400): {bad}:2:27: "
        )),
        "{e}"
    );
    assert!(e.contains("unknown effect `Alow`"), "{e}");
    // A DSL file is a policy file too; groups pass their policies on.
    let dsl = cli.file(
        "read-keys.rgp",
        "version 1\n\nallow kms:DescribeKey\n  on *\n",
    );
    cli.ok(&["ram", "create-policy", "ReadKeys", &dsl]);
    assert_eq!(
        cli.ok(&["ram", "create-group", "ops"]),
        "created group `ops`\n"
    );
    assert_eq!(
        cli.ok(&["ram", "add-user-to-group", "alice", "ops"]),
        "added user `alice` to group `ops`\n"
    );
    cli.ok(&["ram", "attach-policy", "--group", "ops", "policy/ReadKeys"]);
    let key = cli.ok(&["kms", "create-key", "--spec", "Aliyun_SM4"]);
    let key = key.split(' ').next().unwrap();
    cli.ok(&["kms", "describe-key", key, "--as", ALICE]);
    let e = cli.fails(2, &["kms", "create-key", "--spec", "RSA_2048"]);
    assert_eq!(
        e,
        "error: InvalidParameter (400): unsupported key spec `RSA_2048`\n  = help: ramgate emulates the symmetric specs `Aliyun_AES_256` and `Aliyun_SM4`\n"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&cli.ok(&["ram", "show", "--format", "json"])).unwrap();
    assert!(shown.to_string().contains("ReadKeys"));
    let text = cli.ok(&["ram", "show"]);
    assert!(
        text.contains("user alice\n  in group ops\ngroup ops\n  policy policy/ReadKeys\n"),
        "{text}"
    );
}

#[test]
fn keys_list_and_describe() {
    let cli = Cli::init();
    let a = cli.ok(&["kms", "create-key"]);
    let b = cli.ok(&[
        "kms",
        "create-key",
        "--spec",
        "Aliyun_SM4",
        "--format",
        "json",
    ]);
    let b: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(b["KeySpec"], "Aliyun_SM4");
    assert_eq!(b["KeyState"], "Enabled");
    let (a, b) = (a.split(' ').next().unwrap(), b["KeyId"].as_str().unwrap());
    let listed = cli.ok(&["kms", "list-keys"]);
    let ids: Vec<&str> = listed
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&a) && ids.contains(&b), "{listed}");
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok(&["kms", "list-keys", "--format", "json"])).unwrap();
    assert_eq!(json["TotalCount"], 2);
    let e = cli.fails(
        2,
        &[
            "kms",
            "describe-key",
            "00000000-0000-4000-8000-000000000000",
        ],
    );
    assert_eq!(
        e,
        "error: Forbidden.KeyNotFound (404): key `00000000-0000-4000-8000-000000000000` is not found\n"
    );
}

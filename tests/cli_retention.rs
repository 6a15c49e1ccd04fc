//! Retention and time cursors through the binary: `create-logstore --ttl`,
//! `update-logstore --ttl`, `get-logstore` showing it, `get-cursor` and
//! `expire`.

#![cfg(feature = "cli")]

mod cli_data_support;

use cli_data_support::{Cli, GROUP};

#[test]
fn ttl_is_set_shown_changed_and_checked_and_cursors_are_found_by_time() {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "logs",
        "--shards",
        "1",
        "--ttl",
        "7",
    ]);
    assert_eq!(
        cli.ok(&["log", "get-logstore", "app", "logs"]),
        "logs shards 1 ttl 7\n"
    );
    cli.ok(&["log", "update-logstore", "app", "logs", "--ttl", "9"]);
    let json = cli.ok(&["log", "get-logstore", "app", "logs", "--format", "json"]);
    assert!(json.contains("\"ttl\": 9"), "{json}");
    // With other settings, ttl goes in the same update: one audit record.
    let records = || {
        std::fs::read_to_string(cli.audit_log())
            .unwrap()
            .lines()
            .count()
    };
    let before = records();
    cli.ok(&[
        "log",
        "update-logstore",
        "app",
        "logs",
        "--shards",
        "1",
        "--ttl",
        "10",
    ]);
    assert_eq!(records(), before + 1);
    assert_eq!(
        cli.ok(&["log", "get-logstore", "app", "logs"]),
        "logs shards 1 ttl 10\n"
    );
    let e = cli.fails(2, &["log", "update-logstore", "app", "logs", "--ttl", "0"]);
    assert!(
        e.contains("LogStoreInfoInvalid") && e.contains("ttl 0"),
        "{e}"
    );
    cli.ok(&["log", "create-logstore", "app", "default", "--shards", "1"]);
    assert_eq!(
        cli.ok(&["log", "get-logstore", "app", "default"]),
        "default shards 1 ttl 30\n"
    );

    cli.ok(&[
        "log", "put-logs", "app", "logs", "--group", GROUP, "--repeat", "3",
    ]);
    let cursor = |from: &str| {
        cli.ok(&[
            "log",
            "get-cursor",
            "app",
            "logs",
            "--shard",
            "0",
            "--from",
            from,
        ])
    };
    assert_eq!(cursor("begin"), "cursor 0\n");
    assert_eq!(cursor("end"), "cursor 3\n");
    assert_eq!(cursor("0"), "cursor 0\n");
    // Received now: nothing was received in 2100.
    assert_eq!(cursor("4102444800"), "cursor 3\n");
    let e = cli.fails(
        2,
        &[
            "log",
            "get-cursor",
            "app",
            "logs",
            "--shard",
            "0",
            "--from",
            "soon",
        ],
    );
    assert!(e.contains("`soon`"), "{e}");
    // Log times: the group's log is at 1700000000.
    let got = cli.ok(&[
        "log",
        "get-logs",
        "app",
        "logs",
        "--from",
        "1700000000",
        "--to",
        "1700000001",
    ]);
    assert_eq!(got.matches("GET /item/1").count(), 3, "{got}");
    let none = cli.ok(&["log", "get-logs", "app", "logs", "--from", "1700000001"]);
    assert_eq!(none, "");
    // Nothing is older than the ttl.
    assert_eq!(cli.ok(&["log", "expire", "app", "logs"]), "");
}

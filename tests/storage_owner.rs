//! One owner per data directory, through the binary: writers wait for the
//! directory's lock (or exit 4 naming its holder), read-only commands take
//! no lock and write nothing, and no interleaving of processes corrupts
//! anything (the adversarial report's D1–D5 and U1).

#![cfg(feature = "cli")]

mod cli_data_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use cli_data_support::*;
use ramgate::logstore::DirLock;

const SVC: &str = r#"{"enable": true, "encrypt_type": "default"}"#;

fn group(tag: &str) -> String {
    format!(
        r#"{{"topic": "{tag}", "logs": [{{"time": 1700000000, "contents": [["w", "{tag}"]]}}]}}"#
    )
}

/// A data directory with the seed's setup and the Logstores `svc`
/// (service key) and `byok` (BYOK, m4), 2 shards each.
fn seeded() -> (Cli, String) {
    let cli = Cli::init();
    let cmk = cli.seed();
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "svc",
        "--encrypt-conf",
        SVC,
    ]);
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "byok",
        "--as",
        ALICE,
        "--encrypt-conf",
        &Cli::byok(&cmk, "m4"),
    ]);
    (cli, cmk)
}

/// Starts `ramgate ARGS` on the data directory, output piped.
fn spawn(cli: &Cli, args: &[&str]) -> Child {
    cli.command(args)
        .env("RAMGATE_DATA_DIR", cli.data_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn put(
    cli: &Cli,
    logstore: &str,
    shard: Option<&str>,
    tag: &str,
    repeat: u32,
    wait: &str,
) -> Child {
    let g = group(tag);
    let repeat = repeat.to_string();
    let mut args = vec![
        "log", "put-logs", "app", logstore, "--group", &g, "--repeat", &repeat, "--wait", wait,
    ];
    if let Some(s) = shard {
        args.extend(["--shard", s]);
    }
    spawn(cli, &args)
}

fn finish(children: Vec<Child>) -> Vec<Output> {
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// Every log group of a shard, as `(seq, topic)`.
fn pulled(cli: &Cli, logstore: &str, shard: u32) -> Vec<(u64, String)> {
    let out = cli.ok(&[
        "log",
        "pull-logs",
        "app",
        logstore,
        "--shard",
        &shard.to_string(),
        "--count",
        "100000",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["seq"].as_u64().unwrap(),
                g["group"]["topic"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every acknowledged `(shard, seq)` of `outputs[i]` holds writer `i`'s
/// group, no pair is acknowledged twice, and the audit log verifies.
fn check_acks(cli: &Cli, logstore: &str, tags: &[String], outputs: &[Output]) -> usize {
    let mut seen = BTreeSet::new();
    let shards: Vec<Vec<(u64, String)>> = (0..2).map(|s| pulled(cli, logstore, s)).collect();
    for (tag, out) in tags.iter().zip(outputs) {
        for (shard, seq) in acks(&stdout(out)) {
            assert!(
                seen.insert((shard, seq)),
                "({shard}, {seq}) acknowledged twice"
            );
            let got = shards[shard as usize].get(seq as usize);
            assert_eq!(got, Some(&(seq, tag.clone())), "({shard}, {seq})");
        }
    }
    assert!(cli.ok(&["audit", "verify"]).starts_with("audit log intact"));
    seen.len()
}

#[test]
fn four_writers_at_once_each_wait_for_the_lock_and_every_ack_reads_back() {
    let (cli, _) = seeded();
    let tags: Vec<String> = (0..4).map(|i| format!("w{i}")).collect();
    let children = tags
        .iter()
        .map(|t| put(&cli, "svc", None, t, 200, "600"))
        .collect();
    let outputs = finish(children);
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        assert_eq!(acks(&stdout(out)).len(), 200);
    }
    assert_eq!(check_acks(&cli, "svc", &tags, &outputs), 800);
}

#[test]
fn with_wait_0_a_busy_writer_exits_4_naming_the_holder_and_nothing_is_damaged() {
    let (cli, _) = seeded();
    // The holder: a long writer, known to hold the lock once it acks.
    let mut holder = put(&cli, "svc", Some("0"), "holder", 200, "0");
    let mut first = [0u8; 6];
    std::io::Read::read_exact(holder.stdout.as_mut().unwrap(), &mut first).unwrap();
    assert_eq!(&first, b"ack 0 ");
    let pid = holder.id();
    let others = finish(
        (0..3)
            .map(|i| put(&cli, "svc", Some("1"), &format!("o{i}"), 5, "0"))
            .collect(),
    );
    let holder = holder.wait_with_output().unwrap();
    assert_eq!(holder.status.code(), Some(0), "{}", stderr(&holder));
    for out in &others {
        assert_eq!(out.status.code(), Some(4), "{}", stderr(out));
        let e = stderr(out);
        assert!(
            e.contains(&format!("held by pid {pid} (`ramgate log put-logs`)")),
            "{e}"
        );
        assert!(acks(&stdout(out)).is_empty());
    }
    // Nothing damaged: the holder's 200 groups (the 6 bytes read above
    // were its first ack) read back, and the audit log verifies.
    let rest = format!("ack 0 {}", stdout(&holder));
    assert_eq!(acks(&rest).len(), 200);
    assert_eq!(pulled(&cli, "svc", 0).len(), 200);
    assert!(pulled(&cli, "svc", 1).is_empty());
    assert!(cli.ok(&["audit", "verify"]).starts_with("audit log intact"));
}

/// A snapshot of every file under `dir`: name, length, modification time.
fn listing(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            }
            out.push((
                e.path().display().to_string(),
                m.len(),
                m.modified().unwrap(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn read_only_commands_take_no_lock_and_write_nothing() {
    let (cli, _) = seeded();
    cli.ok(&["log", "put-logs", "app", "svc", "--group", &group("x")]);
    // A stale temp file a crash left: only an owner may remove it.
    std::fs::write(cli.data_dir().join(".tmp-logstores.json-00"), b"half").unwrap();
    // This test process owns the directory now.
    let lock = DirLock::acquire(&cli.data_dir(), Duration::ZERO, "the test").unwrap();
    let before = listing(&cli.data_dir());
    for args in [
        &["ram", "show"][..],
        &["ram", "show", "--format", "json"],
        &["audit", "verify"],
        &["audit", "show", "--last", "2"],
    ] {
        cli.ok(args);
    }
    assert_eq!(listing(&cli.data_dir()), before, "nothing written");
    let e = cli.fails(
        4,
        &[
            "log",
            "put-logs",
            "app",
            "svc",
            "--group",
            &group("y"),
            "--wait",
            "0",
        ],
    );
    assert!(
        e.contains(&format!("held by pid {} (`the test`)", std::process::id())),
        "{e}"
    );
    // Waiting works: the lock is let go while the writer waits.
    let waiter = put(&cli, "svc", Some("0"), "late", 1, "60");
    std::thread::sleep(Duration::from_millis(200));
    drop(lock);
    let out = waiter.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn d1_concurrent_first_writes_to_a_byok_logstore_keep_one_data_key() {
    let (cli, _) = seeded();
    let tags: Vec<String> = vec!["s0".into(), "s1".into()];
    let outputs = finish(vec![
        put(&cli, "byok", Some("0"), "s0", 5, "600"),
        put(&cli, "byok", Some("1"), "s1", 5, "600"),
    ]);
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    }
    assert_eq!(check_acks(&cli, "byok", &tags, &outputs), 10);
    let meta = std::fs::read_to_string(cli.data_dir().join("logstores.json")).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    let keys = &meta["projects"]["app"]["logstores"]["byok"]["keys"];
    assert_eq!(keys.as_array().map(Vec::len), Some(1), "{keys}");
}

#[test]
fn d2_a_reader_beside_a_writer_never_cuts_an_acknowledged_block() {
    let (cli, _) = seeded();
    let big = format!(
        r#"{{"topic": "big", "logs": [{{"time": 1700000000, "contents": [["pad", "{}"]]}}]}}"#,
        "y".repeat(1 << 20)
    );
    let file = cli.file("big.json", &big);
    let writer = spawn(
        &cli,
        &[
            "log",
            "put-logs",
            "app",
            "svc",
            "--shard",
            "0",
            "--group",
            &format!("@{file}"),
            "--repeat",
            "8",
        ],
    );
    let readers: Vec<Child> = (0..6)
        .map(|_| {
            spawn(
                &cli,
                &[
                    "log",
                    "pull-logs",
                    "app",
                    "svc",
                    "--shard",
                    "0",
                    // The shard's start: a reader that runs before the
                    // writer sees an empty shard (a cursor past the end
                    // would be `InvalidCursor`, exit 2, whenever a reader
                    // won the lock first).
                    "--cursor",
                    "0",
                    "--count",
                    "1",
                    "--wait",
                    "0",
                ],
            )
        })
        .collect();
    for out in finish(readers) {
        // A reader either ran (before or after the writer) or was refused
        // as busy; it never damaged anything.
        assert!(matches!(out.status.code(), Some(0 | 4)), "{}", stderr(&out));
    }
    let out = writer.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(acks(&stdout(&out)).len(), 8);
    assert_eq!(pulled(&cli, "svc", 0).len(), 8);
    assert!(cli.ok(&["audit", "verify"]).starts_with("audit log intact"));
}

#[test]
fn d3_two_writers_never_share_a_sequence_number() {
    let (cli, _) = seeded();
    let tags: Vec<String> = (0..4).map(|i| format!("w{i}")).collect();
    let outputs = finish(
        tags.iter()
            .map(|t| put(&cli, "svc", Some("0"), t, 25, "600"))
            .collect(),
    );
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    }
    assert_eq!(check_acks(&cli, "svc", &tags, &outputs), 100);
}

#[test]
fn d4_concurrent_metadata_changes_are_never_lost() {
    let (cli, cmk) = seeded();
    let run = |args: &[&str]| spawn(&cli, &[args, &["--wait", "600"][..]].concat());
    let outputs = finish(vec![
        run(&["log", "create-logstore", "app", "newls", "--shards", "1"]),
        run(&["log", "put-logs", "app", "svc", "--group", &group("p")]),
        run(&[
            "ram",
            "detach-policy",
            "--role",
            "sls-byok",
            "system/AliyunKMSCryptoUserAccess",
        ]),
        run(&["ram", "create-user", "dave"]),
        run(&["kms", "disable-key", &cmk]),
        run(&["kms", "create-key"]),
    ]);
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    }
    assert_eq!(cli.ok(&["log", "list-logstores", "app"]).lines().count(), 3);
    let ram = cli.ok(&["ram", "show"]);
    assert!(ram.contains("user dave"), "{ram}");
    assert!(!ram.contains("AliyunKMSCryptoUserAccess"), "{ram}");
    assert!(cli.ok(&["kms", "describe-key", &cmk]).contains("Disabled"));
    assert_eq!(cli.ok(&["kms", "list-keys"]).lines().count(), 2);
}

#[test]
fn d5_concurrent_appenders_keep_the_audit_chain_intact() {
    let (cli, _) = seeded();
    let mut children = vec![put(&cli, "svc", Some("0"), "w", 30, "600")];
    for _ in 0..4 {
        children.push(spawn(
            &cli,
            &[
                "log",
                "pull-logs",
                "app",
                "svc",
                "--shard",
                "0",
                "--wait",
                "600",
            ],
        ));
    }
    for out in finish(children) {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let verified = cli.ok(&["audit", "verify"]);
    assert!(verified.starts_with("audit log intact"), "{verified}");
    // And every command still opens the directory.
    cli.ok(&["kms", "list-keys"]);
}

#[test]
fn u1_a_read_only_loop_beside_writers_never_fails_them() {
    let (cli, _) = seeded();
    let writer = put(&cli, "svc", Some("1"), "w", 40, "600");
    let mut shows = 0;
    while shows < 20 {
        let out = cli.run(&["ram", "show"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        // `audit verify` beside the writer: a consistent answer, always
        // "intact" (read up to the last complete record).
        let out = cli.run(&["audit", "verify"]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        assert!(stdout(&out).starts_with("audit log intact"));
        shows += 1;
    }
    let out = writer.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(acks(&stdout(&out)).len(), 40);
}

//! Durability and lifecycle through the binary: a lost root key, a lost
//! `cloud.json`, a deleted Logstore, a FIFO where a file should be, and
//! damaged data, each answered with exit status 3 and a message that names
//! the file and what to do (the adversarial report's D6–D8, C2, U2, U3).

#![cfg(feature = "cli")]

mod cli_data_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use cli_data_support::*;

const SVC: &str = r#"{"enable": true, "encrypt_type": "default"}"#;

fn group(text: &str) -> String {
    format!(r#"{{"logs": [{{"time": 1700000000, "contents": [["m", "{text}"]]}}]}}"#)
}

fn with_svc() -> Cli {
    let cli = Cli::init();
    cli.ok(&["log", "create-project", "app"]);
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "svc",
        "--encrypt-conf",
        SVC,
    ]);
    cli.ok(&["log", "create-logstore", "app", "plain"]);
    cli
}

#[test]
fn d6_a_lost_root_key_is_refused_never_replaced() {
    let cli = with_svc();
    cli.ok(&[
        "log",
        "put-logs",
        "app",
        "svc",
        "--shard",
        "0",
        "--group",
        &group("a"),
    ]);
    let root_key = cli.data_dir().join("kms/root.key");
    std::fs::remove_file(&root_key).unwrap();
    let e = cli.fails(3, &["log", "pull-logs", "app", "svc", "--shard", "0"]);
    assert!(e.contains("the root key file is missing"), "{e}");
    assert!(e.contains("root.check"), "{e}");
    assert!(e.contains("restore `kms/root.key` from a backup"), "{e}");
    assert!(!root_key.exists(), "no new root key is made");
    // A different root key is refused the same way, by the check value.
    let e = cli.fails(3, &["log", "list-logstores", "app"][..]);
    assert!(e.contains("root key"), "{e}");
    let other = "00".repeat(32);
    let out = cli
        .command(&["log", "pull-logs", "app", "svc", "--shard", "0"])
        .env("RAMGATE_DATA_DIR", cli.data_dir())
        .env("RAMGATE_ROOT_KEY", &other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not match"), "{}", stderr(&out));
}

#[test]
fn d7_a_lost_cloud_file_is_not_cured_by_init_and_init_refuses_ramgate_files() {
    let cli = with_svc();
    cli.ok(&["ram", "create-user", "alice"]);
    std::fs::remove_file(cli.data_dir().join("cloud.json")).unwrap();
    let e = cli.fails(3, &["log", "list-logstores", "app"]);
    assert!(e.contains("cloud.json` is missing"), "{e}");
    assert!(e.contains("restore `cloud.json` from a backup"), "{e}");
    assert!(!e.contains("make a data directory"), "{e}");
    let e = cli.fails(2, &["init", "--account", ACCOUNT, "--region", REGION]);
    assert!(e.contains("already holds ramgate files"), "{e}");
    let ram = std::fs::read_to_string(cli.data_dir().join("ram.json")).unwrap();
    assert!(ram.contains("alice"), "ram.json is untouched");
}

#[test]
fn d8_a_deleted_logstore_never_comes_back() {
    let cli = with_svc();
    for store in ["plain", "svc"] {
        cli.ok(&[
            "log",
            "put-logs",
            "app",
            store,
            "--shard",
            "0",
            "--group",
            &group("old-deleted"),
            "--repeat",
            "2",
        ]);
    }
    let data = cli.data_dir().join("data/app");
    let saved = cli.home.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    for store in ["plain", "svc"] {
        copy_dir(&data.join(store), &saved.join(store));
        cli.ok(&["log", "delete-logstore", "app", store]);
        // A crash between the metadata save and the removal leaves the
        // data behind: put it back.
        copy_dir(&saved.join(store), &data.join(store));
    }
    cli.ok(&["log", "create-logstore", "app", "plain", "--shards", "1"]);
    cli.ok(&[
        "log",
        "create-logstore",
        "app",
        "svc",
        "--shards",
        "1",
        "--encrypt-conf",
        SVC,
    ]);
    for store in ["plain", "svc"] {
        let out = cli.ok(&[
            "log",
            "put-logs",
            "app",
            store,
            "--shard",
            "0",
            "--group",
            &group("new"),
        ]);
        assert_eq!(out, "ack 0 0\n", "{store} starts empty");
        let pulled = cli.ok(&["log", "pull-logs", "app", store, "--shard", "0"]);
        assert!(!pulled.contains("old-deleted"), "{store}: {pulled}");
        assert!(pulled.contains("new"), "{store}: {pulled}");
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn c2_a_fifo_in_place_of_a_metadata_file_is_refused_not_waited_on() {
    let cli = with_svc();
    let meta = cli.data_dir().join("logstores.json");
    std::fs::remove_file(&meta).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&meta).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here
    }
    for args in [&["ram", "show"][..], &["log", "list-logstores", "app"]] {
        let mut child = cli
            .command(args)
            .env("RAMGATE_DATA_DIR", cli.data_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("{args:?} waits on the FIFO");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(3), "{args:?}");
    }
}

#[test]
fn u3_damaged_data_exits_3_and_names_the_block() {
    let cli = with_svc();
    cli.ok(&[
        "log",
        "put-logs",
        "app",
        "svc",
        "--shard",
        "0",
        "--group",
        &group("a"),
        "--repeat",
        "2",
    ]);
    let seg = ramgate::logstore::ReadOnlyDir::open(&cli.data_dir())
        .unwrap()
        .segment_path("app", "svc", 0)
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 1;
    std::fs::write(&seg, &bytes).unwrap();
    let e = cli.fails(3, &["log", "pull-logs", "app", "svc", "--shard", "0"]);
    assert!(e.contains("block 1"), "{e}");
    // A refusal is still 1 and bad input 2.
    cli.fails(2, &["log", "pull-logs", "app", "nope", "--shard", "0"]);
}

#[test]
fn u2_a_broken_audit_chain_exits_3_and_says_what_to_do() {
    let cli = with_svc();
    cli.ok(&["log", "put-logs", "app", "plain", "--group", &group("a")]);
    let audit = cli.audit_log();
    let text = std::fs::read_to_string(&audit).unwrap();
    std::fs::write(
        &audit,
        text.replacen("\"allowed\"", "\"refused\"", 1)
            .replacen("put_logs", "put_logz", 1),
    )
    .unwrap();
    let e = cli.fails(
        3,
        &["log", "put-logs", "app", "plain", "--group", &group("b")],
    );
    assert!(e.contains("is not intact"), "{e}");
    assert!(e.contains("ramgate audit verify"), "{e}");
    assert!(e.contains("ramgate audit repair"), "{e}");
    // Reading the log is a separate, documented answer: exit 1.
    let out = cli.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    // The repair keeps the old log and starts a new chain naming the break;
    // writes continue.
    let done = cli.ok(&["audit", "repair"]);
    assert!(done.contains("audit.broken-1.jsonl"), "{done}");
    let kept = std::fs::read_to_string(cli.data_dir().join("audit.broken-1.jsonl")).unwrap();
    assert!(kept.contains("put_logz"), "every old record is kept");
    cli.ok(&["log", "put-logs", "app", "plain", "--group", &group("b")]);
    assert_eq!(
        cli.ok(&["audit", "verify"]),
        "audit log intact: 2 records\n"
    );
    let first = cli.ok(&["audit", "show", "--last", "2", "--format", "json"]);
    assert!(first.contains("audit_repair"), "{first}");
    assert_eq!(
        cli.ok(&["audit", "repair"]),
        "audit log intact: nothing to repair\n"
    );
}

#[test]
fn u7_a_block_naming_a_missing_key_names_its_shard_and_block() {
    let cli = with_svc();
    cli.ok(&[
        "log",
        "put-logs",
        "app",
        "svc",
        "--shard",
        "1",
        "--group",
        &group("a"),
        "--repeat",
        "2",
    ]);
    // Block 0 names key 5 (the frame's CRCs fixed up, so only the block
    // layer can tell).
    let seg = ramgate::logstore::ReadOnlyDir::open(&cli.data_dir())
        .unwrap()
        .segment_path("app", "svc", 1)
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    // The frame: a 24-byte header (magic, length, three times, its check),
    // the body, and a check over the first 20 header bytes and the body.
    bytes[24 + 7..24 + 11].copy_from_slice(&5u32.to_le_bytes());
    let mut h = crc32fast::Hasher::new();
    h.update(&bytes[..20]);
    h.update(&bytes[24..24 + len]);
    let check = h.finalize().to_le_bytes();
    bytes[24 + len..28 + len].copy_from_slice(&check);
    std::fs::write(&seg, bytes).unwrap();
    let e = cli.fails(3, &["log", "pull-logs", "app", "svc", "--shard", "1"]);
    assert!(e.contains("`app/svc`"), "{e}");
    assert!(
        e.contains("names key 5, which the Logstore does not have (shard 1 block 0)"),
        "{e}"
    );
}

#[test]
fn s5_an_edited_logstore_file_is_refused() {
    let cli = with_svc();
    let path = cli.data_dir().join("logstores.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("\"shard_count\": 2", "\"shard_count\": 3"),
    )
    .unwrap();
    let e = cli.fails(3, &["log", "list-logstores", "app"]);
    assert!(e.contains("edited outside ramgate"), "{e}");
}

#[test]
fn s5_an_edited_key_state_is_refused() {
    let cli = Cli::init();
    let key = cli.ok(&["kms", "create-key"]);
    let id = key.split(' ').next().unwrap().to_string();
    cli.ok(&["kms", "disable-key", &id]);
    let path = cli.data_dir().join("kms/keys.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"Disabled\""), "{text}");
    std::fs::write(&path, text.replace("\"Disabled\"", "\"Enabled\"")).unwrap();
    let e = cli.fails(3, &["kms", "describe-key", &id]);
    assert!(e.contains("edited outside ramgate"), "{e}");
    std::fs::write(&path, text).unwrap();
    assert!(cli.ok(&["kms", "describe-key", &id]).contains("Disabled"));
}

#[test]
fn u8_reads_make_no_segment_files() {
    let cli = with_svc();
    let before = ramgate::logstore::ReadOnlyDir::open(&cli.data_dir())
        .unwrap()
        .segment_path("app", "svc", 1)
        .unwrap();
    cli.ok(&["log", "pull-logs", "app", "svc", "--shard", "1"]);
    cli.ok(&["log", "get-logs", "app", "svc"]);
    assert!(!before.exists(), "a read made `{}`", before.display());
}

#[test]
fn init_says_where_the_root_key_is_and_how_to_keep_it_elsewhere() {
    let cli = Cli::empty();
    let out = cli.run(&["init", "--account", ACCOUNT, "--region", REGION]);
    assert_eq!(out.status.code(), Some(0));
    let note = stderr(&out);
    assert!(note.contains("kms/root.key"), "{note}");
    assert!(note.contains("RAMGATE_ROOT_KEY"), "{note}");
}

#[test]
fn u4_a_delete_whose_removal_fails_says_what_is_left_and_is_still_a_delete() {
    let cli = with_svc();
    let folder = ramgate::logstore::ReadOnlyDir::open(&cli.data_dir())
        .unwrap()
        .segment_path("app", "plain", 0)
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    // Something that `remove_dir_all` cannot remove as a folder.
    std::fs::create_dir_all(folder.parent().unwrap()).unwrap();
    std::fs::write(&folder, "not a folder").unwrap();
    let out = cli.run(&["log", "delete-logstore", "app", "plain"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let warning = stderr(&out);
    assert!(
        warning.contains("the Logstore is deleted, but its data folder"),
        "{warning}"
    );
    assert!(warning.contains("remove it by hand"), "{warning}");
    assert_eq!(cli.ok(&["log", "list-logstores", "app"]), "svc\n");
    let records = cli.ok(&["audit", "show", "--last", "1", "--format", "json"]);
    assert!(records.contains("\"allowed\""), "{records}");
}

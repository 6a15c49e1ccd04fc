//! Authenticated state: nobody without the root key can forge or downgrade
//! what ramgate returns (the adversarial report's S1), rewrite the audit
//! log's tail consistently, or roll a state file back to an older authentic
//! copy; and every file format carries a version that is checked.

#![cfg(feature = "cli")]

mod cli_data_support;
mod logstore_support;

use std::path::{Path, PathBuf};

use cli_data_support::*;
use sha2::{Digest, Sha256};

const SVC: &str = r#"{"enable": true, "encrypt_type": "default"}"#;
const SVC_OFF: &str = r#"{"enable": false, "encrypt_type": "default"}"#;

fn group(text: &str) -> String {
    format!(r#"{{"logs": [{{"time": 1700000000, "contents": [["m", "{text}"]]}}]}}"#)
}

/// `app/svc` (a service key, encrypted since creation) and `app/plain`
/// (no encryption), each with `n` groups in shard 0.
fn with_groups(n: usize) -> Cli {
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
    for store in ["svc", "plain"] {
        cli.ok(&[
            "log",
            "put-logs",
            "app",
            store,
            "--shard",
            "0",
            "--group",
            &group("original"),
            "--repeat",
            &n.to_string(),
        ]);
    }
    cli
}

fn segment(cli: &Cli, store: &str, shard: u32) -> PathBuf {
    ramgate::logstore::ReadOnlyDir::open(&cli.data_dir())
        .unwrap()
        .segment_path("app", store, shard)
        .unwrap()
}

/// The bodies of a segment's frames: `RGS2 | len | received | first |
/// last | crc | body | crc` as the engine writes them, or the older
/// `RGS1 | len | crc | body | crc` that `write_bodies` writes back.
fn bodies(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 12 <= bytes.len() {
        let head = if &bytes[pos..pos + 4] == b"RGS2" {
            24
        } else {
            12
        };
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        out.push(bytes[pos + head..pos + head + len].to_vec());
        pos += head + len + 4;
    }
    out
}

/// Writes a segment of these bodies, every frame CRC right: only the block
/// layer can tell what was changed.
fn write_bodies(path: &Path, bodies: &[Vec<u8>]) {
    let mut out = Vec::new();
    for body in bodies {
        let mut head = b"RGS1".to_vec();
        head.extend_from_slice(&(body.len() as u32).to_le_bytes());
        let mut h = crc32fast::Hasher::new();
        h.update(&head);
        let head_crc = h.clone().finalize();
        h.update(body);
        out.extend_from_slice(&head);
        out.extend_from_slice(&head_crc.to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&h.finalize().to_le_bytes());
    }
    std::fs::write(path, out).unwrap();
}

/// A plaintext block as an attacker without the root key makes it: the
/// header, the payload, and the keyless SHA-256 digest version 1 blocks
/// carried (the adversarial report's `plain.make`).
fn forged_plaintext(store: &str, shard: u32, seq: u64, window: u32, payload: &[u8]) -> Vec<u8> {
    let mut block = b"RGBK".to_vec();
    block.extend_from_slice(&[2, 0, 0]);
    block.extend_from_slice(&window.to_le_bytes());
    block.extend_from_slice(&[0; 12]);
    let mut aad = block.clone();
    for part in ["app", store] {
        aad.extend_from_slice(&(part.len() as u32).to_le_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad.extend_from_slice(&shard.to_le_bytes());
    aad.extend_from_slice(&seq.to_le_bytes());
    let digest = Sha256::new()
        .chain_update(&aad)
        .chain_update(payload)
        .finalize();
    block.extend_from_slice(payload);
    block.extend_from_slice(&digest);
    block
}

/// The log group payload of a plaintext block.
fn payload_of(plaintext_block: &[u8]) -> Vec<u8> {
    plaintext_block[23..plaintext_block.len() - 32].to_vec()
}

/// The FORGED group's payload, taken from a genuine plaintext block that
/// holds it.
fn forged_payload() -> Vec<u8> {
    let cli = with_groups(0);
    cli.ok(&[
        "log",
        "put-logs",
        "app",
        "plain",
        "--shard",
        "0",
        "--group",
        &group("FORGED: transfer approved"),
    ]);
    payload_of(&bodies(&segment(&cli, "plain", 0))[0])
}

fn pull(cli: &Cli, store: &str) -> std::process::Output {
    cli.run(&["log", "pull-logs", "app", store, "--shard", "0"])
}

#[test]
fn s1_a_sealed_block_turned_into_plaintext_is_refused_with_its_file_shard_and_block() {
    let cli = with_groups(3);
    let seg = segment(&cli, "svc", 0);
    let payload = forged_payload();
    for window in [0, 1, 7] {
        let mut blocks = bodies(&seg);
        let original = blocks[1].clone();
        blocks[1] = forged_plaintext("svc", 0, 1, window, &payload);
        write_bodies(&seg, &blocks);
        let out = pull(&cli, "svc");
        assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
        let e = stderr(&out);
        assert!(!stdout(&out).contains("FORGED"), "{}", stdout(&out));
        assert!(e.contains(&seg.display().to_string()), "{e}");
        assert!(e.contains("shard 0 block 1"), "{e}");
        assert!(e.contains("encryption was on"), "{e}");
        blocks[1] = original;
        write_bodies(&seg, &blocks);
    }
    assert!(stdout(&pull(&cli, "svc")).contains("original"));
}

#[test]
fn s1_an_edited_or_forged_plaintext_block_is_refused() {
    let cli = with_groups(3);
    let seg = segment(&cli, "plain", 0);
    let genuine = bodies(&seg);
    // An edit inside the payload, with the frame CRCs right.
    let mut blocks = genuine.clone();
    let at = blocks[1].len() - 40;
    blocks[1][at] ^= 1;
    write_bodies(&seg, &blocks);
    let e = cli.fails(3, &["log", "pull-logs", "app", "plain", "--shard", "0"]);
    assert!(e.contains("shard 0 block 1"), "{e}");
    assert!(e.contains("does not verify"), "{e}");
    assert!(e.contains(&seg.display().to_string()), "{e}");
    // A whole block forged with the keyless digest, in the open window.
    let mut blocks = genuine.clone();
    blocks[2] = forged_plaintext("plain", 0, 2, 0, &forged_payload());
    write_bodies(&seg, &blocks);
    let out = pull(&cli, "plain");
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("shard 0 block 2"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("FORGED"));
    write_bodies(&seg, &genuine);
    assert_eq!(stdout(&pull(&cli, "plain")).matches("original").count(), 3);
}

#[test]
fn s1_plaintext_is_legitimate_only_inside_the_windows_the_history_records() {
    let cli = with_groups(2);
    // `plain` gets encryption (blocks 2.. sealed), then loses it again
    // (blocks 3.. plaintext, window 1).
    cli.ok(&[
        "log",
        "update-logstore",
        "app",
        "plain",
        "--encrypt-conf",
        SVC,
    ]);
    let put = |text: &str| {
        cli.ok(&[
            "log",
            "put-logs",
            "app",
            "plain",
            "--shard",
            "0",
            "--group",
            &group(text),
        ])
    };
    put("sealed");
    cli.ok(&[
        "log",
        "update-logstore",
        "app",
        "plain",
        "--encrypt-conf",
        SVC_OFF,
    ]);
    put("plain again");
    let dir = ramgate::logstore::ReadOnlyDir::open(&cli.data_dir()).unwrap();
    let l = dir.meta().logstore("app", "plain").unwrap();
    let windows: Vec<_> = l
        .plaintext_windows
        .iter()
        .map(|w| (w.from.clone(), w.until.clone()))
        .collect();
    assert_eq!(
        windows,
        vec![(vec![0, 0], Some(vec![2, 0])), (vec![3, 0], None)]
    );
    let seg = segment(&cli, "plain", 0);
    let genuine = bodies(&seg);
    assert_eq!(genuine.len(), 4);
    assert_eq!(stdout(&pull(&cli, "plain")).lines().count(), 5);
    // A genuine plaintext block replayed where the block was sealed is
    // outside every window.
    for window in [0u8, 1] {
        let mut blocks = genuine.clone();
        blocks[2] = genuine[if window == 0 { 1 } else { 3 }].clone();
        write_bodies(&seg, &blocks);
        let e = cli.fails(3, &["log", "pull-logs", "app", "plain", "--shard", "0"]);
        assert!(e.contains("shard 0 block 2"), "{e}");
        assert!(
            e.contains(&format!("is plaintext (window {window})")),
            "{e}"
        );
    }
    write_bodies(&seg, &genuine);
    assert!(stdout(&pull(&cli, "plain")).contains("plain again"));
}

/// Rewrites audit records `from..` consistently: every hash and link
/// recomputed, a MAC of the attacker's own (who lacks the root key).
fn rewrite_tail(audit: &Path, from: usize) {
    let text = std::fs::read_to_string(audit).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let hash_of = |line: &str| {
        let at = line.rfind(",\"hash\":\"").unwrap();
        line[at + 9..at + 9 + 64].to_string()
    };
    let mut out: Vec<String> = lines[..from].iter().map(|l| l.to_string()).collect();
    let mut prev = hash_of(lines[from - 1]);
    for line in &lines[from..] {
        let at = line.rfind(",\"hash\":\"").unwrap();
        let old_prev = format!(
            "\"prev\":\"{}\"",
            &line[line.find("\"prev\":\"").unwrap() + 8..][..64]
        );
        let body = format!("{}}}", &line[..at])
            .replace(&old_prev, &format!("\"prev\":\"{prev}\""))
            .replace("\"allowed\"", "\"refused\"");
        let h: String = Sha256::new()
            .chain_update(prev.as_bytes())
            .chain_update(body.as_bytes())
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let open = body.strip_suffix('}').unwrap();
        out.push(format!(
            "{open},\"hash\":\"{h}\",\"mac\":\"{}\"}}",
            "ab".repeat(32)
        ));
        prev = h;
    }
    std::fs::write(audit, out.join("\n") + "\n").unwrap();
}

#[test]
fn a_consistent_rewrite_of_the_audit_tail_is_found_by_verify_and_at_open() {
    let cli = with_groups(2);
    let audit = cli.audit_log();
    let before = cli.ok(&["audit", "verify"]);
    let n: usize = before.split(' ').nth(3).unwrap().parse().unwrap();
    rewrite_tail(&audit, n - 2);
    let out = cli.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!(":{}: audit record {} is not intact", n - 1, n - 1)),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("MAC does not verify"),
        "{}",
        stdout(&out)
    );
    // Appends stop (fail closed) and reads too: the last record is checked
    // at open.
    let e = cli.fails(3, &["log", "pull-logs", "app", "plain", "--shard", "0"]);
    assert!(e.contains("MAC does not verify"), "{e}");
    // `audit repair` keeps the old log and starts a new chain, MACed.
    assert!(
        cli.ok(&["audit", "repair"])
            .contains("audit.broken-1.jsonl")
    );
    assert_eq!(
        cli.ok(&["audit", "verify"]),
        "audit log intact: 1 records\n"
    );
    cli.ok(&["log", "pull-logs", "app", "plain", "--shard", "0"]);
}

#[test]
fn audit_verify_needs_the_root_key_and_refuses_a_wrong_one() {
    let cli = with_groups(1);
    let out = cli
        .command(&["audit", "verify"])
        .env("RAMGATE_DATA_DIR", cli.data_dir())
        .env("RAMGATE_ROOT_KEY", "11".repeat(32))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("cannot check the MACs"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rollback_an_older_authentic_key_store_is_refused() {
    let cli = with_groups(0);
    let key = cli.ok(&["kms", "create-key"]);
    let id = key.split(' ').next().unwrap().to_string();
    let put = || cli.run(&["log", "put-logs", "app", "plain", "--group", &group("x")]);
    assert_eq!(put().status.code(), Some(0));
    let path = cli.data_dir().join("kms/keys.json");
    let enabled = std::fs::read(&path).unwrap();
    cli.ok(&["kms", "disable-key", &id]);
    // An audited operation after the change records the new version.
    assert_eq!(put().status.code(), Some(0));
    std::fs::write(&path, &enabled).unwrap();
    let e = cli.fails(3, &["kms", "describe-key", &id]);
    assert!(
        e.contains("kms/keys.json` has version 1, older than version 2"),
        "{e}"
    );
    assert!(e.contains("rollback"), "{e}");
    assert!(e.contains("put the newest copy"), "{e}");
    cli.fails(3, &["log", "pull-logs", "app", "plain", "--shard", "0"]);
}

#[test]
fn rollback_an_older_authentic_logstore_file_is_refused() {
    let cli = with_groups(1);
    let path = cli.data_dir().join("logstores.json");
    let old = std::fs::read(&path).unwrap();
    cli.ok(&["log", "create-logstore", "app", "later"]);
    cli.ok(&["log", "put-logs", "app", "later", "--group", &group("x")]);
    std::fs::write(&path, &old).unwrap();
    let e = cli.fails(3, &["log", "list-logstores", "app"]);
    assert!(e.contains("logstores.json` has version"), "{e}");
    assert!(e.contains("older than version"), "{e}");
}

/// Replaces every `from` with `to` in a data directory file.
fn edit(cli: &Cli, file: &str, from: &str, to: &str) -> String {
    let path = cli.data_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file}: {text}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
    text
}

#[test]
fn format_every_state_file_names_its_version_and_another_is_refused_with_both() {
    let cli = with_groups(1);
    cli.ok(&["kms", "create-key"]);
    for (file, from, to, found, reads) in [
        ("cloud.json", "\"format\": 1", "\"format\": 2", 2, 1),
        ("ram.json", "\"format\": 1", "\"format\": 7", 7, 1),
        ("kms/keys.json", "\"format\": 3", "\"format\": 2", 2, 3),
        ("logstores.json", "\"format\": 3", "\"format\": 4", 4, 3),
        ("audit.jsonl", "{\"format\":2,", "{\"format\":1,", 1, 2),
    ] {
        let text = edit(&cli, file, from, to);
        let e = cli.fails(3, &["log", "list-logstores", "app"]);
        assert!(e.contains(file), "{file}: {e}");
        assert!(
            e.contains(&format!("format version {found}"))
                && e.contains(&format!("version {reads}")),
            "{file}: {e}"
        );
        std::fs::write(cli.data_dir().join(file), text).unwrap();
        cli.ok(&["log", "list-logstores", "app"]);
    }
}

#[test]
fn format_a_hand_written_ram_file_without_a_version_still_reads() {
    let cli = with_groups(1);
    edit(&cli, "ram.json", "\"format\": 1,", "");
    edit(&cli, "cloud.json", "\"format\": 1,", "");
    cli.ok(&["ram", "show"]);
    cli.ok(&["log", "list-logstores", "app"]);
}

/// S1 under contention: writers race switches of `enable`, and every block
/// still lies inside the window it names (a straggler that decided
/// "plaintext" before encryption came on seals instead), so everything
/// acknowledged reads back.
#[test]
fn s1_plaintext_windows_stay_exact_while_writers_race_the_switch() {
    use logstore_support::{Env, user};
    let mut env = Env::new();
    env.create("racy", Some(Env::service_key("default")));
    let svc = env.svc.clone();
    let on = Env::service_key("default");
    let off = ramgate::logstore::EncryptConf {
        enable: false,
        ..on.clone()
    };
    let acked = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..4u32)
            .map(|w| {
                let svc = svc.clone();
                scope.spawn(move || {
                    (0..60u32)
                        .map(|i| {
                            let g = logstore_support::group(w * 1000 + i);
                            let r = svc
                                .put_logs(&user("alice"), "app", "racy", Some(w % 2), &g)
                                .unwrap();
                            (r, g)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for n in 0..30 {
            let conf = if n % 2 == 0 { &off } else { &on };
            svc.update_logstore(&user("alice"), "app", "racy", None, Some(conf), None)
                .unwrap();
        }
        writers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    env.reopen_without_fsync();
    for shard in 0..2 {
        let pulled = env
            .svc
            .pull_logs(&user("alice"), "app", "racy", shard, 0, 1000)
            .unwrap();
        for got in &pulled.groups {
            let (_, want) = acked
                .iter()
                .find(|(r, _)| r.shard == shard && r.seq == got.seq)
                .unwrap();
            assert_eq!(&got.group, want);
        }
        assert_eq!(
            pulled.groups.len(),
            acked.iter().filter(|(r, _)| r.shard == shard).count()
        );
    }
    let dir = ramgate::logstore::ReadOnlyDir::open(env.dir.path()).unwrap();
    let windows = &dir
        .meta()
        .logstore("app", "racy")
        .unwrap()
        .plaintext_windows;
    assert_eq!(windows.len(), 15, "one window per switch off");
}

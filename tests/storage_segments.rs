//! A shard as a run of segments, through the public API: cursors found by
//! receive time (`GetCursor`), time-range reads that open only the blocks
//! inside the range (`GetLogs`), rollover at a tiny size limit under
//! concurrent puts and pulls, and retention by `ttl` on an injected clock.

#![cfg(feature = "logstore")]

mod logstore_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use logstore_support::*;

use ramgate::clock::Clock;
use ramgate::logstore::{
    CursorFrom, Log, LogGroup, LogService, LogstoreConfig, Options, ReadOnlyDir,
};
use time::Duration;

/// A directory reopened with segments of at most `bytes` bytes.
fn small_segments(env: &mut Env, bytes: u64) {
    env.svc = env
        .svc
        .reopen(Options {
            segment_bytes: bytes,
            ..options()
        })
        .unwrap();
}

fn create(env: &Env, name: &str, shards: u32, ttl: Option<u32>) {
    let config = LogstoreConfig {
        name: name.into(),
        shard_count: shards,
        encrypt_conf: Some(Env::service_key("default")),
        ttl,
    };
    env.svc
        .create_logstore(&user("alice"), "app", &config)
        .unwrap();
}

fn at(time: u32, tag: &str) -> LogGroup {
    LogGroup {
        topic: tag.into(),
        source: "10.0.0.1".into(),
        tags: vec![],
        logs: vec![Log {
            time,
            contents: vec![("tag".into(), tag.into()), ("pad".into(), "x".repeat(100))],
        }],
    }
}

/// Every segment file of a shard, oldest first.
fn segment_files(env: &Env, store: &str, shard: u32) -> Vec<PathBuf> {
    let first = ReadOnlyDir::open(env.dir.path())
        .unwrap()
        .segment_path("app", store, shard)
        .unwrap();
    let folder = first.parent().unwrap();
    let prefix = format!("shard-{shard}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".seg")
                && (name == format!("{prefix}.seg") || name.starts_with(&format!("{prefix}-")))
        })
        .collect();
    // By first sequence number: `shard-N.seg` holds 0, the others name
    // theirs in 20 digits.
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.strip_prefix(&format!("{prefix}-")).map(str::to_owned)
    });
    files
}

fn last_audit_record(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    record["event"].clone()
}

fn audit_records(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].clone())
        .collect()
}

#[test]
fn get_cursor_finds_the_first_group_received_at_or_after_a_time_across_segments() {
    let mut env = Env::new();
    small_segments(&mut env, 1024);
    create(&env, "timed", 1, None);
    let start = env.clock.now().unix_timestamp() as u32;
    for k in 0..30u32 {
        let r = env
            .svc
            .put_logs(
                &user("alice"),
                "app",
                "timed",
                Some(0),
                &at(1, &k.to_string()),
            )
            .unwrap();
        assert_eq!(r.seq, u64::from(k));
        env.clock.advance(Duration::seconds(60));
    }
    assert!(segment_files(&env, "timed", 0).len() > 3, "rolled over");
    let cursor_in = |svc: &LogService, from| {
        svc.get_cursor(&user("alice"), "app", "timed", 0, from)
            .unwrap()
    };
    let cursor = |from| cursor_in(&env.svc, from);
    assert_eq!(cursor(CursorFrom::Begin), 0);
    assert_eq!(cursor(CursorFrom::End), 30);
    assert_eq!(cursor(CursorFrom::Time(0)), 0);
    for k in 0..30u32 {
        assert_eq!(
            cursor(CursorFrom::Time(start + 60 * k)),
            u64::from(k),
            "{k}"
        );
        assert_eq!(cursor(CursorFrom::Time(start + 60 * k - 1)), u64::from(k));
    }
    assert_eq!(cursor(CursorFrom::Time(start + 60 * 29 + 1)), 30, "the end");
    // The cursor is where a pull starts: the group received then.
    let pulled = env
        .svc
        .pull_logs(
            &user("alice"),
            "app",
            "timed",
            0,
            cursor(CursorFrom::Time(start + 600)),
            1,
        )
        .unwrap();
    assert_eq!(pulled.groups[0].group.topic, "10");
    // The same after a restart: the index is rebuilt from the headers.
    small_segments(&mut env, 1024);
    assert_eq!(cursor_in(&env.svc, CursorFrom::Time(start + 60 * 17)), 17);
    assert_eq!("begin".parse::<CursorFrom>().ok(), Some(CursorFrom::Begin));
    assert_eq!(
        "1700000000".parse::<CursorFrom>().ok(),
        Some(CursorFrom::Time(1_700_000_000))
    );
    assert!("yesterday".parse::<CursorFrom>().is_err());
    // A shard that does not exist is refused; one never written is at 0.
    assert!(
        env.svc
            .get_cursor(&user("alice"), "app", "timed", 1, CursorFrom::End)
            .is_err()
    );
}

#[test]
fn get_logs_over_a_time_range_opens_only_the_blocks_inside_it() {
    let mut env = Env::new();
    small_segments(&mut env, 1024);
    create(&env, "ranged", 1, None);
    for k in 0..20u32 {
        env.svc
            .put_logs(
                &user("alice"),
                "app",
                "ranged",
                Some(0),
                &at(1000 + k, &k.to_string()),
            )
            .unwrap();
    }
    let got = env
        .svc
        .get_logs(&user("alice"), "app", "ranged", 1005, 1008)
        .unwrap();
    let topics: Vec<&str> = got.iter().map(|g| g.group.topic.as_str()).collect();
    assert_eq!(topics, ["5", "6", "7"]);
    assert_eq!(
        last_audit_record(env.dir.path())["detail"]["blocks_read"],
        3
    );
    // Damage a block outside the range: a read that skips it succeeds, one
    // that covers it fails (so the first never read it).
    let first = segment_files(&env, "ranged", 0).remove(0);
    let mut bytes = std::fs::read(&first).unwrap();
    bytes[40] ^= 0x01; // inside block 0's body
    std::fs::write(&first, &bytes).unwrap();
    assert_eq!(
        env.svc
            .get_logs(&user("alice"), "app", "ranged", 1005, 1008)
            .unwrap()
            .len(),
        3
    );
    let covered = env
        .svc
        .get_logs(&user("alice"), "app", "ranged", 1000, 1008)
        .unwrap_err();
    assert_eq!(covered.code(), "InternalServerError", "{covered}");
}

#[test]
fn rollover_under_concurrent_puts_and_pulls_keeps_every_acknowledged_group() {
    let mut env = Env::new();
    small_segments(&mut env, 4096);
    create(&env, "rolling", 2, None);
    let svc: LogService = env.svc.clone();
    let acks: Mutex<BTreeMap<(u32, u64), String>> = Mutex::default();
    let done = AtomicBool::new(false);
    let pulled_in_order = AtomicBool::new(true);
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..4u32)
            .map(|w| {
                let (svc, acks) = (&svc, &acks);
                scope.spawn(move || {
                    for i in 0..60u32 {
                        let tag = format!("{w}-{i}");
                        let r = svc
                            .put_logs(&user("alice"), "app", "rolling", Some(i % 2), &at(5, &tag))
                            .unwrap();
                        acks.lock().unwrap().insert((r.shard, r.seq), tag);
                    }
                })
            })
            .collect();
        let puller = {
            let (svc, done, ok) = (&svc, &done, &pulled_in_order);
            scope.spawn(move || {
                let mut cursor = 0;
                while !done.load(Ordering::SeqCst) || cursor < 120 {
                    let p = svc
                        .pull_logs(&user("alice"), "app", "rolling", 0, cursor, 7)
                        .unwrap();
                    for (n, g) in p.groups.iter().enumerate() {
                        if g.seq != cursor + n as u64 {
                            ok.store(false, Ordering::SeqCst);
                        }
                    }
                    cursor = p.next_cursor;
                }
                cursor
            })
        };
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        assert_eq!(puller.join().unwrap(), 120);
    });
    assert!(pulled_in_order.load(Ordering::SeqCst));
    for shard in 0..2 {
        let files = segment_files(&env, "rolling", shard);
        assert!(files.len() > 3, "{files:?}");
        for f in &files {
            assert!(
                std::fs::metadata(f).unwrap().len() <= 4096,
                "{}",
                f.display()
            );
        }
    }
    let check = |svc: &LogService| {
        let acks = acks.lock().unwrap();
        for shard in 0..2u32 {
            let p = svc
                .pull_logs(&user("alice"), "app", "rolling", shard, 0, 1000)
                .unwrap();
            let got: BTreeMap<(u32, u64), String> = p
                .groups
                .into_iter()
                .map(|g| ((g.shard, g.seq), g.group.topic))
                .collect();
            let want: BTreeMap<(u32, u64), String> = acks
                .iter()
                .filter(|((s, _), _)| *s == shard)
                .map(|(k, v)| (*k, v.clone()))
                .collect();
            assert_eq!(got, want, "shard {shard}");
        }
    };
    check(&env.svc);
    // A torn tail can only be in the last segment: cut it, reopen, and
    // every acknowledged group but the torn one still reads.
    let last = segment_files(&env, "rolling", 1).pop().unwrap();
    let len = std::fs::metadata(&last).unwrap().len();
    drop(svc);
    small_segments(&mut env, 4096);
    check(&env.svc);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&last)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    small_segments(&mut env, 4096);
    let p = env
        .svc
        .pull_logs(&user("alice"), "app", "rolling", 1, 0, 1000)
        .unwrap();
    assert_eq!(p.groups.len(), 119);
    let r = env
        .svc
        .put_logs(&user("alice"), "app", "rolling", Some(1), &at(5, "after"))
        .unwrap();
    assert_eq!(
        r.seq, 119,
        "the torn block's number is reused, never skipped"
    );
}

#[test]
fn ttl_removes_whole_old_segments_audited_and_a_pull_into_them_is_refused() {
    let mut env = Env::new();
    small_segments(&mut env, 1024);
    create(&env, "short", 1, Some(1));
    assert_eq!(
        env.svc
            .get_logstore(&user("alice"), "app", "short")
            .unwrap()
            .ttl,
        1
    );
    let put = |env: &Env, tag: &str| {
        env.svc
            .put_logs(&user("alice"), "app", "short", Some(0), &at(5, tag))
            .unwrap()
            .seq
    };
    for k in 0..12 {
        put(&env, &format!("old-{k}"));
    }
    let old_files = segment_files(&env, "short", 0);
    assert!(old_files.len() >= 3);
    // Nothing is older than a day yet: an explicit pass removes nothing.
    assert!(env.svc.expire_segments("app", "short").unwrap().is_empty());
    env.clock.advance(Duration::days(2));
    // New writes roll over into a new segment, which runs the expiry.
    let mut next = 12;
    while segment_files(&env, "short", 0).len() >= old_files.len() - 1 {
        assert_eq!(put(&env, &format!("new-{next}")), next);
        next += 1;
        assert!(next < 40, "expiry ran when a segment began");
    }
    let begin = env
        .svc
        .get_cursor(&user("alice"), "app", "short", 0, CursorFrom::Begin)
        .unwrap();
    assert!(begin > 0 && begin <= 12, "{begin}");
    for f in &old_files[..old_files.len() - 1] {
        assert!(!f.exists(), "{} removed", f.display());
    }
    // A pull from a cursor inside a removed segment: a clear error with
    // the oldest cursor kept, never other data in its place.
    let e = env
        .svc
        .pull_logs(&user("alice"), "app", "short", 0, 0, 10)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidCursor");
    assert!(e.to_string().contains(&format!("({begin})")), "{e}");
    assert!(e.hint().unwrap().contains("begin"));
    let p = env
        .svc
        .pull_logs(&user("alice"), "app", "short", 0, begin, 100)
        .unwrap();
    assert_eq!(p.groups.first().map(|g| g.seq), Some(begin));
    assert_eq!(p.next_cursor, next);
    // The removal was audited, by Log Service, before it happened.
    let expiries: Vec<_> = audit_records(env.dir.path())
        .into_iter()
        .filter(|r| r["op"] == "expire_segments")
        .collect();
    assert!(!expiries.is_empty());
    assert_eq!(expiries[0]["outcome"], "allowed");
    assert!(
        expiries[0]["caller"]
            .as_str()
            .unwrap()
            .contains("log.aliyuncs.com")
    );
    assert_eq!(expiries[0]["detail"]["segments"][0]["from"], 0);
    assert!(ramgate::logstore::verify_audit_log(&env.svc.audit_path()).is_ok());
    // Durable: a restart keeps the shard where it was.
    small_segments(&mut env, 1024);
    assert_eq!(
        env.svc
            .get_cursor(&user("alice"), "app", "short", 0, CursorFrom::Begin)
            .unwrap(),
        begin
    );
    // A longer ttl keeps what is left; an explicit pass after the clock
    // moves on removes all but the segment being written.
    env.svc
        .set_logstore_ttl(&user("alice"), "app", "short", 30)
        .unwrap();
    while segment_files(&env, "short", 0).len() < 3 {
        assert_eq!(put(&env, &format!("new-{next}")), next);
        next += 1;
    }
    assert!(env.svc.expire_segments("app", "short").unwrap().is_empty());
    env.clock.advance(Duration::days(31));
    let expired = env.svc.expire_segments("app", "short").unwrap();
    assert!(!expired.is_empty());
    assert_eq!(segment_files(&env, "short", 0).len(), 1);
    assert_eq!(put(&env, "latest"), next, "numbering goes on");
    assert!(
        env.svc
            .set_logstore_ttl(&user("alice"), "app", "short", 0)
            .is_err()
    );
}

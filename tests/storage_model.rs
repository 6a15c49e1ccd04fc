//! The storage engine against a small in-memory model, as storage engines
//! test themselves: random sequences of create, update (`enable` on and
//! off), put, pull, get, CMK disable / enable / schedule-deletion / cancel,
//! detach / attach of the role's KMS crypto policy, delete, reopen, and a
//! torn tail at reopen. Every read returns what the model holds, every
//! refusal is one the model predicts, and nothing acknowledged is lost.
//!
//! Segments are a few hundred bytes, so shards roll over every few blocks:
//! reads, cursors and torn tails (in a shard's last segment) cross segment
//! boundaries all the time.

#![cfg(feature = "logstore")]

mod logstore_support;

use std::collections::BTreeMap;

use logstore_support::*;
use proptest::prelude::*;
use ramgate::logstore::{
    EncryptConf, Log, LogError, LogGroup, LogstoreConfig, Options, ReadOnlyDir,
};
use ramgate::ram::{PolicyRef, Target};

const NAMES: [&str; 3] = ["ls0", "ls1", "ls2"];
const SHARDS: u32 = 2;
/// Two or three blocks a segment.
const SEGMENT_BYTES: u64 = 400;

/// Reopens without fsync (integrity, not durability, is under test here)
/// and with tiny segments.
fn reopen(env: &mut Env) {
    let options = Options {
        durable: false,
        segment_bytes: SEGMENT_BYTES,
        ..options()
    };
    env.svc = env.svc.reopen(options).unwrap();
}

/// A shard's newest segment file (the one a torn tail can be in).
fn last_segment(env: &Env, l: usize, shard: u32) -> Result<std::path::PathBuf, TestCaseError> {
    let first = ReadOnlyDir::open(env.dir.path())
        .and_then(|d| d.segment_path("app", NAMES[l], shard))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let prefix = format!("shard-{shard}-");
    let newest = first
        .parent()
        .and_then(|f| std::fs::read_dir(f).ok())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".seg"))
        })
        .max();
    Ok(newest.unwrap_or(first))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Plain,
    Service,
    Byok,
}

#[derive(Clone, Debug)]
enum Step {
    Create(usize, Kind),
    SetEnable(usize, bool),
    Put(usize, u32),
    Pull(usize, u32, u64, u32),
    Get(usize),
    Disable,
    Enable,
    ScheduleDeletion,
    CancelDeletion,
    ToggleCryptoPolicy,
    Delete(usize),
    Reopen,
    TornTailThenReopen(usize, u32, usize),
}

fn step() -> impl Strategy<Value = Step> {
    let ls = 0..NAMES.len();
    let kind = prop_oneof![Just(Kind::Plain), Just(Kind::Service), Just(Kind::Byok)];
    prop_oneof![
        3 => (ls.clone(), kind).prop_map(|(l, k)| Step::Create(l, k)),
        2 => (ls.clone(), any::<bool>()).prop_map(|(l, e)| Step::SetEnable(l, e)),
        6 => (ls.clone(), 0..SHARDS).prop_map(|(l, s)| Step::Put(l, s)),
        3 => (ls.clone(), 0..SHARDS, 0..6u64, 1..5u32).prop_map(|(l, s, c, n)| Step::Pull(l, s, c, n)),
        1 => ls.clone().prop_map(Step::Get),
        1 => Just(Step::Disable),
        1 => Just(Step::Enable),
        1 => Just(Step::ScheduleDeletion),
        1 => Just(Step::CancelDeletion),
        1 => Just(Step::ToggleCryptoPolicy),
        1 => ls.clone().prop_map(Step::Delete),
        1 => Just(Step::Reopen),
        1 => (ls, 0..SHARDS, 1..216usize).prop_map(|(l, s, n)| Step::TornTailThenReopen(l, s, n)),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmk {
    Enabled,
    Disabled,
    PendingDeletion,
}

/// A Logstore as the model sees it: its kind, whether encryption is on,
/// and each shard's blocks as (topic, sealed under the CMK's data key).
#[derive(Clone, Debug)]
struct Logstore {
    kind: Kind,
    enabled: bool,
    shards: Vec<Vec<(String, bool)>>,
}

struct Model {
    logstores: BTreeMap<usize, Logstore>,
    cmk: Cmk,
    crypto_attached: bool,
}

impl Model {
    /// Whether Log Service's role may use the CMK right now.
    fn key_usable(&self) -> bool {
        self.cmk == Cmk::Enabled && self.crypto_attached
    }
}

fn group(topic: &str) -> LogGroup {
    LogGroup {
        topic: topic.to_string(),
        source: String::new(),
        tags: vec![],
        logs: vec![Log {
            time: 1_700_000_000,
            contents: vec![("k".into(), topic.to_string())],
        }],
    }
}

fn conf(env: &Env, kind: Kind, enable: bool) -> Option<EncryptConf> {
    let mut c = match kind {
        Kind::Plain => return None,
        Kind::Service => Env::service_key("default"),
        Kind::Byok => env.byok("m4"),
    };
    c.enable = enable;
    Some(c)
}

fn refused_by_key(e: &LogError) -> bool {
    matches!(e, LogError::KeyUnavailable { .. })
}

/// Runs `steps` against the engine and the model side by side; whether a
/// shard rolled over to a new segment meanwhile.
fn run(steps: &[Step]) -> Result<bool, TestCaseError> {
    let mut env = Env::new();
    reopen(&mut env);
    let mut model = Model {
        logstores: BTreeMap::new(),
        cmk: Cmk::Enabled,
        crypto_attached: true,
    };
    let alice = user("alice");
    let mut topics = 0u64;
    // Shards whose last segment has a torn tail not yet recovered: the
    // segment, and its length before it. A real crash leaves at most one:
    // the next writer opens the segment, which cuts the tail, before it
    // appends. So a second torn tail replaces the first, as that open
    // would have.
    let mut torn: BTreeMap<(usize, u32), (std::path::PathBuf, usize)> = BTreeMap::new();
    let mut rolled = false;
    for (i, step) in steps.iter().enumerate() {
        let at = format!("step {i} {step:?}");
        match *step {
            Step::Create(l, kind) => {
                let config = LogstoreConfig {
                    ttl: None,
                    name: NAMES[l].into(),
                    shard_count: SHARDS,
                    encrypt_conf: conf(&env, kind, true),
                };
                let got = env.svc.create_logstore(&alice, "app", &config);
                let expect_ok = !model.logstores.contains_key(&l)
                    && (kind != Kind::Byok || model.cmk == Cmk::Enabled);
                prop_assert_eq!(got.is_ok(), expect_ok, "{}: {:?}", at, got);
                if expect_ok {
                    model.logstores.insert(
                        l,
                        Logstore {
                            kind,
                            enabled: kind != Kind::Plain,
                            shards: vec![Vec::new(); SHARDS as usize],
                        },
                    );
                }
            }
            Step::SetEnable(l, enable) => {
                let Some(ls) = model.logstores.get(&l).cloned() else {
                    continue;
                };
                if ls.kind == Kind::Plain {
                    continue;
                }
                let c = conf(&env, ls.kind, enable);
                let got = env
                    .svc
                    .update_logstore(&alice, "app", NAMES[l], None, c.as_ref(), None);
                // Switching BYOK on runs the configuration chain again.
                let expect_ok =
                    !(ls.kind == Kind::Byok && enable && !ls.enabled && model.cmk != Cmk::Enabled);
                prop_assert_eq!(got.is_ok(), expect_ok, "{}: {:?}", at, got);
                if expect_ok && let Some(m) = model.logstores.get_mut(&l) {
                    m.enabled = enable;
                }
            }
            Step::Put(l, shard) => {
                topics += 1;
                let topic = format!("g{topics}");
                let got = env
                    .svc
                    .put_logs(&alice, "app", NAMES[l], Some(shard), &group(&topic));
                // A write that went through opened the segment and cut its
                // torn tail.
                if got.is_ok() {
                    torn.remove(&(l, shard));
                }
                if got.as_ref().is_ok_and(|r| r.seq > 0) {
                    rolled |= last_segment(&env, l, shard)?
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().contains('-'));
                }
                match model.logstores.get_mut(&l) {
                    None => prop_assert!(
                        matches!(got, Err(LogError::LogStoreNotExist(_))),
                        "{}: {:?}",
                        at,
                        got
                    ),
                    Some(ls) => {
                        let sealed = ls.kind == Kind::Byok && ls.enabled;
                        let usable = model.cmk == Cmk::Enabled && model.crypto_attached;
                        if sealed && !usable {
                            prop_assert!(
                                got.as_ref().is_err_and(refused_by_key),
                                "{}: {:?}",
                                at,
                                got
                            );
                        } else {
                            let blocks = &mut ls.shards[shard as usize];
                            let r = got.map_err(|e| TestCaseError::fail(format!("{at}: {e}")))?;
                            prop_assert_eq!(
                                (r.shard, r.seq),
                                (shard, blocks.len() as u64),
                                "{}",
                                at
                            );
                            blocks.push((topic, sealed));
                        }
                    }
                }
            }
            Step::Pull(l, shard, cursor, count) => {
                let got = env
                    .svc
                    .pull_logs(&alice, "app", NAMES[l], shard, cursor, count);
                let Some(ls) = model.logstores.get(&l) else {
                    prop_assert!(got.is_err(), "{}", at);
                    continue;
                };
                let blocks = &ls.shards[shard as usize];
                // A cursor past the end is Log Service's InvalidCursor.
                if cursor > blocks.len() as u64 {
                    prop_assert!(
                        matches!(got, Err(LogError::InvalidCursor { .. })),
                        "{}: {:?}",
                        at,
                        got
                    );
                    continue;
                }
                let end = (cursor + u64::from(count)).min(blocks.len() as u64);
                let range = blocks
                    .get(cursor as usize..end as usize)
                    .unwrap_or_default();
                if range.iter().any(|(_, sealed)| *sealed) && !model.key_usable() {
                    prop_assert!(got.as_ref().is_err_and(refused_by_key), "{}: {:?}", at, got);
                    continue;
                }
                let p = got.map_err(|e| TestCaseError::fail(format!("{at}: {e}")))?;
                let topics: Vec<&str> = p.groups.iter().map(|g| g.group.topic.as_str()).collect();
                let expected: Vec<&str> = range.iter().map(|(t, _)| t.as_str()).collect();
                prop_assert_eq!(topics, expected, "{}", at);
                prop_assert_eq!(p.next_cursor, end.max(cursor), "{}", at);
            }
            Step::Get(l) => {
                let got = env.svc.get_logs(&alice, "app", NAMES[l], 0, u32::MAX);
                let Some(ls) = model.logstores.get(&l) else {
                    prop_assert!(got.is_err(), "{}", at);
                    continue;
                };
                let all: Vec<&(String, bool)> = ls.shards.iter().flatten().collect();
                if all.iter().any(|(_, sealed)| *sealed) && !model.key_usable() {
                    prop_assert!(got.as_ref().is_err_and(refused_by_key), "{}: {:?}", at, got);
                    continue;
                }
                let g = got.map_err(|e| TestCaseError::fail(format!("{at}: {e}")))?;
                let topics: Vec<&str> = g.iter().map(|g| g.group.topic.as_str()).collect();
                let expected: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
                prop_assert_eq!(topics, expected, "{}", at);
            }
            Step::Disable | Step::Enable | Step::ScheduleDeletion | Step::CancelDeletion => {
                let cmk = env.cmk.clone();
                let got = env.kms_as_root(|kms, c| match step {
                    Step::Disable => kms.disable_key(c, &cmk),
                    Step::Enable => kms.enable_key(c, &cmk),
                    Step::ScheduleDeletion => kms.schedule_key_deletion(c, &cmk, 7),
                    _ => kms.cancel_key_deletion(c, &cmk),
                });
                let next = match (step, model.cmk) {
                    (Step::Disable, Cmk::Enabled | Cmk::Disabled) => Some(Cmk::Disabled),
                    (Step::Enable, Cmk::Enabled | Cmk::Disabled) => Some(Cmk::Enabled),
                    (Step::ScheduleDeletion, Cmk::Enabled | Cmk::Disabled) => {
                        Some(Cmk::PendingDeletion)
                    }
                    (Step::CancelDeletion, Cmk::PendingDeletion) => Some(Cmk::Enabled),
                    _ => None,
                };
                prop_assert_eq!(got.is_ok(), next.is_some(), "{}: {:?}", at, got);
                if let Some(n) = next {
                    model.cmk = n;
                }
            }
            Step::ToggleCryptoPolicy => {
                let attached = model.crypto_attached;
                env.svc
                    .edit_directory(|a| {
                        let role = Target::Role("sls-byok".into());
                        let policy = PolicyRef::System("AliyunKMSCryptoUserAccess".into());
                        if attached {
                            a.detach_policy(&role, &policy)
                        } else {
                            a.attach_policy(&role, &policy)
                        }
                    })
                    .map_err(|e| TestCaseError::fail(format!("{at}: {e}")))?;
                model.crypto_attached = !attached;
            }
            Step::Delete(l) => {
                let got = env.svc.delete_logstore(&alice, "app", NAMES[l]);
                prop_assert_eq!(got.is_ok(), model.logstores.remove(&l).is_some(), "{}", at);
            }
            Step::Reopen => reopen(&mut env),
            Step::TornTailThenReopen(l, shard, n) => {
                // A write that stopped half way: part of a frame at the end.
                if model.logstores.contains_key(&l) {
                    let path = last_segment(&env, l, shard)?;
                    if path.exists() {
                        let mut bytes = std::fs::read(&path).unwrap_or_default();
                        let whole = match torn.get(&(l, shard)) {
                            Some((p, whole)) if *p == path => *whole,
                            _ => bytes.len(),
                        };
                        torn.insert((l, shard), (path.clone(), whole));
                        bytes.truncate(whole);
                        // A frame header (magic, length, three times) with
                        // its check, then a body that never all arrived.
                        let header = [b"RGS2".as_slice(), &200u32.to_le_bytes(), &[0; 12]].concat();
                        let mut h = crc32fast::Hasher::new();
                        h.update(&header);
                        let frame =
                            [header.as_slice(), &h.finalize().to_le_bytes(), &[7; 200]].concat();
                        bytes.extend_from_slice(&frame[..n.min(frame.len() - 1)]);
                        std::fs::write(&path, bytes)
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    }
                }
                reopen(&mut env);
            }
        }
    }
    // Nothing acknowledged is lost: every block reads back, once the key
    // is usable again.
    if model.cmk == Cmk::PendingDeletion {
        env.kms_as_root(|kms, c| kms.cancel_key_deletion(c, &env.cmk))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    env.kms_as_root(|kms, c| kms.enable_key(c, &env.cmk))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    if !model.crypto_attached {
        env.svc
            .edit_directory(|a| {
                a.attach_policy(
                    &Target::Role("sls-byok".into()),
                    &PolicyRef::System("AliyunKMSCryptoUserAccess".into()),
                )
            })
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    reopen(&mut env);
    for (l, ls) in &model.logstores {
        for (shard, blocks) in ls.shards.iter().enumerate() {
            let p = env
                .svc
                .pull_logs(&alice, "app", NAMES[*l], shard as u32, 0, u32::MAX)
                .map_err(|e| TestCaseError::fail(format!("final pull: {e}")))?;
            let topics: Vec<&str> = p.groups.iter().map(|g| g.group.topic.as_str()).collect();
            let expected: Vec<&str> = blocks.iter().map(|(t, _)| t.as_str()).collect();
            prop_assert_eq!(topics, expected);
        }
    }
    let verified = ramgate::logstore::verify_audit_log(&env.svc.audit_path());
    prop_assert!(verified.is_ok(), "{:?}", verified.err());
    Ok(rolled)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_engine_agrees_with_the_model(steps in prop::collection::vec(step(), 1..40)) {
        run(&steps)?;
    }
}

/// The model runs do roll over: a fixed sequence that fills one shard.
#[test]
fn the_model_sequences_cross_segment_boundaries() {
    let mut steps = vec![Step::Create(0, Kind::Service)];
    steps.extend((0..8).map(|_| Step::Put(0, 1)));
    steps.push(Step::TornTailThenReopen(0, 1, 100));
    steps.push(Step::Pull(0, 1, 1, 4));
    steps.push(Step::Put(0, 1));
    steps.push(Step::Get(0));
    assert_eq!(run(&steps).ok(), Some(true));
}

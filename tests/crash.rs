//! The crash test: a `ramgate log put-logs` child writing log groups to an
//! encrypted (BYOK, SM4) Logstore is killed with SIGKILL at pseudo-random
//! points, again and again on the same data directory; after each kill,
//! every write it acknowledged (`ack <shard> <seq>` on its output) reads
//! back intact, equal to the group written, through the library.
//!
//! Every other kill is also a power cut: every data file loses what was
//! written to it since the writer started (only the journal was synced
//! then), which the next open must bring back from the journal.
//!
//! The kill points come from a fixed xorshift seed, so a failure repeats.

#![cfg(feature = "cli")]

mod logstore_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use logstore_support::*;
use ramgate::logstore::{Log, LogGroup, LogService};

/// At least 20 kills, as the acceptance criterion asks. (The cost of a run
/// grows with the directory — each open checks the whole audit log — so
/// not many more.)
const KILLS: u64 = 22;
/// The most acknowledgements read before a kill.
const MAX_ACKS: u64 = 200;

/// Marsaglia's xorshift64: deterministic, good enough to scatter kill points.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Each run writes its own group, so a block overwritten by a later run
/// would not compare equal.
fn group_of_run(run: u64) -> LogGroup {
    LogGroup {
        topic: format!("crash-{run}"),
        source: "10.0.0.9".into(),
        tags: vec![("run".into(), run.to_string())],
        logs: vec![Log {
            time: 1_700_000_000 + run as u32,
            contents: vec![("request".into(), format!("GET /run/{run}"))],
        }],
    }
}

fn spawn_writer(dir: &Path, group_file: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ramgate"))
        .args([
            "log", "put-logs", "app", "crash", "--shard", "0", "--repeat", "100000",
        ])
        .arg("--group")
        .arg(format!("@{}", group_file.display()))
        .arg("--data-dir")
        .arg(dir)
        // The child finds the root key in the data directory, as the test does.
        .env_remove("RAMGATE_ROOT_KEY")
        .env_remove("RAMGATE_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `ack <shard> <seq>` → (shard, seq); only whole lines count.
fn ack(line: &str) -> (u32, u64) {
    let mut words = line.trim_end().split(' ');
    assert_eq!(words.next(), Some("ack"), "unexpected output line {line:?}");
    let shard = words.next().and_then(|w| w.parse().ok());
    let seq = words.next().and_then(|w| w.parse().ok());
    match (shard, seq) {
        (Some(shard), Some(seq)) => (shard, seq),
        _ => panic!("malformed ack {line:?}"),
    }
}

/// Reads up to `n` acknowledgements as they come.
fn read_acks(out: &mut BufReader<ChildStdout>, n: u64) -> Vec<(u32, u64)> {
    let mut acks = Vec::new();
    let mut line = String::new();
    while (acks.len() as u64) < n {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 || !line.ends_with('\n') {
            break;
        }
        acks.push(ack(&line));
    }
    acks
}

/// The segments and the audit log of a data directory, with their sizes.
fn data_files(dir: &Path) -> BTreeMap<std::path::PathBuf, u64> {
    let mut files = BTreeMap::new();
    let mut folders = vec![dir.join("data")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                folders.push(entry.path());
            } else {
                files.insert(entry.path(), meta.len());
            }
        }
    }
    let audit = dir.join("audit.jsonl");
    let len = std::fs::metadata(&audit).map_or(0, |m| m.len());
    files.insert(audit, len);
    files
}

/// A power cut after a kill: each file keeps only what it held when it was
/// last synced (`synced`, taken after the last clean close), a file made
/// since nothing.
fn cut_power(dir: &Path, synced: &BTreeMap<std::path::PathBuf, u64>) {
    for (path, len) in data_files(dir) {
        let keep = synced.get(&path).copied().unwrap_or(0);
        if len > keep {
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(keep).unwrap();
        }
    }
}

#[test]
fn acknowledged_log_groups_survive_repeated_kills() {
    let mut env = Env::new();
    env.create("crash", Some(env.byok("m4")));
    let Env { dir, svc, .. } = env;
    drop(svc);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut expected: BTreeMap<u64, LogGroup> = BTreeMap::new();
    let mut killed_mid_run = 0;
    let mut synced = data_files(dir.path());
    let mut cuts = 0;
    for run in 0..KILLS {
        // Every fifth run dies before it could acknowledge anything.
        let target = if run % 5 == 0 {
            0
        } else {
            1 + xorshift(&mut seed) % MAX_ACKS
        };
        let group = group_of_run(run);
        let group_file = dir.path().join(format!("group-{run}.json"));
        std::fs::write(&group_file, serde_json::to_string(&group).unwrap()).unwrap();
        let mut child = spawn_writer(dir.path(), &group_file);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut acks = read_acks(&mut out, target);
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        // Lines the child printed before it died were acknowledged too.
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        acks.extend(
            rest.split_inclusive('\n')
                .filter(|l| l.ends_with('\n'))
                .map(ack),
        );
        if (acks.len() as u64) < target {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!(
                "run {run}: the writer stopped after {} acks ({status}): {err}",
                acks.len()
            );
        }
        if still_running && target > 0 {
            killed_mid_run += 1;
        }
        for (shard, seq) in acks {
            assert_eq!(shard, 0, "run {run}");
            let before = expected.insert(seq, group.clone());
            assert!(before.is_none(), "run {run}: seq {seq} acknowledged twice");
        }
        if run % 2 == 1 {
            cut_power(dir.path(), &synced);
            cuts += 1;
        }
        // Recovery: the library opens the directory the child died in, and
        // every acknowledged group reads back as written.
        // (Opening also checks the audit log's hash chain, after dropping a
        // torn last record, and fails if it is broken.)
        let svc = LogService::open(dir.path(), env_clock(), options())
            .unwrap_or_else(|e| panic!("run {run}: {e}"));
        let pulled = svc
            .pull_logs(&root(), "app", "crash", 0, 0, u32::MAX)
            .unwrap_or_else(|e| panic!("run {run}: {e}"));
        for (seq, group) in &expected {
            let got = pulled.groups.get(*seq as usize).map(|g| (g.seq, &g.group));
            assert_eq!(got, Some((*seq, group)), "run {run}: block {seq}");
        }
        // A clean close syncs every file.
        drop(svc);
        synced = data_files(dir.path());
    }
    assert!(cuts >= 10, "only {cuts} power cuts");
    assert!(
        killed_mid_run >= 15,
        "only {killed_mid_run} kills hit a running writer"
    );
    assert!(
        expected.len() >= 100,
        "only {} acknowledged writes",
        expected.len()
    );
}

fn env_clock() -> std::sync::Arc<dyn ramgate::clock::Clock> {
    std::sync::Arc::new(ramgate::clock::SystemClock)
}

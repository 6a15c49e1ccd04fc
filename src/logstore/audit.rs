//! The audit log: an append-only JSON Lines file in which every seal and
//! open of a block (and every refusal) records the decision chain behind it.
//!
//! Each line is one record,
//!
//! ```text
//! {"format":2,"seq":N,"time":"…","prev":"<hex>","state":{…},"event":{…},"hash":"<hex>","mac":"<hex>"}
//! ```
//!
//! where `hash = SHA-256(prev | body)`, `body` being the line up to (not
//! including) `,"hash":` followed by `}`, `prev` the previous record's
//! `hash` (64 zeros for the first), and `mac = HMAC-SHA256(k, hash)` under a
//! key `k` derived from the root key. Editing, inserting or reordering
//! records breaks the chain at the first record touched, and `verify` names
//! it; someone without the root key who rewrites the whole tail
//! consistently (every hash recomputed) is found by the MAC of the first
//! record rewritten, at `verify` and, for the last record, at open.
//! Dropping records from the end is not found by the log itself.
//!
//! `state` is the newest version of each authenticated state file the log
//! has seen (`keys` for `kms/keys.json`, `logstores` for `logstores.json`),
//! never decreasing from one record to the next: opening refuses a state
//! file older than what the last record names (a rollback to an older,
//! authentic copy).
//!
//! `format` is the record layout's version; a record of another version
//! (version 1 had no `format`, no `state` and no `mac`) is refused with both
//! versions named.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::Arc;

use super::commit::{Appender, Mode, Slot};
use super::positional::read_exact_at;

use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::kms::{Kms, RootKeySource};

/// The audit log's file name in a data directory.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// The record layout this build writes and reads.
pub const FORMAT: u64 = 2;

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What the audit log's MAC key is derived for.
const KEY_LABEL: &[u8] = b"audit log record mac";

/// Errors of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The file could not be read or written.
    #[error("cannot use the audit log `{path}`: {message}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        message: String,
    },
    /// A record that breaks the chain.
    #[error("{path}:{line}: audit record {line} is not intact: {reason}")]
    Broken {
        /// The file.
        path: String,
        /// The 1-based line of the first bad record.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The MAC key could not be had: the root key is missing or wrong.
    #[error("cannot check the MACs of the audit log `{path}`: {message}")]
    Key {
        /// The file.
        path: String,
        /// Why the root key is not at hand.
        message: String,
    },
}

/// The key of the audit records' MACs, derived from the root key. Never
/// shown.
#[derive(Clone)]
pub struct AuditKey(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

impl AuditKey {
    /// The key of the directory whose KMS is `kms`.
    pub fn of(kms: &Kms) -> AuditKey {
        AuditKey(Zeroizing::new(
            kms.derive_local_key(KEY_LABEL).expose().to_vec(),
        ))
    }

    /// The key of the data directory holding the audit log `path`, its root
    /// key taken from `source` without opening (or writing) the key store.
    pub fn for_log(path: &Path, source: RootKeySource) -> Result<AuditKey, AuditError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        crate::kms::derive_key_read_only(&dir.join("kms"), source, KEY_LABEL)
            .map(AuditKey)
            .map_err(|e| AuditError::Key {
                path: path.display().to_string(),
                message: e.to_string(),
            })
    }

    /// A key given directly (tests and fuzzing).
    pub fn from_secret(secret: [u8; 32]) -> AuditKey {
        AuditKey(Zeroizing::new(secret.to_vec()))
    }

    fn mac(&self, hash: &str) -> Option<hmac::Hmac<Sha256>> {
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).ok()?;
        mac.update(hash.as_bytes());
        Some(mac)
    }

    fn sign(&self, hash: &str) -> String {
        self.mac(hash)
            .map(|m| to_hex(&m.finalize().into_bytes()))
            .unwrap_or_default()
    }

    fn verifies(&self, hash: &str, mac: &str) -> bool {
        match (self.mac(hash), super::meta::from_hex(mac)) {
            (Some(m), Some(claimed)) => m.verify_slice(&claimed).is_ok(),
            _ => false,
        }
    }
}

/// The newest version of each authenticated state file the log has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateVersions {
    /// `kms/keys.json`.
    pub keys: u64,
    /// `logstores.json`.
    pub logstores: u64,
}

/// An audit log opened for appending by many threads.
#[derive(Debug)]
pub struct AuditLog {
    appender: Arc<Appender>,
    key: AuditKey,
    /// The newest state versions written, raised under the appender's
    /// mutex so they never decrease from one record to the next.
    keys_version: AtomicU64,
    logstores_version: AtomicU64,
    /// What the last record named when the log was opened.
    floor: StateVersions,
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(prev: &str, body: &str) -> String {
    let digest = Sha256::new()
        .chain_update(prev.as_bytes())
        .chain_update(body.as_bytes())
        .finalize();
    to_hex(&digest)
}

fn io(path: &Path, e: impl std::fmt::Display) -> AuditError {
    AuditError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// One record as read back: its sequence number, body and hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The record's number, from 0.
    pub seq: u64,
    /// When it was written (RFC 3339).
    pub time: String,
    /// What happened.
    pub event: serde_json::Value,
    /// The newest state-file versions the log had seen.
    pub state: StateVersions,
    /// The record's hash.
    pub hash: String,
}

/// A line split into its body (as hashed), its parsed content, and the
/// hash and MAC it claims.
struct Line {
    body: String,
    value: serde_json::Value,
    hash: String,
    mac: String,
}

fn split_line(line: &str) -> Result<Line, String> {
    let rest = line
        .strip_suffix("\"}")
        .ok_or("the record does not end as one")?;
    let (rest, mac) = rest
        .rsplit_once(",\"mac\":\"")
        .ok_or("the record has no MAC")?;
    let (open, hash) = rest
        .rsplit_once(",\"hash\":\"")
        .ok_or("the record has no hash")?;
    let hash = hash.strip_suffix('"').ok_or("the hash is malformed")?;
    let body = format!("{open}}}");
    let value: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("the record is not JSON: {e}"))?;
    Ok(Line {
        body,
        value,
        hash: hash.to_string(),
        mac: mac.to_string(),
    })
}

/// The layout version of a line, read before anything else is trusted, so
/// a record of another version is named as such.
fn check_format(line: &str) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Format {
        format: Option<u64>,
    }
    let found = serde_json::from_str::<Format>(line)
        .ok()
        .map(|f| f.format.unwrap_or(1));
    match found {
        Some(v) if v != FORMAT => Err(format!(
            "the record has format version {v}, and this build reads version {FORMAT}"
        )),
        _ => Ok(()),
    }
}

/// Checks a line as record `expected_seq` following a record whose hash is
/// `prev`: its layout version, number, link, hash and MAC.
fn check_line(line: &str, key: &AuditKey, prev: &str, expected_seq: u64) -> Result<Record, String> {
    check_format(line)?;
    let Line {
        body,
        value,
        hash: stored,
        mac,
    } = split_line(line)?;
    let seq = value["seq"].as_u64().ok_or("the record has no `seq`")?;
    if seq != expected_seq {
        return Err(format!("`seq` is {seq}, expected {expected_seq}"));
    }
    if value["prev"].as_str() != Some(prev) {
        return Err("`prev` does not match the previous record's hash".to_string());
    }
    if hash(prev, &body) != stored {
        return Err("the hash does not match the record's content".to_string());
    }
    if !key.verifies(&stored, &mac) {
        return Err(
            "its MAC does not verify under the root key: it was written outside ramgate"
                .to_string(),
        );
    }
    let state = serde_json::from_value(value["state"].clone())
        .map_err(|e| format!("the record's `state` is malformed: {e}"))?;
    Ok(Record {
        seq,
        time: value["time"].as_str().unwrap_or_default().to_string(),
        event: value["event"].clone(),
        state,
        hash: stored,
    })
}

/// The longest audit record ramgate reads back (a bound on what a damaged
/// file can make it allocate).
pub const MAX_RECORD: usize = 64 << 20;

/// Reads and checks every record of an audit log, its MAC key derived from
/// the root key as `RAMGATE_ROOT_KEY` or the directory's `kms/root.key`
/// gives it; the first record that breaks the chain is named with its
/// line.
pub fn verify(path: &Path) -> Result<Vec<Record>, AuditError> {
    let mut records = Vec::new();
    verify_each(path, |r| records.push(r))?;
    Ok(records)
}

/// [`verify_with`], the MAC key found as [`verify`] finds it.
pub fn verify_each(path: &Path, each: impl FnMut(Record)) -> Result<u64, AuditError> {
    let key = AuditKey::for_log(path, RootKeySource::from_env())?;
    verify_with(path, &key, each)
}

/// Streams every record of an audit log through `each`, checking the chain
/// and every MAC as it goes (memory: one record at a time); returns how
/// many there are. A last line without its newline is a write that never
/// completed (and was never acknowledged): not a record, as
/// `AuditLog::open` agrees. The file is read up to its last complete
/// record, so a writer appending at the same time does not disturb the
/// answer.
pub fn verify_with(
    path: &Path,
    key: &AuditKey,
    mut each: impl FnMut(Record),
) -> Result<u64, AuditError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(path, e)),
    };
    if !file.metadata().map_err(|e| io(path, e))?.is_file() {
        return Err(io(path, "not a regular file"));
    }
    let mut reader = BufReader::new(file);
    let mut prev = GENESIS.to_string();
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_RECORD as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| io(path, e))?;
        let broken = |reason: String| AuditError::Broken {
            path: path.display().to_string(),
            line: n + 1,
            reason,
        };
        if read == 0 || line.last() != Some(&b'\n') {
            if line.len() > MAX_RECORD {
                return Err(broken(format!(
                    "the record is longer than {MAX_RECORD} bytes"
                )));
            }
            return Ok(n);
        }
        line.pop();
        let text = std::str::from_utf8(&line)
            .map_err(|_| broken("the record is not UTF-8".to_string()))?;
        let record = check_line(text, key, &prev, n).map_err(broken)?;
        prev = record.hash.clone();
        each(record);
        n += 1;
    }
}

/// The last complete line of `file` (of `size` bytes) and the offset just
/// after it, read backwards from the end in chunks: opening costs the
/// same however long the log is (C1).
fn last_line(file: &File, size: u64, path: &Path) -> Result<(Option<String>, u64), AuditError> {
    const CHUNK: u64 = 64 << 10;
    let mut tail: Vec<u8> = Vec::new();
    let mut start = size;
    // First find the end of the last complete line.
    let mut complete: Option<u64> = None;
    while start > 0 {
        let from = start.saturating_sub(CHUNK);
        let mut chunk = vec![0u8; (start - from) as usize];
        read_exact_at(file, &mut chunk, from).map_err(|e| io(path, e))?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        start = from;
        if complete.is_none()
            && let Some(i) = tail.iter().rposition(|&b| b == b'\n')
        {
            complete = Some(start + i as u64 + 1);
            tail.truncate(i);
        }
        if let Some(end) = complete {
            if let Some(j) = tail.iter().rposition(|&b| b == b'\n') {
                let line = tail.split_off(j + 1);
                return utf8(line, path).map(|l| (Some(l), end));
            }
            if start == 0 {
                return utf8(tail, path).map(|l| (Some(l), end));
            }
        }
        if tail.len() > MAX_RECORD + 1 {
            return Err(AuditError::Broken {
                path: path.display().to_string(),
                line: 0,
                reason: format!("the last record is longer than {MAX_RECORD} bytes"),
            });
        }
    }
    Ok((None, 0))
}

/// The last `n` records of an audit log, read backwards from the end in
/// chunks (memory: the records kept and one chunk, however long the log
/// is), for `audit show --last N`. Each record read is checked: its layout,
/// hash and MAC, and its link to the record after it; so is the link of the
/// first one shown to the record before it. The rest of the chain is not
/// read: `verify` checks all of it. When a check fails, the log is scanned
/// from the start so the first break is named by its line, as `verify`
/// names it.
pub fn last_records(path: &Path, key: &AuditKey, n: usize) -> Result<Vec<Record>, AuditError> {
    match tail_records(path, key, n) {
        Ok(records) => Ok(records),
        Err(tail) => {
            verify_with(path, key, drop)?;
            Err(tail)
        }
    }
}

fn tail_records(path: &Path, key: &AuditKey, n: usize) -> Result<Vec<Record>, AuditError> {
    const CHUNK: u64 = 64 << 10;
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path, e)),
    };
    let meta = file.metadata().map_err(|e| io(path, e))?;
    if !meta.is_file() {
        return Err(io(path, "not a regular file"));
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    let broken = |reason: &str| AuditError::Broken {
        path: path.display().to_string(),
        line: 0,
        reason: reason.to_string(),
    };
    // Lines newest first; one more than asked, for the first one's link.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut carry: Vec<u8> = Vec::new();
    let mut pos = meta.len();
    let mut found_end = false;
    while pos > 0 && lines.len() <= n {
        let from = pos.saturating_sub(CHUNK);
        let mut chunk = vec![0u8; (pos - from) as usize];
        read_exact_at(&file, &mut chunk, from).map_err(|e| io(path, e))?;
        chunk.extend_from_slice(&carry);
        carry = chunk;
        pos = from;
        if !found_end {
            // What follows the last newline is a write that never completed.
            match carry.iter().rposition(|&b| b == b'\n') {
                Some(i) => {
                    carry.truncate(i);
                    found_end = true;
                }
                None => continue,
            }
        }
        while lines.len() <= n
            && let Some(j) = carry.iter().rposition(|&b| b == b'\n')
        {
            lines.push(carry.split_off(j + 1));
            carry.truncate(j);
        }
        if carry.len() > MAX_RECORD {
            return Err(broken("a record is longer than the longest ramgate reads"));
        }
    }
    let at_start = pos == 0 && lines.len() <= n;
    if at_start && found_end {
        lines.push(std::mem::take(&mut carry));
    }
    lines.reverse();
    let mut records: Vec<Record> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let text = std::str::from_utf8(line).map_err(|_| broken("a record is not UTF-8"))?;
        let (prev, seq) = match records.last() {
            Some(r) => (r.hash.clone(), r.seq + 1),
            None if at_start && i == 0 => (GENESIS.to_string(), 0),
            None => {
                let value = split_line(text).map_err(|e| broken(&e))?.value;
                let prev = value["prev"].as_str().unwrap_or_default().to_string();
                (prev, value["seq"].as_u64().unwrap_or_default())
            }
        };
        records.push(check_line(text, key, &prev, seq).map_err(|e| broken(&e))?);
    }
    let skip = records.len().saturating_sub(n);
    Ok(records.split_off(skip))
}

fn utf8(bytes: Vec<u8>, path: &Path) -> Result<String, AuditError> {
    String::from_utf8(bytes).map_err(|_| AuditError::Broken {
        path: path.display().to_string(),
        line: 0,
        reason: "the last record is not UTF-8".to_string(),
    })
}

impl AuditLog {
    /// Opens an audit log for appending (by the directory's owner). A last
    /// line without its newline is a write that never completed and is
    /// dropped. Only the last record is read (its own hash checked), so
    /// opening costs the same however long the log is; [`verify`] checks
    /// the whole chain.
    pub fn open(path: &Path, durable: bool, key: AuditKey) -> Result<AuditLog, AuditError> {
        AuditLog::open_in(path, durable, Mode::Direct { fsync: durable }, key)
    }

    /// [`AuditLog::open`], for a directory's owner whose records become
    /// durable through its journal (`journal.rs`).
    pub(crate) fn open_journaled(
        path: &Path,
        durable: bool,
        key: AuditKey,
    ) -> Result<AuditLog, AuditError> {
        AuditLog::open_in(path, durable, Mode::Journal, key)
    }

    fn open_in(
        path: &Path,
        durable: bool,
        mode: Mode,
        key: AuditKey,
    ) -> Result<AuditLog, AuditError> {
        if let Ok(m) = std::fs::symlink_metadata(path)
            && !m.is_file()
        {
            return Err(io(path, "not a regular file"));
        }
        let existed = path.symlink_metadata().is_ok();
        let file = crate::durable::open_private_file(path, true).map_err(|e| io(path, e))?;
        if !existed
            && durable
            && let Some(parent) = path.parent()
        {
            // The new log's name is durable before its first record (D9).
            crate::durable::sync_dir(parent).map_err(|e| io(parent, e))?;
        }
        let size = file.metadata().map_err(|e| io(path, e))?.len();
        let (last, complete) = last_line(&file, size, path)?;
        if complete < size {
            file.set_len(complete).map_err(|e| io(path, e))?;
            crate::durable::sync_file(&file, path).map_err(|e| io(path, e))?;
        }
        let (next_seq, last_hash, floor) = match last {
            None => (0, GENESIS.to_string(), StateVersions::default()),
            Some(text) => {
                // Records are one per line, so an intact log's last record
                // is on line seq + 1.
                let seq_hint = split_line(&text)
                    .ok()
                    .and_then(|l| l.value["seq"].as_u64())
                    .map_or(0, |s| s + 1);
                let broken = |reason: String| AuditError::Broken {
                    path: path.display().to_string(),
                    line: seq_hint,
                    reason: format!("the last record: {reason}"),
                };
                check_format(&text).map_err(&broken)?;
                let value = split_line(&text).map_err(&broken)?.value;
                let prev = value["prev"]
                    .as_str()
                    .ok_or_else(|| broken("the record has no `prev`".into()))?;
                let seq = value["seq"]
                    .as_u64()
                    .ok_or_else(|| broken("the record has no `seq`".into()))?;
                let record = check_line(&text, &key, prev, seq).map_err(broken)?;
                (record.seq + 1, record.hash, record.state)
            }
        };
        Ok(AuditLog {
            appender: Arc::new(Appender::new(
                path, file, mode, None, next_seq, complete, last_hash,
            )),
            key,
            keys_version: AtomicU64::new(floor.keys),
            logstores_version: AtomicU64::new(floor.logstores),
            floor,
        })
    }

    /// The state versions the last record named when the log was opened:
    /// a state file older than these was rolled back.
    pub fn floor(&self) -> StateVersions {
        self.floor
    }

    /// Writes a record (not yet durable) and returns its sequence number;
    /// [`AuditLog::commit`] makes it durable. `seen` is the versions of the
    /// state files as they stood for the operation; the record names the
    /// newest the log has seen. The record's number, link and state are
    /// taken under the appender's mutex, so concurrent appends chain in the
    /// order they are numbered and the state never goes back.
    pub fn write(
        &self,
        time: &str,
        seen: StateVersions,
        event: &impl Serialize,
    ) -> Result<u64, AuditError> {
        let event = serde_json::to_string(event).map_err(|e| io(self.appender.path(), e))?;
        let (slot, line) = self.prepare(time, seen, &event)?;
        self.appender
            .write(slot, &line)
            .map_err(|e| io(self.appender.path(), e))?;
        Ok(slot.index)
    }

    /// Numbers, links and makes a record ([`AuditLog::write`]) of an event
    /// already serialized (`event`, one JSON object) without writing it:
    /// its place and bytes, for the journal.
    pub(crate) fn prepare(
        &self,
        time: &str,
        seen: StateVersions,
        event: &str,
    ) -> Result<(Slot, Vec<u8>), AuditError> {
        let path = self.appender.path().to_path_buf();
        let time = serde_json::to_string(time).map_err(|e| io(&path, e))?;
        let (slot, line) = self
            .appender
            .reserve_bytes(|seq, prev| {
                let keys = raise(&self.keys_version, seen.keys);
                let logstores = raise(&self.logstores_version, seen.logstores);
                let body = format!(
                    "{{\"format\":{FORMAT},\"seq\":{seq},\"time\":{time},\"prev\":\"{prev}\",\
                     \"state\":{{\"keys\":{keys},\"logstores\":{logstores}}},\"event\":{event}}}"
                );
                let h = hash(prev, &body);
                let mac = self.key.sign(&h);
                let open = body.strip_suffix('}').unwrap_or(&body);
                Ok((
                    format!("{open},\"hash\":\"{h}\",\"mac\":\"{mac}\"}}\n").into_bytes(),
                    h,
                ))
            })
            .map_err(|e| io(&path, e))?;
        Ok((slot, line))
    }

    /// Its appender, for the journal to apply its records to.
    pub(crate) fn appender(&self) -> &Arc<Appender> {
        &self.appender
    }

    /// Waits until record `seq` is durable (group commit).
    pub fn commit(&self, seq: u64) -> Result<(), AuditError> {
        self.appender
            .commit(seq)
            .map_err(|e| io(self.appender.path(), e))
    }

    /// Appends a record and returns its sequence number once it is written
    /// (and synced, when durable).
    pub fn append(
        &self,
        time: &str,
        seen: StateVersions,
        event: &impl Serialize,
    ) -> Result<u64, AuditError> {
        let seq = self.write(time, seen, event)?;
        self.commit(seq)?;
        Ok(seq)
    }
}

/// Raises `newest` to at least `seen` and returns it.
fn raise(newest: &AtomicU64, seen: u64) -> u64 {
    newest.fetch_max(seen, Ordering::SeqCst).max(seen)
}

/// What `audit repair` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// Where the old log went, every record kept for inspection.
    pub kept: std::path::PathBuf,
    /// The 1-based line of the first record that broke the chain.
    pub broken_line: u64,
    /// The hash of the last record that verified (the genesis value when
    /// the first one broke).
    pub last_good_hash: String,
}

/// Starts a new chain after a break (fail closed until then: appends stop
/// at a broken last record): the old log is renamed to
/// `audit.broken-<n>.jsonl`, nothing in it changed, and the new log's first
/// record names the break — the old file, the first bad line, the last good
/// hash — so the two chains stay joined for whoever reads them. `Ok(None)`
/// when the chain is intact. The caller holds the directory's lock.
pub fn repair(path: &Path, key: &AuditKey, time: &str) -> Result<Option<Repair>, AuditError> {
    let mut last_good = GENESIS.to_string();
    // The new chain carries on the newest state versions the old one
    // vouched for, so a repair is no way around rollback detection.
    let mut state = StateVersions::default();
    let broken_line = match verify_with(path, key, |r| {
        last_good = r.hash;
        state = r.state;
    }) {
        Ok(_) => return Ok(None),
        Err(AuditError::Broken { line, .. }) => line,
        Err(e) => return Err(e),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let kept = (1u32..)
        .map(|n| dir.join(format!("audit.broken-{n}.jsonl")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join("audit.broken.jsonl"));
    std::fs::rename(path, &kept).map_err(|e| io(path, e))?;
    crate::durable::sync_dir(dir).map_err(|e| io(dir, e))?;
    let log = AuditLog::open(path, true, key.clone())?;
    let file = kept
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    log.append(
        time,
        state,
        &serde_json::json!({
            "op": "audit_repair",
            "outcome": "allowed",
            "target": {"file": file, "line": broken_line},
            "detail": {"broken_file": file, "broken_line": broken_line, "last_good_hash": last_good},
            "chain": [],
        }),
    )?;
    Ok(Some(Repair {
        kept,
        broken_line,
        last_good_hash: last_good,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    fn key() -> AuditKey {
        AuditKey::from_secret([7; 32])
    }

    /// The chain checked under the test key.
    fn verify(path: &Path) -> Result<Vec<Record>, AuditError> {
        let mut records = Vec::new();
        verify_with(path, &key(), |r| records.push(r))?;
        Ok(records)
    }

    const NONE: StateVersions = StateVersions {
        keys: 0,
        logstores: 0,
    };

    fn log_with(n: usize) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = d.path().join("audit.jsonl");
        let log = AuditLog::open(&path, true, key()).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..n {
            log.append(
                "2026-11-29T00:00:00Z",
                NONE,
                &json!({"op": "seal", "block": i}),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        (d, path)
    }

    #[test]
    fn records_chain_and_verify() {
        let (_d, path) = log_with(3);
        let records = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(records.len(), 3);
        assert_eq!(records[2].event["block"], 2);
        let log = AuditLog::open(&path, true, key()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(log.append("t", NONE, &json!({})).ok(), Some(3));
        assert_eq!(verify(&path).map(|r| r.len()).ok(), Some(4));
    }

    #[test]
    fn any_edit_is_found_at_its_line() {
        let (_d, path) = log_with(4);
        let original = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = original.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            for (from, to) in [
                ("seal", "open"),
                ("\"block\":", "\"block\":1"),
                ("2026", "2025"),
            ] {
                let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                edited[i] = line.replacen(from, to, 1);
                std::fs::write(&path, edited.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
                match verify(&path) {
                    Err(AuditError::Broken { line, .. }) => assert_eq!(line, i as u64 + 1),
                    other => panic!("edit of record {i} not found: {other:?}"),
                }
            }
        }
        // Swapping two records breaks the chain at the first of them.
        let mut swapped: Vec<&str> = lines.clone();
        swapped.swap(1, 2);
        std::fs::write(&path, swapped.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
        let e = verify(&path).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| {
            e.contains(":2: audit record 2 is not intact: `seq` is 2, expected 1")
        }));
    }

    #[test]
    fn opening_checks_the_last_record_and_verify_checks_them_all() {
        let (_d, path) = log_with(3);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let middle_edited = text.replacen("\"block\":1", "\"block\":7", 1);
        std::fs::write(&path, &middle_edited).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            AuditLog::open(&path, true, key()).is_ok(),
            "open reads only the tail"
        );
        assert!(matches!(
            verify(&path),
            Err(AuditError::Broken { line: 2, .. })
        ));
        let last_edited = text.replacen("\"block\":2", "\"block\":7", 1);
        std::fs::write(&path, &last_edited).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            AuditLog::open(&path, true, key()),
            Err(AuditError::Broken { line: 3, .. })
        ));
    }

    #[test]
    fn verify_ignores_a_torn_last_line_but_not_an_empty_record() {
        let (_d, path) = log_with(2);
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        bytes.extend_from_slice(b"{\"seq\":2,\"ti");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verify(&path).map(|r| r.len()).ok(), Some(2));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let with_gap = text.replacen("\n", "\n\n", 1);
        std::fs::write(&path, with_gap).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            verify(&path),
            Err(AuditError::Broken { line: 2, .. })
        ));
    }

    #[test]
    fn a_torn_last_line_is_dropped_on_open() {
        let (_d, path) = log_with(2);
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        bytes.extend_from_slice(b"{\"seq\":2,\"ti");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let log = AuditLog::open(&path, true, key()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(log.append("t", NONE, &json!({"again": true})).ok(), Some(2));
        assert_eq!(verify(&path).map(|r| r.len()).ok(), Some(3));
    }

    #[test]
    fn u2_repair_starts_a_new_chain_naming_the_break_and_keeps_the_old_log() {
        let (d, path) = log_with(3);
        assert_eq!(
            repair(&path, &key(), "t").ok(),
            Some(None),
            "nothing to repair"
        );
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let edited = text.replacen("\"block\":1", "\"block\":7", 1);
        std::fs::write(&path, &edited).unwrap_or_else(|e| panic!("{e}"));
        let good = verify(&path).err().map(|_| ());
        assert!(good.is_some());
        let done = repair(&path, &key(), "t")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("a repair"));
        assert_eq!(done.broken_line, 2);
        assert_eq!(std::fs::read_to_string(&done.kept).ok(), Some(edited));
        let first = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].event["detail"]["broken_line"], 2);
        assert_eq!(
            first[0].event["detail"]["last_good_hash"],
            done.last_good_hash
        );
        // Appends continue on the new chain.
        let log = AuditLog::open(&path, true, key()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(log.append("t", NONE, &json!({})).ok(), Some(1));
        drop(d);
    }

    #[test]
    fn a_consistent_rewrite_of_the_tail_without_the_root_key_is_found() {
        let (_d, path) = log_with(4);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        // The attacker keeps records 0 and 1 and rewrites the rest, every
        // hash and link recomputed, with a MAC under a key of their own.
        let theirs = AuditKey::from_secret([8; 32]);
        let mut out = format!("{}\n{}\n", lines[0], lines[1]);
        let mut prev = split_line(lines[1]).map(|l| l.hash).unwrap_or_default();
        for seq in 2..4 {
            let body = format!(
                "{{\"format\":2,\"seq\":{seq},\"time\":\"t\",\"prev\":\"{prev}\",\"state\":{{\"keys\":0,\"logstores\":0}},\"event\":{{\"op\":\"forged\"}}}}"
            );
            let h = hash(&prev, &body);
            let open = body.strip_suffix('}').unwrap_or(&body);
            out.push_str(&format!(
                "{open},\"hash\":\"{h}\",\"mac\":\"{}\"}}\n",
                theirs.sign(&h)
            ));
            prev = h;
        }
        std::fs::write(&path, out).unwrap_or_else(|e| panic!("{e}"));
        match verify(&path) {
            Err(AuditError::Broken {
                line: 3, reason, ..
            }) => {
                assert!(reason.contains("MAC does not verify"), "{reason}")
            }
            other => panic!("the rewrite was not found: {other:?}"),
        }
        assert!(matches!(
            AuditLog::open(&path, true, key()),
            Err(AuditError::Broken { line: 4, .. })
        ));
    }

    #[test]
    fn a_record_of_another_format_is_refused_with_both_versions() {
        let (_d, path) = log_with(2);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let old = text.replace("{\"format\":2,", "{");
        std::fs::write(&path, old).unwrap_or_else(|e| panic!("{e}"));
        let e = verify(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains(":1: audit record 1 is not intact: the record has format version 1, and this build reads version 2"),
            "{e}"
        );
        let newer = text.replace("{\"format\":2,", "{\"format\":3,");
        std::fs::write(&path, newer).unwrap_or_else(|e| panic!("{e}"));
        let e = AuditLog::open(&path, true, key())
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("format version 3")));
    }

    #[test]
    fn state_versions_never_go_back_and_are_the_floor_at_open() {
        let (_d, path) = log_with(0);
        let log = AuditLog::open(&path, true, key()).unwrap_or_else(|e| panic!("{e}"));
        for (n, (keys, logstores)) in [(3, 1), (2, 5), (4, 4)].into_iter().enumerate() {
            log.append("t", StateVersions { keys, logstores }, &json!({"op": n}))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let states: Vec<StateVersions> = verify(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|r| r.state)
            .collect();
        let expect = |keys, logstores| StateVersions { keys, logstores };
        assert_eq!(states, [expect(3, 1), expect(3, 5), expect(4, 5)]);
        drop(log);
        let again = AuditLog::open(&path, true, key()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.floor(), expect(4, 5));
        // A repair's new chain carries the floor on.
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, text.replacen("\"op\":2", "\"op\":7", 1))
            .unwrap_or_else(|e| panic!("{e}"));
        drop(again);
        assert!(repair(&path, &key(), "t").is_ok_and(|r| r.is_some()));
        let after = AuditLog::open(&path, true, key()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(after.floor(), expect(3, 5), "the last good record's");
    }

    #[test]
    fn the_last_records_read_from_the_end_are_the_ones_the_scan_ends_with() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = d.path().join("audit.jsonl");
        assert_eq!(last_records(&path, &key(), 3).ok(), Some(Vec::new()));
        // Not durable: thousands of records, in many 64 KiB chunks.
        let log = AuditLog::open(&path, false, key()).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..3000 {
            let pad = "x".repeat(i % 300);
            log.append("t", NONE, &json!({"op": "seal", "block": i, "pad": pad}))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        drop(log);
        let all = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        for n in [0, 1, 2, 7, 400, 2999, 3000, 5000] {
            let tail = last_records(&path, &key(), n).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(tail, all[all.len().saturating_sub(n)..], "--last {n}");
        }
        // A torn last line is not a record, from the end either.
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        bytes.extend_from_slice(b"{\"format\":2,\"seq\":3000");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let tail = last_records(&path, &key(), 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tail, all[2998..]);
        // Damage among the records read is named by its line, as the scan
        // names it.
        let text = String::from_utf8(bytes).unwrap_or_default();
        let edited = text.replacen("\"block\":2998", "\"block\":7", 1);
        std::fs::write(&path, edited).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            last_records(&path, &key(), 5),
            Err(AuditError::Broken { line: 2999, .. })
        ));
    }
}

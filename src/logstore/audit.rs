//! The audit log: an append-only JSON Lines file in which every seal and
//! open of a block (and every refusal) records the decision chain behind it.
//!
//! Each line is one record,
//!
//! ```text
//! {"seq":N,"time":"…","prev":"<hex>","event":{…},"hash":"<hex>"}
//! ```
//!
//! where `hash = SHA-256(prev | body)`, `body` being the line up to (not
//! including) `,"hash":` followed by `}`, and `prev` the previous record's
//! `hash` (64 zeros for the first). Editing, inserting or reordering records
//! breaks the chain at the first record touched, and `verify` names it.
//!
//! The chain is keyless: someone who can write the file can rewrite every
//! hash after an edit, and can drop records from the end. It finds accidents
//! and careless edits; the README's Security section says what it does not.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The audit log's file name in a data directory.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
}

/// An audit log opened for appending.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: File,
    next_seq: u64,
    last_hash: String,
    durable: bool,
}

#[derive(Serialize)]
struct Body<'a, E: Serialize> {
    seq: u64,
    time: &'a str,
    prev: &'a str,
    event: &'a E,
}

fn hash(prev: &str, body: &str) -> String {
    let digest = Sha256::new()
        .chain_update(prev.as_bytes())
        .chain_update(body.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
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
    /// The record's hash.
    pub hash: String,
}

/// A line split into its body (as hashed), its parsed content and the hash
/// it claims.
struct Line {
    body: String,
    value: serde_json::Value,
    hash: String,
}

fn split_line(line: &str) -> Result<Line, String> {
    let at = line.rfind(",\"hash\":\"").ok_or("the record has no hash")?;
    let hash = line[at..]
        .strip_prefix(",\"hash\":\"")
        .and_then(|h| h.strip_suffix("\"}"))
        .ok_or("the hash is malformed")?
        .to_string();
    let body = format!("{}}}", &line[..at]);
    let value = serde_json::from_str(&body).map_err(|e| format!("the record is not JSON: {e}"))?;
    Ok(Line { body, value, hash })
}

/// Checks a line as record `expected_seq` following a record whose hash is
/// `prev`.
fn check_line(line: &str, prev: &str, expected_seq: u64) -> Result<Record, String> {
    let Line {
        body,
        value,
        hash: stored,
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
    Ok(Record {
        seq,
        time: value["time"].as_str().unwrap_or_default().to_string(),
        event: value["event"].clone(),
        hash: stored,
    })
}

/// Reads and checks every record of an audit log; the first record that
/// breaks the chain is named with its line.
pub fn verify(path: &Path) -> Result<Vec<Record>, AuditError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path, e)),
    };
    // A last line without its newline is a write that never completed (and
    // was never acknowledged): not a record, as `AuditLog::open` agrees.
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut records = Vec::new();
    let mut prev = GENESIS.to_string();
    let Some(body) = bytes[..complete].strip_suffix(b"\n") else {
        return Ok(records);
    };
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let broken = |reason: String| AuditError::Broken {
            path: path.display().to_string(),
            line: i as u64 + 1,
            reason,
        };
        let text =
            std::str::from_utf8(line).map_err(|_| broken("the record is not UTF-8".to_string()))?;
        let record = check_line(text, &prev, i as u64).map_err(broken)?;
        prev = record.hash.clone();
        records.push(record);
    }
    Ok(records)
}

impl AuditLog {
    /// Opens an audit log for appending. A last line without its newline is
    /// a write that never completed and is dropped. Only the last record is
    /// read (its own hash checked), so opening costs the same however long
    /// the log is; [`verify`] checks the whole chain.
    pub fn open(path: &Path, durable: bool) -> Result<AuditLog, AuditError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(path, e)),
        };
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if complete < bytes.len() {
            let f = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| io(path, e))?;
            f.set_len(complete as u64).map_err(|e| io(path, e))?;
            f.sync_all().map_err(|e| io(path, e))?;
        }
        let lines = &bytes[..complete];
        let (next_seq, last_hash) = match lines.strip_suffix(b"\n") {
            None => (0, GENESIS.to_string()),
            Some(body) => {
                let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let line_no = body.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                let broken = |reason: String| AuditError::Broken {
                    path: path.display().to_string(),
                    line: line_no,
                    reason,
                };
                let text = std::str::from_utf8(&body[start..])
                    .map_err(|_| broken("the record is not UTF-8".into()))?;
                let prev = split_line(text).map_err(&broken)?.value["prev"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| broken("the record has no `prev`".into()))?;
                let record = check_line(text, &prev, line_no - 1).map_err(broken)?;
                (record.seq + 1, record.hash)
            }
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io(path, e))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
            next_seq,
            last_hash,
            durable,
        })
    }

    /// Appends a record and returns its sequence number once it is written
    /// (and synced, when durable).
    pub fn append(&mut self, time: &str, event: &impl Serialize) -> Result<u64, AuditError> {
        let body = serde_json::to_string(&Body {
            seq: self.next_seq,
            time,
            prev: &self.last_hash,
            event,
        })
        .map_err(|e| io(&self.path, e))?;
        let h = hash(&self.last_hash, &body);
        let open = body.strip_suffix('}').unwrap_or(&body);
        let line = format!("{open},\"hash\":\"{h}\"}}\n");
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| io(&self.path, e))?;
        if self.durable {
            self.file.sync_data().map_err(|e| io(&self.path, e))?;
        }
        self.last_hash = h;
        self.next_seq += 1;
        Ok(self.next_seq - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn log_with(n: usize) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = d.path().join("audit.jsonl");
        let mut log = AuditLog::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..n {
            log.append("2026-11-29T00:00:00Z", &json!({"op": "seal", "block": i}))
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
        let mut log = AuditLog::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(log.append("t", &json!({})).ok(), Some(3));
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
            AuditLog::open(&path, true).is_ok(),
            "open reads only the tail"
        );
        assert!(matches!(
            verify(&path),
            Err(AuditError::Broken { line: 2, .. })
        ));
        let last_edited = text.replacen("\"block\":2", "\"block\":7", 1);
        std::fs::write(&path, &last_edited).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            AuditLog::open(&path, true),
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
        let mut log = AuditLog::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(log.append("t", &json!({"again": true})).ok(), Some(2));
        assert_eq!(verify(&path).map(|r| r.len()).ok(), Some(3));
    }
}

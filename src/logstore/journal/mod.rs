//! The journal: one write-ahead log for a whole data directory, where an
//! operation's records — its block in a shard's segment and its audit
//! record — become durable together, under one `fsync` for every
//! operation waiting at the time, whatever shards they wrote (group
//! commit in one place, as a database's log does).
//!
//! ```text
//! journal/<n>.rgj  records, <n> a 20-digit number counting up
//! journal/spare     a journal file checkpointed, kept to be written over
//! record := "RGJ2" | len: u32 LE | hcheck: u32 LE | body: len bytes | check: u32 LE
//! hcheck := CRC-32("RGJ2" | len | n: u64 LE)     check := CRC-32(body)
//! body   := count: u32 LE | part*      one record per operation
//! part   := path_len: u16 LE | path (UTF-8, from the data directory)
//!           | offset: u64 LE | len: u32 LE | bytes: len bytes
//! ```
//!
//! A part is "these bytes belong at this offset of this file". An operation
//! hands its parts to [`Journal::commit_then`], its audit record made under
//! the journal's mutex so that audit records are journaled in their order
//! (each in the group of the record before it or a later one, so none waits
//! a group for its predecessor). The first waiter that finds no write
//! running becomes the leader: it writes every queued record in one
//! `pwrite`, `fsync`s the journal once, stages the parts in their files
//! ([`Appender::stage`], memory only), then *applies* them
//! ([`Appender::apply`]): each file in order of its records, a run of them
//! in one `pwrite`, so a file only ever holds journaled records and never a
//! hole. It then hands the journal on and wakes each writer of its group,
//! and the first one waiting, to lead the next (threads are parked one by
//! one, so an arrival wakes nobody). A record applied once every one before
//! it in its file is: its writer waits on the file for that, as those
//! writers are about to journal theirs.
//!
//! The files themselves are `fsync`ed only at a checkpoint: once a journal
//! file passes its size limit the next one begins, and the old one is
//! retired when every part it holds is applied and every file it touched
//! is synced. So a journal holds at most a few files of a few MiB.
//! Checkpoints run one at a time, each by a leader after its hand-over,
//! while the next group is written.
//!
//! A retired file is kept as the spare, and the next journal file is the
//! spare renamed: written over from its start, it changes neither its size
//! nor its blocks, so its `fdatasync` has only the data to write, where an
//! append also commits the file system's metadata (about half the cost of
//! a group's sync, measured here). That is why `hcheck` covers the file's
//! number: a record left from the file's earlier life fails it and ends
//! the file, as a torn one does (PostgreSQL checks the page address of a
//! recycled WAL segment the same way). The spare is removed at a clean
//! close, so nothing of the directory's data stays in it past the run.
//!
//! Recovery ([`recover`], when the owner opens the directory, before any
//! file is read): every part of every journal file is written again where
//! it belongs, in offset order per file, when it attaches to what the file
//! holds (its offset at most the file's length); a part beyond a gap
//! belongs to a record whose predecessor never reached the journal, which
//! was therefore never acknowledged, and is dropped. A file that no longer
//! exists was removed (a deleted Logstore, an expired segment) and is not
//! made again (D8). Then the files are synced and the journal removed. A
//! record cut short at the end of a journal file is a write that never
//! completed (never acknowledged) and ends that file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::durable::{create_private_dir, sync_dir, sync_file};

use super::commit::{Appender, Slot};
use super::error::LogError;
use super::positional::write_all_at;

mod checkpoint;
mod recover;

pub(crate) use recover::recover;
pub use recover::recover_journal;

/// The journal's folder in a data directory.
pub const JOURNAL_DIR: &str = "journal";

/// A journal file's name ends with this.
const SUFFIX: &str = ".rgj";

/// The journal's record frame, and with it the journal's format version.
const MAGIC: &[u8; 4] = b"RGJ2";

/// A checkpointed journal file kept to become the next one (module docs).
const SPARE: &str = "spare";

/// The bytes before a record's body.
const HEADER: usize = 12;

/// The longest record recovery reads (a bound on what a damaged length
/// field can make it allocate): a log group is at most a few MiB and an
/// audit record at most 64 MiB.
const MAX_RECORD: usize = 160 << 20;

/// The default size past which a journal file is full and the next one
/// begins: 16 MiB.
pub const DEFAULT_JOURNAL_BYTES: u64 = 16 << 20;

/// One file's share of an operation's record.
#[derive(Debug)]
pub(crate) struct Part {
    /// The file's appender (in [`super::commit::Mode::Journal`]).
    pub(crate) target: Arc<Appender>,
    /// The place reserved for the bytes.
    pub(crate) slot: Slot,
    /// The bytes.
    pub(crate) bytes: Vec<u8>,
}

/// The journal of a data directory (module docs).
#[derive(Debug)]
pub(crate) struct Journal {
    root: PathBuf,
    dir: PathBuf,
    durable: bool,
    limit: u64,
    state: Mutex<State>,
    changed: Condvar,
    /// Journal files full and not yet checkpointed, and the spare.
    retired: Mutex<checkpoint::Retired>,
}

/// A record handed in, and the thread waiting for its answer.
#[derive(Debug)]
struct Queued {
    parts: Vec<Part>,
    waiter: std::thread::Thread,
}

#[derive(Debug)]
struct State {
    /// Records handed in and not yet written, in ticket order.
    queue: Vec<Queued>,
    next_ticket: u64,
    /// Every ticket below this has its answer.
    done: u64,
    /// Tickets from this one on are refused, and why.
    failed: Option<(u64, String)>,
    /// The file being written; taken by the leader while it writes.
    tail: Option<Tail>,
    /// How many [`Journal::checkpoint_now`] calls wait for the file (on
    /// `changed`; writers park instead).
    tail_wanted: usize,
}

/// The journal file being written.
#[derive(Debug)]
struct Tail {
    file: File,
    end: u64,
    era: Era,
}

/// One journal file and the files its records went to.
#[derive(Debug)]
struct Era {
    number: u64,
    path: PathBuf,
    dirty: Vec<Arc<Appender>>,
}

fn crc(bytes: &[u8]) -> [u8; 4] {
    crc32fast::hash(bytes).to_le_bytes()
}

/// A record header's check: its first 8 bytes and the number of the file
/// that holds it.
fn header_check(head: &[u8], number: u64) -> [u8; 4] {
    let mut h = crc32fast::Hasher::new();
    h.update(head);
    h.update(&number.to_le_bytes());
    h.finalize().to_le_bytes()
}

fn file_name(number: u64) -> String {
    format!("{number:020}{SUFFIX}")
}

fn storage(what: String) -> LogError {
    LogError::Storage(what)
}

impl Journal {
    /// Recovers the directory's journal ([`recover`]) and starts a new one.
    pub(crate) fn open(root: &Path, durable: bool, limit: u64) -> Result<Journal, LogError> {
        let next = recover(root, durable)?;
        let dir = root.join(JOURNAL_DIR);
        let made = !dir.exists();
        create_private_dir(&dir).map_err(|e| LogError::io(&dir, "create", e))?;
        if made && durable {
            sync_dir(root).map_err(|e| LogError::io(root, "sync", e))?;
        }
        // A spare left by a crash holds nothing that recovery needs.
        let _ = std::fs::remove_file(dir.join(SPARE));
        let (era, file) = checkpoint::new_era(&dir, next, durable, false)?;
        Ok(Journal {
            root: root.to_path_buf(),
            dir,
            durable,
            limit: limit.max(1),
            state: Mutex::new(State {
                queue: Vec::new(),
                next_ticket: 0,
                done: 0,
                failed: None,
                tail: Some(Tail { file, end: 0, era }),
                tail_wanted: 0,
            }),
            changed: Condvar::new(),
            retired: Mutex::new(checkpoint::Retired::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state is whole before the guard drops.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn retired(&self) -> MutexGuard<'_, checkpoint::Retired> {
        // As for the state: every change is whole before the guard drops.
        self.retired.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes one operation's parts durable together and applies them to
    /// their files; returns once they are journaled (each writer then
    /// waits on its file for its record to be applied, if a record before
    /// it there is in a later group). On an error the parts' places are
    /// given up, which refuses them in their files.
    #[cfg(test)]
    pub(crate) fn commit(&self, parts: Vec<Part>) -> Result<(), LogError> {
        self.commit_then(parts, || Ok(None)).map(|_| ())
    }

    /// [`Journal::commit`] with one more part that `last` makes under the
    /// journal's mutex (memory only: the audit record, numbered and linked
    /// there), so that those parts reach the journal in the order of their
    /// file and none waits for a predecessor in a later group; returns its
    /// place.
    pub(crate) fn commit_then(
        &self,
        mut parts: Vec<Part>,
        last: impl FnOnce() -> Result<Option<Part>, LogError>,
    ) -> Result<Option<Slot>, LogError> {
        let mut st = self.state();
        if let Some((_, why)) = &st.failed {
            let e = refused(why);
            abandon(&parts, why);
            return Err(e);
        }
        let made = match last() {
            Ok(part) => part,
            Err(e) => {
                abandon(&parts, &e.to_string());
                return Err(e);
            }
        };
        let slot = made.as_ref().map(|p| p.slot);
        parts.extend(made);
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        let me = std::thread::current();
        st.queue.push(Queued {
            parts,
            waiter: me.clone(),
        });
        loop {
            if ticket < st.done {
                return match &st.failed {
                    Some((from, why)) if ticket >= *from => Err(refused(why)),
                    _ => Ok(slot),
                };
            }
            let Some(tail) = st.tail.take() else {
                // Woken by the leader that writes this record's group, or
                // by the one before it when this thread is to lead next.
                drop(st);
                std::thread::park();
                st = self.state();
                continue;
            };
            let batch = std::mem::take(&mut st.queue);
            let (first, last) = (st.done, st.next_ticket);
            let failed = st.failed.clone();
            drop(st);
            let mut waiters = Vec::with_capacity(batch.len());
            let records: Vec<Vec<Part>> = batch
                .into_iter()
                .map(|q| {
                    waiters.push(q.waiter);
                    q.parts
                })
                .collect();
            let (tail, written, applied) = match failed {
                Some((_, why)) => {
                    records.iter().for_each(|parts| abandon(parts, &why));
                    (tail, Ok(()), Vec::new())
                }
                None => self.write(tail, records),
            };
            // The group is applied before the journal is handed on: its
            // writers, woken next, then find their records in their files
            // (woken once, not once more by the file).
            applied.iter().for_each(|a| a.apply());
            st = self.state();
            st.tail = Some(tail);
            st.done = last;
            if let Err(e) = written {
                st.failed.get_or_insert((first, e.to_string()));
            }
            let next = st.queue.first().map(|q| q.waiter.clone());
            let wanted = st.tail_wanted > 0;
            drop(st);
            // Each thread is woken once, for its answer (a condition
            // variable would wake every waiter at every arrival), and one
            // more to lead the next group.
            for w in waiters.iter().filter(|w| w.id() != me.id()) {
                w.unpark();
            }
            if let Some(next) = next {
                next.unpark();
            }
            if wanted {
                self.changed.notify_all();
            }
            // Syncs due for a checkpoint run while the next group is
            // written.
            self.checkpoint();
            st = self.state();
        }
    }

    /// The leader's work: writes a batch of records, syncs, stages them
    /// in their files (memory only) and moves on to a new journal file
    /// when this one is full; returns the files to apply the batch to.
    fn write(
        &self,
        mut tail: Tail,
        batch: Vec<Vec<Part>>,
    ) -> (Tail, Result<(), LogError>, Vec<Arc<Appender>>) {
        let failed = |tail: Tail, batch: &[Vec<Part>], e: LogError| {
            let why = e.to_string();
            batch.iter().for_each(|parts| abandon(parts, &why));
            (tail, Err(e), Vec::new())
        };
        let number = tail.era.number;
        let mut buf = Vec::new();
        for parts in &batch {
            if let Err(e) = self.encode(parts, number, &mut buf) {
                return failed(tail, &batch, e);
            }
        }
        let path = tail.era.path.clone();
        if let Err(e) = write_all_at(&tail.file, &buf, tail.end) {
            // The record never completed: cut it, so the next one follows
            // the last whole record.
            let _ = tail.file.set_len(tail.end);
            return failed(tail, &batch, LogError::io(&path, "write", e));
        }
        if self.durable
            && let Err(e) = sync_file(&tail.file, &path)
        {
            let _ = tail.file.set_len(tail.end);
            return failed(tail, &batch, LogError::io(&path, "sync", e));
        }
        tail.end += buf.len() as u64;
        let mut touched: Vec<Arc<Appender>> = Vec::new();
        for parts in batch {
            for part in parts {
                if !touched.iter().any(|a| Arc::ptr_eq(a, &part.target)) {
                    touched.push(part.target.clone());
                }
                part.target.stage(part.slot, part.bytes, number);
            }
        }
        for a in &touched {
            if !tail.era.dirty.iter().any(|d| Arc::ptr_eq(d, a)) {
                tail.era.dirty.push(a.clone());
            }
        }
        if tail.end >= self.limit {
            // A new file that cannot be made leaves this one growing; the
            // next batch tries again.
            tail = self.rotate(tail);
        }
        (tail, Ok(()), touched)
    }

    /// Appends one record of `parts` for journal file `number` to `buf`,
    /// the bytes copied once.
    fn encode(&self, parts: &[Part], number: u64, buf: &mut Vec<u8>) -> Result<(), LogError> {
        let start = buf.len();
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&[0; HEADER - 4]); // the length and its check, below
        buf.extend_from_slice(&(parts.len() as u32).to_le_bytes());
        for part in parts {
            let path = part.target.path();
            let rel = path
                .strip_prefix(&self.root)
                .ok()
                .and_then(Path::to_str)
                .ok_or_else(|| {
                    storage(format!(
                        "`{}` is not a file of the data directory `{}`",
                        path.display(),
                        self.root.display()
                    ))
                })?;
            let path_len = u16::try_from(rel.len())
                .map_err(|_| storage(format!("the path `{rel}` is too long to journal")))?;
            let len = u32::try_from(part.bytes.len()).map_err(|_| {
                storage(format!(
                    "a record of {} bytes is too long",
                    part.bytes.len()
                ))
            })?;
            buf.extend_from_slice(&path_len.to_le_bytes());
            buf.extend_from_slice(rel.as_bytes());
            buf.extend_from_slice(&part.slot.offset.to_le_bytes());
            buf.extend_from_slice(&len.to_le_bytes());
            buf.extend_from_slice(&part.bytes);
        }
        let body = buf.len() - start - HEADER;
        if body > MAX_RECORD {
            buf.truncate(start);
            return Err(storage(format!(
                "a journal record of {body} bytes is over {MAX_RECORD}"
            )));
        }
        let check = crc(buf.get(start + HEADER..).unwrap_or_default());
        let mut header = [0u8; HEADER];
        header[..4].copy_from_slice(MAGIC);
        header[4..8].copy_from_slice(&(body as u32).to_le_bytes());
        let hcheck = header_check(&header[..8], number);
        header[8..].copy_from_slice(&hcheck);
        buf.splice(start..start + HEADER, header);
        buf.extend_from_slice(&check);
        Ok(())
    }
}

impl Drop for Journal {
    /// The last handle is gone and nothing is in flight: every file is
    /// synced and the journal removed, so after a clean exit only the files
    /// themselves hold the data (a journal left behind means a crash).
    fn drop(&mut self) {
        let tail = self
            .state
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .tail
            .take();
        if let Some(tail) = tail {
            self.retired().eras.push_back(tail.era);
        }
        self.checkpoint();
        // Nothing of the directory's data stays in a spare past the run.
        if std::fs::remove_file(self.dir.join(SPARE)).is_ok() && self.durable {
            let _ = sync_dir(&self.dir);
        }
    }
}

fn refused(why: &str) -> LogError {
    storage(format!(
        "an earlier write to the journal failed ({why}); writes stop until the data \
         directory is reopened"
    ))
}

fn abandon(parts: &[Part], why: &str) {
    for part in parts {
        part.target.abandon(part.slot, why);
    }
}

#[cfg(test)]
mod tests;

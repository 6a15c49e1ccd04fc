//! The journal: one write-ahead log for a whole data directory, where an
//! operation's records — its block in a shard's segment and its audit
//! record — become durable together, under one `fsync` for every
//! operation waiting at the time, whatever shards they wrote (group
//! commit in one place, as a database's log does).
//!
//! ```text
//! journal/<n>.rgj  records, <n> a 20-digit number counting up
//! record := "RGJ1" | len: u32 LE | hcheck: u32 LE | body: len bytes | check: u32 LE
//! hcheck := CRC-32("RGJ1" | len)       check := CRC-32(body)
//! body   := count: u32 LE | part*      one record per operation
//! part   := path_len: u16 LE | path (UTF-8, from the data directory)
//!           | offset: u64 LE | len: u32 LE | bytes: len bytes
//! ```
//!
//! A part is "these bytes belong at this offset of this file". An operation
//! hands its parts to [`Journal::commit_then`], its audit record made under
//! the journal's mutex so that audit records are journaled in their order
//! (each in the group of the record before it or a later one, so none waits
//! a group for its predecessor); the first waiter that finds no
//! write running becomes the leader, writes every queued record in one
//! `pwrite`, `fsync`s the journal once, then *applies* the parts to their
//! files ([`Appender::stage`]), each file in order of its records, so a
//! file only ever holds journaled records and never a hole. The writers
//! then wait on their files for their own records to be applied (a record
//! waits for the ones before it in its file, which their writers are about
//! to journal).
//!
//! The files themselves are `fsync`ed only at a checkpoint: once a journal
//! file passes its size limit the next one begins, and the old one is
//! removed when every part it holds is applied and every file it touched
//! is synced. So a journal holds at most a few files of a few MiB.
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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::durable::{create_private_dir, create_private_file, sync_dir, sync_file};

use super::commit::{Appender, Slot};
use super::error::LogError;
use super::positional::write_all_at;

mod recover;

pub(crate) use recover::recover;
pub use recover::recover_journal;

/// The journal's folder in a data directory.
pub const JOURNAL_DIR: &str = "journal";

/// A journal file's name ends with this.
const SUFFIX: &str = ".rgj";

/// The journal's record frame, and with it the journal's format version.
const MAGIC: &[u8; 4] = b"RGJ1";

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
    /// Operations begun and not yet handed in ([`Journal::coming`]).
    coming: AtomicUsize,
    state: Mutex<State>,
    changed: Condvar,
}

/// How long a leader waits for operations already on their way before it
/// writes its group: a fraction of one `fsync`, and only while some are
/// on their way, so a lone writer never waits (PostgreSQL's
/// `commit_delay` with `commit_siblings`, MySQL's group commit delay).
const GATHER: Duration = Duration::from_micros(150);

/// An operation on its way to the journal: counted from [`Journal::coming`]
/// until it hands its parts in (or gives up), so that a leader can wait for
/// it.
#[derive(Debug)]
pub(crate) struct Coming<'a> {
    journal: &'a Journal,
    here: bool,
}

impl Coming<'_> {
    fn arrive(&mut self) {
        if !self.here {
            self.here = true;
            self.journal.coming.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Coming<'_> {
    fn drop(&mut self) {
        self.arrive();
    }
}

#[derive(Debug)]
struct State {
    /// Records handed in and not yet written, in ticket order.
    queue: Vec<Vec<Part>>,
    next_ticket: u64,
    /// Every ticket below this has its answer.
    done: u64,
    /// Tickets from this one on are refused, and why.
    failed: Option<(u64, String)>,
    /// The file being written; taken by the leader while it writes.
    tail: Option<Tail>,
}

/// The journal's files: the one being written, and older ones not yet
/// checkpointed.
#[derive(Debug)]
struct Tail {
    file: File,
    end: u64,
    /// Oldest first; the last is the one being written.
    eras: Vec<Era>,
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
        let (era, file) = new_era(&dir, next, durable)?;
        Ok(Journal {
            root: root.to_path_buf(),
            dir,
            durable,
            limit: limit.max(1),
            coming: AtomicUsize::new(0),
            state: Mutex::new(State {
                queue: Vec::new(),
                next_ticket: 0,
                done: 0,
                failed: None,
                tail: Some(Tail {
                    file,
                    end: 0,
                    eras: vec![era],
                }),
            }),
            changed: Condvar::new(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state is whole before the guard drops.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes one operation's parts durable together and applies them to
    /// their files; returns once they are journaled (each writer then
    /// waits on its file for its record to be applied). On an error the
    /// parts' places are given up, which refuses them in their files.
    #[cfg(test)]
    pub(crate) fn commit(&self, parts: Vec<Part>) -> Result<(), LogError> {
        self.commit_then(parts, None, || Ok(None)).map(|_| ())
    }

    /// Counts an operation that will hand parts in, until it does.
    pub(crate) fn coming(&self) -> Coming<'_> {
        self.coming.fetch_add(1, Ordering::SeqCst);
        Coming {
            journal: self,
            here: false,
        }
    }

    /// [`Journal::commit`] with one more part that `last` makes under the
    /// journal's mutex (memory only: the audit record, numbered and linked
    /// there), so that those parts reach the journal in the order of their
    /// file and none waits for a predecessor in a later group; returns its
    /// place.
    pub(crate) fn commit_then(
        &self,
        mut parts: Vec<Part>,
        coming: Option<Coming<'_>>,
        last: impl FnOnce() -> Result<Option<Part>, LogError>,
    ) -> Result<Option<Slot>, LogError> {
        let mut st = self.state();
        // Here, whatever happens next (under the mutex: a leader that
        // counts those on their way sees this one arrive with its parts).
        drop(coming);
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
        st.queue.push(parts);
        self.changed.notify_all();
        loop {
            if ticket < st.done {
                return match &st.failed {
                    Some((from, why)) if ticket >= *from => Err(refused(why)),
                    _ => Ok(slot),
                };
            }
            let Some(tail) = st.tail.take() else {
                st = self
                    .changed
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            // Operations already on their way join this group, for a
            // moment at most.
            let deadline = Instant::now() + GATHER;
            while self.coming.load(Ordering::SeqCst) > 0 {
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    break;
                };
                st = self
                    .changed
                    .wait_timeout(st, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            let batch = std::mem::take(&mut st.queue);
            let (first, last) = (st.done, st.next_ticket);
            let failed = st.failed.clone();
            drop(st);
            let (tail, written) = match failed {
                Some((_, why)) => {
                    batch.iter().for_each(|parts| abandon(parts, &why));
                    (tail, Ok(()))
                }
                None => self.write(tail, batch),
            };
            st = self.state();
            st.tail = Some(tail);
            st.done = last;
            if let Err(e) = written {
                st.failed.get_or_insert((first, e.to_string()));
            }
            self.changed.notify_all();
        }
    }

    /// The leader's work: writes a batch of records, syncs, applies, and
    /// moves on to a new file when this one is full.
    fn write(&self, mut tail: Tail, batch: Vec<Vec<Part>>) -> (Tail, Result<(), LogError>) {
        let failed = |tail: Tail, batch: &[Vec<Part>], e: LogError| {
            let why = e.to_string();
            batch.iter().for_each(|parts| abandon(parts, &why));
            (tail, Err(e))
        };
        let mut buf = Vec::new();
        for parts in &batch {
            if let Err(e) = self.encode(parts, &mut buf) {
                return failed(tail, &batch, e);
            }
        }
        let Some(era) = tail.eras.last_mut() else {
            return failed(tail, &batch, storage("the journal has no file".into()));
        };
        let path = era.path.clone();
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
        let number = era.number;
        for parts in batch {
            for part in parts {
                if !era.dirty.iter().any(|a| Arc::ptr_eq(a, &part.target)) {
                    era.dirty.push(part.target.clone());
                }
                part.target.stage(part.slot, part.bytes, number);
            }
        }
        if tail.end >= self.limit
            && let Ok((next, file)) = new_era(&self.dir, number + 1, self.durable)
        {
            // A new file that cannot be made leaves this one growing; the
            // next batch tries again.
            tail.file = file;
            tail.end = 0;
            tail.eras.push(next);
        }
        self.checkpoint(&mut tail, 1);
        (tail, Ok(()))
    }

    /// Begins a new journal file and removes every older one whose parts
    /// are all applied, once their files are synced: what a clean restart
    /// does first ([`super::LogService::reopen`]).
    pub(crate) fn checkpoint_now(&self) {
        let mut st = self.state();
        let mut tail = loop {
            match st.tail.take() {
                Some(t) => break t,
                None => {
                    st = self
                        .changed
                        .wait(st)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
        };
        drop(st);
        let number = tail.eras.last().map_or(1, |e| e.number + 1);
        if let Ok((next, file)) = new_era(&self.dir, number, self.durable) {
            tail.file = file;
            tail.end = 0;
            tail.eras.push(next);
        }
        self.checkpoint(&mut tail, 1);
        self.state().tail = Some(tail);
        self.changed.notify_all();
    }

    /// Removes the older journal files whose every part is applied, once
    /// the files they touched are synced (oldest first, stopping at the
    /// first that must stay, and keeping at least `keep`). A sync that
    /// fails keeps the file: recovery applies it again.
    fn checkpoint(&self, tail: &mut Tail, keep: usize) {
        while tail.eras.len() > keep {
            let Some(era) = tail.eras.first() else {
                return;
            };
            if era.dirty.iter().any(|a| a.holds_era(era.number)) {
                return;
            }
            if self.durable && era.dirty.iter().any(|a| a.sync().is_err()) {
                return;
            }
            if std::fs::remove_file(&era.path).is_err() {
                return;
            }
            if self.durable {
                let _ = sync_dir(&self.dir);
            }
            tail.eras.remove(0);
        }
    }

    /// Appends one record of `parts` to `buf`, the bytes copied once.
    fn encode(&self, parts: &[Part], buf: &mut Vec<u8>) -> Result<(), LogError> {
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
        let hcheck = crc(&header[..8]);
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
        if let Some(mut tail) = tail {
            self.checkpoint(&mut tail, 0);
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

/// Makes journal file `number`, its name durable.
fn new_era(dir: &Path, number: u64, durable: bool) -> Result<(Era, File), LogError> {
    let path = dir.join(file_name(number));
    let file = create_private_file(&path).map_err(|e| LogError::io(&path, "create", e))?;
    if durable {
        sync_dir(dir).map_err(|e| LogError::io(dir, "sync", e))?;
    }
    let era = Era {
        number,
        path,
        dirty: Vec::new(),
    };
    Ok((era, file))
}

#[cfg(test)]
mod tests;

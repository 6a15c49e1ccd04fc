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

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::durable::{create_private_dir, create_private_file, sync_dir, sync_file};

use super::commit::{Appender, Slot};
use super::error::LogError;
use super::positional::{read_exact_at, write_all_at};

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

/// Where one part's bytes are in a journal file.
#[derive(Clone, Copy, Debug)]
struct Found {
    offset: u64,
    len: u64,
    /// Which journal file, and where its bytes start.
    file: usize,
    at: u64,
}

/// The journal files of `dir`, oldest first.
fn journal_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, LogError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LogError::io(dir, "read", e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| LogError::io(dir, "read", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(number) = name
            .strip_suffix(SUFFIX)
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let path = entry.path();
        if !path.symlink_metadata().is_ok_and(|m| m.is_file()) {
            return Err(LogError::Damaged {
                what: format!("`{}` is not a regular file", path.display()),
                hint: "move it aside; ramgate makes its journal itself".to_string(),
            });
        }
        files.push((number, path));
    }
    files.sort_unstable();
    Ok(files)
}

fn le32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    if let Some(src) = b.get(..4) {
        a.copy_from_slice(src);
    }
    u32::from_le_bytes(a)
}

/// Reads the parts of one journal file's records (their places only, not
/// their bytes), up to its last whole record.
fn scan(
    path: &Path,
    index: usize,
    found: &mut BTreeMap<String, Vec<Found>>,
) -> Result<(), LogError> {
    let io = |e| LogError::io(path, "read", e);
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::with_capacity(64 << 10, file);
    let mut pos = 0u64;
    while size - pos >= HEADER as u64 {
        let mut header = [0u8; HEADER];
        reader.read_exact(&mut header).map_err(io)?;
        let len = le32(&header[4..]) as usize;
        if header[..3] == MAGIC[..3] && header[3] != MAGIC[3] && header[8..] == crc(&header[..8]) {
            // A journal of another ramgate: never misread, never dropped.
            return Err(LogError::Damaged {
                what: format!(
                    "`{}` has format version {}, and this build reads version {}",
                    path.display(),
                    char::from(header[3]),
                    char::from(MAGIC[3])
                ),
                hint: "open the directory with the ramgate that wrote it, so that it \
                       applies its journal"
                    .to_string(),
            });
        }
        if &header[..4] != MAGIC || header[8..] != crc(&header[..8]) || len > MAX_RECORD {
            return Ok(()); // a write that never completed
        }
        if size - pos < (HEADER + len + 4) as u64 {
            return Ok(());
        }
        let mut body = vec![0u8; len + 4];
        reader.read_exact(&mut body).map_err(io)?;
        if body[len..] != crc(&body[..len]) {
            return Ok(());
        }
        let body_at = pos + HEADER as u64;
        parse(&body[..len], body_at, index, found).ok_or_else(|| LogError::Damaged {
            what: format!(
                "`{}`: the journal record at byte {pos} passes its check but does not parse",
                path.display()
            ),
            hint: "it was written by another program; move the journal aside".to_string(),
        })?;
        pos += (HEADER + len + 4) as u64;
    }
    Ok(())
}

/// Reads a record's parts; `None` when it does not parse.
fn parse(
    body: &[u8],
    body_at: u64,
    file: usize,
    found: &mut BTreeMap<String, Vec<Found>>,
) -> Option<()> {
    let count = le32(body.get(..4)?);
    let mut at = 4usize;
    for _ in 0..count {
        let path_len = u16::from_le_bytes([*body.get(at)?, *body.get(at + 1)?]) as usize;
        at += 2;
        let rel = std::str::from_utf8(body.get(at..at + path_len)?).ok()?;
        at += path_len;
        let mut offset = [0u8; 8];
        offset.copy_from_slice(body.get(at..at + 8)?);
        at += 8;
        let len = le32(body.get(at..at + 4)?) as usize;
        at += 4;
        body.get(at..at + len)?;
        found.entry(rel.to_string()).or_default().push(Found {
            offset: u64::from_le_bytes(offset),
            len: len as u64,
            file,
            at: body_at + at as u64,
        });
        at += len;
    }
    Some(())
}

/// Whether `rel` names a file the journal is for: the audit log, or a
/// segment under `data/` (relative, no `..`). A journal edited by hand can
/// then write nothing that an edit of those files could not, and never
/// the metadata, the key store or anything outside the directory.
fn journaled_file(rel: &str) -> bool {
    let path = Path::new(rel);
    let plain = path
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    plain
        && (rel == super::audit::AUDIT_FILE
            || (path.starts_with(super::datadir::DATA_DIR) && rel.ends_with(".seg")))
}

/// Applies every journal file of the data directory `root` again (module
/// docs), syncs what it touched, and removes the journal; returns the
/// number the next journal file takes. Only the directory's owner calls
/// it, before any file of the directory is read.
pub(crate) fn recover(root: &Path, durable: bool) -> Result<u64, LogError> {
    let dir = root.join(JOURNAL_DIR);
    match dir.symlink_metadata() {
        Ok(m) if !m.is_dir() => {
            return Err(LogError::Damaged {
                what: format!("`{}` is not a folder", dir.display()),
                hint: "move it aside; ramgate makes its journal itself".to_string(),
            });
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(1),
        Err(e) => return Err(LogError::io(&dir, "read", e)),
    }
    let files = journal_files(&dir)?;
    let next = files.last().map_or(1, |(n, _)| n + 1);
    let mut found = BTreeMap::new();
    for (i, (_, path)) in files.iter().enumerate() {
        scan(path, i, &mut found)?;
    }
    let sources = files
        .iter()
        .map(|(_, p)| File::open(p).map_err(|e| LogError::io(p, "open", e)))
        .collect::<Result<Vec<_>, _>>()?;
    for (rel, mut parts) in found {
        if !journaled_file(&rel) {
            continue;
        }
        parts.sort_by_key(|p| p.offset);
        apply(&root.join(&rel), &parts, &sources, durable)?;
    }
    for (_, path) in &files {
        std::fs::remove_file(path).map_err(|e| LogError::io(path, "remove", e))?;
    }
    if durable && !files.is_empty() {
        sync_dir(&dir).map_err(|e| LogError::io(&dir, "sync", e))?;
    }
    Ok(next)
}

/// Writes again, in offset order, the parts of one file that attach to
/// what it holds; syncs it.
fn apply(path: &Path, parts: &[Found], sources: &[File], durable: bool) -> Result<(), LogError> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| LogError::io(path, "open", e))?,
        Ok(_) => {
            return Err(LogError::Damaged {
                what: format!("`{}` is not a regular file", path.display()),
                hint: "move it aside; ramgate makes its files itself".to_string(),
            });
        }
        // Removed since (a deleted Logstore, an expired segment): never
        // made again.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(LogError::io(path, "open", e)),
    };
    let mut len = target
        .metadata()
        .map_err(|e| LogError::io(path, "read", e))?
        .len();
    for part in parts {
        if part.offset > len {
            break; // beyond a gap: never acknowledged
        }
        let Some(source) = sources.get(part.file) else {
            break;
        };
        let size = usize::try_from(part.len).unwrap_or(usize::MAX);
        let mut bytes = vec![0u8; size];
        read_exact_at(source, &mut bytes, part.at).map_err(|e| LogError::io(path, "read", e))?;
        let end = part.offset + part.len;
        let same = end <= len && {
            let mut there = vec![0u8; size];
            read_exact_at(&target, &mut there, part.offset).is_ok() && there == bytes
        };
        if !same {
            write_all_at(&target, &bytes, part.offset)
                .map_err(|e| LogError::io(path, "write", e))?;
        }
        len = len.max(end);
    }
    if durable {
        // Synced whether or not anything changed: the process that wrote
        // the parts may have ended before its checkpoint.
        sync_file(&target, path).map_err(|e| LogError::io(path, "sync", e))?;
    }
    Ok(())
}

/// Applies a data directory's journal again and removes it, as opening the
/// directory does: for a tool that changes the directory's files without
/// opening it as a service (`ramgate audit repair`). The caller holds the
/// directory's lock ([`super::DirLock`]).
pub fn recover_journal(dir: &Path) -> Result<(), LogError> {
    recover(dir, true).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::fault;
    use crate::logstore::commit::Mode;

    fn root() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(d.path().join("data")).unwrap_or_else(|e| panic!("{e}"));
        d
    }

    fn appender(root: &Path, rel: &str) -> Arc<Appender> {
        let path = root.join(rel);
        let file = crate::durable::open_private_file(&path, true).unwrap_or_else(|e| panic!("{e}"));
        Arc::new(Appender::new(
            &path,
            file,
            Mode::Journal,
            Some(Vec::new()),
            0,
            0,
            String::new(),
        ))
    }

    fn reserve(a: &Appender, bytes: &[u8]) -> Slot {
        a.reserve(bytes.len() as u64)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn part(a: &Arc<Appender>, slot: Slot, bytes: &[u8]) -> Part {
        Part {
            target: a.clone(),
            slot,
            bytes: bytes.to_vec(),
        }
    }

    fn journal_files_of(root: &Path) -> usize {
        journal_files(&root.join(JOURNAL_DIR))
            .map(|f| f.len())
            .unwrap_or(0)
    }

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_default()
    }

    #[test]
    fn an_operations_parts_are_applied_in_order_and_come_back_after_a_crash() {
        let d = root();
        let journal =
            Journal::open(d.path(), true, DEFAULT_JOURNAL_BYTES).unwrap_or_else(|e| panic!("{e}"));
        let seg = appender(d.path(), "data/shard-0.seg");
        let audit = appender(d.path(), "audit.jsonl");
        let (s0, s1) = (reserve(&seg, b"block0"), reserve(&seg, b"block1"));
        let a0 = reserve(&audit, b"rec0\n");
        let a1 = reserve(&audit, b"rec1\n");
        // The second operation reaches the journal first: its block waits
        // in memory until the first one's is applied.
        journal
            .commit(vec![part(&seg, s1, b"block1"), part(&audit, a0, b"rec0\n")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seg.durable_len(), 0, "block 1 waits for block 0");
        assert_eq!(read(seg.path()), b"");
        journal
            .commit(vec![part(&seg, s0, b"block0"), part(&audit, a1, b"rec1\n")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seg.durable_len(), 2);
        assert_eq!(read(seg.path()), b"block0block1");
        assert_eq!(read(audit.path()), b"rec0\nrec1\n");
        // A crash that lost what the files held since their last sync: the
        // journal (never checkpointed: the process died) brings it back.
        std::mem::forget(journal);
        std::fs::write(seg.path(), b"").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(audit.path(), b"rec0\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(recover(d.path(), true).ok(), Some(2));
        assert_eq!(read(seg.path()), b"block0block1");
        assert_eq!(read(audit.path()), b"rec0\nrec1\n");
        assert_eq!(journal_files_of(d.path()), 0, "the journal is removed");
    }

    #[test]
    fn a_part_beyond_a_gap_was_never_acknowledged_and_is_dropped() {
        let d = root();
        let journal =
            Journal::open(d.path(), false, DEFAULT_JOURNAL_BYTES).unwrap_or_else(|e| panic!("{e}"));
        let seg = appender(d.path(), "data/shard-0.seg");
        let slots: Vec<Slot> = [b"aa", b"bb", b"cc"]
            .iter()
            .map(|b| reserve(&seg, *b))
            .collect();
        // Block 1's writer died before it reached the journal.
        for (i, bytes) in [(0, b"aa"), (2, b"cc")] {
            journal
                .commit(vec![part(&seg, slots[i], bytes)])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(read(seg.path()), b"aa");
        std::mem::forget(journal);
        std::fs::write(seg.path(), b"").unwrap_or_else(|e| panic!("{e}"));
        recover(d.path(), false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(seg.path()), b"aa", "block 2 follows a gap");
    }

    #[test]
    fn d8_a_file_removed_since_is_not_made_again() {
        let d = root();
        let journal =
            Journal::open(d.path(), false, DEFAULT_JOURNAL_BYTES).unwrap_or_else(|e| panic!("{e}"));
        let seg = appender(d.path(), "data/shard-0.seg");
        let s = reserve(&seg, b"gone");
        journal
            .commit(vec![part(&seg, s, b"gone")])
            .unwrap_or_else(|e| panic!("{e}"));
        std::mem::forget(journal);
        std::fs::remove_file(seg.path()).unwrap_or_else(|e| panic!("{e}"));
        recover(d.path(), false).unwrap_or_else(|e| panic!("{e}"));
        assert!(!seg.path().exists());
    }

    #[test]
    fn a_torn_journal_tail_and_a_record_for_another_file_write_nothing() {
        let d = root();
        let journal =
            Journal::open(d.path(), false, DEFAULT_JOURNAL_BYTES).unwrap_or_else(|e| panic!("{e}"));
        let seg = appender(d.path(), "data/shard-0.seg");
        // A hand-made record for a file the journal is never for.
        let meta = appender(d.path(), "logstores.json");
        let s = reserve(&seg, b"kept");
        let m = reserve(&meta, b"{\"forged\":true}");
        journal
            .commit(vec![
                part(&seg, s, b"kept"),
                part(&meta, m, b"{\"forged\":true}"),
            ])
            .unwrap_or_else(|e| panic!("{e}"));
        std::mem::forget(journal);
        let files = journal_files(&d.path().join(JOURNAL_DIR)).unwrap_or_default();
        let (_, last) = files.last().cloned().unwrap_or_default();
        let mut bytes = read(&last);
        bytes.extend_from_slice(b"RGJ1\x40\x00\x00\x00 half a record");
        std::fs::write(&last, bytes).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(seg.path(), b"").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(meta.path(), b"{}").unwrap_or_else(|e| panic!("{e}"));
        recover(d.path(), false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(seg.path()), b"kept");
        assert_eq!(read(meta.path()), b"{}", "only segments and the audit log");
    }

    #[test]
    fn a_journal_of_another_format_version_is_refused_with_both_versions() {
        let d = root();
        let dir = d.path().join(JOURNAL_DIR);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let mut header = b"RGJ2".to_vec();
        header.extend_from_slice(&4u32.to_le_bytes());
        let check = crc(&header);
        header.extend_from_slice(&check);
        header.extend_from_slice(b"\0\0\0\0");
        header.extend_from_slice(&crc(b"\0\0\0\0"));
        std::fs::write(dir.join(file_name(1)), &header).unwrap_or_else(|e| panic!("{e}"));
        let e = recover(d.path(), false)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("has format version 2, and this build reads version 1"),
            "{e}"
        );
        assert_eq!(journal_files_of(d.path()), 1, "nothing is removed");
    }

    #[test]
    fn a_failed_journal_sync_refuses_its_group_and_every_later_write() {
        let d = root();
        let journal =
            Journal::open(d.path(), true, DEFAULT_JOURNAL_BYTES).unwrap_or_else(|e| panic!("{e}"));
        let seg = appender(d.path(), "data/shard-0.seg");
        let s = reserve(&seg, b"one");
        journal
            .commit(vec![part(&seg, s, b"one")])
            .unwrap_or_else(|e| panic!("{e}"));
        fault::arm(SUFFIX);
        let s = reserve(&seg, b"two");
        let refused = journal.commit(vec![part(&seg, s, b"two")]);
        fault::disarm(SUFFIX);
        assert!(refused.is_err());
        assert!(seg.commit(s.index).is_err(), "its writer is refused too");
        assert!(seg.reserve(1).is_err(), "appends stop");
        assert_eq!(read(seg.path()), b"one");
        let other = appender(d.path(), "audit.jsonl");
        let s = reserve(&other, b"x");
        assert!(journal.commit(vec![part(&other, s, b"x")]).is_err());
    }

    #[test]
    fn many_writers_on_two_files_get_everything_applied_in_order() {
        let d = root();
        let journal =
            Arc::new(Journal::open(d.path(), false, 512).unwrap_or_else(|e| panic!("{e}")));
        let seg = appender(d.path(), "data/shard-0.seg");
        let audit = appender(d.path(), "audit.jsonl");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (journal, seg, audit) = (journal.clone(), seg.clone(), audit.clone());
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let block = format!("<{t}.{i}>").into_bytes();
                        let s = reserve(&seg, &block);
                        let line = format!("{t}.{i}\n").into_bytes();
                        let a = reserve(&audit, &line);
                        journal
                            .commit(vec![part(&seg, s, &block), part(&audit, a, &line)])
                            .unwrap_or_else(|e| panic!("{e}"));
                        seg.commit(s.index).unwrap_or_else(|e| panic!("{e}"));
                        audit.commit(a.index).unwrap_or_else(|e| panic!("{e}"));
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .for_each(|t| t.join().unwrap_or_default());
        assert_eq!((seg.durable_len(), audit.durable_len()), (400, 400));
        let text = String::from_utf8(read(audit.path())).unwrap_or_default();
        assert_eq!(text.lines().count(), 400);
        let blocks = String::from_utf8(read(seg.path())).unwrap_or_default();
        assert_eq!(blocks.matches('<').count(), 400);
        // 512-byte journal files: they came and went as they were applied.
        assert!(
            journal_files_of(d.path()) <= 2,
            "{}",
            journal_files_of(d.path())
        );
        drop(journal);
        assert_eq!(
            journal_files_of(d.path()),
            0,
            "a clean close leaves no journal"
        );
    }
}

//! Group commit: the one place where appended records become durable.
//!
//! An [`Appender`] is an append-only file written by many threads at once
//! (a shard's segment, the audit log). A writer
//!
//! 1. reserves a slot — its index (the record's sequence number) and byte
//!    offset — under the appender's mutex, which holds nothing but numbers
//!    (for the audit log, the closure that formats the record and its hash
//!    link also runs there: memory only);
//! 2. writes its bytes at that offset with no lock held (`pwrite`);
//! 3. waits in [`Appender::commit`] until a sync covers its index. The
//!    first waiter that finds no sync running becomes the leader: it takes
//!    the highest index below which everything is written, releases the
//!    mutex, calls [`sync_file`] once, and wakes every waiter that sync
//!    covered (RocksDB's write groups, on one file).
//!
//! That is [`Mode::Direct`], for files that stand alone (a standalone
//! audit log, tests). The files of a data directory's owner are in
//! [`Mode::Journal`]: a writer hands its record to the directory's journal
//! (`journal/`) instead of writing it, one `fsync` of the journal makes a
//! whole group durable whatever files its records are for, and the
//! journal's leader then stages them here ([`Appender::stage`]) and
//! *applies* them ([`Appender::apply`]): in order of index, each written
//! only once every record before it is, so the file only ever holds a run
//! of journaled records with no hole.
//!
//! No lock is held across a write or an `fsync`. A failed write or sync
//! poisons the appender: every record not yet durable is refused, the file
//! is cut back to the first record in doubt once in-flight writers are done
//! (so no hole is left before later records), and appends stay refused
//! until the directory is reopened. Nothing acknowledged is ever lost.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::durable;

use super::error::LogError;
use super::positional::write_all_at;

/// Makes a file's contents durable: every appended record (segments and
/// the audit log) becomes durable here, through [`durable::sync_file`].
fn sync_file(file: &File, path: &Path) -> Result<(), LogError> {
    durable::sync_file(file, path).map_err(|e| LogError::io(path, "sync", e))
}

/// How an appender's records become durable (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Writers write their own records, and a group's leader `fsync`s the
    /// file (when `fsync` is set; without it, records are acknowledged
    /// once written).
    Direct {
        /// Whether to `fsync`.
        fsync: bool,
    },
    /// Records are made durable by the journal, then applied here.
    Journal,
}

/// A journaled record waiting for the records before it to be applied:
/// its place, its bytes, and the journal file that holds it.
#[derive(Debug)]
struct Staged {
    slot: Slot,
    bytes: Vec<u8>,
    era: u64,
}

/// What a segment's index keeps of one block (24 bytes, the only memory a
/// block costs while its shard is open): where it is, and its times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// The byte offset of its frame.
    pub offset: u64,
    /// Its times.
    pub times: Times,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 24);

/// A block's times, in Unix seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Times {
    /// When the service received it, never earlier than the block before
    /// it (so a shard's receive times can be searched by bisection);
    /// 0 when unknown (a frame written before frames carried times).
    pub received: u32,
    /// The earliest log time in its group.
    pub first: u32,
    /// The latest log time in its group.
    pub last: u32,
}

/// A reserved place in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The record's index (its sequence number).
    pub index: u64,
    /// Where its bytes go.
    pub offset: u64,
    /// How many bytes.
    pub len: u64,
}

#[derive(Debug)]
struct State {
    /// The next index and byte offset to hand out.
    next: u64,
    end: u64,
    /// The index of every reserved record, from `base` on (segments keep
    /// one to read by sequence number; the audit log keeps none).
    offsets: Option<Vec<Entry>>,
    /// The index of the file's first record (a segment's first sequence
    /// number; 0 for the audit log).
    base: u64,
    /// Set once a reservation would pass the size limit: the file takes no
    /// more records (the shard rolls over to a new segment).
    full: bool,
    /// Indices written beyond `contiguous`, not yet contiguous.
    written: std::collections::BTreeSet<u64>,
    /// Every index below this is written.
    contiguous: u64,
    /// Every index below this is durable (acknowledgeable, readable).
    durable: u64,
    syncing: bool,
    in_flight: u64,
    /// The first index in doubt after a failure, and its offset.
    failed: Option<(u64, u64, String)>,
    truncated: bool,
    /// The audit log's hash link of the last reserved record.
    link: String,
    /// Journaled records not yet applied, by index ([`Mode::Journal`]).
    staged: std::collections::BTreeMap<u64, Staged>,
    /// While records are being applied, the oldest journal file (era)
    /// that holds one of them.
    applying: Option<u64>,
}

impl State {
    /// The index entry of record `index`, durable or not.
    fn entry_at(&self, index: u64) -> Option<Entry> {
        self.offsets
            .as_ref()?
            .get(usize::try_from(index.checked_sub(self.base)?).ok()?)
            .copied()
    }

    /// Hands out the next record's slot, `len` bytes.
    fn take(&mut self, len: u64, times: Times) -> Slot {
        let slot = Slot {
            index: self.next,
            offset: self.end,
            len,
        };
        if let Some(offsets) = self.offsets.as_mut() {
            offsets.push(Entry {
                offset: slot.offset,
                times,
            });
        }
        self.next += 1;
        self.end += len;
        self.in_flight += 1;
        slot
    }
}

/// An append-only file shared by many writers (module docs).
#[derive(Debug)]
pub struct Appender {
    path: PathBuf,
    file: File,
    mode: Mode,
    state: Mutex<State>,
    changed: Condvar,
}

impl Appender {
    /// An appender over `file`, whose first `count` records end at `end`;
    /// `offsets` are theirs when the caller reads by index.
    pub fn new(
        path: &Path,
        file: File,
        mode: Mode,
        offsets: Option<Vec<Entry>>,
        count: u64,
        end: u64,
        link: String,
    ) -> Appender {
        Appender {
            path: path.to_path_buf(),
            file,
            mode,
            state: Mutex::new(State {
                next: count,
                end,
                offsets,
                base: 0,
                full: false,
                written: Default::default(),
                contiguous: count,
                durable: count,
                syncing: false,
                in_flight: 0,
                failed: None,
                truncated: false,
                link,
                staged: Default::default(),
                applying: None,
            }),
            changed: Condvar::new(),
        }
    }

    /// Numbers this file's records from `base` on (a segment that is not
    /// its shard's first).
    pub fn starting_at(self, base: u64) -> Appender {
        {
            let mut st = self.state();
            st.base = base;
            st.next += base;
            st.contiguous += base;
            st.durable += base;
        }
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state is whole before the guard drops.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file, for positional reads of durable records.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// How many records are durable.
    pub fn durable_len(&self) -> u64 {
        self.state().durable
    }

    /// The index entry of durable record `index`.
    pub fn entry(&self, index: u64) -> Option<Entry> {
        let st = self.state();
        if index >= st.durable {
            return None;
        }
        st.entry_at(index)
    }

    /// Runs `f` over the index of the durable records (the first is record
    /// `base`), under the mutex: memory only.
    pub fn with_durable_index<T>(&self, f: impl FnOnce(u64, &[Entry]) -> T) -> T {
        let st = self.state();
        let durable = usize::try_from(st.durable - st.base).unwrap_or(usize::MAX);
        let index = st.offsets.as_deref().unwrap_or_default();
        f(st.base, index.get(..durable).unwrap_or(index))
    }

    /// The index of the first record and one past the last reserved one.
    pub fn reserved_range(&self) -> std::ops::Range<u64> {
        let st = self.state();
        st.base..st.next
    }

    fn refuse(&self, st: &State) -> Result<(), LogError> {
        match &st.failed {
            Some((index, _, why)) => Err(LogError::Storage(format!(
                "`{}`: an earlier write at record {index} failed ({why}); appends stop until \
                 the data directory is reopened",
                self.path.display()
            ))),
            None => Ok(()),
        }
    }

    /// Reserves `len` bytes for the next record.
    #[cfg(test)]
    pub fn reserve(&self, len: u64) -> Result<Slot, LogError> {
        self.reserve_with(|_, _| Ok((len, None::<((), String)>)))
            .map(|(slot, _)| slot)
    }

    /// Reserves `len` bytes for the next record of a segment, whose times
    /// are `times` with its receive time raised to the last record's when
    /// the clock went back. `None` (and the file is full from then on)
    /// when the file holds a record and this one would end past `limit`.
    pub fn reserve_entry(
        &self,
        len: u64,
        times: Times,
        limit: u64,
    ) -> Result<Option<(Slot, Times)>, LogError> {
        let mut st = self.state();
        self.refuse(&st)?;
        if st.full || (st.next > st.base && st.end.saturating_add(len) > limit) {
            st.full = true;
            return Ok(None);
        }
        let floor = st
            .offsets
            .as_ref()
            .and_then(|o| o.last())
            .map_or(0, |e| e.times.received);
        let times = Times {
            received: times.received.max(floor),
            ..times
        };
        Ok(Some((st.take(len, times), times)))
    }

    /// Reserves the next record, whose bytes `build(index, link)` makes
    /// under the mutex (memory only), returning them with its new link.
    pub fn reserve_bytes(
        &self,
        build: impl FnOnce(u64, &str) -> Result<(Vec<u8>, String), LogError>,
    ) -> Result<(Slot, Vec<u8>), LogError> {
        let (slot, bytes) = self.reserve_with(|index, link| {
            let (bytes, next) = build(index, link)?;
            Ok((bytes.len() as u64, Some((bytes, next))))
        })?;
        Ok((slot, bytes.map(|(b, _)| b).unwrap_or_default()))
    }

    fn reserve_with<T>(
        &self,
        build: impl FnOnce(u64, &str) -> Result<(u64, Option<(T, String)>), LogError>,
    ) -> Result<(Slot, Option<(T, String)>), LogError> {
        let mut st = self.state();
        self.refuse(&st)?;
        let (len, made) = build(st.next, &st.link)?;
        if let Some((_, link)) = &made {
            st.link = link.clone();
        }
        Ok((st.take(len, Times::default()), made))
    }

    /// Why `bytes` cannot fill `slot`, if they cannot (not its length:
    /// written, they would leave a hole or cover the next record).
    fn misfit(&self, slot: Slot, bytes: &[u8]) -> Option<String> {
        (bytes.len() as u64 != slot.len).then(|| {
            format!(
                "`{}`: record {} was reserved {} bytes and is {}",
                self.path.display(),
                slot.index,
                slot.len,
                bytes.len()
            )
        })
    }

    /// Writes a reserved record's bytes (no lock held during the write).
    pub fn write(&self, slot: Slot, bytes: &[u8]) -> Result<(), LogError> {
        let written = match self.misfit(slot, bytes) {
            None => write_all_at(&self.file, bytes, slot.offset)
                .map_err(|e| LogError::io(&self.path, "write", e)),
            Some(why) => Err(LogError::Storage(why)),
        };
        let mut st = self.state();
        match &written {
            Ok(()) => {
                st.written.insert(slot.index);
                loop {
                    let next = st.contiguous;
                    if !st.written.remove(&next) {
                        break;
                    }
                    st.contiguous += 1;
                }
            }
            Err(e) => self.fail(&mut st, slot.index, slot.offset, e.to_string()),
        }
        self.finish_one(&mut st);
        self.changed.notify_all();
        written
    }

    /// Gives a reservation up without writing it (its record could not be
    /// made): the appender is poisoned from that record on.
    pub fn abandon(&self, slot: Slot, why: &str) {
        let mut st = self.state();
        self.fail(&mut st, slot.index, slot.offset, why.to_string());
        self.finish_one(&mut st);
        self.changed.notify_all();
    }

    fn fail(&self, st: &mut State, index: u64, offset: u64, why: String) {
        let earlier = st.failed.as_ref().is_none_or(|(i, _, _)| index < *i);
        if earlier {
            st.failed = Some((index, offset, why));
        }
        // Journaled records after the failure can never be applied: they
        // were never acknowledged, and nothing waits for them any more.
        st.staged.retain(|i, _| *i < index);
    }

    /// One in-flight writer is done; the last one after a failure cuts the
    /// file back to the first record in doubt (a failure path: the only
    /// I/O under this mutex).
    fn finish_one(&self, st: &mut State) {
        st.in_flight = st.in_flight.saturating_sub(1);
        // A journaled file never holds a record before it is applied in
        // order: there is nothing to cut.
        if st.in_flight == 0
            && self.mode != Mode::Journal
            && !st.truncated
            && let Some((index, offset, _)) = st.failed.clone()
        {
            st.truncated = true;
            if index >= st.durable {
                let _ = self.file.set_len(offset);
            }
        }
    }

    /// Takes a journaled record ([`Mode::Journal`]) to be applied by
    /// [`Appender::apply`]: memory only, so that the journal's leader can
    /// hand its group over before any of it is written here.
    pub fn stage(&self, slot: Slot, bytes: Vec<u8>, era: u64) {
        let mut st = self.state();
        if st.failed.as_ref().is_some_and(|(i, _, _)| slot.index >= *i) {
            return; // refused already: its writer was told
        }
        if let Some(why) = self.misfit(slot, &bytes) {
            self.fail(&mut st, slot.index, slot.offset, why);
            self.changed.notify_all();
            return;
        }
        st.staged.insert(slot.index, Staged { slot, bytes, era });
    }

    /// Applies, in order, every staged record whose predecessors are all
    /// applied: their bytes are written with no lock held, then they are
    /// durable and their writers wake. One caller applies at a time; a
    /// caller that finds another at work leaves its records to it (which
    /// looks for more before it stops).
    pub fn apply(&self) {
        let mut st = self.state();
        if st.applying.is_some() {
            return;
        }
        loop {
            let mut run = Vec::new();
            let mut next = st.durable;
            while let Some(s) = st.staged.remove(&next) {
                run.push(s);
                next += 1;
            }
            let Some(oldest) = run.iter().map(|s| s.era).min() else {
                break;
            };
            // Still held for the checkpoint until written ([`Appender::holds_era`]).
            st.applying = Some(oldest);
            drop(st);
            // A run is contiguous in the file: one write for all of it.
            // (Each record's bytes are its slot's length: [`Appender::stage`].)
            // A record alone, the common case, is written without a copy.
            let at = run.first().map_or(0, |s| s.slot.offset);
            let bytes: std::borrow::Cow<'_, [u8]> = match run.as_slice() {
                [one] => (&one.bytes[..]).into(),
                _ => {
                    let mut all = Vec::with_capacity(run.iter().map(|s| s.bytes.len()).sum());
                    run.iter().for_each(|s| all.extend_from_slice(&s.bytes));
                    all.into()
                }
            };
            let (applied, failure) = match write_all_at(&self.file, &bytes, at) {
                Ok(()) => (run.len() as u64, None),
                Err(e) => {
                    // Cut what was written, so the file keeps no piece of
                    // a record that was never applied.
                    let _ = self.file.set_len(at);
                    let first = run.first().map(|s| s.slot);
                    (
                        0,
                        first.map(|slot| (slot, LogError::io(&self.path, "write", e))),
                    )
                }
            };
            st = self.state();
            st.durable += applied;
            if let Some((slot, e)) = failure {
                self.fail(&mut st, slot.index, slot.offset, e.to_string());
            }
            self.changed.notify_all();
        }
        st.applying = None;
    }

    /// Whether a record journaled in `era` or before is not yet applied
    /// (staged, or being written): the journal keeps that era's file
    /// until none is.
    pub fn holds_era(&self, era: u64) -> bool {
        let st = self.state();
        st.applying.is_some_and(|e| e <= era) || st.staged.values().any(|s| s.era <= era)
    }

    /// Makes every applied record durable in the file itself (a journal
    /// checkpoint, before the journal's copy is removed).
    pub fn sync(&self) -> Result<(), LogError> {
        sync_file(&self.file, &self.path)
    }

    /// Waits until record `index` is durable (module docs): one `fsync`
    /// acknowledges every writer waiting when it starts.
    pub fn commit(&self, index: u64) -> Result<(), LogError> {
        let mut st = self.state();
        loop {
            if st.durable > index {
                return Ok(());
            }
            if let Some((failed, _, _)) = &st.failed
                && index >= *failed
            {
                return self.refuse(&st);
            }
            // In journal mode an applied record is durable (the journal
            // holds it), and the journal's leader wakes us as it applies.
            if self.mode == Mode::Journal || st.syncing || st.contiguous <= index {
                st = self
                    .changed
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            st.syncing = true;
            let target = st.contiguous;
            drop(st);
            let synced = match self.mode {
                Mode::Direct { fsync: true } => sync_file(&self.file, &self.path),
                _ => Ok(()),
            };
            st = self.state();
            st.syncing = false;
            match synced {
                Ok(()) => st.durable = st.durable.max(target),
                Err(e) => {
                    // Everything written since the last good sync is in doubt.
                    let index = st.durable;
                    let offset = st.entry_at(index).map_or(st.end, |e| e.offset);
                    self.fail(&mut st, index, offset, e.to_string());
                    if st.in_flight == 0 && !st.truncated {
                        st.truncated = true;
                        let _ = self.file.set_len(offset);
                    }
                }
            }
            self.changed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests;

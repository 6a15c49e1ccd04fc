//! A shard: its blocks as a run of segment files, oldest first, numbered
//! by one sequence across them.
//!
//! ```text
//! shard-<n>.seg               the segment whose first block is 0
//! shard-<n>-<base:020>.seg    the segment whose first block is <base>
//! ```
//!
//! **Rollover.** A new segment starts when a block would take the current
//! one past the size limit ([`Options::segment_bytes`]): the first writer
//! that finds it full takes the shard's roll mutex, waits until every
//! block reserved in the full segment is durable (so that only the last
//! segment can ever have a torn tail, and no block of a new segment is
//! durable while an older one is not), makes the new file durable under
//! its name (D9), and publishes it; writers that found the same segment
//! full retry in the new one. The roll mutex is held across that one
//! `fsync` of the full segment and the new file's: only the writers of
//! this shard, which would wait for it anyway, wait on it.
//!
//! **Retention.** [`Shard::expired`] names the oldest segments whose
//! newest block was received before a cutoff, never the last one (the one
//! being written), and only from the front, so the segments left are
//! always one contiguous run; [`Shard::remove`] removes them, each removal
//! made durable by an `fsync` of the folder before the next. A shard's first sequence number is then
//! the first block of its oldest segment.
//!
//! **Receive times** never go back within a shard (each is raised to the
//! one before it, across segments too), so a cursor is found by time by
//! bisection over the segments' indexes, in memory.
//!
//! Lock order: the roll mutex, then the segment list's lock (held only to
//! clone or swap the list), then a segment's appender.
//!
//! [`Options::segment_bytes`]: super::Options::segment_bytes

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::durable::sync_dir;

use super::commit::{Mode, Slot, Times};
use super::datadir::numbered_files;
use super::error::LogError;
use super::segment::Segment;

/// The name of a shard's segment file whose first block is `base`.
pub(crate) fn segment_name(shard: u32, base: u64) -> String {
    if base == 0 {
        format!("shard-{shard}.seg")
    } else {
        format!("shard-{shard}-{base:020}.seg")
    }
}

/// The first sequence number of a segment file of `shard` named `name`.
fn parse_name(shard: u32, name: &str) -> Option<u64> {
    let prefix = format!("shard-{shard}");
    let rest = name.strip_prefix(&prefix)?.strip_suffix(".seg")?;
    if rest.is_empty() {
        return Some(0);
    }
    let digits = rest.strip_prefix('-')?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&b| b > 0)
}

/// The segment files of `shard` in `folder`, by first sequence number.
pub(crate) fn segment_files(folder: &Path, shard: u32) -> Result<Vec<(u64, PathBuf)>, LogError> {
    numbered_files(folder, |name| parse_name(shard, name))
}

/// A segment that retention removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Removed {
    /// The file it was.
    pub(crate) path: PathBuf,
    /// The sequence numbers it held.
    pub(crate) seqs: std::ops::Range<u64>,
    /// When its newest block was received.
    pub(crate) newest_received: u32,
}

/// One shard of a Logstore incarnation (module docs).
#[derive(Debug)]
pub(crate) struct Shard {
    folder: PathBuf,
    number: u32,
    durable: bool,
    /// How its segments' blocks become durable.
    mode: Mode,
    limit: u64,
    segments: RwLock<Arc<Vec<Arc<Segment>>>>,
    roll: Mutex<()>,
    /// Where the first damage found at open starts (a hole: a segment
    /// missing between two others, or a damaged segment's first unreadable
    /// block): appends are refused.
    damaged: Option<u64>,
}

impl Shard {
    /// Opens a shard's segments (recovering the last one's torn tail); makes
    /// its first segment when it has none and `create`, else `None`.
    pub(crate) fn open(
        folder: &Path,
        number: u32,
        durable: bool,
        mode: Mode,
        limit: u64,
        create: bool,
    ) -> Result<Option<Shard>, LogError> {
        let mut files = segment_files(folder, number)?;
        if files.is_empty() {
            if !create {
                return Ok(None);
            }
            files.push((0, folder.join(segment_name(number, 0))));
        }
        let mut segments = Vec::with_capacity(files.len());
        let last = files.len() - 1;
        for (i, (base, path)) in files.iter().enumerate() {
            let create = create && i == last;
            let Some(s) = Segment::open(path, *base, mode, create, i == last)? else {
                return Ok(None);
            };
            segments.push(Arc::new(s));
        }
        let gap = segments
            .windows(2)
            .find(|w| w[0].damaged_at().is_none() && w[0].end() != w[1].base())
            .map(|w| w[0].end());
        let in_segment = segments
            .iter()
            .find(|s| s.damaged_at().is_some())
            .map(|s| s.end());
        let damaged = match (in_segment, gap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Some(Shard {
            folder: folder.to_path_buf(),
            number,
            durable,
            mode,
            limit,
            segments: RwLock::new(Arc::new(segments)),
            roll: Mutex::new(()),
            damaged,
        }))
    }

    /// The segments as they stand, oldest first (never empty).
    pub(crate) fn segments(&self) -> Arc<Vec<Arc<Segment>>> {
        self.segments
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn last(&self) -> Result<Arc<Segment>, LogError> {
        self.segments()
            .last()
            .cloned()
            .ok_or_else(|| LogError::Storage(format!("shard {} has no segment", self.number)))
    }

    /// The sequence number the next reserved block gets (blocks reserved
    /// but not yet durable counted): where a plaintext window starts or
    /// ends (S1).
    pub(crate) fn next_seq(&self) -> u64 {
        self.segments().last().map_or(0, |s| s.reserved_end())
    }

    /// The file that holds block `seq` (the shard's folder when no
    /// segment does), for messages.
    pub(crate) fn path_of(&self, seq: u64) -> PathBuf {
        self.segments()
            .iter()
            .rev()
            .find(|s| s.base() <= seq)
            .map_or_else(|| self.folder.clone(), |s| s.path().to_path_buf())
    }

    /// The sequence number of the oldest block kept.
    pub(crate) fn first(&self) -> u64 {
        self.segments().first().map_or(0, |s| s.base())
    }

    /// One past the newest durable block: the end cursor.
    pub(crate) fn end(&self) -> u64 {
        self.segments().last().map_or(0, |s| s.end())
    }

    /// Where damage found when the shard was opened starts (the first
    /// sequence number that does not read): reads reach it and fail,
    /// appends are refused.
    pub(crate) fn damaged_seq(&self) -> Option<u64> {
        self.damaged
    }

    /// Whether damage was found when the shard was opened.
    #[cfg(test)]
    pub(crate) fn is_damaged(&self) -> bool {
        self.damaged_seq().is_some()
    }

    /// Reserves the next sequence number for a block of `body_len` bytes,
    /// in a new segment when the current one is full; returns the segment
    /// it is in, its slot and its times, and whether a new segment began.
    pub(crate) fn reserve(
        &self,
        body_len: usize,
        times: Times,
    ) -> Result<(Arc<Segment>, Slot, Times, bool), LogError> {
        if let Some(at) = self.damaged {
            return Err(LogError::Integrity {
                what: format!(
                    "`{}` shard {}: damaged from block {at}, refusing to append",
                    self.folder.display(),
                    self.number
                ),
            });
        }
        let mut rolled = false;
        loop {
            let segments = self.segments();
            let Some(current) = segments.last() else {
                return Err(LogError::Storage(format!(
                    "shard {} has no segment",
                    self.number
                )));
            };
            // Receive times carry on from the segment before.
            let floor = segments
                .len()
                .checked_sub(2)
                .and_then(|i| segments.get(i))
                .and_then(|s| s.newest_received())
                .unwrap_or(0);
            let times = Times {
                received: times.received.max(floor),
                ..times
            };
            if let Some((slot, times)) = current.reserve(body_len, times, self.limit)? {
                return Ok((current.clone(), slot, times, rolled));
            }
            rolled |= self.roll(current)?;
        }
    }

    /// Starts a new segment after `full` (module docs); false when another
    /// writer already did.
    fn roll(&self, full: &Arc<Segment>) -> Result<bool, LogError> {
        let _roll = self.roll.lock().unwrap_or_else(PoisonError::into_inner);
        if !Arc::ptr_eq(&self.last()?, full) {
            return Ok(false);
        }
        full.commit_all()?;
        let base = full.reserved_end();
        let path = self.folder.join(segment_name(self.number, base));
        let segment = Segment::open(&path, base, self.mode, true, true)?
            .ok_or_else(|| LogError::Storage(format!("`{}` was not made", path.display())))?;
        if self.durable {
            sync_dir(&self.folder).map_err(|e| LogError::io(&self.folder, "sync", e))?;
        }
        let mut next = (*self.segments()).clone();
        next.push(Arc::new(segment));
        *self
            .segments
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        Ok(true)
    }

    /// The segments to remove for `cutoff`: the oldest
    /// ones, never the last, whose newest block was received before it.
    pub(crate) fn expired(&self, cutoff: u32) -> Vec<Removed> {
        let segments = self.segments();
        let Some((_, older)) = segments.split_last() else {
            return Vec::new();
        };
        older
            .iter()
            .map_while(|s| {
                let newest = s.newest_received()?;
                // 0: times unknown (frames older than times): kept.
                (newest != 0 && newest < cutoff && s.damaged_at().is_none()).then(|| Removed {
                    path: s.path().to_path_buf(),
                    seqs: s.base()..s.end(),
                    newest_received: newest,
                })
            })
            .collect()
    }

    /// Removes segments [`Shard::expired`] named, oldest first, each
    /// removal durable before the next; a segment is removed only while it
    /// is the oldest and not the last.
    pub(crate) fn remove(&self, which: &[Removed]) -> Result<(), LogError> {
        let _roll = self.roll.lock().unwrap_or_else(PoisonError::into_inner);
        for r in which {
            let segments = self.segments();
            let oldest = segments.first().filter(|_| segments.len() > 1);
            if oldest.is_none_or(|s| s.path() != r.path) {
                break;
            }
            // Readers stop finding it first; one already reading keeps its
            // open file.
            let rest: Vec<_> = self
                .segments()
                .iter()
                .filter(|s| s.path() != r.path)
                .cloned()
                .collect();
            *self
                .segments
                .write()
                .unwrap_or_else(PoisonError::into_inner) = Arc::new(rest);
            std::fs::remove_file(&r.path).map_err(|e| LogError::io(&r.path, "remove", e))?;
            if self.durable {
                sync_dir(&self.folder).map_err(|e| LogError::io(&self.folder, "sync", e))?;
            }
        }
        Ok(())
    }

    fn gap_error(&self, at: u64) -> LogError {
        LogError::Integrity {
            what: format!(
                "`{}` shard {}: the segment holding block {at} is missing",
                self.folder.display(),
                self.number
            ),
        }
    }

    /// Reads durable block `seq` (at or after [`Shard::first`]).
    pub(crate) fn read(&self, seq: u64) -> Result<Vec<u8>, LogError> {
        let segments = self.segments();
        let i = segments.partition_point(|s| s.base() <= seq);
        let Some(segment) = i.checked_sub(1).and_then(|i| segments.get(i)) else {
            return Err(LogError::ParameterInvalid(format!(
                "cursor {seq} is before the oldest block kept"
            )));
        };
        if seq >= segment.end() && segment.damaged_at().is_none() && i < segments.len() {
            return Err(self.gap_error(seq));
        }
        segment.read(seq)
    }

    /// The first block received at or after `time` (Unix seconds), or the
    /// end cursor when there is none.
    pub(crate) fn cursor_at(&self, time: u32) -> u64 {
        let segments = self.segments();
        for s in segments.iter() {
            let found = s.with_index(|base, index| {
                let i = index.partition_point(|e| e.times.received < time);
                (i < index.len()).then_some(base + i as u64)
            });
            if let Some(seq) = found {
                return seq;
            }
        }
        self.end()
    }

    /// The blocks from `from_seq` on with a log time in `[from, to)`, by
    /// their index alone (no block is read).
    pub(crate) fn blocks_in(&self, from_seq: u64, from: u32, to: u32) -> Vec<u64> {
        let mut out = Vec::new();
        for s in self.segments().iter() {
            s.with_index(|base, index| {
                for (i, e) in index.iter().enumerate() {
                    let seq = base + i as u64;
                    if seq >= from_seq && e.times.first < to && e.times.last >= from {
                        out.push(seq);
                    }
                }
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(received: u32) -> Times {
        Times {
            received,
            first: received,
            last: received,
        }
    }

    fn append(shard: &Shard, body: &[u8], received: u32) -> u64 {
        let (segment, slot, t, _) = shard
            .reserve(body.len(), times(received))
            .unwrap_or_else(|e| panic!("{e}"));
        segment
            .write(slot, t, body)
            .unwrap_or_else(|e| panic!("{e}"));
        segment.commit(slot.index).unwrap_or_else(|e| panic!("{e}"));
        slot.index
    }

    fn open(folder: &Path, limit: u64) -> Shard {
        Shard::open(folder, 3, true, Mode::Direct { fsync: true }, limit, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"))
    }

    #[test]
    fn segment_names_parse_back() {
        assert_eq!(parse_name(3, &segment_name(3, 0)), Some(0));
        assert_eq!(parse_name(3, &segment_name(3, 42)), Some(42));
        assert_eq!(parse_name(3, &segment_name(31, 42)), None);
        assert_eq!(parse_name(3, "shard-3-42.seg"), None);
        assert_eq!(parse_name(3, "shard-3-00000000000000000000.seg"), None);
        assert_eq!(parse_name(3, "shard-3.seg.tmp"), None);
    }

    #[test]
    fn blocks_roll_over_into_new_segments_and_read_back_after_reopening() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let shard = open(d.path(), 200);
        let seqs: Vec<u64> = (0..20u32)
            .map(|i| {
                append(
                    &shard,
                    format!("block {i:02} {}", "x".repeat(40)).as_bytes(),
                    i,
                )
            })
            .collect();
        assert_eq!(seqs, (0..20).collect::<Vec<_>>());
        let files = segment_files(d.path(), 3).unwrap_or_default();
        assert!(files.len() >= 5, "{files:?}");
        for (_, path) in &files {
            let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            assert!(len <= 200, "{} is {len} bytes", path.display());
        }
        drop(shard);
        let shard = open(d.path(), 200);
        assert_eq!(shard.end(), 20);
        for i in 0..20u64 {
            let got = shard.read(i).unwrap_or_default();
            assert!(got.starts_with(format!("block {i:02}").as_bytes()), "{i}");
        }
        assert_eq!(append(&shard, b"after", 99), 20);
    }

    #[test]
    fn a_cursor_is_found_by_receive_time_across_segments() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let shard = open(d.path(), 150);
        // Receive times 100, 110, ..., with the clock going back once (the
        // block is stamped with the time before it).
        for (i, t) in [100, 110, 120, 115, 130, 140, 150, 160]
            .into_iter()
            .enumerate()
        {
            append(&shard, format!("{i:040}").as_bytes(), t);
        }
        assert!(shard.segments().len() > 2);
        assert_eq!(shard.cursor_at(0), 0);
        assert_eq!(shard.cursor_at(100), 0);
        assert_eq!(shard.cursor_at(101), 1);
        assert_eq!(shard.cursor_at(120), 2);
        assert_eq!(shard.cursor_at(121), 4, "block 3 was stamped 120");
        assert_eq!(shard.cursor_at(160), 7);
        assert_eq!(shard.cursor_at(161), 8, "the end cursor");
    }

    #[test]
    fn a_time_range_names_only_the_blocks_inside_it() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let shard = open(d.path(), 150);
        for t in [10, 20, 30, 40, 50] {
            append(&shard, &[0u8; 30], t);
        }
        assert_eq!(shard.blocks_in(0, 20, 41), vec![1, 2, 3]);
        assert_eq!(shard.blocks_in(2, 20, 41), vec![2, 3]);
        assert_eq!(shard.blocks_in(0, 51, 60), Vec::<u64>::new());
        assert_eq!(shard.blocks_in(0, 0, u32::MAX).len(), 5);
    }

    #[test]
    fn expiry_removes_old_segments_from_the_front_never_the_last() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let shard = open(d.path(), 100);
        for t in 1..=6 {
            append(&shard, &[1u8; 40], t * 10);
        }
        let before = shard.segments().len();
        assert!(before >= 3);
        assert!(shard.expired(0).is_empty());
        let removed = shard.expired(35);
        shard.remove(&removed).unwrap_or_else(|e| panic!("{e}"));
        assert!(!removed.is_empty());
        assert!(removed.iter().all(|r| r.newest_received < 35));
        assert_eq!(removed[0].seqs.start, 0);
        let first = shard.first();
        assert_eq!(first, removed.last().map_or(0, |r| r.seqs.end));
        assert!(shard.read(first).is_ok());
        assert!(shard.read(0).is_err());
        // Everything but the last: the segment being written stays.
        shard
            .remove(&shard.expired(u32::MAX))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shard.segments().len(), 1);
        drop(shard);
        let shard = open(d.path(), 100);
        assert_eq!(shard.end(), 6);
        assert!(!shard.is_damaged());
        assert_eq!(append(&shard, b"more", 70), 6);
    }

    #[test]
    fn only_the_last_segment_may_have_a_torn_tail() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let shard = open(d.path(), 100);
        for t in 1..=6 {
            append(&shard, &[1u8; 40], t);
        }
        drop(shard);
        let files = segment_files(d.path(), 3).unwrap_or_default();
        assert!(files.len() >= 3);
        // A cut in the last segment is a write that never completed: cut
        // back, and its number is used again.
        let (base, last) = files[files.len() - 1].clone();
        let len = std::fs::metadata(&last).map(|m| m.len()).unwrap_or(0);
        let cut = |path: &Path, to: u64| {
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(to))
                .unwrap_or_else(|e| panic!("{e}"));
        };
        cut(&last, len - 5);
        let shard = open(d.path(), 100);
        assert!(!shard.is_damaged());
        assert_eq!(shard.end(), 5);
        assert_eq!(base, 5);
        assert_eq!(append(&shard, b"again", 9), 5);
        drop(shard);
        // The same cut in an earlier segment (finished, all durable before
        // the next began) is damage: kept, reads into it fail, appends stop.
        let (_, middle) = files[1].clone();
        let len = std::fs::metadata(&middle).map(|m| m.len()).unwrap_or(0);
        cut(&middle, len - 5);
        let shard = open(d.path(), 100);
        assert!(shard.is_damaged());
        assert_eq!(
            std::fs::metadata(&middle).map(|m| m.len()).ok(),
            Some(len - 5),
            "nothing cut"
        );
        assert!(shard.read(files[2].0 - 1).is_err());
        assert!(shard.read(0).is_ok());
        assert!(shard.reserve(1, times(9)).is_err());
    }

    #[test]
    fn a_missing_middle_segment_is_damage() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let shard = open(d.path(), 100);
        for t in 1..=6 {
            append(&shard, &[1u8; 40], t);
        }
        drop(shard);
        let files = segment_files(d.path(), 3).unwrap_or_default();
        assert!(files.len() >= 3);
        std::fs::remove_file(&files[1].1).unwrap_or_else(|e| panic!("{e}"));
        let shard = open(d.path(), 100);
        assert!(shard.is_damaged());
        assert!(shard.read(files[1].0).is_err());
        assert!(shard.read(0).is_ok());
        assert!(shard.reserve(1, times(9)).is_err(), "appends refused");
    }
}

//! Append-only segment files: a shard's blocks are a run of segments
//! (`shard.rs`), each a sequence of framed blocks.
//!
//! ```text
//! frame    := "RGS2" | len: u32 LE | received: u32 LE | first: u32 LE | last: u32 LE
//!             | hcheck: u32 LE | body: len bytes | check: u32 LE
//! hcheck   := CRC-32(the 20 header bytes before it)
//! check    := CRC-32(the 20 header bytes | body)
//! received := when the service received the group (Unix seconds)
//! first, last := the earliest and latest log time in the group
//! ```
//!
//! Frames written before times existed (`"RGS1" | len | hcheck | body |
//! check`, 12-byte header) are still read; their times are unknown
//! (received 0, log times 0..=u32::MAX, so a time-range read always reads
//! them and retention never removes them).
//!
//! The header has its own check so that a damaged length field is told
//! apart from a write that stopped half way. The times are in the header
//! so that the scan that opens a segment builds its time index from the
//! headers alone (24 bytes of memory per block, never a body, C1). They are
//! plaintext and checked by CRC only, as the length is: a hand edit of them
//! can make a time-range read skip a block, as deleting the block could;
//! what a block holds is the block layer's to authenticate.
//!
//! The frame checks only tell a complete frame from a torn or damaged one,
//! which is what a CRC is for (as in LevelDB's log format); a block's
//! authenticity is the block layer's business (AEAD tags, location
//! binding), so no cryptographic hash is spent here — SHA-256 over every
//! frame cost twice the AEAD itself.
//!
//! Recovery when a segment is opened (by the directory's owner only, so
//! no reader can be cut short, D2): frame headers are read from the start,
//! each one's length skipping its body; the last frame is checked whole. A
//! frame that runs past the end of the shard's last segment is the torn
//! tail of a write that was never acknowledged (acknowledgement waits for
//! `fsync`), and the file is cut back to the last whole frame; in an
//! earlier segment (finished, every block durable before the next segment
//! began) it is damage. Anything else that does not read — a bad magic, a
//! header or last frame whose check fails — is damage, not a torn write:
//! the segment keeps it, every read at or after it fails with an integrity
//! error, and appends are refused, so nothing is lost silently and nothing
//! corrupt is served. Damage inside an earlier body is found when that
//! block is read (its frame check is verified on every read).
//!
//! Appends go through an [`Appender`]: many writers, one `fsync` per group.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::commit::{Appender, Entry, Mode, Slot, Times};
use super::error::LogError;
use super::positional::read_exact_at;

const MAGIC: &[u8; 4] = b"RGS2";
const HEADER: usize = 24;
/// The frame of segments written before frames carried times.
const MAGIC_V1: &[u8; 4] = b"RGS1";
const HEADER_V1: usize = 12;
const CHECK: usize = 4;

/// The largest block a frame may carry (a log group is at most a few MiB in
/// Log Service; this bounds what a damaged length field can make us read).
pub const MAX_BLOCK: usize = 64 << 20;

/// One segment file of a shard: appended by many writers, read by
/// sequence number below what is durable.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    appender: Arc<Appender>,
    /// Offset of the first damaged frame, if any.
    damaged_at: Option<u64>,
}

fn crc(parts: &[&[u8]]) -> [u8; 4] {
    let mut h = crc32fast::Hasher::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_le_bytes()
}

fn le(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        b.copy_from_slice(src);
    }
    u32::from_le_bytes(b)
}

/// A frame header that reads: where its body starts, how long it is, and
/// its times.
#[derive(Clone, Copy, Debug)]
struct Header {
    len: usize,
    size: usize,
    times: Times,
}

/// How many header bytes a frame starting with `magic` has.
fn header_size(magic: &[u8]) -> Option<usize> {
    match magic.get(..4)? {
        m if m == MAGIC => Some(HEADER),
        m if m == MAGIC_V1 => Some(HEADER_V1),
        _ => None,
    }
}

/// Reads a frame header: `Some` when it is intact.
fn header(bytes: &[u8]) -> Option<Header> {
    let size = header_size(bytes)?;
    let bytes = bytes.get(..size)?;
    if bytes[size - 4..] != crc(&[&bytes[..size - 4]]) {
        return None;
    }
    let len = le(bytes, 4) as usize;
    let times = if size == HEADER {
        Times {
            received: le(bytes, 8),
            first: le(bytes, 12),
            last: le(bytes, 16),
        }
    } else {
        Times {
            received: 0,
            first: 0,
            last: u32::MAX,
        }
    };
    (len <= MAX_BLOCK).then_some(Header { len, size, times })
}

/// The bytes a frame of a `body_len`-byte block takes.
pub fn frame_len(body_len: usize) -> u64 {
    (HEADER + body_len + CHECK) as u64
}

/// The frame of a block (module docs).
pub fn frame(times: Times, body: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER + body.len() + CHECK);
    frame.extend_from_slice(MAGIC);
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&times.received.to_le_bytes());
    frame.extend_from_slice(&times.first.to_le_bytes());
    frame.extend_from_slice(&times.last.to_le_bytes());
    let hcheck = crc(&[&frame]);
    frame.extend_from_slice(&hcheck);
    let check = crc(&[&frame[..HEADER - 4], body]);
    frame.extend_from_slice(body);
    frame.extend_from_slice(&check);
    frame
}

/// What a scan of the headers found.
struct Scan {
    index: Vec<Entry>,
    end: u64,
    damaged_at: Option<u64>,
}

/// Reads every frame header, skipping bodies; checks the last frame whole.
fn scan(file: &File, path: &Path) -> Result<Scan, LogError> {
    let io = |e| LogError::io(path, "read", e);
    let size = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::with_capacity(64 << 10, file);
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut index = Vec::new();
    let mut pos = 0u64;
    let mut damaged_at = None;
    while size - pos >= HEADER_V1 as u64 {
        let mut bytes = [0u8; HEADER];
        reader.read_exact(&mut bytes[..HEADER_V1]).map_err(io)?;
        let want = header_size(&bytes).unwrap_or(HEADER_V1);
        if size - pos < want as u64 {
            break; // torn header: the write never completed
        }
        reader.read_exact(&mut bytes[HEADER_V1..want]).map_err(io)?;
        let Some(h) = header(&bytes[..want]) else {
            damaged_at = Some(pos);
            break;
        };
        let whole = (h.size + h.len + CHECK) as u64;
        if size - pos < whole {
            break; // torn body: the write never completed
        }
        index.push(Entry {
            offset: pos,
            times: h.times,
        });
        pos += whole;
        reader.seek(SeekFrom::Start(pos)).map_err(io)?;
    }
    // The last frame is the one a crash could have left half-written with
    // its length already extended: check it whole.
    if damaged_at.is_none()
        && let Some(last) = index.last()
        && read_frame(file, last.offset).is_err()
    {
        damaged_at = Some(last.offset);
    }
    Ok(Scan {
        index,
        end: pos,
        damaged_at,
    })
}

/// The body of the frame at `offset`, its checks verified.
fn read_frame(file: &File, offset: u64) -> Result<Vec<u8>, &'static str> {
    let mut bytes = [0u8; HEADER];
    read_exact_at(file, &mut bytes[..HEADER_V1], offset).map_err(|_| "the frame header is gone")?;
    let size = header_size(&bytes).ok_or("the frame header is altered")?;
    read_exact_at(file, &mut bytes[HEADER_V1..size], offset + HEADER_V1 as u64)
        .map_err(|_| "the frame header is cut short")?;
    let h = header(&bytes[..size]).ok_or("the frame header is altered")?;
    let mut rest = vec![0u8; h.len + CHECK];
    read_exact_at(file, &mut rest, offset + size as u64).map_err(|_| "the frame is cut short")?;
    // A v1 frame's check covers the magic and the length only.
    let covered = if size == HEADER { size - 4 } else { 8 };
    if rest[h.len..] != crc(&[&bytes[..covered], &rest[..h.len]]) {
        return Err("the frame check fails");
    }
    rest.truncate(h.len);
    Ok(rest)
}

impl Segment {
    /// Opens a segment whose first block is sequence number `base`, and
    /// recovers it: a torn tail is cut only when it is the shard's `last`
    /// segment (elsewhere it is damage). `None` when it does not exist and
    /// `create` is false (reads make no files).
    pub fn open(
        path: &Path,
        base: u64,
        mode: Mode,
        create: bool,
        last: bool,
    ) -> Result<Option<Segment>, LogError> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if !m.is_file() => {
                return Err(LogError::Damaged {
                    what: format!("`{}` is not a regular file", path.display()),
                    hint: "move it aside; ramgate makes segments itself".to_string(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(LogError::io(path, "open", e)),
        }
        let file = crate::durable::open_private_file(path, create)
            .map_err(|e| LogError::io(path, "open", e))?;
        let mut scan = scan(&file, path)?;
        let size = file
            .metadata()
            .map_err(|e| LogError::io(path, "read", e))?
            .len();
        if scan.damaged_at.is_none() && scan.end < size {
            if last {
                file.set_len(scan.end)
                    .map_err(|e| LogError::io(path, "truncate", e))?;
                crate::durable::sync_file(&file, path)
                    .map_err(|e| LogError::io(path, "sync", e))?;
            } else {
                scan.damaged_at = Some(scan.end);
            }
        }
        let count = scan.index.len() as u64;
        Ok(Some(Segment {
            path: path.to_path_buf(),
            appender: Arc::new(
                Appender::new(
                    path,
                    file,
                    mode,
                    Some(scan.index),
                    count,
                    scan.end,
                    String::new(),
                )
                .starting_at(base),
            ),
            damaged_at: scan.damaged_at,
        }))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number of its first block.
    pub fn base(&self) -> u64 {
        self.appender.reserved_range().start
    }

    /// One past the sequence number of its last durable block.
    pub fn end(&self) -> u64 {
        self.appender.durable_len()
    }

    /// One past the sequence number of its last reserved block.
    pub fn reserved_end(&self) -> u64 {
        self.appender.reserved_range().end
    }

    /// The offset of the first damaged frame, when damage was found when
    /// the segment was opened.
    pub fn damaged_at(&self) -> Option<u64> {
        self.damaged_at
    }

    /// The durable blocks' index entries (the first is block `base`).
    pub fn with_index<T>(&self, f: impl FnOnce(u64, &[Entry]) -> T) -> T {
        self.appender.with_durable_index(f)
    }

    /// The receive time of its newest durable block, if it has one.
    pub fn newest_received(&self) -> Option<u32> {
        self.with_index(|_, index| index.last().map(|e| e.times.received))
    }

    /// Reserves the next sequence number for a block of `body_len` bytes
    /// received at `times`; `None` when the segment is full (a block would
    /// end past `limit` bytes): the shard starts a new one.
    pub fn reserve(
        &self,
        body_len: usize,
        times: Times,
        limit: u64,
    ) -> Result<Option<(Slot, Times)>, LogError> {
        if let Some(at) = self.damaged_at {
            return Err(LogError::Integrity {
                what: format!(
                    "`{}` at byte {at}: the segment is damaged, refusing to append",
                    self.path.display()
                ),
            });
        }
        if body_len > MAX_BLOCK {
            return Err(LogError::ParameterInvalid(format!(
                "a block of {body_len} bytes is over {MAX_BLOCK}"
            )));
        }
        self.appender
            .reserve_entry(frame_len(body_len), times, limit)
    }

    /// Its appender, for the journal to apply its blocks to.
    pub fn appender(&self) -> &Arc<Appender> {
        &self.appender
    }

    /// Writes the block of a reserved slot (not yet durable; in
    /// [`Mode::Direct`]: tests).
    #[cfg(test)]
    pub fn write(&self, slot: Slot, times: Times, body: &[u8]) -> Result<(), LogError> {
        self.appender.write(slot, &frame(times, body))
    }

    /// Gives a reserved slot up (its block could not be made).
    pub fn abandon(&self, slot: Slot, why: &str) {
        self.appender.abandon(slot, why);
    }

    /// Waits until block `seq` is durable (group commit).
    pub fn commit(&self, seq: u64) -> Result<(), LogError> {
        self.appender.commit(seq)
    }

    /// Waits until every block reserved so far is durable (before the
    /// shard moves on to a new segment).
    pub fn commit_all(&self) -> Result<(), LogError> {
        match self.reserved_end().checked_sub(1) {
            Some(last) if last >= self.base() => self.commit(last),
            _ => Ok(()),
        }
    }

    /// Appends a block and returns its sequence number once durable (the
    /// engine reserves, writes and commits in separate steps; tests use
    /// this in one).
    #[cfg(test)]
    pub fn append(&self, body: &[u8]) -> Result<u64, LogError> {
        let times = Times {
            received: 7,
            first: 1,
            last: 2,
        };
        let (slot, times) = self
            .reserve(body.len(), times, u64::MAX)?
            .ok_or_else(|| LogError::Storage("full".into()))?;
        self.write(slot, times, body)?;
        self.commit(slot.index)?;
        Ok(slot.index)
    }

    /// Reads durable block `seq`. Re-reads the frame from disk and checks
    /// it again, so damage done after opening is found too.
    pub fn read(&self, seq: u64) -> Result<Vec<u8>, LogError> {
        let damaged = |what: &str| LogError::Integrity {
            what: format!("`{}` block {seq}: {what}", self.path.display()),
        };
        let Some(entry) = self.appender.entry(seq) else {
            return Err(match self.damaged_at {
                Some(at) => damaged(&format!(
                    "unreadable, the segment is damaged from byte {at}"
                )),
                None => {
                    LogError::ParameterInvalid(format!("cursor {seq} is past the end of the shard"))
                }
            });
        };
        read_frame(self.appender.file(), entry.offset).map_err(damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn blocks_append_and_read_back_after_reopening() {
        let d = dir();
        let path = d.path().join("shard-0.seg");
        let s = Segment::open(&path, 0, Mode::Direct { fsync: true }, true, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"));
        assert_eq!(s.append(b"one").ok(), Some(0));
        assert_eq!(s.append(b"").ok(), Some(1));
        assert_eq!(s.append(b"three").ok(), Some(2));
        drop(s);
        let s = Segment::open(&path, 0, Mode::Direct { fsync: true }, true, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"));
        assert_eq!(s.end(), 3);
        assert_eq!(s.read(2).ok(), Some(b"three".to_vec()));
        assert_eq!(s.read(1).ok(), Some(Vec::new()));
        assert_eq!(s.read(3).err().map(|e| e.code()), Some("ParameterInvalid"));
    }

    #[test]
    fn a_torn_tail_is_cut_back_and_appends_continue() {
        let d = dir();
        let path = d.path().join("s.seg");
        let s = Segment::open(&path, 0, Mode::Direct { fsync: true }, true, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"));
        s.append(b"kept").unwrap_or_else(|e| panic!("{e}"));
        s.append(b"torn away").unwrap_or_else(|e| panic!("{e}"));
        drop(s);
        let original = std::fs::read(&path).unwrap_or_default();
        // Every cut inside the second frame: its header, its body, its check.
        for cut in 32..original.len() {
            std::fs::write(&path, &original[..cut]).unwrap_or_else(|e| panic!("{e}"));
            let s = Segment::open(&path, 0, Mode::Direct { fsync: true }, true, true)
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("opens"));
            assert_eq!(s.end(), 1, "cut at {cut}");
            assert!(s.damaged_at().is_none());
            assert_eq!(s.read(0).ok(), Some(b"kept".to_vec()));
        }
        let s = Segment::open(&path, 0, Mode::Direct { fsync: true }, true, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"));
        assert_eq!(s.append(b"again").ok(), Some(1));
        assert_eq!(s.read(1).ok(), Some(b"again".to_vec()));
    }

    #[test]
    fn damage_is_never_served_nor_truncated_away() {
        let d = dir();
        let path = d.path().join("s.seg");
        let s = Segment::open(&path, 0, Mode::Direct { fsync: true }, true, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"));
        s.append(b"first").unwrap_or_else(|e| panic!("{e}"));
        s.append(b"second").unwrap_or_else(|e| panic!("{e}"));
        drop(s);
        let original = std::fs::read(&path).unwrap_or_default();
        for i in 0..original.len() {
            let mut bytes = original.clone();
            bytes[i] ^= 0x01;
            std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
            let s = Segment::open(&path, 0, Mode::Direct { fsync: true }, true, true)
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("opens"));
            let first = s.read(0);
            let second = s.read(1);
            // The byte belongs to one of the two frames: that one fails,
            // with an integrity error, and the other still reads intact.
            let failed = [&first, &second].iter().filter(|r| r.is_err()).count();
            // A header flipped in the first frame hides both; otherwise
            // only the frame flipped fails.
            assert_eq!(failed, if i < 24 { 2 } else { 1 }, "byte {i}");
            for r in [&first, &second] {
                match r {
                    Ok(b) => assert!(b == b"first" || b == b"second"),
                    Err(e) => assert_eq!(e.code(), "InternalServerError", "byte {i}: {e}"),
                }
            }
            assert_eq!(
                std::fs::metadata(&path).map(|m| m.len()).ok(),
                Some(original.len() as u64),
                "nothing cut"
            );
            // Damage a scan at open sees (a header, the last frame) stops
            // appends; damage inside an earlier body is found by its read.
            if !(24..33).contains(&i) {
                assert!(
                    s.append(b"x").is_err(),
                    "appends refused on a damaged segment"
                );
            }
        }
    }
}

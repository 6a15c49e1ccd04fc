//! Append-only segment files: one per shard, a sequence of framed blocks.
//!
//! ```text
//! frame  := "RGS1" | len: u32 LE | hcheck: u32 LE | body: len bytes | check: u32 LE
//! hcheck := CRC-32("RGS1" | len)
//! check  := CRC-32("RGS1" | len | body)
//! ```
//!
//! The header has its own check so that a damaged length field is told
//! apart from a write that stopped half way.
//!
//! The frame checks only tell a complete frame from a torn or damaged one,
//! which is what a CRC is for (as in LevelDB's log format); a block's
//! authenticity is the block layer's business (AEAD tags, location
//! binding), so no cryptographic hash is spent here — SHA-256 over every
//! frame cost twice the AEAD itself.
//!
//! Recovery when a segment is opened (by the directory's owner only, so
//! no reader can be cut short, D2): frame headers are read from the start,
//! each one's length skipping its body, so opening keeps 8 bytes per block
//! and never the blocks (C1); the last frame is checked whole. A frame
//! that runs past the end of the file is the torn tail of a write that was
//! never acknowledged (acknowledgement waits for `fsync`), and the file is
//! cut back to the last whole frame. Anything else that does not read — a
//! bad magic, a header or last frame whose check fails — is damage, not a
//! torn write: the segment keeps it, every read at or after it fails with
//! an integrity error, and appends are refused, so nothing is lost
//! silently and nothing corrupt is served. Damage inside an earlier body is
//! found when that block is read (its frame check is verified on every
//! read).
//!
//! Appends go through an [`Appender`]: many writers, one `fsync` per group.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::commit::{Appender, Slot};
use super::error::LogError;
use super::positional::read_exact_at;

const MAGIC: &[u8; 4] = b"RGS1";
const HEADER: usize = 12;
const CHECK: usize = 4;

/// The largest block a frame may carry (a log group is at most a few MiB in
/// Log Service; this bounds what a damaged length field can make us read).
pub const MAX_BLOCK: usize = 64 << 20;

/// One shard's segment file: appended by many writers, read by sequence
/// number below what is durable.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    appender: Appender,
    /// Offset of the first damaged frame, if any.
    damaged_at: Option<u64>,
}

fn header_check(len: &[u8]) -> [u8; 4] {
    let mut h = crc32fast::Hasher::new();
    h.update(MAGIC);
    h.update(len);
    h.finalize().to_le_bytes()
}

/// Reads a frame header: `Some(len)` when it is intact.
fn header_len(header: &[u8]) -> Option<usize> {
    if header.len() < HEADER
        || &header[..4] != MAGIC
        || header[8..12] != header_check(&header[4..8])
    {
        return None;
    }
    let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
    (len <= MAX_BLOCK).then_some(len)
}

fn check(len: &[u8], body: &[u8]) -> [u8; CHECK] {
    let mut h = crc32fast::Hasher::new();
    h.update(MAGIC);
    h.update(len);
    h.update(body);
    h.finalize().to_le_bytes()
}

/// The bytes a frame of a `body_len`-byte block takes.
pub fn frame_len(body_len: usize) -> u64 {
    (HEADER + body_len + CHECK) as u64
}

fn frame(body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_le_bytes();
    let mut frame = Vec::with_capacity(HEADER + body.len() + CHECK);
    frame.extend_from_slice(MAGIC);
    frame.extend_from_slice(&len);
    frame.extend_from_slice(&header_check(&len));
    frame.extend_from_slice(body);
    frame.extend_from_slice(&check(&len, body));
    frame
}

/// What a scan of the headers found.
struct Scan {
    offsets: Vec<u64>,
    end: u64,
    damaged_at: Option<u64>,
}

/// Reads every frame header, skipping bodies; checks the last frame whole.
fn scan(file: &File, path: &Path) -> Result<Scan, LogError> {
    let io = |e| LogError::io(path, "read", e);
    let size = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::with_capacity(64 << 10, file);
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut offsets = Vec::new();
    let mut pos = 0u64;
    let mut damaged_at = None;
    while size - pos >= HEADER as u64 {
        let mut header = [0u8; HEADER];
        reader.read_exact(&mut header).map_err(io)?;
        let Some(len) = header_len(&header) else {
            damaged_at = Some(pos);
            break;
        };
        let whole = frame_len(len);
        if size - pos < whole {
            break; // torn body: the write never completed
        }
        offsets.push(pos);
        pos += whole;
        reader.seek(SeekFrom::Start(pos)).map_err(io)?;
    }
    // The last frame is the one a crash could have left half-written with
    // its length already extended: check it whole.
    if damaged_at.is_none()
        && let Some(&last) = offsets.last()
        && read_frame(file, last).is_err()
    {
        damaged_at = Some(last);
    }
    Ok(Scan {
        offsets,
        end: pos,
        damaged_at,
    })
}

/// The body of the frame at `offset`, its checks verified.
fn read_frame(file: &File, offset: u64) -> Result<Vec<u8>, &'static str> {
    let mut header = [0u8; HEADER];
    read_exact_at(file, &mut header, offset).map_err(|_| "the frame header is gone")?;
    let len = header_len(&header).ok_or("the frame header is altered")?;
    let mut rest = vec![0u8; len + CHECK];
    read_exact_at(file, &mut rest, offset + HEADER as u64).map_err(|_| "the frame is cut short")?;
    if rest[len..] != check(&header[4..8], &rest[..len]) {
        return Err("the frame check fails");
    }
    rest.truncate(len);
    Ok(rest)
}

impl Segment {
    /// Opens a segment and recovers it; `None` when it does not exist and
    /// `create` is false (reads make no files).
    pub fn open(path: &Path, durable: bool, create: bool) -> Result<Option<Segment>, LogError> {
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
        let scan = scan(&file, path)?;
        let size = file
            .metadata()
            .map_err(|e| LogError::io(path, "read", e))?
            .len();
        if scan.damaged_at.is_none() && scan.end < size {
            file.set_len(scan.end)
                .map_err(|e| LogError::io(path, "truncate", e))?;
            crate::durable::sync_file(&file, path).map_err(|e| LogError::io(path, "sync", e))?;
        }
        let count = scan.offsets.len() as u64;
        Ok(Some(Segment {
            path: path.to_path_buf(),
            appender: Appender::new(
                path,
                file,
                durable,
                Some(scan.offsets),
                count,
                scan.end,
                String::new(),
            ),
            damaged_at: scan.damaged_at,
        }))
    }

    /// How many blocks are durable (and readable).
    pub fn len(&self) -> u64 {
        self.appender.durable_len()
    }

    /// The sequence number the next reserved block gets (blocks reserved
    /// but not yet durable counted): where a plaintext window starts or
    /// ends (S1).
    pub fn next_seq(&self) -> u64 {
        self.appender.next_index()
    }

    /// The segment's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the segment holds no durable block.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether damage was found when the segment was opened.
    pub fn is_damaged(&self) -> bool {
        self.damaged_at.is_some()
    }

    /// Reserves the next sequence number for a block of `body_len` bytes.
    pub fn reserve(&self, body_len: usize) -> Result<Slot, LogError> {
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
        self.appender.reserve(frame_len(body_len))
    }

    /// Writes the block of a reserved slot (not yet durable).
    pub fn write(&self, slot: Slot, body: &[u8]) -> Result<(), LogError> {
        self.appender.write(slot, &frame(body))
    }

    /// Gives a reserved slot up (its block could not be made).
    pub fn abandon(&self, slot: Slot, why: &str) {
        self.appender.abandon(slot, why);
    }

    /// Waits until block `seq` is durable (group commit).
    pub fn commit(&self, seq: u64) -> Result<(), LogError> {
        self.appender.commit(seq)
    }

    /// Appends a block and returns its sequence number once durable (the
    /// engine reserves, writes and commits in separate steps; tests use
    /// this in one).
    #[cfg(test)]
    pub fn append(&self, body: &[u8]) -> Result<u64, LogError> {
        let slot = self.reserve(body.len())?;
        self.write(slot, body)?;
        self.commit(slot.index)?;
        Ok(slot.index)
    }

    /// Reads durable block `seq`. Re-reads the frame from disk and checks
    /// it again, so damage done after opening is found too.
    pub fn read(&self, seq: u64) -> Result<Vec<u8>, LogError> {
        let damaged = |what: &str| LogError::Integrity {
            what: format!("`{}` block {seq}: {what}", self.path.display()),
        };
        let Some(offset) = self.appender.offset(seq) else {
            return Err(match self.damaged_at {
                Some(at) => damaged(&format!(
                    "unreadable, the segment is damaged from byte {at}"
                )),
                None => {
                    LogError::ParameterInvalid(format!("cursor {seq} is past the end of the shard"))
                }
            });
        };
        read_frame(self.appender.file(), offset).map_err(damaged)
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
        let s = Segment::open(&path, true, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"));
        assert_eq!(s.append(b"one").ok(), Some(0));
        assert_eq!(s.append(b"").ok(), Some(1));
        assert_eq!(s.append(b"three").ok(), Some(2));
        drop(s);
        let s = Segment::open(&path, true, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"));
        assert_eq!(s.len(), 3);
        assert_eq!(s.read(2).ok(), Some(b"three".to_vec()));
        assert_eq!(s.read(1).ok(), Some(Vec::new()));
        assert_eq!(s.read(3).err().map(|e| e.code()), Some("ParameterInvalid"));
    }

    #[test]
    fn a_torn_tail_is_cut_back_and_appends_continue() {
        let d = dir();
        let path = d.path().join("s.seg");
        let s = Segment::open(&path, true, true)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("opens"));
        s.append(b"kept").unwrap_or_else(|e| panic!("{e}"));
        s.append(b"torn away").unwrap_or_else(|e| panic!("{e}"));
        drop(s);
        let original = std::fs::read(&path).unwrap_or_default();
        // Every cut inside the second frame: its header, its body, its check.
        for cut in 21..original.len() {
            std::fs::write(&path, &original[..cut]).unwrap_or_else(|e| panic!("{e}"));
            let s = Segment::open(&path, true, true)
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("opens"));
            assert_eq!(s.len(), 1, "cut at {cut}");
            assert!(!s.is_damaged());
            assert_eq!(s.read(0).ok(), Some(b"kept".to_vec()));
        }
        let s = Segment::open(&path, true, true)
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
        let s = Segment::open(&path, true, true)
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
            let s = Segment::open(&path, true, true)
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
            assert_eq!(failed, if i < 12 { 2 } else { 1 }, "byte {i}");
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
            if !(12..21).contains(&i) {
                assert!(
                    s.append(b"x").is_err(),
                    "appends refused on a damaged segment"
                );
            }
        }
    }
}

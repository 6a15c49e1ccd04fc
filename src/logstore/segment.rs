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
//! Recovery when a segment is opened: frames are read from the start; a
//! frame that runs past the end of the file is the torn tail of a write that
//! was never acknowledged (acknowledgement waits for `fsync`), and the file
//! is cut back to the last whole frame. Anything else that does not read —
//! a bad magic, a check that fails on a complete frame — is damage, not a
//! torn write: the segment keeps it, every read at or after it fails with an
//! integrity error, and appends are refused, so nothing is lost silently and
//! nothing corrupt is served.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::error::LogError;

const MAGIC: &[u8; 4] = b"RGS1";
const HEADER: usize = 12;
const CHECK: usize = 4;

/// The largest block a frame may carry (a log group is at most a few MiB in
/// Log Service; this bounds what a damaged length field can make us read).
pub const MAX_BLOCK: usize = 64 << 20;

/// One shard's segment file, opened for appending and reading.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    file: File,
    /// Byte offset of each whole frame.
    offsets: Vec<u64>,
    /// End of the last whole frame.
    end: u64,
    /// Offset of the first damaged frame, if any.
    damaged_at: Option<u64>,
    /// Whether appends wait for `fsync` (off only for benchmarks of the
    /// in-memory cost; a write is acknowledged as durable only when on).
    durable: bool,
}

fn storage(path: &Path, e: std::io::Error) -> LogError {
    LogError::Storage(format!("`{}`: {e}", path.display()))
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

impl Segment {
    /// Opens (creating if needed) a segment and recovers it.
    pub fn open(path: &Path, durable: bool) -> Result<Segment, LogError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| storage(path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| storage(path, e))?;
        let mut offsets = Vec::new();
        let mut pos = 0usize;
        let mut damaged_at = None;
        while pos < bytes.len() {
            let rest = &bytes[pos..];
            if rest.len() < HEADER {
                break; // torn header
            }
            let Some(len) = header_len(rest) else {
                damaged_at = Some(pos as u64);
                break;
            };
            let Some(frame) = rest.get(..HEADER + len + CHECK) else {
                break; // torn body: the write never completed
            };
            if frame[HEADER + len..] != check(&frame[4..8], &frame[HEADER..HEADER + len]) {
                damaged_at = Some(pos as u64);
                break;
            }
            offsets.push(pos as u64);
            pos += frame.len();
        }
        let end = pos as u64;
        if damaged_at.is_none() && end < bytes.len() as u64 {
            file.set_len(end).map_err(|e| storage(path, e))?;
            file.sync_all().map_err(|e| storage(path, e))?;
        }
        Ok(Segment {
            path: path.to_path_buf(),
            file,
            offsets,
            end,
            damaged_at,
            durable,
        })
    }

    /// How many whole blocks the segment holds (the next sequence number).
    pub fn len(&self) -> u64 {
        self.offsets.len() as u64
    }

    /// Whether damage was found when the segment was opened.
    pub fn is_damaged(&self) -> bool {
        self.damaged_at.is_some()
    }

    /// Appends a block and returns its sequence number once it is durable.
    pub fn append(&mut self, body: &[u8]) -> Result<u64, LogError> {
        if let Some(at) = self.damaged_at {
            return Err(LogError::Integrity {
                what: format!(
                    "`{}` at byte {at}: the segment is damaged, refusing to append",
                    self.path.display()
                ),
            });
        }
        if body.len() > MAX_BLOCK {
            return Err(LogError::ParameterInvalid(format!(
                "a block of {} bytes is over {MAX_BLOCK}",
                body.len()
            )));
        }
        let len = (body.len() as u32).to_le_bytes();
        let mut frame = Vec::with_capacity(HEADER + body.len() + CHECK);
        frame.extend_from_slice(MAGIC);
        frame.extend_from_slice(&len);
        frame.extend_from_slice(&header_check(&len));
        frame.extend_from_slice(body);
        frame.extend_from_slice(&check(&len, body));
        self.file
            .write_all(&frame)
            .map_err(|e| storage(&self.path, e))?;
        if self.durable {
            self.file.sync_data().map_err(|e| storage(&self.path, e))?;
        }
        let seq = self.offsets.len() as u64;
        self.offsets.push(self.end);
        self.end += frame.len() as u64;
        Ok(seq)
    }

    /// Reads block `seq`. Re-reads the frame from disk and checks it again,
    /// so damage done after opening is found too.
    pub fn read(&mut self, seq: u64) -> Result<Vec<u8>, LogError> {
        let damaged = |what: String| LogError::Integrity {
            what: format!("`{}` block {seq}: {what}", self.path.display()),
        };
        let Some(&offset) = self.offsets.get(seq as usize) else {
            return Err(match self.damaged_at {
                Some(at) => damaged(format!("unreadable, the segment is damaged from byte {at}")),
                None => {
                    LogError::ParameterInvalid(format!("cursor {seq} is past the end of the shard"))
                }
            });
        };
        let mut header = [0u8; HEADER];
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(|e| storage(&self.path, e))?;
        self.file
            .read_exact(&mut header)
            .map_err(|_| damaged("the frame header is gone".to_string()))?;
        let Some(len) = header_len(&header) else {
            return Err(damaged("the frame header is altered".to_string()));
        };
        let mut rest = vec![0u8; len + CHECK];
        self.file
            .read_exact(&mut rest)
            .map_err(|_| damaged("the frame is cut short".to_string()))?;
        if rest[len..] != check(&header[4..8], &rest[..len]) {
            return Err(damaged("the frame check fails".to_string()));
        }
        rest.truncate(len);
        Ok(rest)
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
        let mut s = Segment::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.append(b"one").ok(), Some(0));
        assert_eq!(s.append(b"").ok(), Some(1));
        assert_eq!(s.append(b"three").ok(), Some(2));
        drop(s);
        let mut s = Segment::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.len(), 3);
        assert_eq!(s.read(2).ok(), Some(b"three".to_vec()));
        assert_eq!(s.read(1).ok(), Some(Vec::new()));
        assert_eq!(s.read(3).err().map(|e| e.code()), Some("ParameterInvalid"));
    }

    #[test]
    fn a_torn_tail_is_cut_back_and_appends_continue() {
        let d = dir();
        let path = d.path().join("s.seg");
        let mut s = Segment::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        s.append(b"kept").unwrap_or_else(|e| panic!("{e}"));
        s.append(b"torn away").unwrap_or_else(|e| panic!("{e}"));
        drop(s);
        let original = std::fs::read(&path).unwrap_or_default();
        // Every cut inside the second frame: its header, its body, its check.
        for cut in 21..original.len() {
            std::fs::write(&path, &original[..cut]).unwrap_or_else(|e| panic!("{e}"));
            let mut s = Segment::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.len(), 1, "cut at {cut}");
            assert!(!s.is_damaged());
            assert_eq!(s.read(0).ok(), Some(b"kept".to_vec()));
        }
        let mut s = Segment::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.append(b"again").ok(), Some(1));
        assert_eq!(s.read(1).ok(), Some(b"again".to_vec()));
    }

    #[test]
    fn damage_is_never_served_nor_truncated_away() {
        let d = dir();
        let path = d.path().join("s.seg");
        let mut s = Segment::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        s.append(b"first").unwrap_or_else(|e| panic!("{e}"));
        s.append(b"second").unwrap_or_else(|e| panic!("{e}"));
        drop(s);
        let original = std::fs::read(&path).unwrap_or_default();
        for i in 0..original.len() {
            let mut bytes = original.clone();
            bytes[i] ^= 0x01;
            std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
            let mut s = Segment::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
            let first = s.read(0);
            let second = s.read(1);
            // The byte belongs to one of the two frames: that one fails,
            // with an integrity error, and the other still reads intact.
            let failed = [&first, &second].iter().filter(|r| r.is_err()).count();
            assert_eq!(failed, if i < 21 { 2 } else { 1 }, "byte {i}");
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
            assert!(
                s.append(b"x").is_err(),
                "appends refused on a damaged segment"
            );
        }
    }
}

//! Recovery: the journal applied again when the owner opens a data
//! directory (the module docs of `journal`).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::durable::{sync_dir, sync_file};

use super::super::datadir::numbered_files;
use super::super::error::LogError;
use super::super::positional::{read_exact_at, write_all_at};
use super::{HEADER, JOURNAL_DIR, MAGIC, MAX_RECORD, SUFFIX, crc, header_check};

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
pub(super) fn journal_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, LogError> {
    let files = numbered_files(dir, |name| name.strip_suffix(SUFFIX)?.parse().ok())?;
    if let Some((_, path)) = files
        .iter()
        .find(|(_, p)| !p.symlink_metadata().is_ok_and(|m| m.is_file()))
    {
        return Err(LogError::Damaged {
            what: format!("`{}` is not a regular file", path.display()),
            hint: "move it aside; ramgate makes its journal itself".to_string(),
        });
    }
    Ok(files)
}

fn le32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    if let Some(src) = b.get(..4) {
        a.copy_from_slice(src);
    }
    u32::from_le_bytes(a)
}

/// Reads the parts of journal file `number`'s records (their places only,
/// not their bytes), up to its last whole record of that number.
fn scan(
    path: &Path,
    number: u64,
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
        let framed = header[8..] == header_check(&header[..8], number);
        // Version 1 checked its header alone.
        let other = framed || header[8..] == crc(&header[..8]);
        if header[..3] == MAGIC[..3] && header[3] != MAGIC[3] && other {
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
        if &header[..4] != MAGIC || !framed || len > MAX_RECORD {
            // A write that never completed, or a record from the file's
            // earlier life (a spare written over).
            return Ok(());
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
        && (rel == super::super::audit::AUDIT_FILE
            || (path.starts_with(super::super::datadir::DATA_DIR) && rel.ends_with(".seg")))
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
    for (i, (number, path)) in files.iter().enumerate() {
        scan(path, *number, i, &mut found)?;
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
/// directory's lock ([`crate::logstore::DirLock`]).
pub fn recover_journal(dir: &Path) -> Result<(), LogError> {
    recover(dir, true).map(|_| ())
}

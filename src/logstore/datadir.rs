//! The data directory's layout, what `init` checks before it writes, and
//! the read-only view that commands which change nothing use.
//!
//! ```text
//! ramgate.lock      the owner's lock (see `lock.rs`); its pid and command
//! cloud.json        the account and region this directory emulates
//! ram.json          the RAM directory (users, groups, roles, policies)
//! kms/              the KMS key store and the local root key
//! logstores.json    projects, Logstores, encrypt_conf, wrapped keys
//! data/<project>/<logstore>/<incarnation>/shard-<n>[-<first seq>].seg
//!                   append-only blocks, a run of segments per shard
//! audit.jsonl       the hash-chained audit log of decision chains
//! journal/          the write-ahead journal of blocks and audit records,
//!                   applied again when the owner next opens (`journal.rs`)
//! ```
//!
//! Metadata files change only by atomic rename, so a reader that opens one
//! sees a whole version; segments and the audit log are read up to their
//! last complete record. That is what lets [`ReadOnlyDir::open`] run beside
//! the owner without a lock and without writing anything.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ram::Directory;

use super::audit::AUDIT_FILE;
use super::error::LogError;
use super::journal::JOURNAL_DIR;
use super::meta::{META_FILE, Meta};
use super::shards::{logstore_folder, segment_file};

/// `cloud.json`.
pub const CLOUD_FILE: &str = "cloud.json";
/// `ram.json`.
pub const RAM_FILE: &str = "ram.json";
/// The KMS directory.
pub const KMS_DIR: &str = "kms";
/// The folder of segments.
pub const DATA_DIR: &str = "data";

/// The largest metadata file ramgate reads (a bound on what a damaged or
/// hostile file can make it allocate).
pub const MAX_METADATA_BYTES: u64 = 64 << 20;

/// Every name that makes a folder a ramgate data directory: `init` refuses
/// a folder holding any of them (D7: an `init` over a directory that lost
/// one file would replace the others).
pub const RAMGATE_FILES: [&str; 7] = [
    CLOUD_FILE,
    RAM_FILE,
    KMS_DIR,
    META_FILE,
    AUDIT_FILE,
    DATA_DIR,
    JOURNAL_DIR,
];

/// The layout version of `cloud.json`. Optional on read (absent means this
/// version), since the file may be written by hand.
pub const CLOUD_FORMAT: u32 = 1;

/// `cloud.json`: which account and region the directory is.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Cloud {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) format: Option<u32>,
    pub(crate) account: String,
    pub(crate) region: String,
}

/// Reads a whole metadata file, refusing what is not a regular file (a FIFO
/// would block every command, C2) and what is larger than
/// [`MAX_METADATA_BYTES`]. `Ok(None)` when it does not exist.
pub fn read_regular(path: &Path) -> Result<Option<Vec<u8>>, LogError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LogError::io(path, "read", e)),
    };
    if !meta.is_file() {
        return Err(LogError::Damaged {
            what: format!("`{}` is not a regular file", path.display()),
            hint: "replace it with the file ramgate wrote (from a backup)".to_string(),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| LogError::io(path, "open", e))?;
    let mut bytes = Vec::new();
    file.take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LogError::io(path, "read", e))?;
    if bytes.len() as u64 > MAX_METADATA_BYTES {
        return Err(LogError::Damaged {
            what: format!(
                "`{}` is larger than the {MAX_METADATA_BYTES} bytes ramgate reads",
                path.display()
            ),
            hint: "replace it with the file ramgate wrote (from a backup)".to_string(),
        });
    }
    Ok(Some(bytes))
}

/// The files of `folder` whose names `number` reads a number from, by
/// that number (a shard's segments, the journal's files); none when the
/// folder does not exist.
pub(crate) fn numbered_files(
    folder: &Path,
    number: impl Fn(&str) -> Option<u64>,
) -> Result<Vec<(u64, PathBuf)>, LogError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LogError::io(folder, "list", e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| LogError::io(folder, "list", e))?;
        if let Some(n) = entry.file_name().to_str().and_then(&number) {
            files.push((n, entry.path()));
        }
    }
    files.sort_unstable_by_key(|(n, _)| *n);
    Ok(files)
}

/// The ramgate files `dir` already holds.
pub fn ramgate_files_in(dir: &Path) -> Vec<&'static str> {
    RAMGATE_FILES
        .into_iter()
        .filter(|name| dir.join(name).symlink_metadata().is_ok())
        .collect()
}

/// Reads `cloud.json`. Its absence is explained by what else is there: an
/// empty folder wants `ramgate init`; a directory that holds other ramgate
/// files has lost this one, and `init` (which refuses it) is not the cure.
pub(crate) fn read_cloud(dir: &Path) -> Result<Cloud, LogError> {
    let path = dir.join(CLOUD_FILE);
    let Some(bytes) = read_regular(&path)? else {
        let present = ramgate_files_in(dir);
        return Err(if present.is_empty() {
            LogError::ParameterInvalid(format!(
                "`{}` is not a ramgate data directory (make a data directory with `ramgate init`)",
                dir.display()
            ))
        } else {
            LogError::Damaged {
                what: format!(
                    "`{}` is missing, but the directory holds {}",
                    path.display(),
                    present
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                hint: "restore `cloud.json` from a backup, or write it by hand as \
                       {\"account\": \"<16-digit uid>\", \"region\": \"<region>\"}; \
                       `ramgate init` refuses a directory that holds ramgate files"
                    .to_string(),
            }
        });
    };
    let cloud: Cloud = serde_json::from_slice(&bytes).map_err(|e| LogError::Damaged {
        what: format!("`{}`:{}:{}: {e}", path.display(), e.line(), e.column()),
        hint: "restore `cloud.json` from a backup".to_string(),
    })?;
    match cloud.format {
        Some(found) if found != CLOUD_FORMAT => Err(LogError::Damaged {
            what: format!(
                "`{}` has format version {found}, and this build reads version {CLOUD_FORMAT}",
                path.display()
            ),
            hint: "open it with the ramgate that wrote it".to_string(),
        }),
        _ => Ok(cloud),
    }
}

/// Reads `ram.json`.
pub(crate) fn read_directory(dir: &Path) -> Result<Directory, LogError> {
    let path = dir.join(RAM_FILE);
    if read_regular(&path)?.is_none() {
        return Err(LogError::Damaged {
            what: format!("`{}` is missing", path.display()),
            hint: "restore `ram.json` from a backup".to_string(),
        });
    }
    Directory::load(&path).map_err(|e| LogError::Damaged {
        what: e.to_string(),
        hint: "`ram.json` is edited by hand at the operator's risk; fix the place named"
            .to_string(),
    })
}

/// A data directory seen without a lock and without writing anything: the
/// account, region, RAM directory and Logstore metadata as their files
/// last stood (each a whole version, since they change only by rename).
///
/// This is the one way read-only commands (`ram show`, `audit verify`,
/// `audit show`, and analyses of a data directory) open it: no lock is
/// taken, no recovery runs, no temp file is removed, no file is created.
#[derive(Debug)]
pub struct ReadOnlyDir {
    dir: PathBuf,
    cloud: Cloud,
    directory: Directory,
    meta: Meta,
}

impl ReadOnlyDir {
    /// Reads `dir`'s `cloud.json`, `ram.json` and `logstores.json`.
    pub fn open(dir: &Path) -> Result<ReadOnlyDir, LogError> {
        let cloud = read_cloud(dir)?;
        let directory = read_directory(dir)?;
        let meta = Meta::load(dir)?;
        Ok(ReadOnlyDir {
            dir: dir.to_path_buf(),
            cloud,
            directory,
            meta,
        })
    }

    /// The account this directory emulates.
    pub fn account(&self) -> &str {
        &self.cloud.account
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.cloud.region
    }

    /// The RAM directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Projects and Logstores (keys still wrapped).
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The audit log's file.
    pub fn audit_path(&self) -> PathBuf {
        self.dir.join(AUDIT_FILE)
    }

    /// Where a shard's first segment file is, `shard-<n>.seg` (it may not
    /// exist: a shard never written has none, and retention removes old
    /// segments; later ones are `shard-<n>-<first seq>.seg` beside it).
    pub fn segment_path(
        &self,
        project: &str,
        logstore: &str,
        shard: u32,
    ) -> Result<PathBuf, LogError> {
        let l = self.meta.logstore(project, logstore)?;
        let folder = logstore_folder(
            &self.dir.join(DATA_DIR),
            project,
            logstore,
            l.incarnation.as_deref(),
        );
        Ok(segment_file(&folder, shard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c2_a_fifo_in_place_of_a_metadata_file_is_refused_not_waited_on() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = d.path().join(META_FILE);
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo on this system
        }
        let e = read_regular(&path).err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("is not a regular file")),
            "{e:?}"
        );
    }

    #[test]
    fn d7_a_lost_cloud_file_is_not_answered_with_init() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let empty = read_cloud(d.path()).err().map(|e| e.to_string());
        assert!(empty.is_some_and(|e| e.contains("make a data directory with `ramgate init`")));
        std::fs::write(d.path().join(RAM_FILE), "{}").unwrap_or_else(|e| panic!("{e}"));
        let lost = read_cloud(d.path()).err();
        let hint = lost.as_ref().and_then(|e| e.hint()).unwrap_or_default();
        assert!(hint.contains("refuses"), "{hint}");
        assert!(
            !lost
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("make a data directory")
        );
    }
}

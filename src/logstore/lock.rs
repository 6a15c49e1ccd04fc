//! One owner per data directory: an exclusive OS file lock on
//! `<dir>/ramgate.lock`, held for the whole life of a [`LogService`]
//! (a command's run, or a server's lifetime).
//!
//! The lock is `flock(2)` through [`std::fs::File::try_lock`]: the kernel
//! releases it when the holder exits, however it exits (`kill -9`
//! included), so there is no stale pid file to clean up. The file's
//! *content* is only a note for whoever waits: the holder's pid and
//! command, written after the lock is taken. Read-only commands take no
//! lock and never create the file.
//!
//! `flock` locks belong to an open file description, so a second open in
//! the same process conflicts too: two `LogService`s on one directory in
//! one process are refused the same way as two processes.
//!
//! [`LogService`]: super::LogService

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::LogError;

/// The lock file's name in a data directory.
pub const LOCK_FILE: &str = "ramgate.lock";

/// The layout version of the lock file's note (`format`, `pid`, `command`
/// lines); a holder that wrote another version is named as such.
const NOTE_FORMAT: u32 = 1;

/// How often a waiting writer tries the lock again.
const RETRY: Duration = Duration::from_millis(20);

/// The exclusive lock on a data directory; released when dropped.
#[derive(Debug)]
pub struct DirLock {
    // Held only for its lock; closing the file releases it.
    _file: File,
    path: PathBuf,
}

impl DirLock {
    /// Takes the lock on `dir`, waiting up to `wait` for another holder to
    /// finish; `holder` (a command line, a server name) is recorded with
    /// this process's pid for whoever has to wait next. After `wait`, the
    /// error names the holder ([`LogError::Busy`]).
    pub fn acquire(dir: &Path, wait: Duration, holder: &str) -> Result<DirLock, LogError> {
        let path = dir.join(LOCK_FILE);
        let mut file = open_lock_file(&path).map_err(|e| LogError::io(&path, "open", e))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(RETRY);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(LogError::Busy {
                        lock: path.display().to_string(),
                        holder: holder_of(&mut file),
                        waited: wait.as_secs(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(LogError::io(&path, "lock", e)),
            }
        }
        let note = format!(
            "format {NOTE_FORMAT}\npid {}\ncommand {holder}\n",
            std::process::id()
        );
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(note.as_bytes()))
            .map_err(|e| LogError::io(&path, "write", e))?;
        Ok(DirLock { _file: file, path })
    }

    /// The same lock, through a second handle (it stays held until both
    /// are dropped): for a service that restarts inside its owner.
    pub fn share(&self) -> Result<DirLock, LogError> {
        Ok(DirLock {
            _file: self
                ._file
                .try_clone()
                .map_err(|e| LogError::io(&self.path, "share", e))?,
            path: self.path.clone(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// `pid <n>, command <c>` as the holder wrote it (bounded: the file is a
/// note, not trusted input).
fn holder_of(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.take(4096).read_to_string(&mut text);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    if let Some(found) = field("format ").filter(|f| *f != NOTE_FORMAT.to_string()) {
        return format!(
            "a process whose lock note has format version {found} (this build writes version \
             {NOTE_FORMAT}): another ramgate"
        );
    }
    match (field("pid "), field("command ")) {
        (Some(pid), Some(command)) => format!("pid {pid} (`{command}`)"),
        // The holder took the lock and has not written its note yet.
        _ => "a process that has not yet recorded its pid".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid_and_command() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let first = DirLock::acquire(d.path(), Duration::ZERO, "ramgate log put-logs")
            .unwrap_or_else(|e| panic!("{e}"));
        let second = DirLock::acquire(d.path(), Duration::from_millis(50), "ramgate ram show");
        let message = second.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains(&format!(
                "pid {} (`ramgate log put-logs`)",
                std::process::id()
            )),
            "{message}"
        );
        drop(first);
        assert!(DirLock::acquire(d.path(), Duration::ZERO, "again").is_ok());
    }
}

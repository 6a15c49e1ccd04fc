//! Files that are either wholly the old version or wholly the new one, and
//! private to the user: the KMS key store, the RAM directory and the
//! Logstore metadata all go through here.
//!
//! `write_atomically` writes a temp file in the same directory (mode 0600),
//! fsyncs it, renames it over the target and fsyncs the directory. A crash
//! leaves the old file or the new one, plus perhaps a stale temp file, which
//! [`remove_stale_temp_files`] clears when the directory is next opened (by
//! its owner only).
//!
//! Every `fsync` ramgate makes goes through [`sync_file`] or [`sync_dir`],
//! the one place where files and names become durable; tests inject faults
//! there ([`fault`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Temp files start with this, so a crash's leftovers are recognised.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Replaces `dir/name` with `bytes` atomically. A symbolic link there is
/// refused, never silently replaced by a regular file (U8).
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let path = dir.join(name);
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(io::Error::other(format!(
            "`{}` is a symbolic link; ramgate replaces only regular files in a data directory",
            path.display()
        )));
    }
    let tmp = write_temp(dir, name, bytes)?;
    if let Err(e) = fs::rename(&tmp, &path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// A new private file `dir/.tmp-<name>-<random>` holding `bytes`, fsynced.
pub fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(io::Error::other)?;
    let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!("{TEMP_PREFIX}{name}-{hex}"));
    let written = create_private_file(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        sync_file(&f, &tmp)
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// Removes temp files a crash left behind. Best effort: a file that cannot
/// be removed is only clutter, never read.
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Makes a directory's entries durable: a new file's or folder's name
/// (D9), a rename.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    fault::check(dir)?;
    File::open(dir).and_then(|d| d.sync_all())
}

/// Makes a file's contents and size durable (`fdatasync`: what is needed
/// to read the file back, not its times).
pub fn sync_file(file: &File, path: &Path) -> io::Result<()> {
    fault::check(path)?;
    file.sync_data()
}

/// Fault injection at [`sync_file`] and [`sync_dir`] for tests: a sync of
/// a path ending in an armed fragment fails. Compiled to nothing outside
/// the crate's own tests.
pub mod fault {
    use std::io;
    use std::path::Path;

    #[cfg(test)]
    static ARMED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    /// Makes every sync of a path ending in `fragment` fail (tests only).
    #[cfg(test)]
    pub fn arm(fragment: &str) {
        ARMED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(fragment.to_string());
    }

    /// Stops injecting for `fragment`.
    #[cfg(test)]
    pub fn disarm(fragment: &str) {
        ARMED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|f| f != fragment);
    }

    /// Fails when a fault is armed for `path`.
    #[cfg(test)]
    pub(crate) fn check(path: &Path) -> io::Result<()> {
        let path = path.display().to_string();
        let armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
        if armed.iter().any(|f| path.ends_with(f.as_str())) {
            return Err(io::Error::other("injected fault"));
        }
        Ok(())
    }

    /// No faults outside tests.
    #[cfg(not(test))]
    #[inline(always)]
    pub(crate) fn check(_: &Path) -> io::Result<()> {
        Ok(())
    }
}

/// Creates a new file readable and writable by its owner only (S9): mode
/// 0600 set explicitly, whatever the umask.
#[cfg(unix)]
pub fn create_private_file(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Opens a data file for reading and appending, creating it private (mode
/// 0600 whatever the umask, S9) when `create` is set and it is missing.
#[cfg(feature = "logstore")]
pub fn open_private_file(path: &Path, create: bool) -> io::Result<File> {
    let existed = path.symlink_metadata().is_ok();
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create(create)
        .truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        if !existed {
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        let _ = existed;
        options.open(path)
    }
}

/// Creates a new file (no permission bits to set on this platform).
#[cfg(not(unix))]
pub fn create_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Creates a directory (and its parents) that only its owner can enter:
/// every directory it makes is mode 0700, whatever the umask (S9).
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    // The directories this call makes (a relative path ends in "", which
    // is no directory).
    let made: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    for d in made {
        fs::set_permissions(d, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes an existing directory private to its owner (mode 0700): `init`
/// does this to a data directory that existed before, whatever its mode.
#[cfg(all(unix, feature = "logstore"))]
pub fn make_dir_private(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

/// No permission bits to set on this platform.
#[cfg(all(not(unix), feature = "logstore"))]
pub fn make_dir_private(_: &Path) -> io::Result<()> {
    Ok(())
}

/// Creates a directory and its parents.
#[cfg(not(unix))]
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn s9_made_directories_are_private_relative_paths_included() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let deep = d.path().join("a/b/c");
        create_private_dir(&deep).unwrap_or_else(|e| panic!("{e}"));
        for p in [d.path().join("a"), d.path().join("a/b"), deep] {
            let mode = fs::metadata(&p)
                .map(|m| m.permissions().mode() & 0o777)
                .ok();
            assert_eq!(mode, Some(0o700), "{}", p.display());
        }
        // A relative path whose first component is new: its last ancestor
        // is "", which is no directory to make private (a regression: init
        // of `.ramgate` failed on it).
        let rel = Path::new("ramgate-s9-relative-test/inner");
        let made = create_private_dir(rel);
        let _ = fs::remove_dir_all("ramgate-s9-relative-test");
        assert!(made.is_ok(), "{made:?}");
    }

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temp() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write_atomically(d.path(), "meta.json", b"one").unwrap_or_else(|e| panic!("{e}"));
        write_atomically(d.path(), "meta.json", b"two").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            fs::read(d.path().join("meta.json")).ok(),
            Some(b"two".to_vec())
        );
        let names: Vec<String> = fs::read_dir(d.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into())
            .collect();
        assert_eq!(names, ["meta.json"]);
        let stale = write_temp(d.path(), "meta.json", b"half").unwrap_or_else(|e| panic!("{e}"));
        assert!(stale.exists());
        remove_stale_temp_files(d.path());
        assert!(!stale.exists());
    }
}

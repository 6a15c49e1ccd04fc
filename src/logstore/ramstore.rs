//! The RAM directory as the owner shares it: a versioned snapshot that
//! every operation takes once (one `Arc` clone) and decides on, and an
//! `edit` that clones, applies, saves atomically and swaps the next version
//! in. An operation that starts after an edit returned sees the edit (S2),
//! and names the version that decided it in its audit record.
//!
//! Lock order: the writer mutex, then the snapshot's lock (briefly, for the
//! swap). The writer mutex is held across the save (its `fsync`); readers
//! never wait for it.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::clock::Clock;
use crate::durable::write_atomically;
use crate::ram::{Access, Account, ChainStep, Directory, Identity, Ram, RamError};

use super::datadir::RAM_FILE;

/// Why an authorized edit of the RAM directory did not happen.
#[derive(Debug)]
pub enum EditRefused {
    /// RAM refused the caller; the step says which statement decided (or
    /// that none applied).
    Denied(Box<ChainStep>),
    /// The caller is allowed, and the edit failed with RAM's error (or the
    /// caller could not be authorized at all: an unknown user, an expired
    /// session).
    Failed(RamError),
}

/// One version of the RAM directory.
#[derive(Debug)]
pub struct RamSnapshot {
    /// Grows with every edit made by this owner (1 when opened).
    pub version: u64,
    /// The directory.
    pub directory: Directory,
}

impl Deref for RamSnapshot {
    type Target = Directory;
    fn deref(&self) -> &Directory {
        &self.directory
    }
}

/// The shared, versioned RAM directory of a data directory.
#[derive(Debug)]
pub(crate) struct DirectoryStore {
    dir: PathBuf,
    account: String,
    current: RwLock<Arc<RamSnapshot>>,
    writer: Mutex<()>,
}

impl DirectoryStore {
    pub(crate) fn new(dir: &Path, account: &str, directory: Directory) -> DirectoryStore {
        DirectoryStore {
            dir: dir.to_path_buf(),
            account: account.to_string(),
            current: RwLock::new(Arc::new(RamSnapshot {
                version: 1,
                directory,
            })),
            writer: Mutex::new(()),
        }
    }

    /// The current version.
    pub(crate) fn snapshot(&self) -> Arc<RamSnapshot> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes the account's directory and saves it atomically; nothing
    /// changes when `edit` or the save fails.
    pub(crate) fn edit<T>(
        &self,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> Result<T, RamError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        self.edit_locked(self.snapshot(), edit)
    }

    /// Like [`DirectoryStore::edit`], once `identity` may do `access`:
    /// decided on the directory the edit applies to (under the writer
    /// mutex), so no other edit comes between the decision and the change.
    pub(crate) fn edit_as<T>(
        &self,
        clock: &dyn Clock,
        identity: &Identity,
        access: &Access,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> Result<T, EditRefused> {
        self.edit_decided(clock, identity, access, edit)
            .1
            .map(|(out, _)| out)
    }

    /// [`DirectoryStore::edit_as`], answering also the version that decided
    /// and the allowing step, for an audit record.
    pub(crate) fn edit_decided<T>(
        &self,
        clock: &dyn Clock,
        identity: &Identity,
        access: &Access,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> (Arc<RamSnapshot>, Result<(T, ChainStep), EditRefused>) {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let snap = self.snapshot();
        let step = match Ram::new(&snap.directory, clock).authorize(identity, access, None) {
            Ok(step) => step,
            Err(e) => return (snap, Err(EditRefused::Failed(e))),
        };
        if !step.is_allowed() {
            return (snap, Err(EditRefused::Denied(Box::new(step))));
        }
        let out = self
            .edit_locked(snap.clone(), edit)
            .map(|out| (out, step))
            .map_err(EditRefused::Failed);
        (snap, out)
    }

    fn edit_locked<T>(
        &self,
        snap: Arc<RamSnapshot>,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> Result<T, RamError> {
        let mut copy = snap.directory.clone();
        let account = copy
            .account_mut(&self.account)
            .ok_or_else(|| RamError::InvalidAccountId(self.account.clone()))?;
        let out = edit(account)?;
        write_atomically(&self.dir, RAM_FILE, copy.to_versioned_json().as_bytes()).map_err(
            |e| RamError::DirectoryFile {
                file: self.dir.join(RAM_FILE).display().to_string(),
                message: e.to_string(),
            },
        )?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(RamSnapshot {
            version: snap.version + 1,
            directory: copy,
        });
        Ok(out)
    }
}

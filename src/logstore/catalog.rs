//! `logstores.json` as the owner shares it: readers take a snapshot (one
//! `Arc` clone); `update` clones, applies a change, saves atomically and
//! swaps the result in, so concurrent changes never lose one another (D4)
//! and every later operation sees them.
//!
//! Every save carries a MAC under the root key (through the KMS's local
//! wrap), checked when the owner opens the directory.
//!
//! Lock order: the writer mutex, then the snapshot's lock (briefly). The
//! writer mutex is held across the save's `fsync`; only other metadata
//! changes wait for it, never a read or an append.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::kms::Kms;

use super::error::LogError;
use super::meta::Meta;

/// The shared Logstore metadata.
#[derive(Debug)]
pub(crate) struct Catalog {
    dir: PathBuf,
    current: RwLock<Arc<Meta>>,
    writer: Mutex<()>,
}

impl Catalog {
    pub(crate) fn new(dir: &Path, meta: Meta) -> Catalog {
        Catalog {
            dir: dir.to_path_buf(),
            current: RwLock::new(Arc::new(meta)),
            writer: Mutex::new(()),
        }
    }

    /// The metadata as it stands.
    pub(crate) fn snapshot(&self) -> Arc<Meta> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The version of `logstores.json` as it stands.
    pub(crate) fn version(&self) -> u64 {
        self.snapshot().version
    }

    /// Runs `f` on the current metadata while no change can be made: what
    /// `f` does happens either wholly before a change or wholly after it.
    /// A plaintext block reserves its sequence number this way, so the
    /// bounds of a plaintext window are exact (S1). `f` must not do I/O
    /// beyond a segment's reservation.
    pub(crate) fn while_unchanged<T>(&self, f: impl FnOnce(&Meta) -> T) -> T {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        f(&self.snapshot())
    }

    /// Applies `change` to a copy, saves it and makes it current; nothing
    /// changes when `change` or the save fails.
    pub(crate) fn update<T>(
        &self,
        kms: &Kms,
        change: impl FnOnce(&mut Meta) -> Result<T, LogError>,
    ) -> Result<T, LogError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut copy = (*self.snapshot()).clone();
        let out = change(&mut copy)?;
        copy.version += 1;
        copy.save(&self.dir, kms)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(copy);
        Ok(out)
    }
}

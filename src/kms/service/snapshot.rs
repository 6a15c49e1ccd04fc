//! The KMS's shared key state: one snapshot per version, swapped in by
//! writers that hold the writer mutex (the lock order and the reasons are
//! in [`Kms`]'s docs).

use std::sync::{Arc, MutexGuard, PoisonError};

use time::{OffsetDateTime, UtcOffset};

use super::{Caller, Keys, Kms, KmsError, is_destroyed_at};

/// One version of the key state.
pub(super) struct KeysSnapshot {
    pub(super) version: u64,
    pub(super) keys: Keys,
}

impl Kms {
    pub(super) fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The time of a call (UTC, whole seconds, as Alibaba's dates).
    pub(super) fn now(&self) -> OffsetDateTime {
        let now = self.clock.now();
        now.checked_to_offset(UtcOffset::UTC)
            .unwrap_or(now)
            .truncate_to_second()
    }

    /// The key state a reader decides on, and the time of the call; the
    /// version is recorded on the caller. Keys whose deletion window has
    /// ended are destroyed first (a write, taken as a writer).
    ///
    /// A destroyed key is gone from memory even if saving that fails (the
    /// call then fails): its window has passed, so it must not answer again;
    /// the next save, or the next open, drops it from disk too.
    pub(super) fn snapshot(
        &self,
        caller: &Caller<'_>,
    ) -> Result<(Arc<KeysSnapshot>, OffsetDateTime), KmsError> {
        let now = self.now();
        let mut snap = self.snapshot_now();
        if snap
            .keys
            .values()
            .any(|k| is_destroyed_at(&k.metadata, now))
        {
            let _writer = self.writer();
            snap = self.read_snapshot()?.0;
        }
        caller.saw_state_version(snap.version);
        Ok((snap, now))
    }

    /// The current snapshot for a writer (who holds the writer mutex),
    /// after destroying expired keys.
    pub(super) fn read_snapshot(&self) -> Result<(Arc<KeysSnapshot>, OffsetDateTime), KmsError> {
        let now = self.now();
        let snap = self.snapshot_now();
        if !snap
            .keys
            .values()
            .any(|k| is_destroyed_at(&k.metadata, now))
        {
            return Ok((snap, now));
        }
        let mut keys = snap.keys.clone();
        keys.retain(|_, key| !is_destroyed_at(&key.metadata, now));
        let gone = self.swap(&snap, keys);
        self.store.save(&gone.keys, gone.version)?;
        Ok((gone, now))
    }

    /// Saves `keys` and makes them the current state (the caller holds the
    /// writer mutex); returns the new version. Nothing changes when the
    /// save fails.
    pub(super) fn publish(&self, snap: &KeysSnapshot, keys: Keys) -> Result<u64, KmsError> {
        self.store.save(&keys, snap.version + 1)?;
        Ok(self.swap(snap, keys).version)
    }

    pub(super) fn swap(&self, snap: &KeysSnapshot, keys: Keys) -> Arc<KeysSnapshot> {
        let next = Arc::new(KeysSnapshot {
            version: snap.version + 1,
            keys,
        });
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = next.clone();
        next
    }
}

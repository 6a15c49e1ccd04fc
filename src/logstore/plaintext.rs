//! Where plaintext is legitimate (S1): a Logstore's plaintext windows,
//! opened when encryption goes off (or the Logstore is made without it) and
//! closed when it comes on, each with exact per-shard bounds; and the check
//! that every plaintext block read lies in the window it names.
//!
//! The bounds are exact because both sides hold the catalog's writer
//! mutex: the switch reads each shard's next sequence number under it, and
//! a plaintext block reserves its sequence number under it while its window
//! is the open one in the current metadata. A writer that decided
//! "plaintext" on an older snapshot and finds encryption on when it comes
//! to reserve seals instead.

use std::sync::Arc;

use time::format_description::well_known::Rfc3339;

use super::commit::{Slot, Times};
use super::error::LogError;
use super::meta::{LogstoreMeta, PlaintextWindow};
use super::segment::Segment;
use super::service::Shared;
use super::shard::Shard;
use super::shards::ShardKey;

/// What a plaintext writer got.
pub(crate) enum Reserved {
    /// Its sequence number, in the open window.
    Plaintext {
        /// The window.
        window: u32,
        /// The reservation: the segment it is in, its slot, its times and
        /// whether a new segment began.
        reservation: (Arc<Segment>, Slot, Times, bool),
    },
    /// Encryption came on since the writer's snapshot: seal instead.
    EncryptionOn,
}

impl Shared {
    /// Each shard's next sequence number (0 for a shard never written).
    /// The caller holds the catalog's writer mutex.
    pub(crate) fn next_seqs(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
    ) -> Result<Vec<u64>, LogError> {
        (0..l.shard_count)
            .map(|shard| {
                let key = ShardKey {
                    project: project.to_string(),
                    logstore: logstore.to_string(),
                    incarnation: l.incarnation.clone(),
                    shard,
                };
                Ok(self.shards.get(&key, false)?.map_or(0, |s| s.next_seq()))
            })
            .collect()
    }

    /// Opens or closes `l`'s plaintext window after its `enable` changed
    /// from `was_on` (inside a catalog update, so under its writer mutex).
    pub(crate) fn switch_windows(
        &self,
        project: &str,
        logstore: &str,
        l: &mut LogstoreMeta,
        was_on: bool,
    ) -> Result<(), LogError> {
        let is_on = l.encrypted();
        if was_on == is_on {
            return Ok(());
        }
        let seqs = self.next_seqs(project, logstore, l)?;
        if is_on {
            if let Some(w) = l.plaintext_windows.last_mut()
                && w.until.is_none()
            {
                w.until = Some(seqs);
            }
        } else {
            l.plaintext_windows.push(PlaintextWindow {
                since: self.clock.now().format(&Rfc3339).unwrap_or_default(),
                from: seqs,
                until: None,
            });
        }
        Ok(())
    }

    /// Reserves a plaintext block's place in `shard`, in the Logstore's
    /// open window, unless encryption is on in the current metadata. A
    /// reservation that starts a new segment makes it under the catalog's
    /// writer mutex: the one place a plaintext put holds a lock across an
    /// `fsync`, once per segment.
    pub(crate) fn reserve_plaintext(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        (shard, times): (&Arc<Shard>, Times),
        body_len: usize,
    ) -> Result<Reserved, LogError> {
        self.catalog.while_unchanged(|m| {
            let now = m.logstore(project, logstore)?;
            if now.incarnation != l.incarnation {
                return Err(LogError::LogStoreNotExist(logstore.to_string()));
            }
            if now.encrypted() {
                return Ok(Reserved::EncryptionOn);
            }
            let window = now.open_window().ok_or_else(|| LogError::Damaged {
                what: format!(
                    "`{project}/{logstore}` has encryption off but no open plaintext window"
                ),
                hint: "restore `logstores.json` from a backup".to_string(),
            })?;
            Ok(Reserved::Plaintext {
                window,
                reservation: shard.reserve(body_len, times)?,
            })
        })
    }

    /// Checks that block `seq` of `shard` may be plaintext in `window`: the
    /// operation's snapshot first, then the current metadata (a window
    /// opened after the snapshot was taken).
    pub(crate) fn check_plaintext(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        file: &std::path::Path,
        (shard, seq, window): (u32, u64, u32),
    ) -> Result<(), LogError> {
        if l.plaintext_allowed(window, shard, seq) {
            return Ok(());
        }
        let current = self.catalog.snapshot();
        if current.logstore(project, logstore).is_ok_and(|now| {
            now.incarnation == l.incarnation && now.plaintext_allowed(window, shard, seq)
        }) {
            return Ok(());
        }
        Err(LogError::Integrity {
            what: format!(
                "`{}`: `{project}/{logstore}` shard {shard} block {seq} is plaintext (window \
                 {window}), where the Logstore's history says encryption was on",
                file.display()
            ),
        })
    }
}

//! The log APIs: `PutLogs` (the write path), `PullLogs` and `GetLogs`.
//!
//! A write: (1) the operation's snapshots of RAM and the catalog; (2) the
//! chain, RAM then KMS, with no storage lock; (3) a sequence number and a
//! place reserved in the shard's segment (the AAD binds the number); (4)
//! the seal and the write, no lock held; (5) the audit record; (6) group
//! commit of both; then the acknowledgement. Reads see only durable blocks
//! and never change a file.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use zeroize::Zeroizing;

use crate::ram::Identity;

use super::block::{self, Location, Protection};
use super::commit::Slot;
use super::error::LogError;
use super::keyring::SealingKey;
use super::meta::LogstoreMeta;
use super::model::LogGroup;
use super::op::{Op, Pending};
use super::plaintext::Reserved;
use super::segment::Segment;
use super::service::{LogService, Pulled, Receipt, Shared, StoredGroup, Traced};
use super::shards::ShardKey;

fn shard_key(project: &str, logstore: &str, l: &LogstoreMeta, shard: u32) -> ShardKey {
    ShardKey {
        project: project.to_string(),
        logstore: logstore.to_string(),
        incarnation: l.incarnation.clone(),
        shard,
    }
}

/// PutLogs takes at most 3 MB of log group (Log Service's limit).
pub(crate) const MAX_GROUP_BYTES: usize = 3 * 1024 * 1024;

/// PutLogs takes at most 4096 logs in one request.
pub(crate) const MAX_GROUP_LOGS: usize = 4096;

impl LogService {
    /// `PutLogs`: one log group, stored as one block in `shard` (or the
    /// least-filled shard). Acknowledged once the block and its audit
    /// record are durable.
    pub fn put_logs(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard: Option<u32>,
        group: &LogGroup,
    ) -> Result<Receipt, LogError> {
        self.put_logs_traced(caller, project, logstore, shard, group)
            .outcome
    }

    /// `PutLogs`, with its chain.
    pub fn put_logs_traced(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard: Option<u32>,
        group: &LogGroup,
    ) -> Traced<Receipt> {
        let target = json!({"project": project, "logstore": logstore, "shard": shard});
        self.shared
            .audited(self.request(), "put_logs", caller, target, |s, op| {
                s.authorize(
                    op,
                    caller,
                    "log:PostLogStoreLogs",
                    &s.logstore_arn(project, logstore),
                )?;
                let meta = s.catalog.snapshot();
                let l = meta.logstore(project, logstore)?;
                let shard = match shard {
                    Some(n) if n < l.shard_count => n,
                    Some(n) => return Err(LogError::ShardNotExist(n)),
                    None => s.emptiest_shard(project, logstore, l)?,
                };
                // PutLogs' limits, checked before anything is sealed (U8).
                if group.encoded_len() > MAX_GROUP_BYTES || group.logs.len() > MAX_GROUP_LOGS {
                    return Err(LogError::PostBodyTooLarge {
                        bytes: group.encoded_len(),
                        logs: group.logs.len(),
                    });
                }
                let mut buf = block::buffer(group.encoded_len());
                group.encode_into(&mut buf);
                let placed = s.place(op, project, logstore, l, shard, buf.len())?;
                let segment = placed.segment.clone();
                let protection = match &placed.key {
                    Sealing::Plaintext { window, key } => Protection::Plaintext {
                        window: *window,
                        key,
                    },
                    Sealing::Sealed(k) => Protection::Sealed {
                        algorithm: k.algorithm,
                        key_ref: k.key_ref,
                        key: &k.key,
                    },
                };
                let described = match &placed.key {
                    Sealing::Plaintext { .. } => "plaintext".to_string(),
                    Sealing::Sealed(k) => format!("{} key {}", k.algorithm, k.key_ref),
                };
                let slot = placed.slot;
                let loc = Location {
                    project,
                    logstore,
                    shard,
                    seq: slot.index,
                };
                let sealed = match block::seal(&loc, protection, buf) {
                    Ok(b) => b,
                    Err(e) => {
                        segment.abandon(slot, &e.to_string());
                        return Err(LogError::Storage(e.to_string()));
                    }
                };
                segment.write(slot, &sealed)?;
                let seq = slot.index;
                Ok((
                    Receipt { shard, seq },
                    json!({"shard": shard, "seq": seq, "protection": described}),
                    Some(Pending { segment, seq }),
                ))
            })
    }

    /// `PullLogs` (`GetCursorOrData`): up to `count` log groups of `shard`
    /// from `cursor` on, each opened only after its key's chain allowed.
    pub fn pull_logs(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard: u32,
        cursor: u64,
        count: u32,
    ) -> Result<Pulled, LogError> {
        self.pull_logs_traced(caller, project, logstore, shard, cursor, count)
            .outcome
    }

    /// `PullLogs`, with its chain.
    pub fn pull_logs_traced(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard: u32,
        cursor: u64,
        count: u32,
    ) -> Traced<Pulled> {
        let target =
            json!({"project": project, "logstore": logstore, "shard": shard, "cursor": cursor});
        self.shared
            .audited(self.request(), "pull_logs", caller, target, |s, op| {
                s.authorize(
                    op,
                    caller,
                    "log:GetCursorOrData",
                    &s.logstore_arn(project, logstore),
                )?;
                let meta = s.catalog.snapshot();
                let l = meta.logstore(project, logstore)?;
                if shard >= l.shard_count {
                    return Err(LogError::ShardNotExist(shard));
                }
                let segment = s.segment(project, logstore, l, shard, false)?;
                // A cursor past the end names nothing ever written (U8).
                let len = segment.as_ref().map_or(0, |seg| seg.len());
                if cursor > len {
                    return Err(LogError::InvalidCursor { shard, cursor, len });
                }
                let end = readable_end(segment.as_ref(), cursor.saturating_add(u64::from(count)));
                let groups = match &segment {
                    Some(seg) => {
                        s.read_blocks(op, project, logstore, l, shard, seg, cursor..end)?
                    }
                    None => Vec::new(),
                };
                let detail = json!({"opened": groups.len(), "from": cursor, "to": end});
                Ok((
                    Pulled {
                        groups,
                        next_cursor: end.max(cursor),
                    },
                    detail,
                    None,
                ))
            })
    }

    /// `GetLogs`: every log group of every shard with a log in
    /// `[from, to)` (Unix seconds), those logs only.
    pub fn get_logs(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        from: u32,
        to: u32,
    ) -> Result<Vec<StoredGroup>, LogError> {
        self.get_logs_traced(caller, project, logstore, from, to)
            .outcome
    }

    /// `GetLogs`, with its chain.
    pub fn get_logs_traced(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        from: u32,
        to: u32,
    ) -> Traced<Vec<StoredGroup>> {
        let target = json!({"project": project, "logstore": logstore, "from": from, "to": to});
        self.shared
            .audited(self.request(), "get_logs", caller, target, |s, op| {
                s.authorize(
                    op,
                    caller,
                    "log:GetLogStoreLogs",
                    &s.logstore_arn(project, logstore),
                )?;
                let meta = s.catalog.snapshot();
                let l = meta.logstore(project, logstore)?;
                let mut out = Vec::new();
                for shard in 0..l.shard_count {
                    let Some(seg) = s.segment(project, logstore, l, shard, false)? else {
                        continue;
                    };
                    let end = readable_end(Some(&seg), u64::MAX);
                    for mut g in s.read_blocks(op, project, logstore, l, shard, &seg, 0..end)? {
                        g.group.logs.retain(|log| (from..to).contains(&log.time));
                        if !g.group.logs.is_empty() {
                            out.push(g);
                        }
                    }
                }
                let detail = json!({"groups": out.len()});
                Ok((out, detail, None))
            })
    }
}

/// Where a read of a shard up to `wanted` stops: at the last durable block,
/// or — when the segment is damaged — one past it, so the read reaches the
/// damage and fails instead of quietly returning less.
pub(super) fn readable_end(segment: Option<&Arc<Segment>>, wanted: u64) -> u64 {
    let end = match segment {
        None => 0,
        Some(s) if s.is_damaged() => s.len() + 1,
        Some(s) => s.len(),
    };
    end.min(wanted)
}

/// The key a new block is protected with.
enum Sealing {
    /// Encryption off: the plaintext window and the integrity key.
    Plaintext {
        window: u32,
        key: Zeroizing<Vec<u8>>,
    },
    /// Encryption on.
    Sealed(SealingKey),
}

/// A new block's key and its reserved place.
struct Placed {
    key: Sealing,
    segment: Arc<Segment>,
    slot: Slot,
}

impl Shared {
    /// Decides how a new block of `buf_len` bytes (header included) is
    /// protected and reserves its sequence number: sealed when encryption
    /// is on, else plaintext in the open window — or sealed after all, when
    /// encryption came on since the operation's snapshot (`plaintext.rs`).
    fn place(
        &self,
        op: &mut Op,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        shard: u32,
        buf_len: usize,
    ) -> Result<Placed, LogError> {
        // The segment is made only once the key is at hand: a refused put
        // leaves no file behind.
        let segment = || {
            self.segment(project, logstore, l, shard, true)?
                .ok_or_else(|| {
                    LogError::Storage(format!("shard {shard} of `{project}/{logstore}` vanished"))
                })
        };
        let sealed = |key: SealingKey, segment: Arc<Segment>| {
            let len = block::sealed_len(
                buf_len,
                &Protection::Sealed {
                    algorithm: key.algorithm,
                    key_ref: key.key_ref,
                    key: &key.key,
                },
            );
            Ok::<_, LogError>(Placed {
                slot: segment.reserve(len)?,
                key: Sealing::Sealed(key),
                segment,
            })
        };
        if let Some(conf) = l.encrypt_conf.as_ref().filter(|c| c.enable) {
            let key = self.sealing_key(op, project, logstore, conf)?;
            return sealed(key, segment()?);
        }
        let key = self.integrity_key(project, logstore, l)?;
        let len = block::sealed_len(
            buf_len,
            &Protection::Plaintext {
                window: 0,
                key: &key,
            },
        );
        let segment = segment()?;
        match self.reserve_plaintext(project, logstore, l, &segment, len)? {
            Reserved::Plaintext { window, slot } => Ok(Placed {
                key: Sealing::Plaintext { window, key },
                segment,
                slot,
            }),
            Reserved::EncryptionOn => {
                let meta = self.catalog.snapshot();
                let conf = meta
                    .logstore(project, logstore)?
                    .encrypt_conf
                    .as_ref()
                    .filter(|c| c.enable)
                    .ok_or_else(|| {
                        LogError::Storage(
                            "encryption was switched on and off again while a put ran".into(),
                        )
                    })?;
                sealed(self.sealing_key(op, project, logstore, conf)?, segment)
            }
        }
    }

    pub(super) fn segment(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        shard: u32,
        create: bool,
    ) -> Result<Option<Arc<Segment>>, LogError> {
        self.shards
            .get(&shard_key(project, logstore, l, shard), create)
    }

    /// The shard with the fewest blocks (shards never written count as
    /// empty, and are not made by looking).
    fn emptiest_shard(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
    ) -> Result<u32, LogError> {
        let mut best = (u64::MAX, 0);
        for n in 0..l.shard_count {
            let len = self
                .segment(project, logstore, l, n, false)?
                .map_or(0, |s| s.len());
            if len < best.0 {
                best = (len, n);
            }
            if len == 0 {
                break;
            }
        }
        Ok(best.1)
    }

    /// Reads blocks `range` of a shard: each key needed is unwrapped once
    /// per operation, through its chain, before any block under it opens.
    #[allow(clippy::too_many_arguments)]
    fn read_blocks(
        &self,
        op: &mut Op,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        shard: u32,
        segment: &Segment,
        range: std::ops::Range<u64>,
    ) -> Result<Vec<StoredGroup>, LogError> {
        let mut keys: HashMap<u32, Zeroizing<Vec<u8>>> = HashMap::new();
        let mut integrity_key: Option<Zeroizing<Vec<u8>>> = None;
        let mut out = Vec::new();
        for seq in range {
            let mut bytes = segment.read(seq)?;
            let integrity = |e: block::BlockError| LogError::Integrity {
                what: format!(
                    "`{}`: `{project}/{logstore}` shard {shard} block {seq}: {e}",
                    segment.path().display()
                ),
            };
            let header = block::header(&bytes).map_err(integrity)?;
            let key = match header.algorithm {
                None => {
                    // S1: plaintext only where the history says so, and
                    // only under the Logstore's integrity key.
                    self.check_plaintext(
                        project,
                        logstore,
                        l,
                        segment,
                        (shard, seq, header.key_ref),
                    )?;
                    if integrity_key.is_none() {
                        integrity_key = Some(self.integrity_key(project, logstore, l)?);
                    }
                    integrity_key.as_ref().map(|k| k.as_slice())
                }
                Some(_) => {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        keys.entry(header.key_ref)
                    {
                        // U7: a key the Logstore lacks is named with the
                        // shard and block that named it.
                        let key = self
                            .unwrap_key(op, project, logstore, l, header.key_ref)
                            .map_err(|e| match e {
                                LogError::Integrity { what } => LogError::Integrity {
                                    what: format!("{what} (shard {shard} block {seq})"),
                                },
                                other => other,
                            })?;
                        slot.insert(key);
                    }
                    keys.get(&header.key_ref).map(|k| k.as_slice())
                }
            };
            let loc = Location {
                project,
                logstore,
                shard,
                seq,
            };
            let payload = block::open(&loc, &mut bytes, key).map_err(integrity)?;
            out.push(StoredGroup {
                shard,
                seq,
                group: LogGroup::decode(payload)?,
            });
        }
        Ok(out)
    }
}

//! The log APIs: `PutLogs` (the write path), `GetCursor`, `PullLogs` and
//! `GetLogs`.
//!
//! A write: (1) the operation's snapshots of RAM and the catalog; (2) the
//! chain, RAM then KMS, with no storage lock; (3) a sequence number and a
//! place reserved in the shard's segment (the AAD binds the number); (4)
//! the seal, no lock held; (5) the audit record; (6) both journaled under
//! one group commit (`journal.rs`) and applied to their files; then the
//! acknowledgement. Reads see only durable blocks and never change a file.
//!
//! Each block is stamped with its receive time (the service's clock) and
//! its group's log-time span; the shard's in-memory index of both lets
//! `GetCursor` find a cursor by time and `GetLogs` read only the blocks
//! whose logs can fall in its range (`shard.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use zeroize::Zeroizing;

use crate::ram::Identity;

use super::block::{self, Location, Protection};
use super::commit::{Slot, Times};
use super::error::LogError;
use super::keyring::SealingKey;
use super::meta::{LogstoreMeta, Meta};
use super::model::LogGroup;
use super::op::{Op, Pending};
use super::plaintext::Reserved;
use super::segment::{self, Segment};
use super::service::{CursorFrom, LogService, Pulled, Receipt, Shared, StoredGroup, Traced};
use super::shard::Shard;
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
        let mut rolled = None;
        let traced = self
            .shared
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
                let times = Times {
                    received: u32::try_from(s.clock.now().unix_timestamp().max(0))
                        .unwrap_or(u32::MAX),
                    first: group
                        .logs
                        .iter()
                        .map(|log| log.time)
                        .min()
                        .unwrap_or(u32::MAX),
                    last: group.logs.iter().map(|log| log.time).max().unwrap_or(0),
                };
                let placed = s.place(op, project, logstore, l, shard, buf.len(), times)?;
                let (segment, slot, times, new_segment) = placed.reservation;
                if new_segment {
                    rolled = Some((shard, l.clone()));
                }
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
                let frame = segment::frame(times, &sealed);
                let seq = slot.index;
                Ok((
                    Receipt { shard, seq },
                    json!({"shard": shard, "seq": seq, "protection": described}),
                    Some(Pending {
                        segment,
                        slot,
                        frame,
                    }),
                ))
            });
        // A new segment began: the shard's expired segments go (their own
        // audited operation; the write is already acknowledged either way).
        if let Some((shard, l)) = rolled {
            let _ = self.shared.expire_shard(project, logstore, &l, shard);
        }
        traced
    }

    /// `GetCursor`: the cursor of `shard` at `from` — its oldest log group
    /// kept (`begin`), one past its newest (`end`), or the first log group
    /// received at or after a Unix time (the end cursor when none was).
    pub fn get_cursor(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard: u32,
        from: CursorFrom,
    ) -> Result<u64, LogError> {
        self.get_cursor_traced(caller, project, logstore, shard, from)
            .outcome
    }

    /// `GetCursor`, with its chain.
    pub fn get_cursor_traced(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        shard: u32,
        from: CursorFrom,
    ) -> Traced<u64> {
        let target = json!({"project": project, "logstore": logstore, "shard": shard,
            "from": from.to_string()});
        self.shared
            .audited(self.request(), "get_cursor", caller, target, |s, op| {
                let meta =
                    s.catalog_to_read(op, caller, project, logstore, Reading::Shard(shard))?;
                let l = meta.logstore(project, logstore)?;
                let cursor = match s.shard(project, logstore, l, shard, false)? {
                    None => 0,
                    Some(stored) => match from {
                        CursorFrom::Begin => stored.first(),
                        CursorFrom::End => stored.end(),
                        CursorFrom::Time(t) => stored.cursor_at(t),
                    },
                };
                Ok((cursor, json!({"cursor": cursor}), None))
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
                let meta =
                    s.catalog_to_read(op, caller, project, logstore, Reading::Shard(shard))?;
                let l = meta.logstore(project, logstore)?;
                let stored = s.shard(project, logstore, l, shard, false)?;
                // A cursor past the end names nothing ever written (U8).
                let len = stored.as_ref().map_or(0, |st| st.end());
                if cursor > len {
                    return Err(LogError::InvalidCursor { shard, cursor, len });
                }
                // A cursor into segments removed under the ttl: refused, with
                // the oldest cursor kept, rather than silently moved on (the
                // caller learns that data expired; GetCursor `begin` resumes).
                let first = stored.as_ref().map_or(0, |st| st.first());
                if cursor < first {
                    return Err(LogError::CursorExpired {
                        shard,
                        cursor,
                        first,
                    });
                }
                let end = readable_end(stored.as_ref(), cursor.saturating_add(u64::from(count)));
                let groups = match &stored {
                    Some(st) => s.read_blocks(op, project, logstore, l, shard, st, cursor..end)?,
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
    /// `[from, to)` (Unix seconds, log time as Log Service's `__time__`),
    /// those logs only. Only the blocks whose log-time span meets the
    /// range are read and opened (the shard's index says which).
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
                let meta = s.catalog_to_read(op, caller, project, logstore, Reading::Logstore)?;
                let l = meta.logstore(project, logstore)?;
                let mut out = Vec::new();
                let mut read = 0usize;
                for shard in 0..l.shard_count {
                    let Some(stored) = s.shard(project, logstore, l, shard, false)? else {
                        continue;
                    };
                    let mut seqs = stored.blocks_in(stored.first(), from, to);
                    if let Some(damaged) = stored.damaged_seq() {
                        // Reach the damage and fail, instead of quietly
                        // returning less.
                        seqs.push(damaged);
                    }
                    read += seqs.len();
                    for mut g in s.read_blocks(op, project, logstore, l, shard, &stored, seqs)? {
                        g.group.logs.retain(|log| (from..to).contains(&log.time));
                        if !g.group.logs.is_empty() {
                            out.push(g);
                        }
                    }
                }
                let detail = json!({"groups": out.len(), "blocks_read": read});
                Ok((out, detail, None))
            })
    }
}

/// Where a read of a shard up to `wanted` stops: at the last durable block,
/// or — when the shard is damaged — one past it, so the read reaches the
/// damage and fails instead of quietly returning less.
fn readable_end(shard: Option<&Arc<Shard>>, wanted: u64) -> u64 {
    let end = match shard {
        None => 0,
        Some(s) => {
            let end = s.end();
            // Damage inside the shard is met by a read that crosses it.
            match s.damaged_seq() {
                Some(d) if d >= end => end + 1,
                _ => end,
            }
        }
    };
    end.min(wanted)
}

/// What a read reads, which says the action it needs.
#[derive(Clone, Copy)]
enum Reading {
    /// One shard, by cursor (`GetCursor`, `PullLogs`:
    /// `log:GetCursorOrData`).
    Shard(u32),
    /// Every shard, by log time (`GetLogs`: `log:GetLogStoreLogs`).
    Logstore,
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

/// A new block's key and its reserved place: the segment it is in, its
/// slot, its times, and whether a new segment began.
struct Placed {
    key: Sealing,
    reservation: (Arc<Segment>, Slot, Times, bool),
}

impl Shared {
    /// Decides how a new block of `buf_len` bytes (header included) is
    /// protected and reserves its sequence number: sealed when encryption
    /// is on, else plaintext in the open window — or sealed after all, when
    /// encryption came on since the operation's snapshot (`plaintext.rs`).
    #[allow(clippy::too_many_arguments)]
    fn place(
        &self,
        op: &mut Op,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        shard: u32,
        buf_len: usize,
        times: Times,
    ) -> Result<Placed, LogError> {
        // The shard's files are made only once the key is at hand: a
        // refused put leaves no file behind.
        let stored = || {
            self.shard(project, logstore, l, shard, true)?
                .ok_or_else(|| {
                    LogError::Storage(format!("shard {shard} of `{project}/{logstore}` vanished"))
                })
        };
        let sealed = |key: SealingKey, stored: Arc<Shard>| {
            let len = block::sealed_len(
                buf_len,
                &Protection::Sealed {
                    algorithm: key.algorithm,
                    key_ref: key.key_ref,
                    key: &key.key,
                },
            );
            Ok::<_, LogError>(Placed {
                reservation: stored.reserve(len, times)?,
                key: Sealing::Sealed(key),
            })
        };
        if let Some(conf) = l.encrypt_conf.as_ref().filter(|c| c.enable) {
            let key = self.sealing_key(op, project, logstore, conf)?;
            return sealed(key, stored()?);
        }
        let key = self.integrity_key(project, logstore, l)?;
        let len = block::sealed_len(
            buf_len,
            &Protection::Plaintext {
                window: 0,
                key: &key,
            },
        );
        let stored = stored()?;
        match self.reserve_plaintext(project, logstore, l, (&stored, times), len)? {
            Reserved::Plaintext {
                window,
                reservation,
            } => Ok(Placed {
                key: Sealing::Plaintext { window, key },
                reservation,
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
                sealed(self.sealing_key(op, project, logstore, conf)?, stored)
            }
        }
    }

    /// The first steps of every read: the caller allowed the read's action
    /// on the Logstore, the catalog's snapshot, the Logstore in it and,
    /// for a read of one shard, that shard; the snapshot.
    fn catalog_to_read(
        &self,
        op: &mut Op,
        caller: &Identity,
        project: &str,
        logstore: &str,
        reading: Reading,
    ) -> Result<Arc<Meta>, LogError> {
        let action = match reading {
            Reading::Shard(_) => "log:GetCursorOrData",
            Reading::Logstore => "log:GetLogStoreLogs",
        };
        self.authorize(op, caller, action, &self.logstore_arn(project, logstore))?;
        let meta = self.catalog.snapshot();
        let l = meta.logstore(project, logstore)?;
        if let Reading::Shard(n) = reading
            && n >= l.shard_count
        {
            return Err(LogError::ShardNotExist(n));
        }
        Ok(meta)
    }

    pub(crate) fn shard(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        shard: u32,
        create: bool,
    ) -> Result<Option<Arc<Shard>>, LogError> {
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
                .shard(project, logstore, l, n, false)?
                .map_or(0, |s| s.end());
            if len < best.0 {
                best = (len, n);
            }
            if len == 0 {
                break;
            }
        }
        Ok(best.1)
    }

    /// Reads blocks `seqs` of a shard: each key needed is unwrapped once
    /// per operation, through its chain, before any block under it opens.
    #[allow(clippy::too_many_arguments)]
    fn read_blocks(
        &self,
        op: &mut Op,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        shard: u32,
        stored: &Shard,
        seqs: impl IntoIterator<Item = u64>,
    ) -> Result<Vec<StoredGroup>, LogError> {
        let mut keys: HashMap<u32, Zeroizing<Vec<u8>>> = HashMap::new();
        let mut integrity_key: Option<Zeroizing<Vec<u8>>> = None;
        let mut out = Vec::new();
        for seq in seqs {
            let mut bytes = stored.read(seq)?;
            let file = stored.path_of(seq);
            let integrity = |e: block::BlockError| LogError::Integrity {
                what: format!(
                    "`{}`: `{project}/{logstore}` shard {shard} block {seq}: {e}",
                    file.display()
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
                        &file,
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

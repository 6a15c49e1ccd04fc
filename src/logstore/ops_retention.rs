//! Retention: a Logstore's `ttl` (days, as `CreateLogStore` takes it;
//! default 30) and the removal of whole segments older than it.
//!
//! A segment goes when its newest log group was received more than `ttl`
//! days ago, oldest first, never a shard's last segment (the one being
//! written). Expiry runs (1) for a shard right after one of its writes
//! started a new segment, and (2) for every shard of a Logstore when
//! [`LogService::expire_segments`] is called (`ramgate log expire`). It
//! does not run at open: opening would then scan every shard, and a
//! directory that is only read would change.
//!
//! Each removal is audited before it happens: the record naming the
//! segments (by the Log Service identity, op `expire_segments`) is durable
//! first, then each file is removed and the removal made durable. A crash
//! in between leaves files the next pass removes and records again; never
//! a removal the audit log does not show.

use serde_json::json;

use crate::ram::Identity;

use super::error::LogError;
use super::meta::LogstoreMeta;
use super::model::check_ttl;
use super::service::{DEFAULT_TTL_DAYS, ExpiredSegment, LOG_SERVICE, LogService, Shared, Traced};

const DAY: i64 = 86_400;

impl LogService {
    /// Sets a Logstore's `ttl` in days (`UpdateLogStore`'s `ttl`; 1–3650).
    /// Segments already older than the new `ttl` go at the next expiry.
    pub fn set_logstore_ttl(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        days: u32,
    ) -> Result<(), LogError> {
        self.set_logstore_ttl_traced(caller, project, logstore, days)
            .outcome
    }

    /// [`LogService::set_logstore_ttl`], with its chain.
    pub fn set_logstore_ttl_traced(
        &self,
        caller: &Identity,
        project: &str,
        logstore: &str,
        days: u32,
    ) -> Traced<()> {
        let target = json!({"project": project, "logstore": logstore});
        self.shared.audited(
            self.request(),
            "update_logstore",
            caller,
            target,
            |s, op| {
                check_ttl(days)?;
                s.authorize(
                    op,
                    caller,
                    "log:UpdateLogStore",
                    &s.logstore_arn(project, logstore),
                )?;
                s.catalog.update(&s.kms, |m| {
                    m.logstore_mut(project, logstore)?.ttl = Some(days);
                    Ok(())
                })?;
                Ok(((), json!({"ttl": days}), None))
            },
        )
    }

    /// Removes every shard's segments of a Logstore that are older than
    /// its `ttl` (module docs), and returns them. An operator's call: it
    /// runs as Log Service itself, as retention does in the cloud.
    pub fn expire_segments(
        &self,
        project: &str,
        logstore: &str,
    ) -> Result<Vec<ExpiredSegment>, LogError> {
        let meta = self.shared.catalog.snapshot();
        let l = meta.logstore(project, logstore)?;
        let mut all = Vec::new();
        for shard in 0..l.shard_count {
            all.extend(self.shared.expire_shard(project, logstore, l, shard)?);
        }
        Ok(all)
    }
}

impl Shared {
    /// Removes one shard's expired segments (module docs).
    pub(crate) fn expire_shard(
        &self,
        project: &str,
        logstore: &str,
        l: &LogstoreMeta,
        shard: u32,
    ) -> Result<Vec<ExpiredSegment>, LogError> {
        let Some(stored) = self.shard(project, logstore, l, shard, false)? else {
            return Ok(Vec::new());
        };
        let ttl = i64::from(l.ttl.unwrap_or(DEFAULT_TTL_DAYS));
        let cutoff = self.clock.now().unix_timestamp() - ttl * DAY;
        let cutoff = u32::try_from(cutoff.max(0)).unwrap_or(u32::MAX);
        let removing = stored.expired(cutoff);
        if removing.is_empty() {
            return Ok(Vec::new());
        }
        let expired: Vec<ExpiredSegment> = removing
            .iter()
            .map(|r| ExpiredSegment {
                project: project.to_string(),
                logstore: logstore.to_string(),
                shard,
                from: r.seqs.start,
                to: r.seqs.end,
                newest_received: r.newest_received,
            })
            .collect();
        let service = Identity::Service {
            service: LOG_SERVICE.to_string(),
            account: Some(self.account.clone()),
        };
        let target = json!({"project": project, "logstore": logstore, "shard": shard});
        let detail = json!({
            "ttl_days": ttl,
            "received_before": cutoff,
            "segments": removing.iter().map(|r| json!({
                "file": r.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                "from": r.seqs.start,
                "to": r.seqs.end,
                "newest_received": r.newest_received,
            })).collect::<Vec<_>>(),
        });
        // Retention is Log Service acting on its own, for no request.
        self.audited(None, "expire_segments", &service, target, |_, _| {
            Ok(((), detail, None))
        })
        .outcome?;
        stored.remove(&removing)?;
        Ok(expired)
    }
}

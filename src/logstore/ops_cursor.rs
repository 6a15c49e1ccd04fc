//! `GetCursor`: where in a shard a reader starts.

use super::error::LogError;
use super::ops_logs::readable_end;
use super::service::{LogService, Traced};
use crate::ram::Identity;

/// Where a cursor points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorFrom {
    /// The shard's first log group.
    Begin,
    /// Past its last durable log group (what is written next).
    End,
}

impl LogService {
    /// `GetCursor` of `shard`: the sequence number `from` names, for a
    /// caller allowed `log:GetCursorOrData` on the Logstore.
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
        self.shared.unaudited(self.request(), |s, op| {
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
            match from {
                CursorFrom::Begin => Ok(0),
                CursorFrom::End => {
                    let segment = s.segment(project, logstore, l, shard, false)?;
                    Ok(readable_end(segment.as_ref(), u64::MAX))
                }
            }
        })
    }
}

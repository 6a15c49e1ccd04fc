//! `ListShards`, `GetCursor` and `PullLogs`.

use serde_json::json;

use super::{Failure, SlsRequest, outcome};
use crate::logstore::{CursorFrom, LogGroup};
use crate::server::http::front::Answer;
use crate::server::sls::cursor;
use crate::server::{body, proto};

/// The most log groups one PullLogs answers (Log Service's limit).
pub const MAX_PULL: u32 = 1000;

/// A shard id from the path.
pub fn shard_id(text: &str) -> Result<u32, Failure> {
    text.parse().map_err(|_| {
        Failure::invalid(
            "ShardNotExist",
            format!("`{}` is not a shard id", crate::terminal::clip(text)),
        )
    })
}

/// The hash range of shard `i` of `n`: the 128-bit MD5 space cut evenly,
/// as 32 hex digits (`inclusiveBeginKey`, `exclusiveEndKey`).
fn hash_range(i: u32, n: u32) -> (String, String) {
    let bound = |k: u32| -> String {
        if k >= n {
            return "f".repeat(32);
        }
        format!("{:032x}", boundary(k, n))
    };
    (bound(i), bound(i + 1))
}

/// `floor(k * 2^128 / n)` for `k < n`, without overflow: with `2^128 = n·q
/// + r + 1`, it is `k·q + k·(r + 1) / n` (both terms fit).
fn boundary(k: u32, n: u32) -> u128 {
    let n = u128::from(n.max(1));
    let (q, r) = (u128::MAX / n, u128::MAX % n);
    let k = u128::from(k);
    k * q + k * (r + 1) / n
}

/// Which shard of `n` a `/shards/route?key=<32 hex>` hash key falls in.
pub fn shard_of_key(key: &str, n: u32) -> Result<u32, Failure> {
    let bad = || {
        Failure::invalid(
            "ParameterInvalid",
            format!(
                "`key` `{}` is not a hash key of 32 hex digits",
                crate::terminal::clip(key)
            ),
        )
    };
    if key.is_empty() || key.len() > 32 {
        return Err(bad());
    }
    let padded = format!("{key:0<32}");
    let value = u128::from_str_radix(&padded, 16).map_err(|_| bad())?;
    // At most 256 shards: the last one whose range begins at or below.
    Ok((0..n.max(1))
        .rev()
        .find(|&k| boundary(k, n) <= value)
        .unwrap_or(0))
}

/// `GET /logstores/<name>/shards`: a JSON array, one object per shard.
pub fn list(request: &SlsRequest<'_>, logstore: &str) -> Result<Answer, Failure> {
    let project = request.project()?;
    let info = outcome(
        request
            .service
            .get_logstore_traced(request.caller, project, logstore),
    )?;
    let shards: Vec<_> = (0..info.shard_count)
        .map(|i| {
            let (begin, end) = hash_range(i, info.shard_count);
            json!({
                "shardID": i,
                "status": "readwrite",
                "inclusiveBeginKey": begin,
                "exclusiveEndKey": end,
                "createTime": 0,
            })
        })
        .collect();
    Ok(Answer::json(200, &json!(shards)))
}

/// `?type=cursor&from=begin|end|<unix seconds>`: `{"cursor"}`.
pub fn get_cursor(request: &SlsRequest<'_>, logstore: &str, shard: u32) -> Result<Answer, Failure> {
    let project = request.project()?;
    let from = request.param("from").unwrap_or_default();
    let from = match from.trim() {
        "begin" => CursorFrom::Begin,
        "end" => CursorFrom::End,
        t => match t.parse::<u32>() {
            // The first log group received at or after the time (the
            // shard's time index), or the end cursor when none was.
            Ok(seconds) => CursorFrom::Time(seconds),
            Err(_) => {
                return Err(Failure::invalid(
                    "ParameterInvalid",
                    format!(
                        "`from` `{}` is not `begin`, `end` or a unix time",
                        crate::terminal::clip(t)
                    ),
                ));
            }
        },
    };
    let seq =
        outcome(
            request
                .service
                .get_cursor_traced(request.caller, project, logstore, shard, from),
        )?;
    Ok(Answer::json(200, &json!({"cursor": cursor::encode(seq)})))
}

/// `?type=log&cursor=<c>&count=<n>[&end_cursor=<c>]`: a LogGroupList with
/// `x-log-cursor`, `x-log-count` and `x-log-bodyrawsize`, LZ4 when the
/// client accepts it.
pub fn pull(request: &SlsRequest<'_>, logstore: &str, shard: u32) -> Result<Answer, Failure> {
    let project = request.project()?;
    let decode = |c: &str| {
        cursor::decode(c).map_err(|e| Failure {
            status: 400,
            code: e.code().to_string(),
            message: e.to_string(),
        })
    };
    let from = decode(&request.param("cursor").unwrap_or_default())?;
    let mut count = match request.param("count") {
        None => MAX_PULL,
        Some(c) => c.trim().parse::<u32>().map_err(|_| {
            Failure::invalid(
                "ParameterInvalid",
                format!("`count` `{}` is not a number", crate::terminal::clip(&c)),
            )
        })?,
    }
    .min(MAX_PULL);
    if let Some(end) = request.param("end_cursor").filter(|e| !e.is_empty()) {
        let end = decode(&end)?;
        count = count.min(u32::try_from(end.saturating_sub(from)).unwrap_or(u32::MAX));
    }
    let pulled = outcome(request.service.pull_logs_traced(
        request.caller,
        project,
        logstore,
        shard,
        from,
        count,
    ))?;
    let groups: Vec<LogGroup> = pulled.groups.into_iter().map(|g| g.group).collect();
    let raw = if groups.is_empty() {
        Vec::new()
    } else {
        proto::encode_log_group_list(&groups)
    };
    let lz4 = request
        .wire
        .header("accept-encoding")
        .is_some_and(|a| a.split(',').any(|e| e.trim() == "lz4"));
    let mut answer = Answer::empty();
    answer.content_type = "application/x-protobuf";
    answer.headers = vec![
        ("x-log-cursor", cursor::encode(pulled.next_cursor)),
        ("x-log-count", groups.len().to_string()),
        ("x-log-bodyrawsize", raw.len().to_string()),
    ];
    if lz4 && !raw.is_empty() {
        answer
            .headers
            .push(("x-log-compresstype", "lz4".to_string()));
        answer.body = body::lz4(&raw);
    } else {
        answer.body = raw;
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_keys_fall_in_the_shard_whose_range_holds_them() {
        assert_eq!(
            shard_of_key("00000000000000000000000000000000", 4).ok(),
            Some(0)
        );
        assert_eq!(
            shard_of_key("7fffffffffffffffffffffffffffffff", 4).ok(),
            Some(1)
        );
        assert_eq!(
            shard_of_key("ffffffffffffffffffffffffffffffff", 4).ok(),
            Some(3)
        );
        assert_eq!(shard_of_key("ff", 2).ok(), Some(1));
        assert!(shard_of_key("xyz", 2).is_err());
        let (begin, end) = hash_range(0, 2);
        assert_eq!(begin, "0".repeat(32));
        assert_eq!(end.len(), 32);
        assert_eq!(hash_range(1, 2).1, "f".repeat(32));
        assert_eq!(hash_range(1, 2).0, format!("8{}", "0".repeat(31)));
        assert_eq!(
            shard_of_key("80000000000000000000000000000000", 2).ok(),
            Some(1)
        );
        assert_eq!(
            shard_of_key("55555555555555555555555555555554", 3).ok(),
            Some(0)
        );
        assert_eq!(
            shard_of_key("55555555555555555555555555555555", 3).ok(),
            Some(1)
        );
    }
}

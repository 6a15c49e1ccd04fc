//! `PutLogs` and `GetLogs`.

use serde_json::{Map, Value, json};

use super::{Failure, SlsRequest, outcome};
use crate::server::http::front::Answer;
use crate::server::sls::query::Query;
use crate::server::{body, proto};

/// The most rows one GetLogs answers (Log Service's `line` limit).
pub const MAX_LINES: u64 = 100;

/// `POST /logstores/<name>/shards/lb` (the engine picks the shard) or
/// `/shards/route?key=<hash>` (the shard whose range holds the key): a
/// LogGroup, LZ4, zstd, deflate or uncompressed, within PutLogs' limits.
pub fn put(request: &SlsRequest<'_>, logstore: &str, key: Option<&str>) -> Result<Answer, Failure> {
    let project = request.project()?;
    let wire = request.wire;
    let raw = body::decode(
        wire.body,
        wire.header("x-log-compresstype"),
        wire.header("x-log-bodyrawsize"),
    )
    .map_err(|e| Failure {
        status: e.http_status(),
        code: e.code().to_string(),
        message: e.to_string(),
    })?;
    let group = proto::decode_log_group(&raw).map_err(|e| Failure {
        status: 400,
        code: e.code().to_string(),
        message: e.to_string(),
    })?;
    let shard = match key {
        None => None,
        Some(key) => {
            let info = outcome(request.service.get_logstore_traced(
                request.caller,
                project,
                logstore,
            ))?;
            Some(super::shards::shard_of_key(key, info.shard_count)?)
        }
    };
    outcome(
        request
            .service
            .put_logs_traced(request.caller, project, logstore, shard, &group),
    )?;
    Ok(Answer::empty())
}

fn number(body: &Value, name: &str, default: u64) -> Result<u64, Failure> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_u64().ok_or_else(|| {
            Failure::invalid(
                "ParameterInvalid",
                format!("`{name}` `{v}` is not a non-negative number"),
            )
        }),
    }
}

/// `POST /logstores/<name>/logs` (GetLogs v2): the logs with a time in
/// `[from, to)` matching `query` (and `topic`), `line` rows after
/// `offset`, oldest first unless `reverse`.
pub fn get(request: &SlsRequest<'_>, logstore: &str) -> Result<Answer, Failure> {
    let project = request.project()?;
    let body = request.json_body()?;
    let time = |name: &str| -> Result<u32, Failure> {
        u32::try_from(number(&body, name, 0)?).map_err(|_| {
            Failure::invalid("ParameterInvalid", format!("`{name}` is not a unix time"))
        })
    };
    let (from, to) = (time("from")?, time("to")?);
    let query_text = body.get("query").and_then(Value::as_str).unwrap_or("*");
    let query = Query::parse(query_text).map_err(|e| Failure::invalid(e.code(), e.to_string()))?;
    let topic = body
        .get("topic")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    let line = number(&body, "line", MAX_LINES)?.min(MAX_LINES);
    let offset = number(&body, "offset", 0)?;
    let reverse = body
        .get("reverse")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let groups =
        outcome(
            request
                .service
                .get_logs_traced(request.caller, project, logstore, from, to),
        )?;
    let mut rows: Vec<(u32, Value)> = Vec::new();
    for stored in &groups {
        let group = &stored.group;
        if topic.is_some_and(|t| t != group.topic) {
            continue;
        }
        for log in group.logs.iter().filter(|l| query.matches(group, l)) {
            let mut row = Map::new();
            row.insert("__time__".into(), json!(log.time.to_string()));
            row.insert("__source__".into(), json!(group.source));
            row.insert("__topic__".into(), json!(group.topic));
            for (k, v) in &group.tags {
                row.insert(format!("__tag__:{k}"), json!(v));
            }
            for (k, v) in &log.contents {
                row.insert(k.clone(), json!(v));
            }
            rows.push((log.time, Value::Object(row)));
        }
    }
    // Stable: logs of one time keep their stored order.
    rows.sort_by_key(|(t, _)| *t);
    if reverse {
        rows.reverse();
    }
    let data: Vec<Value> = rows
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(line).unwrap_or(usize::MAX))
        .map(|(_, row)| row)
        .collect();
    let answer = json!({
        "meta": {
            "progress": "Complete",
            "count": data.len(),
            "processedRows": data.len(),
            "elapsedMillisecond": 0,
            "hasSQL": false,
            "keys": [],
            "terms": [],
            "whereQuery": "",
            "aggQuery": "",
        },
        "data": data,
    });
    Ok(Answer::json(200, &answer))
}

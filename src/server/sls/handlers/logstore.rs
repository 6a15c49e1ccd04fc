//! `CreateLogStore`, `GetLogStore`, `UpdateLogStore`, `ListLogStores`,
//! `DeleteLogStore`, with `encrypt_conf` passed and echoed as sent.
//!
//! ramgate keeps a Logstore's shard count, `ttl` and encryption; the other
//! keys the SDK sends (`autoSplit`, …) are accepted and `GetLogStore`
//! answers the SDK's required keys with Log Service's defaults.

use serde_json::{Value, json};

use super::{Failure, SlsRequest, outcome};
use crate::logstore::{EncryptConf, LogstoreConfig};
use crate::server::http::front::Answer;

/// The shard count of a new Logstore when the body gives none (the SDK's
/// default).
const DEFAULT_SHARDS: u32 = 2;

/// `encrypt_conf` from a body: absent (or `null`) means none was passed.
fn encrypt_conf(body: &Value) -> Result<Option<EncryptConf>, Failure> {
    match body.get("encrypt_conf") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => EncryptConf::from_value(v)
            .map(Some)
            .map_err(|e| Failure::from_engine(&e, &Default::default())),
    }
}

/// A whole-number field of a body, when given (the engine checks its
/// range): `ttl` in days, `shardCount`; `what` names what it should be.
fn count(body: &Value, key: &str, what: &str) -> Result<Option<u32>, Failure> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                Failure::invalid("ParameterInvalid", format!("`{key}` `{v}` is not {what}"))
            }),
    }
}

fn ttl(body: &Value) -> Result<Option<u32>, Failure> {
    count(body, "ttl", "a number of days")
}

fn shard_count(body: &Value) -> Result<Option<u32>, Failure> {
    count(body, "shardCount", "a shard count")
}

/// `POST /logstores`.
pub fn create(request: &SlsRequest<'_>) -> Result<Answer, Failure> {
    let project = request.project()?;
    let body = request.json_body()?;
    let name = body
        .get("logstoreName")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Failure::invalid("ParameterInvalid", "the body has no `logstoreName`".into())
        })?;
    let config = LogstoreConfig {
        name: name.to_string(),
        shard_count: shard_count(&body)?.unwrap_or(DEFAULT_SHARDS),
        ttl: ttl(&body)?,
        encrypt_conf: encrypt_conf(&body)?,
    };
    outcome(
        request
            .service
            .create_logstore_traced(request.caller, project, &config),
    )?;
    Ok(Answer::empty())
}

/// `GET /logstores/<name>`: the keys the SDK requires, and `encrypt_conf`
/// exactly as it was sent.
pub fn get(request: &SlsRequest<'_>, logstore: &str) -> Result<Answer, Failure> {
    let project = request.project()?;
    let info = outcome(
        request
            .service
            .get_logstore_traced(request.caller, project, logstore),
    )?;
    let mut body = json!({
        "logstoreName": info.name,
        "ttl": info.ttl,
        "shardCount": info.shard_count,
        "enable_tracking": false,
        "appendMeta": false,
        "autoSplit": false,
        "maxSplitShard": 64,
        "enableModify": true,
        "telemetryType": "",
        "mode": "standard",
        "createTime": 0,
        "lastModifyTime": 0,
    });
    if let Some(conf) = &info.encrypt_conf {
        body["encrypt_conf"] = serde_json::to_value(conf).unwrap_or_default();
    }
    if let Some(since) = &info.encryption_off_since {
        body["encryptionOffSince"] = json!(since);
    }
    Ok(Answer::json(200, &body))
}

/// `PUT /logstores/<name>`: today's update rules (the shard count stays;
/// an encrypted Logstore's update carries its whole `encrypt_conf`, of
/// which only `enable` may change; `ttl` may change).
pub fn update(request: &SlsRequest<'_>, logstore: &str) -> Result<Answer, Failure> {
    let project = request.project()?;
    let body = request.json_body()?;
    let conf = encrypt_conf(&body)?;
    // The SDK sends the whole configuration, `ttl` included (filled from a
    // GetLogStore): one update, one audit record, `ttl` changed only when
    // it differs.
    outcome(request.service.update_logstore_traced(
        request.caller,
        project,
        logstore,
        shard_count(&body)?,
        conf.as_ref(),
        ttl(&body)?,
    ))?;
    Ok(Answer::empty())
}

/// `offset` and `size` of a list (size at most 500, default 100).
pub fn paging(request: &SlsRequest<'_>) -> Result<(usize, usize), Failure> {
    let number = |name: &str, default: usize| match request.param(name) {
        None => Ok(default),
        Some(v) => v.trim().parse::<usize>().map_err(|_| {
            Failure::invalid(
                "ParameterInvalid",
                format!("`{name}` `{}` is not a number", crate::terminal::clip(&v)),
            )
        }),
    };
    Ok((number("offset", 0)?, number("size", 100)?.min(500)))
}

/// `GET /logstores`: `{count, total, logstores}`, names containing
/// `logstoreName` when given.
pub fn list(request: &SlsRequest<'_>) -> Result<Answer, Failure> {
    let project = request.project()?;
    let names = outcome(
        request
            .service
            .list_logstores_traced(request.caller, project),
    )?;
    let pattern = request.param("logstoreName").unwrap_or_default();
    let matching: Vec<&String> = names.iter().filter(|n| n.contains(&pattern)).collect();
    let (offset, size) = paging(request)?;
    let page: Vec<&String> = matching.iter().copied().skip(offset).take(size).collect();
    Ok(Answer::json(
        200,
        &json!({"count": page.len(), "total": matching.len(), "logstores": page}),
    ))
}

/// `DELETE /logstores/<name>`.
pub fn delete(request: &SlsRequest<'_>, logstore: &str) -> Result<Answer, Failure> {
    let project = request.project()?;
    outcome(
        request
            .service
            .delete_logstore_traced(request.caller, project, logstore),
    )?;
    Ok(Answer::empty())
}

//! The Log Service protobuf messages (proto2, `wire-protocols.md` §2.1),
//! written by hand with `prost` derive: no `protoc` at build time.
//!
//! `Time`, `Key` and `Value` are `required` in the SDKs' descriptors:
//! prost reads a missing required field as its default, so they are
//! declared `optional` here, a message without one is refused by
//! [`decode_log_group`], and they are always written, which Java, Go and
//! older Python parsers need.

use prost::Message as _;

use crate::logstore::{Log as StoredLog, LogGroup as StoredGroup};

/// The most logs one PutLogs request may carry (Log Service's limit).
pub const MAX_LOGS: usize = 4096;

/// `Log.Content`: one key and value (both required).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LogContent {
    /// The key.
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    /// The value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `Log`: a time and its contents.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Log {
    /// Unix seconds (required).
    #[prost(uint32, optional, tag = "1")]
    pub time: Option<u32>,
    /// The contents, in order.
    #[prost(message, repeated, tag = "2")]
    pub contents: Vec<LogContent>,
    /// The nanosecond part of the time, 0..999,999,999.
    #[prost(fixed32, optional, tag = "4")]
    pub time_ns: Option<u32>,
}

/// `LogTag`: a tag of the whole group (key and value required).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LogTag {
    /// The key.
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    /// The value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `LogGroup`: what PutLogs sends.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LogGroup {
    /// The logs.
    #[prost(message, repeated, tag = "1")]
    pub logs: Vec<Log>,
    /// Reserved by Log Service.
    #[prost(string, optional, tag = "2")]
    pub reserved: Option<String>,
    /// The topic.
    #[prost(string, optional, tag = "3")]
    pub topic: Option<String>,
    /// The source.
    #[prost(string, optional, tag = "4")]
    pub source: Option<String>,
    /// The machine group id.
    #[prost(string, optional, tag = "5")]
    pub machine_uuid: Option<String>,
    /// The tags.
    #[prost(message, repeated, tag = "6")]
    pub log_tags: Vec<LogTag>,
}

/// `LogGroupList`: what PullLogs returns.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LogGroupList {
    /// The groups, in order.
    #[prost(message, repeated, tag = "1")]
    pub log_groups: Vec<LogGroup>,
}

/// Why a PutLogs body is not a log group.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtoError {
    /// Not a protobuf `LogGroup`.
    #[error("the body is not a protobuf LogGroup: {0}")]
    Decode(String),
    /// A required field is absent.
    #[error("the log group's {0} is missing, which the protobuf schema requires")]
    MissingField(&'static str),
    /// More logs than one request may carry.
    #[error("the log group has {0} logs, over the {MAX_LOGS} one PutLogs request may carry")]
    TooManyLogs(usize),
}

impl ProtoError {
    /// Log Service's error code.
    pub fn code(&self) -> &'static str {
        match self {
            ProtoError::Decode(_) | ProtoError::MissingField(_) => "PostBodyInvalid",
            ProtoError::TooManyLogs(_) => "PostBodyTooLarge",
        }
    }
}

/// Reads a PutLogs body (uncompressed) into the group ramgate stores. The
/// nanosecond part of each time is not kept (ramgate stores seconds).
pub fn decode_log_group(raw: &[u8]) -> Result<StoredGroup, ProtoError> {
    let group = LogGroup::decode(raw).map_err(|e| ProtoError::Decode(e.to_string()))?;
    if group.logs.len() > MAX_LOGS {
        return Err(ProtoError::TooManyLogs(group.logs.len()));
    }
    let pair = |key: Option<String>, value: Option<String>, what| match (key, value) {
        (Some(k), Some(v)) => Ok((k, v)),
        _ => Err(ProtoError::MissingField(what)),
    };
    let tags = group
        .log_tags
        .into_iter()
        .map(|t| pair(t.key, t.value, "`LogTag.Key` or `LogTag.Value`"))
        .collect::<Result<_, _>>()?;
    let logs = group
        .logs
        .into_iter()
        .map(|l| {
            Ok(StoredLog {
                time: l.time.ok_or(ProtoError::MissingField("`Log.Time`"))?,
                contents: l
                    .contents
                    .into_iter()
                    .map(|c| pair(c.key, c.value, "`Log.Content.Key` or `Log.Content.Value`"))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect::<Result<_, ProtoError>>()?;
    Ok(StoredGroup {
        topic: group.topic.unwrap_or_default(),
        source: group.source.unwrap_or_default(),
        tags,
        logs,
    })
}

/// The wire form of a stored group.
pub fn to_wire(group: &StoredGroup) -> LogGroup {
    LogGroup {
        logs: group
            .logs
            .iter()
            .map(|l| Log {
                time: Some(l.time),
                contents: l
                    .contents
                    .iter()
                    .map(|(key, value)| LogContent {
                        key: Some(key.clone()),
                        value: Some(value.clone()),
                    })
                    .collect(),
                time_ns: None,
            })
            .collect(),
        reserved: None,
        topic: Some(group.topic.clone()),
        source: Some(group.source.clone()),
        machine_uuid: None,
        log_tags: group
            .tags
            .iter()
            .map(|(key, value)| LogTag {
                key: Some(key.clone()),
                value: Some(value.clone()),
            })
            .collect(),
    }
}

/// Encodes a PullLogs answer.
pub fn encode_log_group_list(groups: &[StoredGroup]) -> Vec<u8> {
    LogGroupList {
        log_groups: groups.iter().map(to_wire).collect(),
    }
    .encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredGroup {
        StoredGroup {
            topic: "nginx".into(),
            source: "10.0.0.1".into(),
            tags: vec![("host".into(), "web-1".into())],
            logs: vec![StoredLog {
                time: 1_700_000_000,
                contents: vec![
                    ("status".into(), "200".into()),
                    ("empty".into(), String::new()),
                ],
            }],
        }
    }

    #[test]
    fn groups_round_trip_and_required_fields_are_written() {
        let bytes = to_wire(&sample()).encode_to_vec();
        assert_eq!(decode_log_group(&bytes), Ok(sample()));
        // `Value` of the empty string is still on the wire (tag 2, length 0).
        let content = to_wire(&sample()).logs[0].contents[1].encode_to_vec();
        assert_eq!(content, [0x0a, 5, b'e', b'm', b'p', b't', b'y', 0x12, 0]);
    }

    #[test]
    fn a_log_without_its_required_time_is_refused() {
        // Log { Contents: [{Key: "k", Value: "v"}] } without Time (tag 1).
        let log = [0x12, 6, 0x0a, 1, b'k', 0x12, 1, b'v'];
        let mut group = vec![0x0a, log.len() as u8];
        group.extend_from_slice(&log);
        let e = decode_log_group(&group).unwrap_err();
        assert_eq!(e, ProtoError::MissingField("`Log.Time`"));
        assert_eq!(e.code(), "PostBodyInvalid");
    }

    #[test]
    fn too_many_logs_are_refused() {
        let mut group = sample();
        group.logs = vec![group.logs[0].clone(); MAX_LOGS + 1];
        let bytes = to_wire(&group).encode_to_vec();
        assert_eq!(
            decode_log_group(&bytes).map_err(|e| e.code()),
            Err("PostBodyTooLarge")
        );
    }
}

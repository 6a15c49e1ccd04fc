//! What Log Service stores: log groups of logs, and the rules for project
//! and Logstore names.

use serde::{Deserialize, Serialize};

use super::error::LogError;
use super::strict_json::JsonInputError;

/// One log: a time and key/value contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// Seconds since the Unix epoch.
    pub time: u32,
    /// The fields, in order (keys may repeat, as in Log Service).
    #[serde(deserialize_with = "super::strict_json::pairs")]
    pub contents: Vec<(String, String)>,
}

/// What `PutLogs` sends and `GetLogs` returns: logs sharing a topic, a
/// source and tags. Each log group is stored as one block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogGroup {
    /// The topic (may be empty).
    #[serde(default)]
    pub topic: String,
    /// Where the logs come from (may be empty).
    #[serde(default)]
    pub source: String,
    /// Tags of the whole group.
    #[serde(default, deserialize_with = "super::strict_json::pairs")]
    pub tags: Vec<(String, String)>,
    /// The logs.
    pub logs: Vec<Log>,
}

/// Version of the binary log-group encoding inside blocks.
const ENCODING: u8 = 1;

impl LogGroup {
    /// Reads a log group from JSON (`{"topic", "source", "tags", "logs":
    /// [{"time", "contents": [[key, value], …]}]}`) strictly: duplicate and
    /// unknown members are errors naming the member, with a did-you-mean;
    /// a pair that is not two strings says so (U5).
    pub fn from_json(text: &str) -> Result<LogGroup, JsonInputError> {
        super::strict_json::read(text)
    }

    /// Appends the binary encoding of the group to `out`: a version byte,
    /// then topic, source, tags and logs, every string and list
    /// length-prefixed (u32 LE). Binary rather than JSON because the block
    /// path is measured against the raw cipher: encoding is a copy.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        fn string(out: &mut Vec<u8>, s: &str) {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        fn pairs(out: &mut Vec<u8>, pairs: &[(String, String)]) {
            out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
            for (k, v) in pairs {
                string(out, k);
                string(out, v);
            }
        }
        out.push(ENCODING);
        string(out, &self.topic);
        string(out, &self.source);
        pairs(out, &self.tags);
        out.extend_from_slice(&(self.logs.len() as u32).to_le_bytes());
        for log in &self.logs {
            out.extend_from_slice(&log.time.to_le_bytes());
            pairs(out, &log.contents);
        }
    }

    /// The encoded size, to size buffers once.
    pub fn encoded_len(&self) -> usize {
        let pairs = |p: &[(String, String)]| {
            4 + p.iter().map(|(k, v)| 8 + k.len() + v.len()).sum::<usize>()
        };
        1 + 8
            + self.topic.len()
            + self.source.len()
            + pairs(&self.tags)
            + 4
            + self
                .logs
                .iter()
                .map(|l| 4 + pairs(&l.contents))
                .sum::<usize>()
    }

    /// Reads the binary encoding; every length is checked against what is
    /// left, so a damaged payload is an error, never a panic or a huge
    /// allocation.
    pub fn decode(bytes: &[u8]) -> Result<LogGroup, LogError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.u8()? != ENCODING {
            return Err(r.bad("unknown log group encoding"));
        }
        let topic = r.string()?;
        let source = r.string()?;
        let tags = r.pairs()?;
        let n = r.count(8)?;
        let mut logs = Vec::with_capacity(n);
        for _ in 0..n {
            let time = r.u32()?;
            logs.push(Log {
                time,
                contents: r.pairs()?,
            });
        }
        if r.pos != bytes.len() {
            return Err(r.bad("trailing bytes after the log group"));
        }
        Ok(LogGroup {
            topic,
            source,
            tags,
            logs,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn bad(&self, what: &str) -> LogError {
        LogError::Integrity {
            what: format!("a log group payload: {what} at byte {}", self.pos),
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], LogError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.bad("truncated"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, LogError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, LogError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A count of items each at least `min` bytes long: bounded by what is left.
    fn count(&mut self, min: usize) -> Result<usize, LogError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min) > self.bytes.len() - self.pos {
            return Err(self.bad("a count larger than the payload"));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, LogError> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.bad("a string that is not UTF-8"))
    }

    fn pairs(&mut self) -> Result<Vec<(String, String)>, LogError> {
        let n = self.count(8)?;
        (0..n)
            .map(|_| Ok((self.string()?, self.string()?)))
            .collect()
    }
}

/// Project names: 3–63 characters of lower-case letters, digits and `-`,
/// starting and ending with a letter or digit (Log Service's rule).
pub fn check_project_name(name: &str) -> Result<(), LogError> {
    check_name(name, "project", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    })
}

/// Logstore names: 3–63 characters of lower-case letters, digits, `-` and
/// `_`, starting and ending with a letter or digit (Log Service's rule).
pub fn check_logstore_name(name: &str) -> Result<(), LogError> {
    check_name(name, "logstore", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
    })
}

fn check_name(name: &str, what: &str, allowed: impl Fn(char) -> bool) -> Result<(), LogError> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&name.len())
        && name.chars().all(&allowed)
        && edge_ok(name.chars().next())
        && edge_ok(name.chars().last());
    if ok {
        Ok(())
    } else {
        Err(LogError::ParameterInvalid(format!(
            "{what} name `{name}` is invalid: use 3 to 63 lower-case letters, digits{} and `-`, starting and ending with a letter or digit",
            if what == "logstore" { ", `_`" } else { "" }
        )))
    }
}

/// Shard counts: 1 to 256 (`maxSplitShard must be within range [1, 256]`).
pub fn check_shard_count(n: u32) -> Result<(), LogError> {
    if (1..=256).contains(&n) {
        Ok(())
    } else {
        Err(LogError::LogStoreInfoInvalid(format!(
            "shard count {n} must be within range [1, 256]"
        )))
    }
}

/// A Logstore `ttl` is 1 to 3650 days (Log Service's range).
pub fn check_ttl(days: u32) -> Result<(), LogError> {
    if (1..=3650).contains(&days) {
        Ok(())
    } else {
        Err(LogError::LogStoreInfoInvalid(format!(
            "ttl {days} must be within range [1, 3650] days"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LogGroup {
        LogGroup {
            topic: "nginx".into(),
            source: "10.0.0.1".into(),
            tags: vec![("host".into(), "web-1".into())],
            logs: vec![
                Log {
                    time: 1_700_000_000,
                    contents: vec![
                        ("status".into(), "200".into()),
                        ("path".into(), "/é".into()),
                    ],
                },
                Log {
                    time: 1_700_000_001,
                    contents: vec![],
                },
            ],
        }
    }

    #[test]
    fn log_groups_round_trip_through_their_encoding() {
        let g = sample();
        let mut out = Vec::new();
        g.encode_into(&mut out);
        assert_eq!(out.len(), g.encoded_len());
        assert_eq!(LogGroup::decode(&out).ok(), Some(g));
    }

    #[test]
    fn damaged_encodings_are_errors() {
        let mut out = Vec::new();
        sample().encode_into(&mut out);
        for cut in 0..out.len() {
            assert!(LogGroup::decode(&out[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = vec![1u8];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(LogGroup::decode(&huge).is_err());
        out.push(0);
        assert!(LogGroup::decode(&out).is_err());
    }

    #[test]
    fn names_follow_log_service_rules() {
        for good in ["app-logs", "abc", "a1b", "p-0"] {
            assert!(check_project_name(good).is_ok(), "{good}");
        }
        for bad in ["ab", "-ab", "ab-", "App", "a_b", "a b", &"a".repeat(64)] {
            assert!(check_project_name(bad).is_err(), "{bad}");
        }
        assert!(check_logstore_name("access_log").is_ok());
        assert!(check_logstore_name("_log").is_err());
        assert_eq!(
            check_logstore_name("Bad").err().map(|e| e.to_string()),
            Some("logstore name `Bad` is invalid: use 3 to 63 lower-case letters, digits, `_` and `-`, starting and ending with a letter or digit".to_string())
        );
        assert!(
            check_shard_count(0).is_err()
                && check_shard_count(2).is_ok()
                && check_shard_count(257).is_err()
        );
        assert!(check_ttl(0).is_err() && check_ttl(1).is_ok() && check_ttl(3651).is_err());
    }
}

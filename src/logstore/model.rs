//! What Log Service stores: log groups of logs, and the rules for project
//! and Logstore names.

use serde::{Deserialize, Serialize};

use super::error::LogError;

/// One log: a time and key/value contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    /// Seconds since the Unix epoch.
    pub time: u32,
    /// The fields, in order (keys may repeat, as in Log Service).
    pub contents: Vec<(String, String)>,
}

/// What `PutLogs` sends and `GetLogs` returns: logs sharing a topic, a
/// source and tags. Each log group is stored as one block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroup {
    /// The topic (may be empty).
    #[serde(default)]
    pub topic: String,
    /// Where the logs come from (may be empty).
    #[serde(default)]
    pub source: String,
    /// Tags of the whole group.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The logs.
    pub logs: Vec<Log>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}

//! The GetLogs query subset ramgate answers: `*` (or nothing) for every
//! log, and `key: value` terms joined by `and`, each matching a log with
//! that key and exactly that value (`__topic__` and `__source__` match the
//! group's topic and source). Anything else — SQL after `|`, `or`, `not`,
//! wildcards in values, phrases — is refused with `ParameterInvalid` naming
//! what is not supported, rather than answered wrongly.

use crate::logstore::{Log, LogGroup};

/// A parsed query: every term must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// `(key, value)` terms; empty for `*`.
    pub terms: Vec<(String, String)>,
}

/// A query outside the subset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the query `{query}` is not supported: {why}; ramgate answers `*` and `key: value` terms joined by `and`"
)]
pub struct QueryError {
    /// The query, escaped and cut.
    pub query: String,
    /// What part is not supported.
    pub why: String,
}

impl QueryError {
    /// Log Service's code.
    pub fn code(&self) -> &'static str {
        "ParameterInvalid"
    }
}

impl Query {
    /// Reads a query.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let fail = |why: &str| QueryError {
            query: crate::terminal::clip(text).into_owned(),
            why: why.to_string(),
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed == "*" {
            return Ok(Query { terms: Vec::new() });
        }
        if trimmed.contains('|') {
            return Err(fail("analytic statements after `|` are not answered"));
        }
        let mut terms = Vec::new();
        for part in split_and(trimmed) {
            let Some((key, value)) = part.split_once(':') else {
                return Err(fail(&format!(
                    "`{}` is not a `key: value` term",
                    crate::terminal::clip(part)
                )));
            };
            let (key, value) = (key.trim(), unquote(value.trim()));
            let word_ok = |w: &str| {
                !w.is_empty()
                    && !w.contains(['*', '?', '(', ')', ' '])
                    && !["or", "not"].contains(&w.to_ascii_lowercase().as_str())
            };
            if !word_ok(key) || !word_ok(value) {
                return Err(fail(&format!(
                    "`{}` is not a `key: value` term",
                    crate::terminal::clip(part)
                )));
            }
            terms.push((key.to_string(), value.to_string()));
        }
        Ok(Query { terms })
    }

    /// Whether a log of `group` matches.
    pub fn matches(&self, group: &LogGroup, log: &Log) -> bool {
        self.terms.iter().all(|(k, v)| match k.as_str() {
            "__topic__" => group.topic == *v,
            "__source__" => group.source == *v,
            _ => log.contents.iter().any(|(ck, cv)| ck == k && cv == v),
        })
    }
}

/// The parts between ` and ` (any case).
fn split_and(text: &str) -> Vec<&str> {
    let lower = text.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(i) = lower.get(start..).and_then(|s| s.find(" and ")) {
        parts.push(&text[start..start + i]);
        start += i + " and ".len();
    }
    parts.push(&text[start..]);
    parts
}

/// `"value"` → `value`.
fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> LogGroup {
        LogGroup {
            topic: "nginx".into(),
            source: "10.0.0.1".into(),
            tags: Vec::new(),
            logs: vec![Log {
                time: 1,
                contents: vec![
                    ("status".into(), "200".into()),
                    ("method".into(), "GET".into()),
                ],
            }],
        }
    }

    #[test]
    fn star_and_terms_joined_by_and_are_answered() {
        let g = group();
        let log = &g.logs[0];
        for q in [
            "",
            "*",
            " * ",
            "status: 200",
            "status:200 and method: GET",
            "status: \"200\" AND __topic__: nginx",
        ] {
            let query = Query::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert!(query.matches(&g, log), "{q}");
        }
        for q in [
            "status: 500",
            "status: 200 and method: PUT",
            "__source__: 10.0.0.2",
            "missing: x",
        ] {
            assert!(!Query::parse(q).unwrap().matches(&g, log), "{q}");
        }
    }

    #[test]
    fn everything_else_is_refused_naming_the_part() {
        for (q, part) in [
            ("* | select count(*)", "`|`"),
            ("status: 200 or status: 500", "`status: 200 or status: 500`"),
            ("status: 2*", "`status: 2*`"),
            ("error", "`error`"),
            ("not status: 200", "`not status: 200`"),
        ] {
            let e = Query::parse(q).unwrap_err();
            assert_eq!(e.code(), "ParameterInvalid");
            assert!(e.to_string().contains(part), "{q}: {e}");
        }
    }
}

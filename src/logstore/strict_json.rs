//! Reading JSON inputs strictly (U5): a duplicate member is an error naming
//! it, never "the last one wins" as `serde_json::Value` would have it.
//!
//! The reader builds an ordinary [`Value`], so the typed readers after it
//! (`encrypt_conf`, log groups) stay plain serde.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses JSON text, refusing duplicate members at any depth. The error is
/// serde_json's, with its line and column.
pub(crate) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = de.deserialize_any(Strict)?;
    de.end()?;
    Ok(value)
}

/// Why a JSON input was refused, at `line:column` of its text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct JsonInputError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// One lowercase sentence, with a did-you-mean for a misspelt member.
    pub message: String,
}

/// Reads a typed input strictly: duplicate members refused first, then the
/// shape (unknown members refused by the type's `deny_unknown_fields`, with
/// a did-you-mean such as `topik` → `topic`).
pub(crate) fn read<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, JsonInputError> {
    let located = |e: serde_json::Error| {
        let message = e.to_string();
        // serde_json appends " at line L column C"; the position goes first.
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .to_string();
        JsonInputError {
            line: e.line(),
            column: e.column(),
            message: with_suggestion(message),
        }
    };
    parse(text).map_err(located)?;
    serde_json::from_str(text).map_err(located)
}

/// serde's ``unknown field `topik`, expected one of `topic`, …`` gains
/// ``; did you mean `topic`?`` when one is close.
fn with_suggestion(message: String) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message;
    };
    let known = expected.split('`').skip(1).step_by(2);
    match crate::policy::condition::suggest(field, known) {
        Some(s) => format!("{message}; did you mean `{s}`?"),
        None => message,
    }
}

/// A visitor that builds a [`Value`] and fails on a member seen twice.
struct Strict;

impl<'de> de::DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(Strict)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate member `{}`",
                    crate::terminal::clip(&key)
                )));
            }
            let value = map.next_value_seed(Strict)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Reads `[[key, value], …]` (a log's contents, a group's tags), saying
/// what a pair must look like when one does not.
pub(crate) fn pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    struct Pair(String, String);

    impl<'de> de::Deserialize<'de> for Pair {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pair, D::Error> {
            d.deserialize_seq(PairVisitor)
        }
    }

    struct PairVisitor;

    impl<'de> Visitor<'de> for PairVisitor {
        type Value = Pair;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a [key, value] pair of two strings")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pair, A::Error> {
            let wrong =
                |n: usize| de::Error::invalid_length(n, &"a [key, value] pair of two strings");
            let key: String = seq.next_element()?.ok_or_else(|| wrong(0))?;
            let value: String = seq.next_element()?.ok_or_else(|| wrong(1))?;
            let mut n = 2;
            while seq.next_element::<de::IgnoredAny>()?.is_some() {
                n += 1;
            }
            if n != 2 {
                return Err(wrong(n));
            }
            Ok(Pair(key, value))
        }
    }

    let list: Vec<Pair> = de::Deserialize::deserialize(d)?;
    Ok(list.into_iter().map(|Pair(k, v)| (k, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u5_duplicate_members_are_errors_at_any_depth() {
        let e = parse(r#"{"enable": true, "enable": false}"#)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "duplicate member `enable` at line 1 column 25"
        );
        let e = parse(r#"{"a": {"b": 1, "b": 2}}"#).map(|_| ()).unwrap_err();
        assert!(e.to_string().starts_with("duplicate member `b`"), "{e}");
    }

    #[test]
    fn u5_unknown_members_are_errors_with_a_suggestion() {
        let e = read::<crate::logstore::LogGroup>(r#"{"topik": "t", "logs": []}"#).unwrap_err();
        assert_eq!((e.line, e.column), (1, 8));
        assert_eq!(
            e.message,
            "unknown field `topik`, expected one of `topic`, `source`, `tags`, `logs`; did you mean `topic`?"
        );
        let e = read::<crate::logstore::LogGroup>(
            r#"{"logs": [{"time": 1, "contents": [["a", "b", "c"]]}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "invalid length 3, expected a [key, value] pair of two strings"
        );
        let e = read::<crate::logstore::LogGroup>(r#"{"logs": [], "logs": []}"#).unwrap_err();
        assert_eq!(e.message, "duplicate member `logs`");
    }

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = r#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}]}"#;
        assert_eq!(parse(text).ok(), serde_json::from_str::<Value>(text).ok());
        assert!(parse("{} x").is_err());
    }
}

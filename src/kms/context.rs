//! `EncryptionContext`: a string→string map bound to a ciphertext as AEAD
//! associated data (spec `sls-kms.md` §3.4).
//!
//! Two contexts are equal when they hold the same pairs, in any order. The
//! bytes bound as associated data are the AWS Encryption SDK's
//! serialization (spec §5.1): `u16` pair count, then the pairs sorted by the
//! UTF-8 bytes of their keys, each `u16 key length | key | u16 value length
//! | value`, all big-endian; the empty context is zero bytes.
//!
//! Size: Alibaba allows "a JSON string of up to 8,192 characters". ramgate
//! counts the characters of the context's compact JSON form
//! (`{"k":"v",…}`, sorted keys, serde_json's escaping), so the limit does not
//! depend on how a caller spaced or ordered the JSON it sent. A context of
//! at most 8,192 characters has keys and values under 32 KiB each, so every
//! length fits the `u16` fields.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::error::KmsError;

/// The most characters an encryption context may have.
pub const MAX_CONTEXT_CHARS: usize = 8192;

/// The most bytes of JSON [`EncryptionContext::from_json`] reads: room for
/// any valid context with generous white space; larger input is refused
/// before it is parsed.
pub const MAX_CONTEXT_JSON_BYTES: usize = 1 << 20;

/// A validated encryption context (at most 8,192 characters).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    /// The empty context.
    pub fn new() -> EncryptionContext {
        EncryptionContext::default()
    }

    /// A context of `pairs`; a key given twice or a context over the size
    /// limit is an error.
    pub fn from_pairs<K, V>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<EncryptionContext, KmsError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            let k = k.into();
            if map.contains_key(&k) {
                return Err(KmsError::InvalidContext(format!("duplicate key `{k}`")));
            }
            map.insert(k, v.into());
        }
        EncryptionContext::try_from(map)
    }

    /// Reads Alibaba's wire form, a JSON object of strings
    /// (`{"Key1":"Value1"}`). Arrays, numbers, nested objects and keys given
    /// twice are errors.
    pub fn from_json(text: &str) -> Result<EncryptionContext, KmsError> {
        if text.len() > MAX_CONTEXT_JSON_BYTES {
            return Err(KmsError::ContextTooLarge(text.chars().count()));
        }
        let pairs: PairList =
            serde_json::from_str(text).map_err(|e| KmsError::InvalidContext(e.to_string()))?;
        EncryptionContext::from_pairs(pairs.0)
    }

    /// The compact JSON form, keys sorted (the map is a `BTreeMap`, which
    /// serde_json writes in key order).
    pub fn to_json(&self) -> String {
        // Serialising a map of strings cannot fail.
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The pairs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The canonical bytes bound as associated data (module docs).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.0.is_empty() {
            return out;
        }
        push_u16_len(&mut out, self.0.len());
        for (k, v) in &self.0 {
            push_u16_len(&mut out, k.len());
            out.extend_from_slice(k.as_bytes());
            push_u16_len(&mut out, v.len());
            out.extend_from_slice(v.as_bytes());
        }
        out
    }
}

impl TryFrom<BTreeMap<String, String>> for EncryptionContext {
    type Error = KmsError;

    fn try_from(map: BTreeMap<String, String>) -> Result<EncryptionContext, KmsError> {
        let context = EncryptionContext(map);
        let chars = context.to_json().chars().count();
        if chars > MAX_CONTEXT_CHARS {
            return Err(KmsError::ContextTooLarge(chars));
        }
        Ok(context)
    }
}

impl From<EncryptionContext> for BTreeMap<String, String> {
    fn from(context: EncryptionContext) -> BTreeMap<String, String> {
        context.0
    }
}

/// A length the size limit keeps under 2^16 (module docs); saturating only
/// so that no input could ever panic here.
fn push_u16_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
}

/// A JSON object read pair by pair, so a key given twice is seen.
struct PairList(Vec<(String, String)>);

impl<'de> Deserialize<'de> for PairList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PairList, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = PairList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PairList, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(PairList(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter() {
        let a = EncryptionContext::from_json(r#"{"Key1":"Value1","Key2":"Value2"}"#).unwrap();
        let b = EncryptionContext::from_json(r#"{ "Key2": "Value2", "Key1": "Value1" }"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.canonical_bytes(), b.canonical_bytes());
        assert_eq!(a.to_json(), r#"{"Key1":"Value1","Key2":"Value2"}"#);
    }

    #[test]
    fn canonical_bytes_are_the_esdk_serialization() {
        let c = EncryptionContext::from_pairs([("b", "22"), ("a", "1")]).unwrap();
        assert_eq!(
            c.canonical_bytes(),
            [0, 2, 0, 1, b'a', 0, 1, b'1', 0, 1, b'b', 0, 2, b'2', b'2']
        );
        assert!(EncryptionContext::new().canonical_bytes().is_empty());
    }

    #[test]
    fn length_prefixes_keep_pairs_apart() {
        let a = EncryptionContext::from_pairs([("ab", "c")]).unwrap();
        let b = EncryptionContext::from_pairs([("a", "bc")]).unwrap();
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    }

    #[test]
    fn only_objects_of_strings_are_contexts() {
        // The invalid examples of Alibaba's EncryptionContext page.
        for text in [
            r#"[{"Key":"Value"}]"#,
            r#"{"Key":12345}"#,
            r#"{"Key":["value1","value2"]}"#,
            r#"{"Key":{"a":"b"}}"#,
            r#"{"Key":null}"#,
            "",
        ] {
            let err = EncryptionContext::from_json(text).unwrap_err();
            assert_eq!(err.code(), "InvalidParameter", "{text}");
        }
        let err = EncryptionContext::from_json(r#"{"k":"1","k":"2"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid encryption context: duplicate key `k`"
        );
    }

    #[test]
    fn the_limit_is_8192_characters_of_compact_json() {
        // `{"k":"…"}` is 8 characters around the value.
        let fits = EncryptionContext::from_pairs([("k", "é".repeat(8192 - 8))]).unwrap();
        assert_eq!(fits.to_json().chars().count(), 8192);
        let err = EncryptionContext::from_pairs([("k", "x".repeat(8192 - 7))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the encryption context has 8193 characters, more than 8192"
        );
        // White space in the caller's JSON does not count.
        let spaced = format!("{{ \"k\" :   \"{}\"   }}", "x".repeat(8192 - 8));
        assert!(EncryptionContext::from_json(&spaced).is_ok());
        let huge = " ".repeat(MAX_CONTEXT_JSON_BYTES + 1);
        assert_eq!(
            EncryptionContext::from_json(&huge).unwrap_err().code(),
            "InvalidParameter"
        );
    }

    #[test]
    fn the_json_form_matches_serde_json() {
        let c = EncryptionContext::from_pairs([("q\"\\\n\t\u{1}\u{7f}", "é/")]).unwrap();
        let map: BTreeMap<String, String> = c.clone().into();
        assert_eq!(c.to_json(), serde_json::to_string(&map).unwrap());
    }

    #[test]
    fn serde_goes_through_the_size_check() {
        let c: EncryptionContext = serde_json::from_str(r#"{"a":"1"}"#).unwrap();
        assert_eq!(c.get("a"), Some("1"));
        let big = format!(r#"{{"a":"{}"}}"#, "x".repeat(9000));
        assert!(serde_json::from_str::<EncryptionContext>(&big).is_err());
    }
}

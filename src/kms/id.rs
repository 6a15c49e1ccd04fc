//! Key ids and key version ids: random (version 4) UUIDs, as Alibaba's are.
//!
//! Hand-written rather than the `uuid` crate: ramgate needs only "16 random
//! bytes, printed 8-4-4-4-12", which is smaller than the dependency.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// A fresh random id.
            pub(crate) fn random() -> Result<$name, getrandom::Error> {
                let mut bytes = [0u8; 16];
                getrandom::fill(&mut bytes)?;
                // RFC 9562 §5.4: version 4 in the high nibble of byte 6,
                // variant `10` in the high bits of byte 8.
                bytes[6] = (bytes[6] & 0x0f) | 0x40;
                bytes[8] = (bytes[8] & 0x3f) | 0x80;
                Ok($name(bytes))
            }

            /// The id of 16 raw bytes (as blobs carry it).
            pub fn from_bytes(bytes: [u8; 16]) -> $name {
                $name(bytes)
            }

            /// The 16 raw bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Reads the canonical lowercase `8-4-4-4-12` form; anything
            /// else (upper case, braces, no hyphens) is `None`.
            pub fn parse(text: &str) -> Option<$name> {
                parse_uuid(text).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_uuid(f, &self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("`{text}` is not a lowercase UUID"))
                })
            }
        }
    };
}

uuid_id!(
    /// The id of a customer master key (CMK).
    KeyId
);
uuid_id!(
    /// The id of one version of a CMK's material.
    KeyVersionId
);

/// Where the hyphens go in `8-4-4-4-12`.
const GROUPS: [usize; 5] = [4, 2, 2, 2, 6];

fn write_uuid(f: &mut fmt::Formatter<'_>, bytes: &[u8; 16]) -> fmt::Result {
    let mut rest = &bytes[..];
    for (i, len) in GROUPS.into_iter().enumerate() {
        if i > 0 {
            f.write_str("-")?;
        }
        let (group, tail) = rest.split_at(len.min(rest.len()));
        for b in group {
            write!(f, "{b:02x}")?;
        }
        rest = tail;
    }
    Ok(())
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let mut bytes = [0u8; 16];
    let mut out = bytes.iter_mut();
    let mut groups = text.split('-');
    for len in GROUPS {
        let group = groups.next()?.as_bytes();
        if group.len() != len * 2 {
            return None;
        }
        for pair in group.chunks_exact(2) {
            let &[hi, lo] = pair else { return None };
            *out.next()? = lower_hex_digit(hi)? << 4 | lower_hex_digit(lo)?;
        }
    }
    groups.next().is_none().then_some(bytes)
}

fn lower_hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_as_lowercase_uuids() {
        let id = KeyId::from_bytes([
            0x86, 0xa9, 0xef, 0xd9, 0x3d, 0x16, 0x48, 0x94, 0xbd, 0x4f, 0x1f, 0xc4, 0x3f, 0x3f,
            0x2a, 0xbf,
        ]);
        assert_eq!(id.to_string(), "86a9efd9-3d16-4894-bd4f-1fc43f3f2abf");
        assert_eq!(
            KeyId::parse("86a9efd9-3d16-4894-bd4f-1fc43f3f2abf"),
            Some(id)
        );
        assert_eq!(
            format!("{id:?}"),
            "KeyId(86a9efd9-3d16-4894-bd4f-1fc43f3f2abf)"
        );
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"86a9efd9-3d16-4894-bd4f-1fc43f3f2abf\""
        );
    }

    #[test]
    fn other_spellings_are_not_ids() {
        for text in [
            "",
            "86A9EFD9-3D16-4894-BD4F-1FC43F3F2ABF",
            "86a9efd93d164894bd4f1fc43f3f2abf",
            "86a9efd9-3d16-4894-bd4f-1fc43f3f2ab",
            "86a9efd9-3d16-4894-bd4f-1fc43f3f2abf0",
            "86a9efd9-3d16-4894-bd4f-1fc43f3f2abf-",
            "86a9efd9-3d16-4894-bd4f1-fc43f3f2abf",
            "alias/my-key",
            "g6a9efd9-3d16-4894-bd4f-1fc43f3f2abf",
        ] {
            assert_eq!(KeyId::parse(text), None, "{text}");
        }
    }

    #[test]
    fn random_ids_are_version_4_and_round_trip() {
        let a = KeyVersionId::random().unwrap();
        let b = KeyVersionId::random().unwrap();
        assert_ne!(a, b);
        let text = a.to_string();
        assert_eq!(text.as_bytes()[14], b'4');
        assert!(matches!(text.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(KeyVersionId::parse(&text), Some(a));
    }
}

//! Cursors as the SDKs expect them: `base64(decimal integer)`, standard
//! alphabet with padding (`MTU0NzQ3MDY4MjM3NjUxMzQ0Ng==` is
//! `1547470682376513446`). The SDK's `get_previous_cursor_time` decodes a
//! cursor and subtracts one, so the format is part of the contract
//! (`wire-protocols.md` §2). ramgate's cursor is the sequence number of
//! the next block in the shard.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A cursor that is not one ramgate gave out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a cursor of this shard")]
pub struct CursorError(pub String);

impl CursorError {
    /// Log Service's code.
    pub fn code(&self) -> &'static str {
        "InvalidCursor"
    }
}

/// The cursor of sequence number `seq`.
pub fn encode(seq: u64) -> String {
    STANDARD.encode(seq.to_string())
}

/// The sequence number a cursor stands for.
pub fn decode(cursor: &str) -> Result<u64, CursorError> {
    let bad = || CursorError(crate::terminal::clip(cursor).into_owned());
    let bytes = STANDARD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    // Only the canonical decimal form: no sign, no leading zeros.
    if text.is_empty()
        || (text.len() > 1 && text.starts_with('0'))
        || !text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    text.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn cursors_are_base64_of_the_decimal_number() {
        assert_eq!(
            encode(1_547_470_682_376_513_446),
            "MTU0NzQ3MDY4MjM3NjUxMzQ0Ng=="
        );
        assert_eq!(
            decode("MTU0NzQ3MDY4MjM3NjUxMzQ0Ng=="),
            Ok(1_547_470_682_376_513_446)
        );
        assert_eq!(decode("MA=="), Ok(0));
    }

    #[test]
    fn anything_else_is_an_invalid_cursor() {
        for bad in [
            "",
            "not base64!",
            "LTE=",
            "MDE=",
            "eA==",
            "MTg0NDY3NDQwNzM3MDk1NTE2MTY=",
        ] {
            let e = decode(bad).unwrap_err();
            assert_eq!(e.code(), "InvalidCursor", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn every_sequence_number_round_trips(seq in any::<u64>()) {
            prop_assert_eq!(decode(&encode(seq)), Ok(seq));
        }
    }
}

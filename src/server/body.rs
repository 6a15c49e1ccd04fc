//! Request and response bodies: PutLogs' LZ4 raw blocks and the limits that
//! come before any allocation.
//!
//! The SDK sends `x-log-compresstype: lz4` and `x-log-bodyrawsize: <n>`; the
//! body is an LZ4 *block* without a size prefix (`wire-protocols.md` §2.2).
//! The claimed size is checked against [`MAX_RAW_BODY`] before the output
//! buffer is made, so a lying header cannot make the server allocate
//! gigabytes; a block that does not decode to exactly that size is refused.

/// PutLogs takes at most 3 MB of uncompressed log group (Log Service's
/// limit, `PostBodyTooLarge` beyond it).
pub const MAX_RAW_BODY: usize = 3 * 1024 * 1024;

/// Why a body cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// `x-log-bodyrawsize` is not a number.
    #[error("`x-log-bodyrawsize` `{0}` is not a size in bytes")]
    BadRawSize(String),
    /// The body, or the size it claims, is over the limit.
    #[error(
        "the log group has {size} bytes, over the {MAX_RAW_BODY}-byte limit of one PutLogs request"
    )]
    TooLarge {
        /// The size, claimed or real.
        size: usize,
    },
    /// A compression type other than `lz4` or none.
    #[error("`x-log-compresstype` `{0}` is not supported: send `lz4` or an uncompressed body")]
    UnsupportedCompression(String),
    /// The block does not decode to the claimed size.
    #[error("the lz4 body does not decompress to the {claimed} bytes `x-log-bodyrawsize` claims")]
    Uncompress {
        /// The size the header claimed.
        claimed: usize,
    },
}

impl BodyError {
    /// Log Service's error code.
    pub fn code(&self) -> &'static str {
        match self {
            BodyError::BadRawSize(_) => "InvalidBodyRawSize",
            BodyError::TooLarge { .. } => "PostBodyTooLarge",
            BodyError::UnsupportedCompression(_) => "InvalidCompressType",
            BodyError::Uncompress { .. } => "PostBodyUncompressError",
        }
    }

    /// The HTTP status: 400, like every refusal of a body.
    pub fn http_status(&self) -> u16 {
        400
    }
}

/// The uncompressed body of a request, from its `x-log-compresstype` and
/// `x-log-bodyrawsize` headers.
pub fn decode(
    body: &[u8],
    compress_type: Option<&str>,
    raw_size: Option<&str>,
) -> Result<Vec<u8>, BodyError> {
    match compress_type.map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            if body.len() > MAX_RAW_BODY {
                return Err(BodyError::TooLarge { size: body.len() });
            }
            Ok(body.to_vec())
        }
        Some("lz4") => {
            let text = raw_size.unwrap_or_default().trim();
            let claimed: usize = text
                .parse()
                .map_err(|_| BodyError::BadRawSize(crate::terminal::clip(text).into_owned()))?;
            if claimed > MAX_RAW_BODY {
                return Err(BodyError::TooLarge { size: claimed });
            }
            let raw = lz4_flex::block::decompress(body, claimed)
                .map_err(|_| BodyError::Uncompress { claimed })?;
            if raw.len() != claimed {
                return Err(BodyError::Uncompress { claimed });
            }
            Ok(raw)
        }
        Some(other) => Err(BodyError::UnsupportedCompression(
            crate::terminal::clip(other).into_owned(),
        )),
    }
}

/// Compresses a response body as an LZ4 raw block (`x-log-compresstype:
/// lz4`, `x-log-bodyrawsize` is `raw.len()`).
pub fn lz4(raw: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lz4_blocks_round_trip_at_their_claimed_size() {
        let raw = b"a log group, a log group, a log group".repeat(50);
        let body = lz4(&raw);
        let n = raw.len().to_string();
        assert_eq!(decode(&body, Some("lz4"), Some(&n)), Ok(raw.clone()));
        let wrong = (raw.len() + 1).to_string();
        assert_eq!(
            decode(&body, Some("lz4"), Some(&wrong)).map_err(|e| e.code()),
            Err("PostBodyUncompressError")
        );
    }

    #[test]
    fn a_lying_raw_size_is_refused_before_anything_is_allocated() {
        let e = decode(b"\x00", Some("lz4"), Some("4294967296")).unwrap_err();
        assert_eq!((e.code(), e.http_status()), ("PostBodyTooLarge", 400));
        let e = decode(b"\x00", Some("lz4"), Some("-1")).unwrap_err();
        assert_eq!(e.code(), "InvalidBodyRawSize");
        let e = decode(b"", Some("zstd"), Some("0")).unwrap_err();
        assert_eq!(e.code(), "InvalidCompressType");
        let big = vec![0u8; MAX_RAW_BODY + 1];
        assert_eq!(
            decode(&big, None, None).map_err(|e| e.code()),
            Err("PostBodyTooLarge")
        );
    }
}

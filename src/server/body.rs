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
    /// A compression type other than `lz4`, `zstd`, `deflate` or none.
    #[error(
        "`x-log-compresstype` `{0}` is not supported: send `lz4`, `zstd`, `deflate` or an uncompressed body"
    )]
    UnsupportedCompression(String),
    /// The body does not decode to the claimed size.
    #[error(
        "the {kind} body does not decompress to the {claimed} bytes `x-log-bodyrawsize` claims"
    )]
    Uncompress {
        /// `lz4`, `zstd` or `deflate`.
        kind: &'static str,
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
        Some(kind @ ("lz4" | "zstd" | "deflate")) => {
            let text = raw_size.unwrap_or_default().trim();
            let claimed: usize = text
                .parse()
                .map_err(|_| BodyError::BadRawSize(crate::terminal::clip(text).into_owned()))?;
            if claimed > MAX_RAW_BODY {
                return Err(BodyError::TooLarge { size: claimed });
            }
            let kind: &'static str = match kind {
                "lz4" => "lz4",
                "zstd" => "zstd",
                _ => "deflate",
            };
            let bad = || BodyError::Uncompress { kind, claimed };
            let raw = match kind {
                "lz4" => lz4_flex::block::decompress(body, claimed).map_err(|_| bad())?,
                "zstd" => {
                    let decoder =
                        ruzstd::decoding::StreamingDecoder::new(body).map_err(|_| bad())?;
                    read_at_most(decoder, claimed).ok_or_else(bad)?
                }
                // The SDKs' `deflate` is zlib's format (`zlib.compress`).
                _ => read_at_most(flate2::read::ZlibDecoder::new(body), claimed).ok_or_else(bad)?,
            };
            if raw.len() != claimed {
                return Err(bad());
            }
            Ok(raw)
        }
        Some(other) => Err(BodyError::UnsupportedCompression(
            crate::terminal::clip(other).into_owned(),
        )),
    }
}

/// Reads a decoder to its end, but never more than one byte past `claimed`
/// (so a body that inflates beyond its claim is refused without being
/// inflated): `None` when it does not decode.
fn read_at_most(reader: impl std::io::Read, claimed: usize) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::with_capacity(claimed);
    let limit = u64::try_from(claimed).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_to_end(&mut out).ok()?;
    Some(out)
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
        let e = decode(b"", Some("snappy"), Some("0")).unwrap_err();
        assert_eq!(e.code(), "InvalidCompressType");
        let big = vec![0u8; MAX_RAW_BODY + 1];
        assert_eq!(
            decode(&big, None, None).map_err(|e| e.code()),
            Err("PostBodyTooLarge")
        );
    }

    #[test]
    fn zstd_and_deflate_bodies_decode_at_their_claimed_size_only() {
        use std::io::Write as _;
        let raw = b"zstd and zlib bodies, zstd and zlib bodies".repeat(40);
        let n = raw.len().to_string();
        let zstd = ruzstd::encoding::compress_to_vec(
            &raw[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert_eq!(decode(&zstd, Some("zstd"), Some(&n)), Ok(raw.clone()));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&raw).unwrap();
        let deflate = z.finish().unwrap();
        assert_eq!(decode(&deflate, Some("deflate"), Some(&n)), Ok(raw.clone()));
        // A body inflating past its claim is refused, not inflated whole.
        let short = (raw.len() - 1).to_string();
        for (body, kind) in [(&zstd, "zstd"), (&deflate, "deflate")] {
            assert_eq!(
                decode(body, Some(kind), Some(&short)).map_err(|e| e.code()),
                Err("PostBodyUncompressError")
            );
        }
        assert_eq!(
            decode(b"not zlib", Some("deflate"), Some("3")).map_err(|e| e.code()),
            Err("PostBodyUncompressError")
        );
    }
}

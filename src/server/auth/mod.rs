//! Request signatures: the three schemes the official SDKs sign with, and
//! the rules they share (which access key, when it was signed, freshness).
//!
//! A verifier takes a [`WireRequest`] and the secret of the access key the
//! request names, and answers with the [`Signed`] facts the request carries
//! or an [`AuthError`] with Alibaba's code for that scheme. Looking the key
//! up, checking its state, the clock and the nonce cache are the caller's
//! (the endpoint's): these functions hold no state.
//!
//! Secrets are only ever used as HMAC keys: no error, `Debug` or string to
//! sign contains one. Signatures are compared in constant time
//! (`Mac::verify_slice`).

pub mod acs3;
pub mod nonce;
pub mod pop_rpc;
pub mod sls_v1;

use hmac::{KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::{Duration, OffsetDateTime};

use super::WireRequest;

/// The most a request's signing time may differ from the server's clock,
/// as Log Service and POP allow.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);

/// Which signature scheme a request used: it decides the error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Log Service's `LOG <ak>:<signature>` (HMAC-SHA1).
    SlsV1,
    /// POP RPC v1: `Signature` in the query (HMAC-SHA1).
    PopRpcV1,
    /// ACS3-HMAC-SHA256, the Tea SDKs' default.
    Acs3,
}

impl Scheme {
    /// Whether the scheme is one of the POP (KMS, STS, RAM) schemes.
    fn is_pop(self) -> bool {
        !matches!(self, Scheme::SlsV1)
    }
}

/// What a verified request says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The scheme it was signed with.
    pub scheme: Scheme,
    /// The access key it names (`LTAI…`, or `STS.…` for a session).
    pub access_key_id: String,
    /// The STS security token, when the request carries one.
    pub security_token: Option<String>,
    /// When the client signed it.
    pub signed_at: OffsetDateTime,
    /// The request's one-time nonce (POP schemes).
    pub nonce: Option<String>,
}

/// Why a request is not authentic. Every variant is a 4xx: the SLS SDK
/// retries 5xx answers ten times, so a refusal must never be one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No credentials where the scheme puts them.
    #[error("the request carries no {what}")]
    Missing {
        /// The scheme expected.
        scheme: Scheme,
        /// What is missing (`Authorization` header, `Signature` parameter, …).
        what: &'static str,
    },
    /// Credentials that do not read as the scheme writes them.
    #[error("`{value}` is not a well-formed {what}")]
    Malformed {
        /// The scheme expected.
        scheme: Scheme,
        /// What was being read.
        what: &'static str,
        /// The value, escaped and cut.
        value: String,
    },
    /// The signature is not the one the secret gives. The message carries
    /// the string the server signed, as Alibaba's does, so a client can
    /// compare it with its own.
    #[error("the signature does not match; the server's string to sign is:{string_to_sign}")]
    SignatureMismatch {
        /// The scheme used.
        scheme: Scheme,
        /// What the server signed (never a secret).
        string_to_sign: String,
    },
    /// A body whose digest is not the one the request signed.
    #[error("`{header}` does not match the body")]
    BodyDigest {
        /// The scheme used.
        scheme: Scheme,
        /// The header that carries the digest.
        header: &'static str,
    },
    /// Signed too long ago, or in the future.
    #[error(
        "the request was signed at {signed_at}, more than 15 minutes from the server's time {now}"
    )]
    Expired {
        /// The scheme used.
        scheme: Scheme,
        /// When the client signed (RFC 3339).
        signed_at: String,
        /// The server's time (RFC 3339).
        now: String,
    },
}

impl AuthError {
    /// The scheme the refused request used.
    pub fn scheme(&self) -> Scheme {
        match self {
            AuthError::Missing { scheme, .. }
            | AuthError::Malformed { scheme, .. }
            | AuthError::SignatureMismatch { scheme, .. }
            | AuthError::BodyDigest { scheme, .. }
            | AuthError::Expired { scheme, .. } => *scheme,
        }
    }

    /// Alibaba's error code for this refusal, in the scheme's service.
    pub fn code(&self) -> &'static str {
        let pop = self.scheme().is_pop();
        match self {
            AuthError::Missing { .. } if pop => "MissingParameter",
            AuthError::Missing { .. } => "Unauthorized",
            AuthError::Malformed { .. } if pop => "IncompleteSignature",
            AuthError::Malformed { .. } => "Unauthorized",
            AuthError::SignatureMismatch { .. } if pop => "SignatureDoesNotMatch",
            AuthError::SignatureMismatch { .. } => "SignatureNotMatch",
            AuthError::BodyDigest { .. } if pop => "InvalidParameter",
            AuthError::BodyDigest { .. } => "PostBodyInvalid",
            AuthError::Expired { .. } if pop => "InvalidTimeStamp.Expired",
            AuthError::Expired { .. } => "RequestTimeExpired",
        }
    }

    /// The HTTP status Alibaba answers with: always 4xx.
    pub fn http_status(&self) -> u16 {
        match self {
            AuthError::SignatureMismatch { scheme, .. } if !scheme.is_pop() => 401,
            AuthError::Missing { scheme, .. } | AuthError::Malformed { scheme, .. }
                if !scheme.is_pop() =>
            {
                401
            }
            _ => 400,
        }
    }
}

/// Refuses a request signed more than [`MAX_CLOCK_SKEW`] from `now`.
pub fn check_fresh(signed: &Signed, now: OffsetDateTime) -> Result<(), AuthError> {
    if (now - signed.signed_at).abs() <= MAX_CLOCK_SKEW {
        return Ok(());
    }
    let show = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    Err(AuthError::Expired {
        scheme: signed.scheme,
        signed_at: show(signed.signed_at),
        now: show(now),
    })
}

/// Which scheme a request is signed with, from where its credentials are:
/// `Authorization: LOG …`, `Authorization: ACS3-HMAC-SHA256 …`, or a
/// `Signature` query parameter.
pub fn scheme_of(request: &WireRequest<'_>) -> Option<Scheme> {
    match request.header("authorization") {
        Some(a) if a.starts_with("LOG ") => Some(Scheme::SlsV1),
        Some(a) if a.starts_with(acs3::ALGORITHM) => Some(Scheme::Acs3),
        _ if request.query_pairs().iter().any(|(k, _)| k == "Signature") => Some(Scheme::PopRpcV1),
        _ => None,
    }
}

/// RFC 3986 unreserved characters stay; everything else is `%XX` of its
/// UTF-8 bytes (space is `%20`, `*` is `%2A`, `~` stays), as POP signs.
const POP_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `s` as POP's canonical strings do.
pub(crate) fn pct(s: &str) -> String {
    utf8_percent_encode(s, POP_ENCODE).to_string()
}

/// Checks `claimed` against `M(key, string_to_sign)` in constant time; a
/// mismatch carries the string to sign, never the key.
pub(crate) fn verify_mac<M: Mac + KeyInit>(
    scheme: Scheme,
    key: &[u8],
    string_to_sign: String,
    claimed: &[u8],
) -> Result<(), AuthError> {
    let matches = <M as KeyInit>::new_from_slice(key).is_ok_and(|mut mac| {
        mac.update(string_to_sign.as_bytes());
        mac.verify_slice(claimed).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch {
            scheme,
            string_to_sign,
        })
    }
}

/// A base64 signature (SLS v1, POP RPC v1) as bytes.
pub(crate) fn base64_signature(scheme: Scheme, signature: &str) -> Result<Vec<u8>, AuthError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| AuthError::Malformed {
            scheme,
            what: "signature (base64)",
            value: shown(signature),
        })
}

/// A value from input as errors show it: escaped, and cut when long.
pub(crate) fn shown(s: &str) -> String {
    crate::terminal::clip(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pop_encoding_is_rfc_3986() {
        assert_eq!(pct("demo key *~/="), "demo%20key%20%2A~%2F%3D");
        assert_eq!(pct("é"), "%C3%A9");
    }

    #[test]
    fn refusals_are_never_5xx_and_carry_the_scheme_codes() {
        let errors = [
            AuthError::SignatureMismatch {
                scheme: Scheme::SlsV1,
                string_to_sign: String::new(),
            },
            AuthError::SignatureMismatch {
                scheme: Scheme::Acs3,
                string_to_sign: String::new(),
            },
            AuthError::Missing {
                scheme: Scheme::PopRpcV1,
                what: "`Signature` parameter",
            },
            AuthError::Expired {
                scheme: Scheme::SlsV1,
                signed_at: String::new(),
                now: String::new(),
            },
        ];
        let codes: Vec<_> = errors.iter().map(|e| (e.code(), e.http_status())).collect();
        assert_eq!(
            codes,
            [
                ("SignatureNotMatch", 401),
                ("SignatureDoesNotMatch", 400),
                ("MissingParameter", 400),
                ("RequestTimeExpired", 400)
            ]
        );
    }

    #[test]
    fn freshness_allows_fifteen_minutes_either_way() {
        let at = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let signed = Signed {
            scheme: Scheme::PopRpcV1,
            access_key_id: "ak".into(),
            security_token: None,
            signed_at: at,
            nonce: None,
        };
        assert!(check_fresh(&signed, at + MAX_CLOCK_SKEW).is_ok());
        assert!(check_fresh(&signed, at - MAX_CLOCK_SKEW).is_ok());
        let late = check_fresh(&signed, at + MAX_CLOCK_SKEW + Duration::seconds(1));
        assert_eq!(late.map_err(|e| e.code()), Err("InvalidTimeStamp.Expired"));
    }
}

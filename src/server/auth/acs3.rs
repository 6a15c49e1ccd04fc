//! ACS3-HMAC-SHA256 (`wire-protocols.md` §4.2), the Tea SDKs' default:
//!
//! ```text
//! CanonicalRequest = METHOD \n path \n sorted(k "=" pct(v)) joined by & \n
//!                    for each signed header: name ":" sorted trimmed values joined by , \n
//!                    \n SignedHeaders \n x-acs-content-sha256
//! StringToSign     = "ACS3-HMAC-SHA256\n" hex(sha256(CanonicalRequest))
//! Authorization: ACS3-HMAC-SHA256 Credential=<ak>,SignedHeaders=<a;b>,Signature=<hex>
//! ```
//!
//! The signed headers are read from `Authorization`, as the SDK lists them;
//! the ones that carry meaning (`host`, `x-acs-action`, `x-acs-version`,
//! `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256`, and the
//! security token when there is one) must be among them.

use hmac::Hmac;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{AuthError, Scheme, Signed, pct, shown, verify_mac};
use crate::server::WireRequest;

/// The algorithm name that opens the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

const SCHEME: Scheme = Scheme::Acs3;

/// Headers whose meaning must be covered by the signature.
const MUST_SIGN: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// The parts of an ACS3 `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The access key id (`Credential=`).
    pub credential: &'a str,
    /// The signed header names, lower case, in the order given.
    pub signed_headers: Vec<&'a str>,
    /// The hex signature.
    pub signature: &'a str,
}

/// Reads `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
pub fn authorization<'a>(request: &WireRequest<'a>) -> Result<Authorization<'a>, AuthError> {
    let header = request.header("authorization").ok_or(AuthError::Missing {
        scheme: SCHEME,
        what: "`Authorization` header",
    })?;
    let malformed = || AuthError::Malformed {
        scheme: SCHEME,
        what: "`Authorization` header `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`",
        value: shown(header),
    };
    let rest = header
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(malformed)?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return Err(malformed()),
        }
    }
    match (credential, signed, signature) {
        (Some(c), Some(h), Some(s)) if !c.is_empty() && !h.is_empty() && !s.is_empty() => {
            Ok(Authorization {
                credential: c,
                signed_headers: h.split(';').collect(),
                signature: s,
            })
        }
        _ => Err(malformed()),
    }
}

/// The canonical request for the given signed header names.
pub fn canonical_request(request: &WireRequest<'_>, signed_headers: &[&str]) -> String {
    let mut query: Vec<(String, String)> = request
        .query_pairs()
        .into_iter()
        .map(|(k, v)| (k, pct(&v)))
        .collect();
    query.sort();
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut names: Vec<String> = signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    names.sort();
    let mut headers = String::new();
    for name in &names {
        let mut values: Vec<&str> = request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect();
        values.sort_unstable();
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    format!(
        "{}\n{path}\n{}\n{headers}\n{}\n{}",
        request.method,
        query.join("&"),
        names.join(";"),
        request.header("x-acs-content-sha256").unwrap_or_default()
    )
}

/// The string the client signed, for the given signed header names.
pub fn string_to_sign(request: &WireRequest<'_>, signed_headers: &[&str]) -> String {
    let digest = Sha256::digest(canonical_request(request, signed_headers).as_bytes());
    format!("{ALGORITHM}\n{}", hex(&digest))
}

/// Verifies the request under the access key's `secret`: the signed
/// headers, the body digest, then the signature.
pub fn verify(request: &WireRequest<'_>, secret: &[u8]) -> Result<Signed, AuthError> {
    let auth = authorization(request)?;
    let lower: Vec<String> = auth
        .signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let token = request.header("x-acs-security-token");
    let unsigned = MUST_SIGN
        .iter()
        .copied()
        .chain(token.map(|_| "x-acs-security-token"))
        .find(|h| !lower.iter().any(|l| l == h));
    if let Some(h) = unsigned {
        return Err(AuthError::Malformed {
            scheme: SCHEME,
            what: "`SignedHeaders` list, which must include `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256` and any security token",
            value: shown(&format!("{} (without `{h}`)", lower.join(";"))),
        });
    }
    let body_digest = hex(&Sha256::digest(request.body));
    if request.header("x-acs-content-sha256") != Some(body_digest.as_str()) {
        return Err(AuthError::BodyDigest {
            scheme: SCHEME,
            header: "x-acs-content-sha256",
        });
    }
    let claimed = unhex(auth.signature).ok_or_else(|| AuthError::Malformed {
        scheme: SCHEME,
        what: "signature (hex)",
        value: shown(auth.signature),
    })?;
    verify_mac::<Hmac<Sha256>>(
        SCHEME,
        secret,
        string_to_sign(request, &auth.signed_headers),
        &claimed,
    )?;
    let date = request.header("x-acs-date").unwrap_or_default();
    let signed_at = OffsetDateTime::parse(date, &Rfc3339).map_err(|_| AuthError::Malformed {
        scheme: SCHEME,
        what: "`x-acs-date` such as `2026-12-01T06:56:00Z`",
        value: shown(date),
    })?;
    Ok(Signed {
        scheme: SCHEME,
        access_key_id: auth.credential.to_string(),
        security_token: token.map(str::to_string),
        signed_at,
        nonce: request.header("x-acs-signature-nonce").map(str::to_string),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(headers: &'a [(String, String)], query: &'a str) -> WireRequest<'a> {
        WireRequest {
            method: "POST",
            path: "/",
            query,
            headers,
            body: b"",
        }
    }

    #[test]
    fn the_canonical_request_matches_the_wire_document_capture() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let headers: Vec<(String, String)> = [
            ("host", "127.0.0.1:34263"),
            ("x-acs-version", "2016-01-20"),
            ("x-acs-action", "CreateKey"),
            (
                "user-agent",
                "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
            ),
            ("x-acs-date", "2026-12-01T06:56:00Z"),
            ("x-acs-signature-nonce", "af2dc4f7"),
            ("accept", "application/json"),
            ("x-acs-content-sha256", empty),
            ("x-acs-credentials-provider", "static_ak"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let signed: Vec<&str> = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version"
            .split(';')
            .collect();
        let r = request(
            &headers,
            "Description=demo+key&KeySpec=Aliyun_AES_256&KeyUsage=ENCRYPT%2FDECRYPT",
        );
        assert_eq!(
            canonical_request(&r, &signed),
            format!(
                "POST\n/\nDescription=demo%20key&KeySpec=Aliyun_AES_256&KeyUsage=ENCRYPT%2FDECRYPT\naccept:application/json\n\
                 host:127.0.0.1:34263\nuser-agent:AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2\nx-acs-action:CreateKey\n\
                 x-acs-content-sha256:{empty}\nx-acs-credentials-provider:static_ak\nx-acs-date:2026-12-01T06:56:00Z\n\
                 x-acs-signature-nonce:af2dc4f7\nx-acs-version:2016-01-20\n\naccept;host;user-agent;x-acs-action;x-acs-content-sha256;\
                 x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n{empty}"
            )
        );
    }

    #[test]
    fn an_authorization_header_that_is_not_acs3_is_malformed() {
        let headers = vec![(
            "Authorization".to_string(),
            "ACS3-HMAC-SHA256 Credential=ak,Signature=00".to_string(),
        )];
        let e = verify(&request(&headers, ""), b"s")
            .map(|_| ())
            .unwrap_err();
        assert_eq!((e.code(), e.http_status()), ("IncompleteSignature", 400));
    }
}

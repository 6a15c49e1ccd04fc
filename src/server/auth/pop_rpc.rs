//! POP RPC signature v1, HMAC-SHA1 (`wire-protocols.md` §4.3): the old
//! core SDK's default and the Tea SDKs' `signature_algorithm='v2'`.
//!
//! ```text
//! Canonical    = join("&", pct(k) "=" pct(v) for (k, v) in sorted(params, minus Signature))
//! StringToSign = METHOD "&" pct("/") "&" pct(Canonical)
//! Signature    = base64(HMAC-SHA1(secret "&", StringToSign))
//! ```
//!
//! The parameters are the form-decoded query plus a form-encoded body; the
//! old core writes spaces as `%20` and Tea as `+`, and both decode alike.

use hmac::Hmac;
use sha1::Sha1;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{AuthError, Scheme, Signed, base64_signature, pct, shown, verify_mac};
use crate::server::WireRequest;

const SCHEME: Scheme = Scheme::PopRpcV1;

/// The request's parameters: the query, then a form body (RPC requests
/// with body parameters send `application/x-www-form-urlencoded`).
pub fn parameters(request: &WireRequest<'_>) -> Vec<(String, String)> {
    let mut params = request.query_pairs();
    let form = request
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if form {
        params.extend(
            form_urlencoded::parse(request.body).map(|(k, v)| (k.into_owned(), v.into_owned())),
        );
    }
    params
}

/// The string the client signed.
pub fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (pct(k), pct(v)))
        .collect();
    pairs.sort();
    let canonical: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{method}&{}&{}", pct("/"), pct(&canonical.join("&")))
}

fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The access key the request names (`AccessKeyId`).
pub fn access_key_id(params: &[(String, String)]) -> Result<&str, AuthError> {
    param(params, "AccessKeyId")
        .filter(|id| !id.is_empty())
        .ok_or(AuthError::Missing {
            scheme: SCHEME,
            what: "`AccessKeyId` parameter",
        })
}

/// Verifies the signature of a request with parameters `params` (from
/// [`parameters`]) under the access key's `secret`.
pub fn verify(
    method: &str,
    params: &[(String, String)],
    secret: &[u8],
) -> Result<Signed, AuthError> {
    let id = access_key_id(params)?;
    let signature = param(params, "Signature").ok_or(AuthError::Missing {
        scheme: SCHEME,
        what: "`Signature` parameter",
    })?;
    let claimed = base64_signature(SCHEME, signature)?;
    // The RPC scheme keys HMAC with the secret and `&`.
    let mut key = zeroize::Zeroizing::new(secret.to_vec());
    key.push(b'&');
    verify_mac::<Hmac<Sha1>>(SCHEME, &key, string_to_sign(method, params), &claimed)?;
    let timestamp = param(params, "Timestamp").unwrap_or_default();
    let signed_at =
        OffsetDateTime::parse(timestamp, &Rfc3339).map_err(|_| AuthError::Malformed {
            scheme: SCHEME,
            what: "`Timestamp` such as `2026-12-01T06:56:48Z`",
            value: shown(timestamp),
        })?;
    Ok(Signed {
        scheme: SCHEME,
        access_key_id: id.to_string(),
        security_token: param(params, "SecurityToken").map(str::to_string),
        signed_at,
        nonce: param(params, "SignatureNonce").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_to_sign_matches_the_wire_document_capture() {
        let params: Vec<(String, String)> = [
            ("AccessKeyId", "AKID"),
            ("Action", "CreateKey"),
            ("Description", "demo key *~"),
            ("Format", "JSON"),
            ("KeySpec", "Aliyun_AES_256"),
            ("RegionId", "cn-hangzhou"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "12f7"),
            ("SignatureType", ""),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2026-12-01T06:56:48Z"),
            ("Version", "2016-01-20"),
            ("Signature", "ignored"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            string_to_sign("POST", &params),
            "POST&%2F&AccessKeyId%3DAKID%26Action%3DCreateKey%26Description%3Ddemo%2520key%2520%252A~%26Format%3DJSON\
             %26KeySpec%3DAliyun_AES_256%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D12f7%26\
             SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2026-12-01T06%253A56%253A48Z%26Version%3D2016-01-20"
        );
    }

    #[test]
    fn a_request_without_signature_is_missing_a_parameter() {
        let params = vec![("AccessKeyId".to_string(), "AK".to_string())];
        let e = verify("POST", &params, b"s").map(|_| ()).unwrap_err();
        assert_eq!((e.code(), e.http_status()), ("MissingParameter", 400));
    }
}

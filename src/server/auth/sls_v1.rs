//! Log Service signature v1 (`wire-protocols.md` §1.3), as
//! `aliyun-log-python-sdk`'s `AuthV1.sign_request` computes it:
//!
//! ```text
//! VERB \n CONTENT-MD5 \n CONTENT-TYPE \n DATE \n
//! CanonicalizedLOGHeaders CanonicalizedResource
//! Authorization: LOG <AccessKeyId>:base64(HMAC-SHA1(secret, StringToSign))
//! ```
//!
//! The canonical headers are every `x-log-*` and `x-acs-*` header but
//! `x-log-meta-*`, sorted, `name:value\n`, and never `x-log-date`: the SDK
//! adds that one after signing. The resource is the path, then `?` and the
//! form-decoded query pairs sorted by key, when there are any.

use hmac::Hmac;
use md5::{Digest, Md5};
use sha1::Sha1;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{AuthError, Scheme, Signed, base64_signature, shown, verify_mac};
use crate::server::WireRequest;

const SCHEME: Scheme = Scheme::SlsV1;

/// The string the client signed, rebuilt from the request.
pub fn string_to_sign(request: &WireRequest<'_>) -> String {
    let mut out = String::new();
    out.push_str(request.method);
    out.push('\n');
    out.push_str(request.header("content-md5").unwrap_or_default());
    out.push('\n');
    out.push_str(request.header("content-type").unwrap_or_default());
    out.push('\n');
    out.push_str(request.header("date").unwrap_or_default());
    out.push('\n');
    let mut signed: Vec<(String, &str)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str()))
        .filter(|(n, _)| is_signed_header(n))
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in signed {
        out.push_str(&name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out.push_str(request.path);
    let mut pairs = request.query_pairs();
    if !pairs.is_empty() {
        // Python's `sorted(params.items())`: by key, then by value.
        pairs.sort();
        let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push('?');
        out.push_str(&joined.join("&"));
    }
    out
}

/// `x-log-*` (but `x-log-meta-*` and `x-log-date`) and `x-acs-*`.
fn is_signed_header(lower: &str) -> bool {
    lower.starts_with("x-acs-")
        || (lower.starts_with("x-log-")
            && !lower.starts_with("x-log-meta-")
            && lower != "x-log-date")
}

/// The access key a request names in `Authorization: LOG <id>:<signature>`.
pub fn access_key_id<'a>(request: &WireRequest<'a>) -> Result<&'a str, AuthError> {
    Ok(credentials(request)?.0)
}

fn credentials<'a>(request: &WireRequest<'a>) -> Result<(&'a str, &'a str), AuthError> {
    let header = request.header("authorization").ok_or(AuthError::Missing {
        scheme: SCHEME,
        what: "`Authorization` header",
    })?;
    header
        .strip_prefix("LOG ")
        .and_then(|rest| rest.rsplit_once(':'))
        .filter(|(id, sig)| !id.is_empty() && !sig.is_empty())
        .ok_or_else(|| AuthError::Malformed {
            scheme: SCHEME,
            what: "`Authorization` header `LOG <AccessKeyId>:<Signature>`",
            value: shown(header),
        })
}

/// Verifies the request's signature under `secret` (the secret of the key
/// [`access_key_id`] names) and that a body matches its `Content-MD5`.
pub fn verify(request: &WireRequest<'_>, secret: &[u8]) -> Result<Signed, AuthError> {
    let (id, signature) = credentials(request)?;
    if !request.body.is_empty() {
        let md5 = hex_upper(&Md5::digest(request.body));
        if request.header("content-md5") != Some(md5.as_str()) {
            return Err(AuthError::BodyDigest {
                scheme: SCHEME,
                header: "Content-MD5",
            });
        }
    }
    let claimed = base64_signature(SCHEME, signature)?;
    verify_mac::<Hmac<Sha1>>(SCHEME, secret, string_to_sign(request), &claimed)?;
    let date = request.header("date").unwrap_or_default();
    Ok(Signed {
        scheme: SCHEME,
        access_key_id: id.to_string(),
        security_token: request.header("x-acs-security-token").map(str::to_string),
        signed_at: parse_date(date)?,
        nonce: None,
    })
}

/// `Tue, 01 Dec 2026 06:54:27 GMT`, the SDK's `%a, %d %b %Y %H:%M:%S GMT`.
fn parse_date(date: &str) -> Result<OffsetDateTime, AuthError> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(date, format)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| AuthError::Malformed {
            scheme: SCHEME,
            what: "`Date` header such as `Tue, 01 Dec 2026 06:54:27 GMT`",
            value: shown(date),
        })
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_string_to_sign_follows_the_wire_document() {
        // wire-protocols.md §1.3's captured PutLogs.
        let h = headers(&[
            ("Content-MD5", "76D9A338CDB4B2C405E2F67D7B375D45"),
            ("Content-Type", "application/x-protobuf"),
            ("Date", "Tue, 01 Dec 2026 06:54:27 GMT"),
            ("x-log-date", "Tue, 01 Dec 2026 06:54:27 GMT"),
            ("x-log-signaturemethod", "hmac-sha1"),
            ("x-log-compresstype", "lz4"),
            ("x-log-bodyrawsize", "48"),
            ("x-log-apiversion", "0.6.0"),
            ("x-acs-security-token", "STS.TOKEN"),
            ("x-log-meta-ignored", "1"),
            ("Host", "app.127.0.0.1"),
        ]);
        let request = WireRequest {
            method: "POST",
            path: "/logstores/ls1/shards/lb",
            query: "",
            headers: &h,
            body: b"",
        };
        assert_eq!(
            string_to_sign(&request),
            "POST\n76D9A338CDB4B2C405E2F67D7B375D45\napplication/x-protobuf\nTue, 01 Dec 2026 06:54:27 GMT\n\
             x-acs-security-token:STS.TOKEN\nx-log-apiversion:0.6.0\nx-log-bodyrawsize:48\nx-log-compresstype:lz4\n\
             x-log-signaturemethod:hmac-sha1\n/logstores/ls1/shards/lb"
        );
    }

    #[test]
    fn the_query_is_form_decoded_and_sorted() {
        let h = headers(&[("Date", "Tue, 01 Dec 2026 06:54:27 GMT")]);
        let request = WireRequest {
            method: "GET",
            path: "/logstores/ls/shards/0",
            query: "type=log&cursor=MTU0Nw%3D%3D+x%2F%2B&count=10",
            headers: &h,
            body: b"",
        };
        assert!(
            string_to_sign(&request)
                .ends_with("/logstores/ls/shards/0?count=10&cursor=MTU0Nw== x/+&type=log")
        );
    }

    #[test]
    fn malformed_credentials_name_what_was_expected() {
        let h = headers(&[("Authorization", "LOG nocolon")]);
        let request = WireRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &h,
            body: b"",
        };
        let e = verify(&request, b"s").map(|_| ()).unwrap_err();
        assert_eq!((e.code(), e.http_status()), ("Unauthorized", 401));
        assert!(e.to_string().contains("`LOG nocolon`"), "{e}");
    }
}

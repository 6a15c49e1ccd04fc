//! Known answers from the official SDKs: requests captured from
//! `aliyun-log-python-sdk`, the Tea SDKs and `aliyun-python-sdk-core`
//! (`tests/sdk/capture_vectors.py`), whose signatures the SDKs' own signers
//! computed. Every one verifies; any change to what is signed, or another
//! secret, is refused with the scheme's code and a 4xx.

#![cfg(feature = "server")]

use base64::Engine as _;
use ramgate::server::WireRequest;
use ramgate::server::auth::{self, AuthError, Scheme, Signed, acs3, pop_rpc, sls_v1};
use ramgate::server::{body, proto};
use serde_json::Value;

struct Captured {
    name: String,
    secret: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn captured() -> Vec<Captured> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/wire/sdk-requests.json"
    ))
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let target = r["target"].as_str().unwrap();
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            Captured {
                name: r["name"].as_str().unwrap().to_string(),
                secret: r["secret"].as_str().unwrap().to_string(),
                method: r["method"].as_str().unwrap().to_string(),
                path: path.to_string(),
                query: query.to_string(),
                headers: r["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| {
                        (
                            h[0].as_str().unwrap().to_string(),
                            h[1].as_str().unwrap().to_string(),
                        )
                    })
                    .collect(),
                body: base64::engine::general_purpose::STANDARD
                    .decode(r["body_base64"].as_str().unwrap())
                    .unwrap(),
            }
        })
        .collect()
}

fn request(c: &Captured) -> WireRequest<'_> {
    WireRequest {
        method: &c.method,
        path: &c.path,
        query: &c.query,
        headers: &c.headers,
        body: &c.body,
    }
}

fn verify(r: &WireRequest<'_>, secret: &[u8]) -> Result<Signed, AuthError> {
    match auth::scheme_of(r) {
        Some(Scheme::SlsV1) => sls_v1::verify(r, secret),
        Some(Scheme::Acs3) => acs3::verify(r, secret),
        Some(Scheme::PopRpcV1) => pop_rpc::verify(r.method, &pop_rpc::parameters(r), secret),
        None => panic!("no scheme"),
    }
}

#[test]
fn every_captured_sdk_request_verifies() {
    let all = captured();
    assert_eq!(all.len(), 8);
    let mut schemes = Vec::new();
    for c in &all {
        let r = request(c);
        let signed = verify(&r, c.secret.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        schemes.push(signed.scheme);
        assert!(!signed.access_key_id.is_empty(), "{}", c.name);
        if c.name.contains("sts") {
            assert_eq!(
                signed.security_token.as_deref(),
                Some("CAISramgate-test-security-token"),
                "{}",
                c.name
            );
        }
        if signed.scheme != Scheme::SlsV1 {
            assert!(
                signed.nonce.is_some(),
                "{}: a POP request carries a nonce",
                c.name
            );
        }
    }
    for s in [Scheme::SlsV1, Scheme::PopRpcV1, Scheme::Acs3] {
        assert!(schemes.contains(&s), "no vector for {s:?}");
    }
}

#[test]
fn another_secret_is_refused_with_the_string_to_sign() {
    for c in captured() {
        let r = request(&c);
        let e = verify(&r, b"another-secret").unwrap_err();
        let (code, status) = (e.code(), e.http_status());
        assert!(
            code.starts_with("SignatureNotMatch") || code == "SignatureDoesNotMatch",
            "{}: {code}",
            c.name
        );
        assert!((400..500).contains(&status), "{}", c.name);
        let message = e.to_string();
        assert!(message.contains("string to sign is:"), "{message}");
        assert!(
            !message.contains(&c.secret),
            "the secret leaked into {message}"
        );
    }
}

#[test]
fn changing_any_signed_header_or_parameter_is_refused() {
    for c in captured() {
        let signed_names: Vec<String> = c
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .filter(|n| {
                n.starts_with("x-log-") && n != "x-log-date"
                    || n.starts_with("x-acs-")
                    || n == "date"
            })
            .collect();
        for name in signed_names {
            let mut changed = Captured {
                name: c.name.clone(),
                secret: c.secret.clone(),
                method: c.method.clone(),
                path: c.path.clone(),
                query: c.query.clone(),
                headers: c.headers.clone(),
                body: c.body.clone(),
            };
            for (n, v) in &mut changed.headers {
                if n.eq_ignore_ascii_case(&name) {
                    v.push('x');
                }
            }
            // Headers the RPC scheme does not sign do not count for it.
            let r = request(&changed);
            if auth::scheme_of(&r) == Some(Scheme::PopRpcV1) {
                continue;
            }
            assert!(
                verify(&r, c.secret.as_bytes()).is_err(),
                "{}: `{name}` changed and still verified",
                c.name
            );
        }
        if !c.query.is_empty() {
            let mut changed_query = c.query.replacen('=', "=x", 1);
            if changed_query == c.query {
                changed_query.push_str("&extra=1");
            }
            let changed = Captured {
                name: c.name.clone(),
                secret: c.secret.clone(),
                method: c.method.clone(),
                path: c.path.clone(),
                query: changed_query,
                headers: c.headers.clone(),
                body: c.body.clone(),
            };
            assert!(
                verify(&request(&changed), c.secret.as_bytes()).is_err(),
                "{}: query changed",
                c.name
            );
        }
    }
}

#[test]
fn a_changed_body_is_refused_by_its_digest() {
    for c in captured().into_iter().filter(|c| !c.body.is_empty()) {
        let mut body = c.body.clone();
        body[0] ^= 1;
        let changed = Captured { body, ..c };
        let e = verify(&request(&changed), changed.secret.as_bytes()).unwrap_err();
        assert_eq!(e.code(), "PostBodyInvalid", "{}", changed.name);
    }
}

#[test]
fn the_sdk_put_logs_body_decodes_to_the_group_it_sent() {
    let all = captured();
    let c = all
        .iter()
        .find(|c| c.name == "sls-v1-put-logs-lz4-sts")
        .unwrap();
    let r = request(c);
    let raw = body::decode(
        &c.body,
        r.header("x-log-compresstype"),
        r.header("x-log-bodyrawsize"),
    )
    .unwrap();
    let group = proto::decode_log_group(&raw).unwrap();
    assert_eq!(group.topic, "nginx");
    assert_eq!(group.source, "10.0.0.1");
    assert_eq!(group.logs.len(), 1);
    assert_eq!(group.logs[0].time, 1_700_000_000);
    assert_eq!(
        group.logs[0].contents,
        [
            ("request".to_string(), "GET /item/1".to_string()),
            ("status".to_string(), "200".to_string())
        ]
    );
}

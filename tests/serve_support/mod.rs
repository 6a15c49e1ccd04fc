//! An in-process `ramgate serve` on a fresh data directory (the seed
//! document's account of `logstore_support`: a CMK, the BYOK role, users
//! alice with PassRole and bob without it; and carol, allowed only from
//! 10.0.0.0/8), and a small HTTP/1.1 client that signs as the SDKs do.
//! The client speaks raw HTTP over a `TcpStream`, so a test can send any
//! target form and any header.
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use md5::Digest as _;
use ramgate::logstore::LogService;
use ramgate::ram::{PolicyRef, SystemClock, Target};
use ramgate::server::WireRequest;
use ramgate::server::auth::{pop_rpc, sls_v1};
use ramgate::server::credentials::StaticCredentials;
use ramgate::server::http::{Server, ServerHandle};
use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::format_description;

/// The seed document's account, shared with the engine's tests.
#[path = "../logstore_support/mod.rs"]
mod logstore_support;
pub use logstore_support::{ACCOUNT, REGION, ROLE, options, root, user};

/// Carol may only write logs, and only from 10.0.0.0/8.
const FROM_TEN: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"log:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#;

pub struct Env {
    pub dir: TempDir,
    pub server: Option<ServerHandle>,
    pub credentials: Arc<StaticCredentials>,
    pub cmk: String,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let svc = LogService::init(
            dir.path(),
            ACCOUNT,
            REGION,
            Arc::new(SystemClock),
            options(),
        )
        .unwrap();
        let cmk = logstore_support::seed(&svc);
        svc.edit_directory(|a| {
            a.create_policy("FromTen", FROM_TEN)?;
            a.create_user("carol")?;
            a.attach_policy(
                &Target::User("carol".into()),
                &PolicyRef::Custom("FromTen".into()),
            )?;
            Ok(())
        })
        .unwrap();
        let credentials = Arc::new(StaticCredentials::new());
        credentials.insert("AKroot", b"root-secret", root());
        for u in ["alice", "bob", "carol"] {
            credentials.insert(&format!("AK{u}"), format!("{u}-secret").as_bytes(), user(u));
        }
        let server = Server::new(svc, credentials.clone()).log_requests(false);
        let handle = ServerHandle::start(server, "127.0.0.1:0".parse().unwrap()).unwrap();
        Env {
            dir,
            server: Some(handle),
            credentials,
            cmk,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().addr()
    }

    /// A Log Service client of project `project` signing as `user`.
    pub fn sls(&self, user: &str, project: &str) -> Sls {
        Sls {
            addr: self.addr(),
            host: format!("{project}.127.0.0.1"),
            access_key_id: format!("AK{user}"),
            secret: format!("{user}-secret"),
            token: None,
            skew: time::Duration::ZERO,
            absolute: false,
        }
    }

    /// The BYOK `encrypt_conf` as the SDK sends it.
    pub fn byok(&self) -> serde_json::Value {
        serde_json::json!({"enable": true, "encrypt_type": "default",
            "user_cmk_info": {"cmk_key_id": self.cmk, "arn": ROLE, "region_id": REGION}})
    }
}

/// An answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// `errorCode` (SLS) or `Code` (POP).
    pub fn code(&self) -> String {
        let v = self.json();
        v.get("errorCode")
            .or_else(|| v.get("Code"))
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_string()
    }

    pub fn message(&self) -> String {
        let v = self.json();
        v.get("errorMessage")
            .or_else(|| v.get("Message"))
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
pub fn send(addr: SocketAddr, head: &str, headers: &[(String, String)], body: &[u8]) -> Resp {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut out = format!("{head} HTTP/1.1\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(out.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// A Log Service client signing with v1, as `aliyun-log-python-sdk` does.
#[derive(Clone, Debug)]
pub struct Sls {
    pub addr: SocketAddr,
    pub host: String,
    pub access_key_id: String,
    pub secret: String,
    pub token: Option<String>,
    /// Added to the time the client signs with.
    pub skew: time::Duration,
    /// Send the target in absolute form, as through `HTTP_PROXY`.
    pub absolute: bool,
}

pub fn http_date(t: OffsetDateTime) -> String {
    let f = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&f).unwrap()
}

impl Sls {
    /// A signed request; `extra` headers are added before signing.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
        extra: &[(&str, &str)],
    ) -> Resp {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let mut headers: Vec<(String, String)> = vec![
            ("Host".into(), self.host.clone()),
            ("x-log-apiversion".into(), "0.6.0".into()),
            ("x-log-signaturemethod".into(), "hmac-sha1".into()),
            ("User-Agent".into(), "log-python-sdk-v-0.9.52".into()),
            (
                "Date".into(),
                http_date(OffsetDateTime::now_utc() + self.skew),
            ),
        ];
        let has_raw_size = extra.iter().any(|(n, _)| *n == "x-log-bodyrawsize");
        if !has_raw_size {
            headers.push(("x-log-bodyrawsize".into(), body.len().to_string()));
        }
        for (n, v) in extra {
            headers.push((n.to_string(), v.to_string()));
        }
        if !body.is_empty() {
            let md5: String = md5::Md5::digest(body)
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            headers.push(("Content-MD5".into(), md5));
            if !extra
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
        }
        if let Some(t) = &self.token {
            headers.push(("x-acs-security-token".into(), t.clone()));
        }
        let wire = WireRequest {
            method,
            path,
            query: &query,
            headers: &headers,
            body,
        };
        let sts = sls_v1::string_to_sign(&wire);
        let mut mac =
            <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(self.secret.as_bytes()).unwrap();
        mac.update(sts.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        headers.push((
            "Authorization".into(),
            format!("LOG {}:{sig}", self.access_key_id),
        ));
        // The SDK adds `x-log-date` after signing (§1.3).
        headers.push(("x-log-date".into(), "ignored".into()));
        let target = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        let target = if self.absolute {
            format!("http://{}:80{target}", self.host)
        } else {
            target
        };
        send(self.addr, &format!("{method} {target}"), &headers, body)
    }

    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Resp {
        self.call("GET", path, query, b"", &[])
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Resp {
        self.call("POST", path, &[], body.to_string().as_bytes(), &[])
    }
}

/// A POP RPC v1 request (the old core SDK's), signed as `user` with
/// `nonce`, its `Timestamp` moved by `skew`.
pub fn pop_rpc(
    addr: SocketAddr,
    user: &str,
    secret: &str,
    action: &str,
    nonce: &str,
    skew: time::Duration,
) -> Resp {
    let access_key_id = format!("AK{user}");
    let call = PopRpc {
        access_key_id: &access_key_id,
        secret,
        version: "2016-01-20",
        action,
        params: &[],
    };
    call.send_with(addr, nonce, skew)
}

/// A POP RPC v1 request of any product, with its own parameters.
pub struct PopRpc<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a str,
    /// `2016-01-20` (KMS), `2015-04-01` (STS), `2015-05-01` (RAM).
    pub version: &'a str,
    pub action: &'a str,
    pub params: &'a [(&'a str, &'a str)],
}

impl PopRpc<'_> {
    /// Sends it with a fresh nonce and the real time.
    pub fn send(&self, addr: SocketAddr) -> Resp {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).unwrap();
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        self.send_with(addr, &nonce, time::Duration::ZERO)
    }

    fn send_with(&self, addr: SocketAddr, nonce: &str, skew: time::Duration) -> Resp {
        let (user, secret, action) = (self.access_key_id, self.secret, self.action);
        let ts = (OffsetDateTime::now_utc() + skew)
            .format(&format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .unwrap();
        let mut params: Vec<(String, String)> = [
            ("AccessKeyId", user.to_string()),
            ("Action", action.to_string()),
            ("Format", "JSON".into()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureNonce", nonce.into()),
            ("SignatureType", String::new()),
            ("SignatureVersion", "1.0".into()),
            ("Timestamp", ts),
            ("Version", self.version.into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(
            self.params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        )
        .collect();
        let sts = pop_rpc::string_to_sign("POST", &params);
        let mut key = secret.as_bytes().to_vec();
        key.push(b'&');
        let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(sts.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        params.push(("Signature".into(), sig));
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let headers = vec![("Host".to_string(), "127.0.0.1".to_string())];
        send(addr, &format!("POST /?{query}"), &headers, b"")
    }
}

//! The local endpoint's protocol layer: what the official Alibaba Cloud SDKs
//! send, read and verified byte for byte (`spec/wire-protocols.md`).
//!
//! - [`auth`]: the request signatures, one file per scheme: Log Service
//!   v1 ([`auth::sls_v1`]), POP RPC v1 HMAC-SHA1 ([`auth::pop_rpc`]) and
//!   ACS3-HMAC-SHA256 ([`auth::acs3`]), with the freshness rules every
//!   scheme shares. Each is tested against requests captured from the SDKs
//!   themselves (`tests/data/wire/sdk-requests.json`).
//! - [`proto`]: the `LogGroup` / `LogGroupList` protobuf (proto2, `prost`
//!   derive on hand-written structs, no `protoc`).
//! - [`body`]: request and response bodies: LZ4 raw blocks whose claimed
//!   size is checked against the limits before anything is allocated.
//! - [`sls`]: Log Service cursors and the GetLogs query subset.
//! - [`reply`]: error bodies as each SDK reads them, request ids.
//! - [`credentials`]: access keys resolved to a secret and an identity.
//! - [`keystore`]: the persistent credential store of a data directory
//!   (access keys sealed under the root key, STS tokens that carry their
//!   session).
//! - [`pop`]: the KMS, STS and RAM APIs, one function per action.
//!
//! - [`http`]: the HTTP front of `ramgate serve` (tokio + hyper): routing,
//!   authentication, the request context, one line per request.
//!
//! Only [`http`] and the credential store do I/O or hold state; every handler under it is one
//! library call.

pub mod auth;
pub mod body;
pub mod credentials;
pub mod http;
pub mod keystore;
pub mod pop;
pub mod proto;
pub mod reply;
pub mod sls;

/// A request as the verifiers see it, independent of any HTTP library.
#[derive(Clone, Copy, Debug)]
pub struct WireRequest<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path of the request target, as sent (`/logstores/ls/shards/lb`).
    pub path: &'a str,
    /// The query string as sent, without `?` (empty when there is none).
    pub query: &'a str,
    /// Every header, names in any case, in the order received.
    pub headers: &'a [(String, String)],
    /// The body as sent (compressed bodies are signed compressed).
    pub body: &'a [u8],
}

impl<'a> WireRequest<'a> {
    /// The first value of a header, its name compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The query parameters, form-decoded (`+` is a space), in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

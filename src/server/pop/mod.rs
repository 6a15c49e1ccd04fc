//! The POP products on the endpoint: KMS (2016-01-20), STS (2015-04-01)
//! and RAM (2015-05-01), each API a function from a verified, resolved
//! request to the JSON object POP answers with.
//!
//! The HTTP front has already checked the signature, the clock, the nonce
//! and the access key; it hands [`handle`] a [`PopCall`] and writes what
//! comes back (adding `RequestId`). Every refusal is a [`PopFailure`] with
//! Alibaba's code and a 4xx status.

use crate::authz::Context;
use crate::logstore::LogService;
use crate::ram::Identity;

use super::credentials::Credentials;

/// Which product a POP request is for, from its `Version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    /// KMS, `2016-01-20`.
    Kms,
    /// STS, `2015-04-01`.
    Sts,
    /// RAM, `2015-05-01`.
    Ram,
}

impl Product {
    /// The product a `Version` names, if any.
    pub fn from_version(version: &str) -> Option<Product> {
        match version {
            "2016-01-20" => Some(Product::Kms),
            "2015-04-01" => Some(Product::Sts),
            "2015-05-01" => Some(Product::Ram),
            _ => None,
        }
    }
}

/// A verified POP request, ready to run.
#[derive(Debug)]
pub struct PopCall<'a> {
    /// The product.
    pub product: Product,
    /// `Action` (`CreateKey`, `AssumeRole`, …).
    pub action: &'a str,
    /// Every parameter (query and form body), the signature's included.
    pub params: &'a [(String, String)],
    /// Who is calling.
    pub caller: &'a Identity,
    /// The request context RAM conditions see: `acs:SourceIp`,
    /// `acs:SecureTransport`, `acs:UserAgent` (`acs:CurrentTime` is the
    /// engine's clock).
    pub context: &'a Context,
    /// The request id the answer carries.
    pub request_id: &'a str,
}

/// A refusal: the status, Alibaba's code and a message that says which
/// step refused and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopFailure {
    /// A 4xx status.
    pub status: u16,
    /// Alibaba's code (`Forbidden.NoPermission`, `MissingParameter`, …).
    pub code: String,
    /// The message.
    pub message: String,
}

/// Runs `call` against the engine; the answer is the JSON object POP
/// returns, without `RequestId` (the front adds it).
pub fn handle(
    service: &LogService,
    credentials: &dyn Credentials,
    call: &PopCall<'_>,
) -> Result<serde_json::Value, PopFailure> {
    let _ = (service, credentials);
    Err(PopFailure {
        status: 404,
        code: "InvalidApi.NotFound".into(),
        message: format!("the API `{}` is not served", call.action),
    })
}

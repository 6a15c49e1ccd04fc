//! The POP products on the endpoint: KMS (2016-01-20), STS (2015-04-01)
//! and RAM (2015-05-01), each API a function from a verified, resolved
//! request to the JSON object POP answers with.
//!
//! The HTTP front has already checked the signature, the clock, the nonce
//! and the access key; it hands [`handle`] a [`PopCall`] and writes what
//! comes back (adding `RequestId`). Every refusal is a [`PopFailure`] with
//! Alibaba's code and a 4xx status.

mod deny;
mod kms;
mod ram;
mod ram_policies;
mod sts;

use crate::authz::Context;
use crate::logstore::{EditRefused, LogService};
use crate::ram::{Access, Identity, Ram, RamError};

pub use super::credentials::rfc3339;
use super::credentials::{CredentialError, Credentials};

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
/// returns, without `RequestId` (the front adds it). An action the product
/// does not have is `404 InvalidApi.NotFound`.
pub fn handle(
    service: &LogService,
    credentials: &dyn Credentials,
    call: &PopCall<'_>,
) -> Result<serde_json::Value, PopFailure> {
    let params = Params::new(call.params);
    let served = match call.product {
        Product::Kms => kms::handle(service, call, &params),
        Product::Sts => sts::handle(service, credentials, call, &params),
        Product::Ram => ram::handle(service, credentials, call, &params),
    };
    served.unwrap_or_else(|| {
        Err(PopFailure::new(
            404,
            "InvalidApi.NotFound",
            format!(
                "the API `{}` does not exist in version `{}`",
                call.action,
                call.product.version()
            ),
        ))
    })
}

impl Product {
    /// The `Version` string of the product.
    pub fn version(self) -> &'static str {
        match self {
            Product::Kms => "2016-01-20",
            Product::Sts => "2015-04-01",
            Product::Ram => "2015-05-01",
        }
    }
}

impl PopFailure {
    /// A refusal with `status` (made a 4xx if it is not one), `code` and
    /// `message`.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> PopFailure {
        PopFailure {
            status: super::reply::client_status(status),
            code: code.into(),
            message: message.into(),
        }
    }

    /// `400 MissingParameter`.
    pub(crate) fn missing(name: &str) -> PopFailure {
        PopFailure::new(
            400,
            "MissingParameter",
            format!("the parameter `{name}` is required"),
        )
    }

    /// `400 InvalidParameter` (or a more precise code).
    pub(crate) fn invalid(code: &str, message: impl Into<String>) -> PopFailure {
        PopFailure::new(400, code, message)
    }
}

impl From<RamError> for PopFailure {
    fn from(e: RamError) -> PopFailure {
        let message = match &e {
            RamError::NoPermission(d) => deny::assume_role_message(d),
            other => other.to_string(),
        };
        PopFailure::new(e.http_status(), e.code(), message)
    }
}

impl From<CredentialError> for PopFailure {
    fn from(e: CredentialError) -> PopFailure {
        PopFailure::new(e.http_status(), e.code(), e.to_string())
    }
}

impl From<EditRefused> for PopFailure {
    fn from(e: EditRefused) -> PopFailure {
        match e {
            EditRefused::Denied(step) => deny::no_permission(&step),
            EditRefused::Failed(e) => e.into(),
        }
    }
}

/// The request's parameters by name (the last value wins when a name
/// repeats; signatures have already covered them all).
pub(crate) struct Params<'a> {
    pairs: &'a [(String, String)],
}

impl<'a> Params<'a> {
    fn new(pairs: &'a [(String, String)]) -> Params<'a> {
        Params { pairs }
    }

    /// A parameter, when present and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// A parameter that must be there (`MissingParameter` otherwise; the
    /// gateway's code is `Missing<Name>`, KMS and RAM answer
    /// `MissingParameter` naming it, which is what ramgate sends).
    pub(crate) fn required(&self, name: &str) -> Result<&'a str, PopFailure> {
        self.get(name).ok_or_else(|| PopFailure::missing(name))
    }

    /// An integer parameter, `default` when absent.
    pub(crate) fn number(&self, name: &str, default: u64) -> Result<u64, PopFailure> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                PopFailure::invalid(
                    "InvalidParameter",
                    format!("the parameter `{name}` must be a whole number, not `{v}`"),
                )
            }),
        }
    }

    /// A `true`/`false` parameter, `false` when absent.
    pub(crate) fn flag(&self, name: &str) -> Result<bool, PopFailure> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(PopFailure::invalid(
                "InvalidParameter",
                format!("the parameter `{name}` must be `true` or `false`, not `{v}`"),
            )),
        }
    }
}

/// Authorizes a read-only call: `action` on `resource` for the caller, with
/// the request's context, on the directory as it stands.
pub(crate) fn authorize(
    service: &LogService,
    call: &PopCall<'_>,
    action: &str,
    resource: &str,
) -> Result<(), PopFailure> {
    let directory = service.directory();
    let step = Ram::new(&directory.directory, service.clock()).authorize(
        call.caller,
        &access(call, action, resource),
        None,
    )?;
    if step.is_allowed() {
        Ok(())
    } else {
        Err(deny::no_permission(&step))
    }
}

/// `action` on `resource` with the call's context.
pub(crate) fn access(call: &PopCall<'_>, action: &str, resource: &str) -> Access {
    let mut access = Access::new(action, resource);
    access.context = call.context.clone();
    access
}

/// The id RAM shows for an entity (`UserId`, `RoleId`): ramgate's
/// directory keeps names only, so the id is derived from the entity's ARN,
/// stable across restarts (16 digits for users, 19 starting with `3` for
/// roles, the lengths Alibaba's ids have). A deleted and re-created entity
/// gets the same id again, unlike RAM's.
pub(crate) fn entity_id(kind: &str, arn: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{kind}\0{arn}").as_bytes());
    let mut n = 0u64;
    for b in digest.iter().take(8) {
        n = (n << 8) | u64::from(*b);
    }
    match kind {
        "role" => format!("3{:018}", n % 1_000_000_000_000_000_000),
        _ => format!("2{:015}", n % 1_000_000_000_000_000),
    }
}

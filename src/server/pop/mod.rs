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
mod ram_groups;
mod ram_policies;
mod sts;

use crate::authz::Context;
use crate::logstore::{AuditedCall, AuditedFailure, EditRefused, ErrorKind, LogError, LogService};
use crate::ram::{Access, Identity, RamError};

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
    /// ramgate itself failed (a disk error, damaged data) rather than
    /// refusing: the audit record says `failed`, not `refused`.
    pub failed: bool,
}

/// Runs `call` against the engine; the answer is the JSON object POP
/// returns, without `RequestId` (the front adds it). An action the product
/// does not have is `404 InvalidApi.NotFound`.
///
/// Every call, answered or refused, appends one audit record (op: the
/// action; target: the product and the parameters that name what it acts
/// on; detail: the answer's ids and states, or the refusal's code and
/// message; the chain; the request id), durable before this returns.
/// Secrets never reach it: the target takes named parameters only and the
/// detail named keys of the answer only ([`answer_detail`]).
pub fn handle(
    service: &LogService,
    credentials: &dyn Credentials,
    call: &PopCall<'_>,
) -> Result<serde_json::Value, PopFailure> {
    let params = Params::new(call.params);
    let scoped = service.with_request(call.context.clone(), call.request_id);
    let op = crate::terminal::clip(call.action);
    scoped.audited_call(&op, call.caller, target(call, &params), |audit| {
        let served = match call.product {
            Product::Kms => kms::handle(audit, call, &params),
            Product::Sts => sts::handle(audit, credentials, call, &params),
            Product::Ram => ram::handle(audit, credentials, call, &params),
        };
        let answer = served.unwrap_or_else(|| {
            Err(PopFailure::new(
                404,
                "InvalidApi.NotFound",
                format!(
                    "the API `{}` does not exist in version `{}`",
                    call.action,
                    call.product.version()
                ),
            ))
        })?;
        let detail = answer_detail(&answer);
        Ok((answer, detail))
    })
}

/// The parameters that name what a call acts on: the audit record's
/// `target`. Only these: a document, a plaintext or a blob never goes in.
const TARGET_PARAMS: &[&str] = &[
    "KeyId",
    "RoleArn",
    "RoleSessionName",
    "DurationSeconds",
    "UserName",
    "GroupName",
    "RoleName",
    "PolicyName",
    "PolicyType",
    "VersionId",
    "UserAccessKeyId",
    "Status",
    "PendingWindowInDays",
];

/// The answer's keys an audit record keeps: ids, names, states and dates.
/// Everything else (`AccessKeySecret`, `SecurityToken`, `Plaintext`,
/// `CiphertextBlob`, documents) is left out.
const DETAIL_KEYS: &[&str] = &[
    "KeyId",
    "KeyState",
    "Arn",
    "KeyArn",
    "KeyVersionId",
    "DeleteDate",
    "AccessKeyId",
    "Status",
    "Expiration",
    "AssumedRoleId",
    "AccountId",
    "IdentityType",
    "PrincipalId",
    "UserId",
    "UserName",
    "GroupName",
    "RoleId",
    "RoleName",
    "PolicyName",
    "PolicyType",
    "VersionId",
    "DefaultVersion",
    "IsDefaultVersion",
    "TotalCount",
    "IsTruncated",
    "Marker",
];

/// The audit `target` of a call: `{"product": "kms", "KeyId": …}`.
fn target(call: &PopCall<'_>, params: &Params<'_>) -> serde_json::Value {
    let mut target = serde_json::Map::new();
    target.insert("product".into(), call.product.name().into());
    for name in TARGET_PARAMS {
        if let Some(v) = params.get(name) {
            target.insert((*name).into(), crate::terminal::clip(v).into());
        }
    }
    target.into()
}

/// What an audit record keeps of an answer: the ids, names and states
/// (`KeyId`, `KeyState`, `AccessKeyId`, `Expiration`, `VersionId`, …) of every
/// object, nested ones included, and of a list only its length (a
/// `ListUsers` record says how many, not who).
pub fn answer_detail(answer: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match answer {
        Value::Object(o) => {
            let kept: serde_json::Map<String, Value> = o
                .iter()
                .filter_map(|(k, v)| {
                    let keep = match v {
                        Value::Object(_) | Value::Array(_) => {
                            Some(answer_detail(v)).filter(|d| d != &Value::Null)
                        }
                        _ => DETAIL_KEYS.contains(&k.as_str()).then(|| v.clone()),
                    };
                    keep.map(|v| (k.clone(), v))
                })
                .collect();
            if kept.is_empty() {
                Value::Null
            } else {
                Value::Object(kept)
            }
        }
        Value::Array(items) => items.len().into(),
        _ => Value::Null,
    }
}

impl Product {
    /// The product's name in audit records: `kms`, `sts`, `ram`.
    pub fn name(self) -> &'static str {
        match self {
            Product::Kms => "kms",
            Product::Sts => "sts",
            Product::Ram => "ram",
        }
    }

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
            failed: status >= 500,
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
        let mut failure = PopFailure::new(e.http_status(), e.code(), message);
        // The directory file could not be saved: ramgate failed, the
        // caller was not refused.
        failure.failed |= matches!(e, RamError::DirectoryFile { .. });
        failure
    }
}

impl From<LogError> for PopFailure {
    /// An engine failure (the audit record not written, say) is the one
    /// POP answer that may be a 5xx: `500 InternalServerError`.
    fn from(e: LogError) -> PopFailure {
        match e.kind() {
            ErrorKind::System | ErrorKind::Damaged => PopFailure {
                status: 500,
                code: e.code().to_string(),
                message: e.to_string(),
                failed: true,
            },
            _ => PopFailure::new(e.http_status(), e.code(), e.to_string()),
        }
    }
}

impl AuditedFailure for PopFailure {
    fn is_failure(&self) -> bool {
        self.failed
    }

    fn detail(&self) -> serde_json::Value {
        serde_json::json!({"code": self.code, "message": self.message})
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
/// the request's context, on the call's directory; the step joins its
/// audit record.
pub(crate) fn authorize(
    audit: &AuditedCall<'_>,
    call: &PopCall<'_>,
    action: &str,
    resource: &str,
) -> Result<(), PopFailure> {
    let step = audit.authorize(call.caller, &access(call, action, resource))?;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_answers_detail_keeps_ids_and_states_and_never_a_secret() {
        let answer = json!({
            "Credentials": {
                "AccessKeyId": "STS.abc",
                "AccessKeySecret": "s3cret",
                "SecurityToken": "t0ken",
                "Expiration": "2026-12-01T09:00:00Z",
            },
            "AssumedRoleUser": {"Arn": "acs:ram::1:role/r/s", "AssumedRoleId": "3:s"},
            "KeyId": "k1",
            "Plaintext": "data-key",
            "CiphertextBlob": "blob",
            "Users": {"User": [{"UserName": "a"}, {"UserName": "b"}]},
            "PolicyVersion": {"VersionId": "v1", "PolicyDocument": "{}"},
        });
        assert_eq!(
            answer_detail(&answer),
            json!({
                "Credentials": {"AccessKeyId": "STS.abc", "Expiration": "2026-12-01T09:00:00Z"},
                "AssumedRoleUser": {"Arn": "acs:ram::1:role/r/s", "AssumedRoleId": "3:s"},
                "KeyId": "k1",
                "Users": {"User": 2},
                "PolicyVersion": {"VersionId": "v1"},
            })
        );
        assert_eq!(answer_detail(&json!({})), serde_json::Value::Null);
    }

    #[test]
    fn a_failure_of_ramgate_is_told_from_a_refusal() {
        let internal = PopFailure::new(500, "InternalFailure", "the disk is full");
        assert!(internal.is_failure());
        assert_eq!(internal.status, 400, "still never a 5xx for the SDKs");
        assert!(!PopFailure::new(403, "NoPermission", "no").is_failure());
        let unsaved: PopFailure = RamError::DirectoryFile {
            file: "ram.json".into(),
            message: "read-only file system".into(),
        }
        .into();
        assert!(unsaved.is_failure());
        assert!(!PopFailure::from(RamError::InvalidRoleArn("x".into())).is_failure());
        // The audit record not written: the one 5xx a POP call answers.
        let engine: PopFailure = LogError::Storage("cannot append".into()).into();
        assert_eq!(
            (engine.status, engine.code.as_str(), engine.is_failure()),
            (500, "InternalServerError", true)
        );
        let bad: PopFailure = LogError::ParameterInvalid("`x`".into()).into();
        assert!(!bad.is_failure() && bad.status == 400);
        assert_eq!(
            bad.detail(),
            json!({"code": "ParameterInvalid", "message": bad.message})
        );
    }
}

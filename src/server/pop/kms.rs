//! KMS 2016-01-20 over POP: each action one call of [`crate::kms::Kms`],
//! as the caller, with the request's context, answering the keys of
//! `wire-protocols.md` §4.5.
//!
//! # `Plaintext` on the wire
//!
//! `Encrypt` takes its `Plaintext` as opaque text and `Decrypt` gives the
//! same text back (§4.5 [L]: callers who base64-encode first and callers
//! who do not both get what they sent). `GenerateDataKey` answers the data
//! key in base64, and `Decrypt` of its blob answers that same base64, as
//! Alibaba's does. To tell the two apart, `Encrypt` seals the text behind
//! the 8-byte marker [`TEXT_MARKER`] (inside the AEAD, so authenticated);
//! `Decrypt` strips it, and answers anything without it (data keys) in
//! base64. A random data key begins with the marker with probability
//! 2^-64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::kms::{
    Caller, DataKeySpec, EncryptionContext, KeyMetadata, KeySpec, KeyUsage, Kms, KmsError,
};
use crate::logstore::AuditedCall;

use super::deny::{KMS_NO_PERMISSION, refused};
use super::{Params, PopCall, PopFailure};

/// What `Encrypt` puts before the caller's text (module docs).
pub const TEXT_MARKER: &[u8; 8] = b"\0RGTEXT\x01";

/// The answer of `action`, or `None` when KMS has no such action.
pub(super) fn handle(
    audit: &AuditedCall<'_>,
    call: &PopCall<'_>,
    params: &Params<'_>,
) -> Option<Result<Value, PopFailure>> {
    let api: Api = match call.action {
        "CreateKey" => create_key,
        "DescribeKey" => describe_key,
        "ListKeys" => list_keys,
        "EnableKey" => |kms, caller, params| key_call(params, |k| kms.enable_key(caller, k)),
        "DisableKey" => |kms, caller, params| key_call(params, |k| kms.disable_key(caller, k)),
        "CancelKeyDeletion" => {
            |kms, caller, params| key_call(params, |k| kms.cancel_key_deletion(caller, k))
        }
        "ScheduleKeyDeletion" => schedule_key_deletion,
        "GenerateDataKey" => generate_data_key,
        "Encrypt" => encrypt,
        "Decrypt" => decrypt,
        _ => return None,
    };
    Some(audit.kms_call(call.caller, call.context, |kms, caller| {
        api(kms, caller, params).map_err(|e| failure(e, caller))
    }))
}

/// One KMS API.
type Api = fn(&Kms, &Caller<'_>, &Params<'_>) -> Answer;

/// A KMS error as POP answers it; a permission refusal names its step and
/// the deciding statement.
fn failure(e: Failure, caller: &Caller<'_>) -> PopFailure {
    match e {
        Failure::Pop(p) => p,
        Failure::Kms(KmsError::NoPermission { .. }) => match caller.steps().last() {
            Some(step) => refused(KMS_NO_PERMISSION, step),
            None => PopFailure::new(403, KMS_NO_PERMISSION, "no statement applies"),
        },
        Failure::Kms(e) => PopFailure::new(e.http_status(), e.code(), e.to_string()),
    }
}

/// A parameter problem or a KMS error.
enum Failure {
    Pop(PopFailure),
    Kms(KmsError),
}

impl From<PopFailure> for Failure {
    fn from(e: PopFailure) -> Failure {
        Failure::Pop(e)
    }
}

impl From<KmsError> for Failure {
    fn from(e: KmsError) -> Failure {
        Failure::Kms(e)
    }
}

type Answer = Result<Value, Failure>;

/// `KeyMetadata` with every key of §4.5; rotation is not emulated.
fn metadata(m: &KeyMetadata) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        for (k, x) in [
            ("AutomaticRotation", "Disabled"),
            ("DeletionProtection", "Disabled"),
            ("RotationInterval", ""),
            ("NextRotationDate", ""),
            ("LastRotationDate", ""),
            ("MaterialExpireTime", ""),
            ("DKMSInstanceId", ""),
        ] {
            o.insert(k.to_string(), json!(x));
        }
        o.entry("DeleteDate").or_insert(json!(""));
    }
    v
}

fn create_key(kms: &Kms, caller: &Caller<'_>, params: &Params<'_>) -> Answer {
    let spec: KeySpec = params.get("KeySpec").unwrap_or("Aliyun_AES_256").parse()?;
    let usage: KeyUsage = params
        .get("KeyUsage")
        .unwrap_or("ENCRYPT/DECRYPT")
        .parse()?;
    if let Some(origin) = params.get("Origin").filter(|o| *o != "Aliyun_KMS") {
        return Err(PopFailure::invalid(
            "InvalidParameter",
            format!("the origin `{origin}` is not supported; ramgate makes its own material (`Aliyun_KMS`)"),
        )
        .into());
    }
    let description = params.get("Description").unwrap_or("");
    let m = kms.create_key(caller, spec, usage, description)?;
    Ok(json!({ "KeyMetadata": metadata(&m) }))
}

fn describe_key(kms: &Kms, caller: &Caller<'_>, params: &Params<'_>) -> Answer {
    let m = kms.describe_key(caller, params.required("KeyId")?)?;
    Ok(json!({ "KeyMetadata": metadata(&m) }))
}

fn list_keys(kms: &Kms, caller: &Caller<'_>, params: &Params<'_>) -> Answer {
    let page = u32::try_from(params.number("PageNumber", 1)?).unwrap_or(u32::MAX);
    let size = u32::try_from(params.number("PageSize", 10)?).unwrap_or(u32::MAX);
    let list = kms.list_keys(caller, page, size)?;
    let keys: Vec<Value> = list
        .keys
        .iter()
        .map(|k| json!({"KeyId": k.key_id.to_string(), "KeyArn": k.key_arn}))
        .collect();
    Ok(json!({
        "TotalCount": list.total_count,
        "PageNumber": list.page_number,
        "PageSize": list.page_size,
        "Keys": {"Key": keys},
    }))
}

fn key_call(params: &Params<'_>, f: impl FnOnce(&str) -> Result<(), KmsError>) -> Answer {
    f(params.required("KeyId")?)?;
    Ok(json!({}))
}

fn schedule_key_deletion(kms: &Kms, caller: &Caller<'_>, params: &Params<'_>) -> Answer {
    let key = params.required("KeyId")?;
    let days = params.required("PendingWindowInDays")?;
    let days: u32 = days.parse().map_err(|_| {
        PopFailure::invalid(
            "InvalidParameter",
            format!("`PendingWindowInDays` `{days}` is not a number of days"),
        )
    })?;
    kms.schedule_key_deletion(caller, key, days)?;
    Ok(json!({}))
}

fn context(params: &Params<'_>) -> Result<EncryptionContext, KmsError> {
    match params.get("EncryptionContext") {
        None => Ok(EncryptionContext::new()),
        Some(text) => EncryptionContext::from_json(text),
    }
}

fn generate_data_key(kms: &Kms, caller: &Caller<'_>, params: &Params<'_>) -> Answer {
    let key = params.required("KeyId")?;
    let bytes = match params.get("NumberOfBytes") {
        None => None,
        Some(_) => Some(u32::try_from(params.number("NumberOfBytes", 0)?).unwrap_or(u32::MAX)),
    };
    let spec = DataKeySpec::from_params(params.get("KeySpec"), bytes)?;
    let out = kms.generate_data_key(caller, key, spec, &context(params)?)?;
    Ok(json!({
        "KeyId": out.key_id.to_string(),
        "KeyVersionId": out.key_version_id.to_string(),
        "Plaintext": STANDARD.encode(out.plaintext.expose()),
        "CiphertextBlob": STANDARD.encode(&out.ciphertext_blob),
    }))
}

fn encrypt(kms: &Kms, caller: &Caller<'_>, params: &Params<'_>) -> Answer {
    let key = params.required("KeyId")?;
    let text = params.required("Plaintext")?;
    let sealed = zeroize::Zeroizing::new([&TEXT_MARKER[..], text.as_bytes()].concat());
    let out = kms.encrypt(caller, key, &sealed, &context(params)?)?;
    Ok(json!({
        "KeyId": out.key_id.to_string(),
        "KeyVersionId": out.key_version_id.to_string(),
        "CiphertextBlob": STANDARD.encode(&out.ciphertext_blob),
    }))
}

fn decrypt(kms: &Kms, caller: &Caller<'_>, params: &Params<'_>) -> Answer {
    let text = params.required("CiphertextBlob")?;
    let blob = STANDARD.decode(text.as_bytes()).map_err(|_| {
        PopFailure::invalid(
            "InvalidParameter",
            "the parameter `CiphertextBlob` is not base64",
        )
    })?;
    let out = kms.decrypt(caller, &blob, &context(params)?)?;
    let plain = out.plaintext.expose();
    let plaintext = match plain.strip_prefix(&TEXT_MARKER[..]) {
        Some(text) => String::from_utf8_lossy(text).into_owned(),
        None => STANDARD.encode(plain),
    };
    Ok(json!({
        "KeyId": out.key_id.to_string(),
        "KeyVersionId": out.key_version_id.to_string(),
        "Plaintext": plaintext,
    }))
}

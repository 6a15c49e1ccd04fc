//! Error answers as each SDK reads them, and request ids.
//!
//! - Log Service: `{"errorCode", "errorMessage"}` with a 4xx status and the
//!   `x-log-requestid` header; the SDK raises `LogException(errorCode,
//!   errorMessage, requestId)` (`wire-protocols.md` §1.5).
//! - POP (KMS, STS, RAM): `{"RequestId", "HostId", "Code", "Message",
//!   "Recommend"}` with a 4xx status; the old core SDK splits a
//!   `SignatureDoesNotMatch` message on `:`, so that message must carry one
//!   (§4.4, fact 9).
//!
//! A refusal is never answered with a 5xx (the SLS SDK retries those ten
//! times, its CLI forever): [`client_status`] maps any status outside
//! 400–499 to 400.

use serde::Serialize;

/// Log Service's error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlsError {
    /// The code (`SignatureNotMatch`, `LogStoreNotExist`, …).
    #[serde(rename = "errorCode")]
    pub error_code: String,
    /// The message.
    #[serde(rename = "errorMessage")]
    pub error_message: String,
}

/// POP's error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PopError {
    /// The request id, also sent as the `RequestId` of the answer.
    pub request_id: String,
    /// The endpoint that answered.
    pub host_id: String,
    /// The code (`SignatureDoesNotMatch`, `Forbidden.KeyNotFound`, …).
    pub code: String,
    /// The message.
    pub message: String,
    /// What to do about it.
    pub recommend: String,
}

/// A status a refusal may carry: 4xx as given, anything else 400.
pub fn client_status(status: u16) -> u16 {
    if (400..500).contains(&status) {
        status
    } else {
        400
    }
}

/// A new request id: 32 random hex digits grouped as a UUID, upper case,
/// as POP writes them (Log Service takes the same text).
pub fn request_id() -> String {
    let mut bytes = [0u8; 16];
    // Without the OS's randomness a fixed id is still a valid answer; ids
    // name requests in logs, they protect nothing.
    let _ = getrandom::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_keys_the_sdks_index() {
        let sls = SlsError {
            error_code: "Unauthorized".into(),
            error_message: "no".into(),
        };
        assert_eq!(
            serde_json::to_value(&sls).ok(),
            Some(serde_json::json!({"errorCode": "Unauthorized", "errorMessage": "no"}))
        );
        let pop = PopError {
            request_id: "R".into(),
            host_id: "127.0.0.1".into(),
            code: "SignatureDoesNotMatch".into(),
            message: "string to sign is:x".into(),
            recommend: String::new(),
        };
        let v = serde_json::to_value(&pop).unwrap_or_default();
        for key in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
            assert!(v.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn refusals_are_never_5xx() {
        assert_eq!(client_status(403), 403);
        assert_eq!(client_status(500), 400);
        assert_eq!(client_status(200), 400);
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_differ() {
        let (a, b) = (request_id(), request_id());
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, b);
    }
}

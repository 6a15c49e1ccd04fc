//! `encrypt_conf`: the wire format the SDKs send with CreateLogStore and
//! UpdateLogStore (sls-kms §1), and the rules for changing it (the seed
//! document: "you cannot change the encryption algorithm or encryption type.
//! You can configure only the enable parameter … You must add the complete
//! settings of the encrypt_conf parameter each time you call UpdateLogstore").

use serde::{Deserialize, Serialize};

// Values echoed in errors are escaped and cut (U6).
use crate::terminal::clip;
use serde_json::Value;

use super::error::LogError;

/// The exact message the live service gives for a missing or unknown
/// `encrypt_type` (sls-kms §1.5, asserted by the Java SDK's live test).
pub const INVALID_ENCRYPT_TYPE: &str =
    "The encrypt_conf is invalid, [encrypt_type] key is missing or not supported";

/// A Logstore's encryption settings, echoed back exactly as sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptConf {
    /// Whether new log groups are encrypted.
    pub enable: bool,
    /// `default` (AES-256-GCM) or `m4` (SM4-GCM).
    pub encrypt_type: String,
    /// The BYOK key: present means BYOK, absent means the service key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user_cmk_info: Option<UserCmkInfo>,
}

/// Where a BYOK key lives and the role Log Service uses to reach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCmkInfo {
    /// The CMK's id.
    pub cmk_key_id: String,
    /// The ARN of the RAM role trusted by `log.aliyuncs.com`.
    pub arn: String,
    /// The CMK's region.
    pub region_id: String,
}

/// The AEAD a Logstore's blocks are sealed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EncryptType {
    /// `default`: AES-256-GCM. Log Service says only "AES"; the mode and key
    /// size are ours (sls-kms §1.2, low confidence), chosen to match KMS's
    /// own `Aliyun_AES_256` + GCM.
    Aes256Gcm,
    /// `m4`: SM4-GCM (RFC 8998). `m4` is the token the SDKs' live tests
    /// send; the extended `sm4_*` / `aes_*` values and a bare `sm4` are
    /// refused, since nothing shows a server accepting them (sls-kms §1.2).
    Sm4Gcm,
}

impl EncryptConf {
    /// The algorithm `encrypt_type` names.
    pub fn encrypt_type(&self) -> Result<EncryptType, LogError> {
        match self.encrypt_type.as_str() {
            "default" => Ok(EncryptType::Aes256Gcm),
            "m4" => Ok(EncryptType::Sm4Gcm),
            _ => Err(LogError::LogStoreInfoInvalid(
                INVALID_ENCRYPT_TYPE.to_string(),
            )),
        }
    }

    /// Whether the Logstore uses a customer master key.
    pub fn is_byok(&self) -> bool {
        self.user_cmk_info.is_some()
    }

    /// Reads `encrypt_conf` from its JSON value, strictly: each missing,
    /// mistyped or unknown member is named in the error.
    pub fn from_value(v: &Value) -> Result<EncryptConf, LogError> {
        let invalid = |what: &str| {
            LogError::LogStoreInfoInvalid(format!("The encrypt_conf is invalid, {what}"))
        };
        let Value::Object(map) = v else {
            return Err(invalid("it must be a JSON object"));
        };
        if let Some(k) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "enable" | "encrypt_type" | "user_cmk_info"))
        {
            return Err(invalid(&format!("[{}] is not a known key", clip(k))));
        }
        let enable = match map.get("enable") {
            Some(Value::Bool(b)) => *b,
            _ => return Err(invalid("[enable] key is missing or not a boolean")),
        };
        let encrypt_type = match map.get("encrypt_type") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(LogError::LogStoreInfoInvalid(
                    INVALID_ENCRYPT_TYPE.to_string(),
                ));
            }
        };
        let user_cmk_info = match map.get("user_cmk_info") {
            None | Some(Value::Null) => None,
            Some(Value::Object(info)) => {
                if let Some(k) = info
                    .keys()
                    .find(|k| !matches!(k.as_str(), "cmk_key_id" | "arn" | "region_id"))
                {
                    return Err(invalid(&format!(
                        "[user_cmk_info.{}] is not a known key",
                        clip(k)
                    )));
                }
                let field = |name: &str| match info.get(name) {
                    Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                    _ => Err(invalid(&format!(
                        "[user_cmk_info.{name}] key is missing or empty"
                    ))),
                };
                Some(UserCmkInfo {
                    cmk_key_id: field("cmk_key_id")?,
                    arn: field("arn")?,
                    region_id: field("region_id")?,
                })
            }
            Some(_) => return Err(invalid("[user_cmk_info] must be a JSON object")),
        };
        let conf = EncryptConf {
            enable,
            encrypt_type,
            user_cmk_info,
        };
        conf.encrypt_type()?;
        Ok(conf)
    }

    /// Reads `encrypt_conf` from JSON text.
    pub fn from_json(src: &str) -> Result<EncryptConf, LogError> {
        // Strict: a member given twice is refused, not "the last one wins" (U5).
        let v: Value = super::strict_json::parse(src).map_err(|e| {
            LogError::LogStoreInfoInvalid(format!(
                "The encrypt_conf is invalid, not JSON at {}:{}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        EncryptConf::from_value(&v)
    }

    /// Checks an update against the configuration in force: only `enable`
    /// may change; `encrypt_type`, the service-key/BYOK choice and every
    /// field of `user_cmk_info` are fixed once configured.
    pub fn check_update(current: &EncryptConf, update: &EncryptConf) -> Result<(), LogError> {
        let invalid = |what: String| {
            LogError::LogStoreInfoInvalid(format!("The encrypt_conf is invalid, {what}"))
        };
        if current.encrypt_type != update.encrypt_type {
            return Err(invalid(format!(
                "[encrypt_type] cannot be changed from `{}` to `{}` once encryption is configured; only [enable] can be updated",
                clip(&current.encrypt_type),
                clip(&update.encrypt_type)
            )));
        }
        match (&current.user_cmk_info, &update.user_cmk_info) {
            (None, Some(_)) => Err(invalid(
                "[user_cmk_info] cannot be added: the Logstore uses the service key, and the key mechanism cannot be switched to BYOK".to_string(),
            )),
            (Some(_), None) => Err(invalid(
                "[user_cmk_info] is missing: the Logstore uses a BYOK key, and every update must carry the complete encrypt_conf".to_string(),
            )),
            (Some(a), Some(b)) => {
                for (name, x, y) in [
                    ("cmk_key_id", &a.cmk_key_id, &b.cmk_key_id),
                    ("arn", &a.arn, &b.arn),
                    ("region_id", &a.region_id, &b.region_id),
                ] {
                    if x != y {
                        return Err(invalid(format!(
                            "[user_cmk_info.{name}] cannot be changed from `{}` to `{}`",
                            clip(x),
                            clip(y)
                        )));
                    }
                }
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(v: Value) -> String {
        match EncryptConf::from_value(&v) {
            Ok(c) => format!("ok {c:?}"),
            Err(e) => format!("{} {}: {e}", e.http_status(), e.code()),
        }
    }

    #[test]
    fn u5_a_member_given_twice_is_refused_by_name() {
        let e =
            EncryptConf::from_json(r#"{"enable": true, "encrypt_type": "m4", "enable": false}"#)
                .map(|_| ())
                .unwrap_err();
        assert_eq!(e.code(), "LogStoreInfoInvalid");
        assert!(e.to_string().contains("duplicate member `enable`"), "{e}");
    }

    #[test]
    fn the_sdk_shapes_parse_and_echo_back_as_sent() {
        let wire = json!({"enable": true, "encrypt_type": "m4", "user_cmk_info": {"cmk_key_id": "k", "arn": "acs:ram::1:role/r", "region_id": "cn-hangzhou"}});
        let conf = EncryptConf::from_value(&wire).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(conf.encrypt_type().ok(), Some(EncryptType::Sm4Gcm));
        assert!(conf.is_byok());
        assert_eq!(serde_json::to_value(&conf).ok(), Some(wire));
        let service = json!({"enable": false, "encrypt_type": "default"});
        let conf = EncryptConf::from_value(&service).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(serde_json::to_value(&conf).ok(), Some(service));
    }

    #[test]
    fn an_unknown_or_missing_encrypt_type_is_the_live_error() {
        let expected = "400 LogStoreInfoInvalid: The encrypt_conf is invalid, [encrypt_type] key is missing or not supported";
        for bad in ["typex", "sm4", "aes_gcm", "DEFAULT", ""] {
            assert_eq!(
                msg(json!({"enable": true, "encrypt_type": bad})),
                expected,
                "{bad}"
            );
        }
        assert_eq!(msg(json!({"enable": true})), expected);
        assert_eq!(msg(json!({"enable": true, "encrypt_type": 1})), expected);
    }

    #[test]
    fn other_mistakes_name_the_member() {
        assert_eq!(
            msg(json!({"encrypt_type": "default"})),
            "400 LogStoreInfoInvalid: The encrypt_conf is invalid, [enable] key is missing or not a boolean"
        );
        assert_eq!(
            msg(
                json!({"enable": true, "encrypt_type": "default", "user_cmk_info": {"cmk_key_id": "k", "arn": "a"}})
            ),
            "400 LogStoreInfoInvalid: The encrypt_conf is invalid, [user_cmk_info.region_id] key is missing or empty"
        );
        assert_eq!(
            msg(json!({"enable": true, "encrypt_type": "default", "extra": 1})),
            "400 LogStoreInfoInvalid: The encrypt_conf is invalid, [extra] is not a known key"
        );
    }

    #[test]
    fn only_enable_may_change() {
        let byok = |enable: bool, key: &str| EncryptConf {
            enable,
            encrypt_type: "m4".into(),
            user_cmk_info: Some(UserCmkInfo {
                cmk_key_id: key.into(),
                arn: "acs:ram::1:role/r".into(),
                region_id: "cn-hangzhou".into(),
            }),
        };
        assert_eq!(
            EncryptConf::check_update(&byok(true, "k1"), &byok(false, "k1")).ok(),
            Some(())
        );
        let e = EncryptConf::check_update(&byok(true, "k1"), &byok(true, "k2"))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "The encrypt_conf is invalid, [user_cmk_info.cmk_key_id] cannot be changed from `k1` to `k2`"
            )
        );
        let mut aes = byok(true, "k1");
        aes.encrypt_type = "default".into();
        assert!(EncryptConf::check_update(&byok(true, "k1"), &aes).is_err());
        let service = EncryptConf {
            enable: true,
            encrypt_type: "m4".into(),
            user_cmk_info: None,
        };
        assert!(
            EncryptConf::check_update(&service, &byok(true, "k1")).is_err(),
            "service key to BYOK"
        );
        assert!(
            EncryptConf::check_update(&byok(true, "k1"), &service).is_err(),
            "partial: user_cmk_info missing"
        );
    }
}

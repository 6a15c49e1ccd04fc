//! The KMS API names, their RAM actions and the resources they act on.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::id::KeyId;

/// An API of the local KMS (Alibaba KMS 2016-01-20 names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Api {
    /// Makes a CMK.
    CreateKey,
    /// Lists the CMKs of the account in the region.
    ListKeys,
    /// A CMK's metadata.
    DescribeKey,
    /// Enables a CMK.
    EnableKey,
    /// Disables a CMK.
    DisableKey,
    /// Starts a CMK's deletion window.
    ScheduleKeyDeletion,
    /// Ends a CMK's deletion window, back to `Enabled`.
    CancelKeyDeletion,
    /// A fresh data key, in plaintext and wrapped by a CMK.
    GenerateDataKey,
    /// Encrypts up to 6 KiB under a CMK.
    Encrypt,
    /// Decrypts a ciphertext blob.
    Decrypt,
}

impl Api {
    /// Every API.
    pub const ALL: [Api; 10] = [
        Api::CreateKey,
        Api::ListKeys,
        Api::DescribeKey,
        Api::EnableKey,
        Api::DisableKey,
        Api::ScheduleKeyDeletion,
        Api::CancelKeyDeletion,
        Api::GenerateDataKey,
        Api::Encrypt,
        Api::Decrypt,
    ];

    /// The API name (`GenerateDataKey`).
    pub fn name(self) -> &'static str {
        match self {
            Api::CreateKey => "CreateKey",
            Api::ListKeys => "ListKeys",
            Api::DescribeKey => "DescribeKey",
            Api::EnableKey => "EnableKey",
            Api::DisableKey => "DisableKey",
            Api::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Api::CancelKeyDeletion => "CancelKeyDeletion",
            Api::GenerateDataKey => "GenerateDataKey",
            Api::Encrypt => "Encrypt",
            Api::Decrypt => "Decrypt",
        }
    }

    /// The RAM action that authorizes a call (`kms:GenerateDataKey`): KMS
    /// actions are `kms:<ApiName>` (spec `sls-kms.md` §1.4).
    pub fn action(self) -> &'static str {
        match self {
            Api::CreateKey => "kms:CreateKey",
            Api::ListKeys => "kms:ListKeys",
            Api::DescribeKey => "kms:DescribeKey",
            Api::EnableKey => "kms:EnableKey",
            Api::DisableKey => "kms:DisableKey",
            Api::ScheduleKeyDeletion => "kms:ScheduleKeyDeletion",
            Api::CancelKeyDeletion => "kms:CancelKeyDeletion",
            Api::GenerateDataKey => "kms:GenerateDataKey",
            Api::Encrypt => "kms:Encrypt",
            Api::Decrypt => "kms:Decrypt",
        }
    }

    /// Whether the call acts on one key (and is authorized on its ARN);
    /// `CreateKey` and `ListKeys` act on the key container instead.
    pub fn targets_key(self) -> bool {
        !matches!(self, Api::CreateKey | Api::ListKeys)
    }

    /// The resource ARN a call is authorized on: the key's ARN for calls
    /// that target a key, else the key container's ARN. A key API given no
    /// key also gets the container.
    pub fn resource_arn(self, region: &str, account: &str, key: Option<&KeyId>) -> String {
        match key {
            Some(id) if self.targets_key() => key_arn(region, account, id),
            _ => key_container_arn(region, account),
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `acs:kms:<region>:<account>:key/<id>`.
pub fn key_arn(region: &str, account: &str, id: &KeyId) -> String {
    format!("acs:kms:{region}:{account}:key/{id}")
}

/// `acs:kms:<region>:<account>:key`: what `kms:CreateKey` and
/// `kms:ListKeys` are authorized on.
pub fn key_container_arn(region: &str, account: &str) -> String {
    format!("acs:kms:{region}:{account}:key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_kms_colon_api_name() {
        for api in Api::ALL {
            assert_eq!(api.action(), format!("kms:{}", api.name()));
        }
    }

    #[test]
    fn resources_are_the_key_or_its_container() {
        let id = KeyId::parse("86a9efd9-3d16-4894-bd4f-1fc43f3f2abf").unwrap();
        let (r, a) = ("cn-hangzhou", "1234567890123456");
        assert_eq!(
            Api::Decrypt.resource_arn(r, a, Some(&id)),
            "acs:kms:cn-hangzhou:1234567890123456:key/86a9efd9-3d16-4894-bd4f-1fc43f3f2abf"
        );
        assert_eq!(
            Api::ListKeys.resource_arn(r, a, Some(&id)),
            "acs:kms:cn-hangzhou:1234567890123456:key"
        );
        assert_eq!(
            Api::CreateKey.resource_arn(r, a, None),
            "acs:kms:cn-hangzhou:1234567890123456:key"
        );
    }
}

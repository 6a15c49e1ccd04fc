//! System policies: created and updated by Alibaba Cloud, attached by
//! accounts, never edited by them. The texts are data files
//! (`src/ram/system/*.json`) compiled into the crate; versions and sources
//! are listed in `src/ram/system/README.md`.

use std::sync::LazyLock;

use crate::policy::PolicyKind;

use super::document::PolicyDocument;

/// A system policy shipped with ramgate.
#[derive(Clone, Debug)]
pub struct SystemPolicy {
    /// The policy name, as RAM spells it.
    pub name: &'static str,
    /// The version shipped (`v3`), or `unknown` when the source does not say.
    pub version: &'static str,
    /// Where the text was taken from.
    pub source: &'static str,
    /// The document.
    pub document: PolicyDocument,
}

/// `(name, version, source, text)`; see `system/README.md` for notes.
const TABLE: &[(&str, &str, &str, &str)] = &[
    (
        "AliyunKMSReadOnlyAccess",
        "v3",
        "https://alibabacloud.com/help/en/ram/developer-reference/aliyunkmsreadonlyaccess",
        include_str!("system/AliyunKMSReadOnlyAccess.json"),
    ),
    (
        // v1, not the v2 seen only on translated pages (see the README).
        "AliyunKMSCryptoUserAccess",
        "v1",
        "https://alibabacloud.com/help/en/ram/developer-reference/aliyunkmscryptouseraccess",
        include_str!("system/AliyunKMSCryptoUserAccess.json"),
    ),
    (
        "AliyunSTSAssumeRoleAccess",
        "unknown",
        "https://alibabacloud.com/help/en/ram/developer-reference/aliyunstsassumeroleaccess",
        include_str!("system/AliyunSTSAssumeRoleAccess.json"),
    ),
    (
        "AliyunLogFullAccess",
        "v4",
        "https://alibabacloud.com/help/en/ram/developer-reference/aliyunlogfullaccess",
        include_str!("system/AliyunLogFullAccess.json"),
    ),
    (
        "AliyunLogReadOnlyAccess",
        "unknown",
        "https://www.alibabacloud.com/help/en/sls/developer-reference/overview-5",
        include_str!("system/AliyunLogReadOnlyAccess.json"),
    ),
    (
        "AdministratorAccess",
        "unknown",
        "https://www.alibabacloud.com/help/doc-detail/28652.htm",
        include_str!("system/AdministratorAccess.json"),
    ),
];

/// Parsed once. A file that does not parse is left out rather than
/// panicking; the unit test below fails the build's tests if that happens.
static POLICIES: LazyLock<Vec<SystemPolicy>> = LazyLock::new(|| {
    TABLE
        .iter()
        .filter_map(|&(name, version, source, text)| {
            let what = format!("system policy `{name}`");
            let document = PolicyDocument::parse(text, PolicyKind::Identity, &what, None).ok()?;
            Some(SystemPolicy {
                name,
                version,
                source,
                document,
            })
        })
        .collect()
});

/// The system policy of that name. Names compare exactly, as RAM spells them.
pub fn system_policy(name: &str) -> Option<&'static SystemPolicy> {
    POLICIES.iter().find(|p| p.name == name)
}

/// Every system policy shipped.
pub fn system_policies() -> &'static [SystemPolicy] {
    &POLICIES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{Authorizer, Decision, PolicySet, Request};

    #[test]
    fn every_system_policy_parses_as_an_identity_policy() {
        for &(name, _, _, text) in TABLE {
            if let Err(e) = PolicyDocument::parse(text, PolicyKind::Identity, name, None) {
                panic!("{e}");
            }
        }
        assert_eq!(system_policies().len(), TABLE.len());
        for name in [
            "AliyunKMSReadOnlyAccess",
            "AliyunKMSCryptoUserAccess",
            "AliyunSTSAssumeRoleAccess",
            "AliyunLogFullAccess",
            "AliyunLogReadOnlyAccess",
            "AdministratorAccess",
        ] {
            assert!(system_policy(name).is_some(), "{name} is missing");
        }
        assert!(system_policy("aliyunkmsreadonlyaccess").is_none());
    }

    fn allows(policy: &str, action: &str) -> bool {
        let p = system_policy(policy).map(|p| p.document.policy().clone());
        let mut set = PolicySet::empty();
        if let Some(p) = p {
            set.add(policy, p);
        }
        let key = "acs:kms:cn-hangzhou:1234567890123456:key/key-1";
        Authorizer::new()
            .evaluate(&set, &Request::new(action, key))
            .decision
            == Decision::Allow
    }

    #[test]
    fn the_kms_policies_split_reading_from_cryptography() {
        // spec §10.1 / §10.2: neither grants both; Log Service needs the two.
        assert!(allows("AliyunKMSReadOnlyAccess", "kms:DescribeKey"));
        assert!(!allows("AliyunKMSReadOnlyAccess", "kms:Decrypt"));
        assert!(!allows("AliyunKMSReadOnlyAccess", "kms:GetSecretValue"));
        assert!(allows("AliyunKMSCryptoUserAccess", "kms:GenerateDataKey"));
        assert!(!allows("AliyunKMSCryptoUserAccess", "kms:DescribeKey"));
        // v1 is shipped: GenerateMac came with the unconfirmed v2.
        assert!(!allows("AliyunKMSCryptoUserAccess", "kms:GenerateMac"));
        assert!(!allows("AliyunKMSCryptoUserAccess", "kms:DisableKey"));
        assert!(allows("AdministratorAccess", "kms:DisableKey"));
        assert!(allows("AliyunLogReadOnlyAccess", "log:GetLogStoreLogs"));
        assert!(!allows("AliyunLogReadOnlyAccess", "log:PostLogStoreLogs"));
        assert!(allows("AliyunLogFullAccess", "log:PostLogStoreLogs"));
        assert!(allows("AliyunSTSAssumeRoleAccess", "sts:AssumeRole"));
    }
}

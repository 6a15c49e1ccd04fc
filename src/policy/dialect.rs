//! Resource-policy dialects: the policies services store on their own
//! resources, each with its `Principal` forms, ARN formats and condition
//! keys.
//!
//! RAM's language is shared, but each service that stores a resource policy
//! reads its own variant of it (spec §3.2–§3.3):
//!
//! | dialect | `Principal` | `Resource` |
//! |---|---|---|
//! | KMS key / secret | `{"RAM": ["acs:ram::<uid>:*"]}` | `*` (this key or secret) |
//! | OSS bucket | `["<uid>"]`, `["*"]` | `acs:oss:*:<uid>:<bucket>[/<object>]` |
//! | OSS access point | `["<uid>"]`, `["*"]` | `acs:oss:<region>:<uid>:accesspoint/<name>[/object/<key>]` |
//! | VPC endpoint | `"*"`, `["*"]`, `{"RAM": [...]}` | `*` or the services' ARNs |
//! | MaxCompute project | `["ALIYUN$<user>"]`, `["RAM$<user>"]`, `["*"]` | `acs:odps:*:projects/<project>/...` (four fields) |
//!
//! `--kind resource` without a dialect is [`Dialect::Generic`] unless the
//! resources say which ([`Dialect::recognise`]): it reads every documented
//! `Principal` form and runs no dialect-specific check, because a document
//! whose only resource is `"*"` could be any of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::arn::Arn;
use super::ast::{Policy, PrincipalKind};
use super::kind::PolicyKind;

/// A resource-policy dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// Any resource policy: every documented form is read, nothing is
    /// checked against one service's rules.
    Generic,
    /// A KMS key policy (SetKeyPolicy).
    KmsKey,
    /// A KMS secret policy (SetSecretPolicy).
    KmsSecret,
    /// An OSS bucket policy (PutBucketPolicy).
    OssBucket,
    /// An OSS access-point policy (PutAccessPointPolicy), including access
    /// points for Object FC.
    OssAccessPoint,
    /// A VPC or PrivateLink endpoint policy.
    VpcEndpoint,
    /// A MaxCompute project policy.
    MaxComputeProject,
}

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 7] = [
        Dialect::Generic,
        Dialect::KmsKey,
        Dialect::KmsSecret,
        Dialect::OssBucket,
        Dialect::OssAccessPoint,
        Dialect::VpcEndpoint,
        Dialect::MaxComputeProject,
    ];

    /// The `--kind` name (`oss-bucket`); the generic dialect is `resource`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Generic => "resource",
            Dialect::KmsKey => "kms-key",
            Dialect::KmsSecret => "kms-secret",
            Dialect::OssBucket => "oss-bucket",
            Dialect::OssAccessPoint => "oss-access-point",
            Dialect::VpcEndpoint => "vpc-endpoint",
            Dialect::MaxComputeProject => "maxcompute-project",
        }
    }

    /// What users call the policy, for messages (`an OSS bucket policy`).
    pub fn title(self) -> &'static str {
        match self {
            Dialect::Generic => "a resource policy",
            Dialect::KmsKey => "a KMS key policy",
            Dialect::KmsSecret => "a KMS secret policy",
            Dialect::OssBucket => "an OSS bucket policy",
            Dialect::OssAccessPoint => "an OSS access-point policy",
            Dialect::VpcEndpoint => "a VPC endpoint policy",
            Dialect::MaxComputeProject => "a MaxCompute project policy",
        }
    }

    /// The `Principal` forms the dialect's service stores.
    pub fn principal_kinds(self) -> &'static [PrincipalKind] {
        use PrincipalKind::*;
        match self {
            Dialect::Generic => &[Ram, Service, Federated, Plain],
            // KMS documents only `RAM` principals (spec §3.2); `Service`
            // appears in service-linked key policies.
            Dialect::KmsKey | Dialect::KmsSecret => &[Ram, Service],
            Dialect::OssBucket | Dialect::OssAccessPoint | Dialect::MaxComputeProject => &[Plain],
            Dialect::VpcEndpoint => &[Plain, Ram],
        }
    }

    /// Whether `form` is one of the dialect's `Principal` forms.
    pub fn accepts_principal(self, form: PrincipalKind) -> bool {
        self.principal_kinds().contains(&form)
    }

    /// The documented shape of the dialect's `Principal`, for help lines.
    pub fn principal_example(self) -> &'static str {
        match self {
            Dialect::Generic => {
                "`{\"RAM\": [\"acs:ram::<account-id>:*\"]}`, `[\"<account-id>\"]` or `\"*\"`"
            }
            Dialect::KmsKey | Dialect::KmsSecret => "`{\"RAM\": [\"acs:ram::<account-id>:*\"]}`",
            Dialect::OssBucket | Dialect::OssAccessPoint => {
                "`[\"<account-or-user-uid>\"]` or `[\"*\"]`"
            }
            Dialect::VpcEndpoint => "`\"*\"` or `{\"RAM\": [\"acs:ram::<account-id>:root\"]}`",
            Dialect::MaxComputeProject => {
                "`[\"ALIYUN$<account>\"]` or `[\"RAM$<account>:<user>\"]`"
            }
        }
    }

    /// The resource ARN templates of the dialect (`{Placeholder}`s stand for
    /// names); empty when `Resource` is `*` or any ARN of the services behind
    /// the endpoint.
    pub fn arn_formats(self) -> &'static [&'static str] {
        match self {
            Dialect::Generic | Dialect::VpcEndpoint => &[],
            Dialect::KmsKey | Dialect::KmsSecret => &["*"],
            Dialect::OssBucket => &[
                "acs:oss:*:{AccountId}:{BucketName}",
                "acs:oss:*:{AccountId}:{BucketName}/{ObjectPath}",
            ],
            Dialect::OssAccessPoint => &[
                "acs:oss:{RegionId}:{AccountId}:accesspoint/{AccessPointName}",
                "acs:oss:{RegionId}:{AccountId}:accesspoint/{AccessPointName}/object/{ObjectPath}",
                "acs:oss:{RegionId}:{AccountId}:accesspointforobjectprocess/{AccessPointName}",
                "acs:oss:{RegionId}:{AccountId}:accesspointforobjectprocess/{AccessPointName}/object/{ObjectPath}",
            ],
            Dialect::MaxComputeProject => &["acs:odps:*:projects/{ProjectName}/{ObjectPath}"],
        }
    }

    /// Condition keys the dialect's service evaluates beyond the global
    /// `acs:` keys (OSS bucket-policy docs, S27; KMS, S12).
    pub fn condition_keys(self) -> &'static [&'static str] {
        match self {
            Dialect::Generic | Dialect::VpcEndpoint => &[],
            Dialect::KmsKey | Dialect::KmsSecret => &["kms:tag/{TagKey}"],
            Dialect::OssBucket | Dialect::OssAccessPoint => &[
                "oss:Prefix",
                "oss:Delimiter",
                "oss:x-oss-acl",
                "oss:x-oss-object-acl",
                "oss:x-oss-storage-class",
                "oss:ExistingObjectTag/{TagKey}",
                "oss:RequestObjectTag/{TagKey}",
                "oss:AccessPointName",
                "oss:DataAccessPointName",
            ],
            Dialect::MaxComputeProject => &["odps:TaskType"],
        }
    }

    /// Whether `key` is one of [`Dialect::condition_keys`]: compared without
    /// case (spec §5.2), a trailing `{TagKey}` standing for any suffix.
    pub fn has_condition_key(self, key: &str) -> bool {
        self.condition_keys()
            .iter()
            .any(|k| match k.split_once('{') {
                Some((prefix, _)) => {
                    key.len() > prefix.len()
                        && key
                            .get(..prefix.len())
                            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
                }
                None => k.eq_ignore_ascii_case(key),
            })
    }

    /// Recognises the dialect from the resources of a `--kind resource`
    /// document: all `acs:oss` access-point ARNs, all other `acs:oss` ARNs,
    /// all `acs:odps` ARNs, all KMS key or all KMS secret ARNs. Anything
    /// else, `"*"` included, is [`Dialect::Generic`].
    pub fn recognise<'r>(resources: impl IntoIterator<Item = &'r str>) -> Dialect {
        let mut found: Option<Dialect> = None;
        for r in resources {
            let this = match Arn::parse(r).map(|a| (a.service, a.resource)) {
                Some(("oss", rest))
                    if rest.starts_with("accesspoint/")
                        || rest.starts_with("accesspointforobjectprocess/") =>
                {
                    Dialect::OssAccessPoint
                }
                Some(("oss", _)) => Dialect::OssBucket,
                Some(("kms", rest)) if rest.starts_with("key/") => Dialect::KmsKey,
                Some(("kms", rest)) if rest.starts_with("secret/") => Dialect::KmsSecret,
                // MaxCompute ARNs have four fields: the account is not one.
                _ if r.starts_with("acs:odps:") => Dialect::MaxComputeProject,
                _ => return Dialect::Generic,
            };
            match found {
                Some(d) if d != this => return Dialect::Generic,
                _ => found = Some(this),
            }
        }
        found.unwrap_or(Dialect::Generic)
    }

    /// The dialect of a parsed resource policy, recognised from all its
    /// statements' resources.
    pub fn of_policy(policy: &Policy) -> Dialect {
        Dialect::recognise(
            policy
                .statements
                .iter()
                .filter_map(|s| s.resource.as_ref())
                .flat_map(|r| r.strs()),
        )
    }

    /// Checks a parsed resource policy against the dialect's `Principal`
    /// forms: the one rule that makes the service refuse a document the
    /// generic reading accepts.
    pub fn check(self, policy: &Policy) -> Result<(), DialectError> {
        for (i, s) in policy.statements.iter().enumerate() {
            for e in s.principal.iter().flat_map(|p| p.entries.iter()) {
                if !self.accepts_principal(e.kind.node) {
                    return Err(DialectError::Principal {
                        dialect: self,
                        form: e.kind.node,
                        statement: i,
                    });
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource policy that the dialect's service does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialectError {
    /// A `Principal` form the service does not store.
    #[error("`Statement[{statement}].Principal`: {} takes no `{}` principal", dialect.title(), form_name(*form))]
    Principal {
        /// The dialect.
        dialect: Dialect,
        /// The form found.
        form: PrincipalKind,
        /// The statement's index.
        statement: usize,
    },
}

fn form_name(form: PrincipalKind) -> &'static str {
    match form {
        PrincipalKind::Plain => "plain list",
        other => other.as_str(),
    }
}

/// What `--kind` names: a policy kind, and for resource policies the
/// dialect when one is given (`oss-bucket`), or `None` to recognise it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KindSpec {
    /// The policy kind.
    pub kind: PolicyKind,
    /// The resource-policy dialect, when named.
    pub dialect: Option<Dialect>,
}

impl KindSpec {
    /// Every `--kind` name, for help texts.
    pub const NAMES: [&'static str; 10] = [
        "identity",
        "trust",
        "session",
        "resource",
        "kms-key",
        "kms-secret",
        "oss-bucket",
        "oss-access-point",
        "vpc-endpoint",
        "maxcompute-project",
    ];

    /// The dialect to check a resource policy with: the named one, else
    /// the one its resources show.
    pub fn dialect_of(&self, policy: &Policy) -> Option<Dialect> {
        (self.kind == PolicyKind::Resource)
            .then(|| self.dialect.unwrap_or_else(|| Dialect::of_policy(policy)))
    }
}

impl From<PolicyKind> for KindSpec {
    fn from(kind: PolicyKind) -> KindSpec {
        KindSpec {
            kind,
            dialect: None,
        }
    }
}

/// A `--kind` name that is neither a policy kind nor a dialect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown policy kind `{0}`, expected one of `identity`, `trust`, `session`, `resource`, `kms-key`, `kms-secret`, `oss-bucket`, `oss-access-point`, `vpc-endpoint`, `maxcompute-project`"
)]
pub struct UnknownKindName(pub String);

impl FromStr for KindSpec {
    type Err = UnknownKindName;
    fn from_str(s: &str) -> Result<KindSpec, UnknownKindName> {
        if let Ok(kind) = s.parse::<PolicyKind>() {
            return Ok(kind.into());
        }
        Dialect::ALL
            .into_iter()
            .find(|d| *d != Dialect::Generic && d.as_str() == s)
            .map(|d| KindSpec {
                kind: PolicyKind::Resource,
                dialect: Some(d),
            })
            .ok_or_else(|| UnknownKindName(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_are_recognised_from_resources_and_star_is_generic() {
        let d = |rs: &[&str]| Dialect::recognise(rs.iter().copied());
        assert_eq!(
            d(&[
                "acs:oss:*:1234567890123456:b",
                "acs:oss:*:1234567890123456:b/*"
            ]),
            Dialect::OssBucket
        );
        assert_eq!(
            d(&["acs:oss:cn-hangzhou:1:accesspoint/ap/object/*"]),
            Dialect::OssAccessPoint
        );
        assert_eq!(
            d(&["acs:odps:*:projects/p/tables/*"]),
            Dialect::MaxComputeProject
        );
        assert_eq!(d(&["acs:kms:cn-hangzhou:1:key/k"]), Dialect::KmsKey);
        assert_eq!(d(&["acs:kms:cn-hangzhou:1:secret/s"]), Dialect::KmsSecret);
        assert_eq!(d(&["*"]), Dialect::Generic);
        assert_eq!(d(&[]), Dialect::Generic);
        assert_eq!(
            d(&["acs:oss:*:1:b", "acs:odps:*:projects/p"]),
            Dialect::Generic
        );
    }

    #[test]
    fn dialect_condition_keys_match_without_case_and_by_tag_family() {
        assert!(Dialect::OssBucket.has_condition_key("oss:X-Oss-Acl"));
        assert!(Dialect::OssBucket.has_condition_key("oss:ExistingObjectTag/team"));
        assert!(!Dialect::OssBucket.has_condition_key("oss:ExistingObjectTag/"));
        assert!(!Dialect::Generic.has_condition_key("oss:Prefix"));
    }

    #[test]
    fn kind_names_parse_to_a_kind_and_a_dialect() {
        for name in KindSpec::NAMES {
            let spec: KindSpec = name.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                spec.dialect.map_or(spec.kind.as_str(), Dialect::as_str),
                name
            );
        }
        assert!("oss".parse::<KindSpec>().is_err());
        assert_eq!("resource".parse::<KindSpec>().map(|k| k.dialect), Ok(None));
    }

    #[test]
    fn each_dialect_reads_its_principal_forms() {
        let src = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject",
            "Principal": ["1234567890123456"], "Resource": "acs:oss:*:1234567890123456:b/*"}]}"#;
        let p =
            Policy::from_json(src, Some(PolicyKind::Resource)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Dialect::of_policy(&p), Dialect::OssBucket);
        assert_eq!(Dialect::OssBucket.check(&p), Ok(()));
        assert_eq!(Dialect::Generic.check(&p), Ok(()));
        let e = Dialect::KmsKey.check(&p).map_err(|e| e.to_string());
        assert_eq!(
            e,
            Err(
                "`Statement[0].Principal`: a KMS key policy takes no `plain list` principal".into()
            )
        );
        // The plain form prints back as written, in both syntaxes.
        let again = Policy::from_json(&p.to_json(), Some(PolicyKind::Resource))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, p);
        let dsl = p.to_dsl();
        assert!(dsl.contains("principal plain 1234567890123456"), "{dsl}");
        let back =
            Policy::from_dsl(&dsl, Some(PolicyKind::Resource)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, p);
        // Trust policies keep the object form only.
        assert!(Policy::from_json(src, Some(PolicyKind::Trust)).is_err());
    }
}

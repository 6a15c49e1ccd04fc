//! The directory file: the serde form of a [`Directory`].
//!
//! ```json
//! {"accounts": [{
//!   "uid": "1234567890123456",
//!   "users":  [{"name": "alice", "policies": ["policy/PassLogRole"]}],
//!   "groups": [{"name": "ops", "members": ["alice"], "policies": ["system/AliyunLogReadOnlyAccess"]}],
//!   "roles":  [{"name": "sls-byok", "trust_policy": "trust.json", "max_session_duration": 3600,
//!               "policies": ["system/AliyunKMSReadOnlyAccess", "system/AliyunKMSCryptoUserAccess"]}],
//!   "policies": [{"name": "PassLogRole", "default_version": "v1",
//!                 "versions": [{"id": "v1", "document": {"Version": "1", "Statement": [...]}}]}]
//! }]}
//! ```
//!
//! A policy document is given in one of three ways: inline as a JSON object
//! (the policy itself), as `{"text": "..."}` (the source text, JSON or DSL),
//! or as a string naming a file relative to the directory file (JSON or DSL,
//! recognised by content). File names need a base directory, so they are
//! read by [`Directory::load`] and [`Directory::from_json`] with a base, and
//! refused by plain serde deserialization. Serialization writes JSON
//! documents inline exactly as written and DSL documents as `{"text": …}`.
//! A policy may give `document` instead of `versions`: its one version, `v1`.

use std::path::Path;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::policy::PolicyKind;

use super::directory::{Directory, MIN_MAX_SESSION_DURATION, PolicyRef, trust_what, version_what};
use super::document::PolicyDocument;
use super::error::{RamError, Target};

/// The layout version of a directory file. The field is optional (absent
/// means this version), so hand-written files keep working; ramgate writes
/// it into a data directory's `ram.json`.
pub const DIRECTORY_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<u32>,
    #[serde(default)]
    accounts: Vec<AccountFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    uid: String,
    #[serde(default)]
    users: Vec<UserFile>,
    #[serde(default)]
    groups: Vec<GroupFile>,
    #[serde(default)]
    roles: Vec<RoleFile>,
    #[serde(default)]
    policies: Vec<PolicyFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    name: String,
    #[serde(default)]
    policies: Vec<PolicyRef>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    name: String,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    policies: Vec<PolicyRef>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    name: String,
    trust_policy: Source,
    #[serde(default = "default_max_session_duration")]
    max_session_duration: u64,
    #[serde(default)]
    policies: Vec<PolicyRef>,
}

fn default_max_session_duration() -> u64 {
    MIN_MAX_SESSION_DURATION
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    versions: Vec<VersionFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document: Option<Source>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionFile {
    id: String,
    document: Source,
}

/// Where a document's text is.
enum Source {
    /// An inline JSON policy, as written.
    Inline(String),
    /// `{"text": "..."}`: source text, JSON or DSL.
    Text(String),
    /// A file relative to the directory file.
    File(String),
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Text {
            text: String,
        }
        let raw = Box::<RawValue>::deserialize(d)?;
        let json = raw.get();
        if json.starts_with('"') {
            return serde_json::from_str(json)
                .map(Source::File)
                .map_err(D::Error::custom);
        }
        if !json.starts_with('{') {
            return Err(D::Error::custom(
                "a policy document is a JSON object, a file name, or {\"text\": \"…\"}",
            ));
        }
        // An object with only `text` is source text; any other object is
        // the policy itself (a policy has `Version` and `Statement`).
        Ok(match serde_json::from_str::<Text>(json) {
            Ok(t) => Source::Text(t.text),
            Err(_) => Source::Inline(json.to_string()),
        })
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Text<'a> {
            text: &'a str,
        }
        match self {
            Source::Inline(json) => match RawValue::from_string(json.clone()) {
                Ok(raw) => raw.serialize(s),
                Err(_) => Text { text: json }.serialize(s),
            },
            Source::Text(text) => Text { text }.serialize(s),
            Source::File(path) => s.serialize_str(path),
        }
    }
}

impl Source {
    fn of(doc: &PolicyDocument) -> Source {
        if doc.is_json() {
            Source::Inline(doc.source().to_string())
        } else {
            Source::Text(doc.source().to_string())
        }
    }

    /// Reads the document, resolving a file name against `base`.
    fn read(
        &self,
        kind: PolicyKind,
        what: &str,
        base: Option<&Path>,
    ) -> Result<PolicyDocument, RamError> {
        match self {
            Source::Inline(text) | Source::Text(text) => {
                PolicyDocument::parse(text, kind, what, None)
            }
            Source::File(name) => {
                let Some(base) = base else {
                    return Err(RamError::DirectoryFile {
                        file: name.clone(),
                        message: format!(
                            "{what} is given as the file `{name}`, which can only be read when the directory is loaded from a file"
                        ),
                    });
                };
                let path = base.join(name);
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(&path).map_err(|e| RamError::DirectoryFile {
                    file: shown.clone(),
                    message: format!("cannot read {what}: {e}"),
                })?;
                PolicyDocument::parse(&text, kind, what, Some(&shown))
            }
        }
    }
}

impl DirectoryFile {
    /// Builds the directory through its checked methods, so a file can hold
    /// nothing the API would refuse.
    /// A file of another layout version is refused with both named.
    fn check_format(&self, name: &str) -> Result<(), RamError> {
        match self.format {
            Some(found) if found != DIRECTORY_FORMAT => Err(RamError::DirectoryFile {
                file: name.to_string(),
                message: format!(
                    "the directory file has format version {found}, and this build reads \
                     version {DIRECTORY_FORMAT} (or a file with no `format`)"
                ),
            }),
            _ => Ok(()),
        }
    }

    fn build(self, base: Option<&Path>) -> Result<Directory, RamError> {
        self.check_format("<directory>")?;
        let mut dir = Directory::new();
        for a in self.accounts {
            let account = dir.add_account(&a.uid)?;
            // Policies first: users, groups and roles attach them.
            for p in a.policies {
                let versions = match (p.document, p.versions.is_empty()) {
                    (Some(doc), true) => vec![VersionFile {
                        id: "v1".to_string(),
                        document: doc,
                    }],
                    (None, false) => p.versions,
                    _ => {
                        return Err(RamError::DirectoryFile {
                            file: "<directory>".to_string(),
                            message: format!(
                                "policy `{}` must give either `document` or `versions`",
                                p.name
                            ),
                        });
                    }
                };
                let mut docs = Vec::with_capacity(versions.len());
                for v in versions {
                    let what = version_what(&p.name, &v.id);
                    docs.push((v.id, v.document.read(PolicyKind::Identity, &what, base)?));
                }
                // Without `default_version` the newest version is in force.
                let default = match p.default_version {
                    Some(d) => d,
                    None => docs.last().map(|(id, _)| id.clone()).unwrap_or_default(),
                };
                account.insert_policy(&p.name, docs, &default)?;
            }
            for u in a.users {
                account.create_user(&u.name)?;
                for r in &u.policies {
                    account.attach_policy(&Target::User(u.name.clone()), r)?;
                }
            }
            for g in a.groups {
                account.create_group(&g.name)?;
                for m in &g.members {
                    account.add_user_to_group(m, &g.name)?;
                }
                for r in &g.policies {
                    account.attach_policy(&Target::Group(g.name.clone()), r)?;
                }
            }
            for r in a.roles {
                let trust = r
                    .trust_policy
                    .read(PolicyKind::Trust, &trust_what(&r.name), base)?;
                account.insert_role(&r.name, trust)?;
                account.set_max_session_duration(&r.name, r.max_session_duration)?;
                for p in &r.policies {
                    account.attach_policy(&Target::Role(r.name.clone()), p)?;
                }
            }
        }
        Ok(dir)
    }

    fn of(dir: &Directory) -> DirectoryFile {
        let accounts = dir
            .accounts()
            .map(|a| AccountFile {
                uid: a.uid().to_string(),
                users: a
                    .users()
                    .map(|u| UserFile {
                        name: u.name().to_string(),
                        policies: u.policies().to_vec(),
                    })
                    .collect(),
                groups: a
                    .groups()
                    .map(|g| GroupFile {
                        name: g.name().to_string(),
                        members: g.members().map(str::to_string).collect(),
                        policies: g.policies().to_vec(),
                    })
                    .collect(),
                roles: a
                    .roles()
                    .map(|r| RoleFile {
                        name: r.name().to_string(),
                        trust_policy: Source::of(r.trust_policy()),
                        max_session_duration: r.max_session_duration(),
                        policies: r.policies().to_vec(),
                    })
                    .collect(),
                policies: a
                    .policies()
                    .map(|p| PolicyFile {
                        name: p.name().to_string(),
                        default_version: Some(p.default_version().to_string()),
                        versions: p
                            .versions()
                            .iter()
                            .map(|v| VersionFile {
                                id: v.id().to_string(),
                                document: Source::of(v.document()),
                            })
                            .collect(),
                        document: None,
                    })
                    .collect(),
            })
            .collect();
        DirectoryFile {
            format: None,
            accounts,
        }
    }
}

impl Directory {
    /// Reads a directory file's text; policy file names are resolved
    /// against `base` (the directory file's folder). `name` is the file
    /// name errors show.
    pub fn from_json(src: &str, name: &str, base: Option<&Path>) -> Result<Directory, RamError> {
        let file: DirectoryFile =
            serde_json::from_str(src).map_err(|e| RamError::DirectoryFile {
                file: format!("{name}:{}:{}", e.line(), e.column()),
                message: strip_position(&e.to_string()),
            })?;
        file.check_format(name)?;
        file.build(base)
    }

    /// Reads a directory file and the policy files it names.
    pub fn load(path: &Path) -> Result<Directory, RamError> {
        let shown = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| RamError::DirectoryFile {
            file: shown.clone(),
            message: format!("cannot read the directory file: {e}"),
        })?;
        Directory::from_json(&src, &shown, path.parent())
    }

    /// The directory file text (stable: accounts, users, groups, roles and
    /// policies sorted by name).
    pub fn to_json(&self) -> String {
        // Plain data with string keys serializes without failing.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The directory file text with its layout version
    /// ([`DIRECTORY_FORMAT`]) first, as a data directory's `ram.json` is
    /// written.
    pub fn to_versioned_json(&self) -> String {
        let file = DirectoryFile {
            format: Some(DIRECTORY_FORMAT),
            ..DirectoryFile::of(self)
        };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }
}

impl Serialize for Directory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DirectoryFile::of(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Directory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Directory, D::Error> {
        DirectoryFile::deserialize(d)?
            .build(None)
            .map_err(D::Error::custom)
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"accounts": [{
  "uid": "1234567890123456",
  "users": [{"name": "alice", "policies": ["policy/PassLogRole"]}, {"name": "bob"}],
  "groups": [{"name": "ops", "members": ["bob"], "policies": ["system/AliyunLogReadOnlyAccess"]}],
  "roles": [{"name": "sls-byok", "max_session_duration": 7200,
             "trust_policy": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["log.aliyuncs.com"]}}], "Version": "1"},
             "policies": ["system/AliyunKMSReadOnlyAccess", "system/AliyunKMSCryptoUserAccess"]}],
  "policies": [{"name": "PassLogRole",
                "document": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:PassRole", "Resource": "acs:ram::*"}]}}]
}]}"#;

    fn load(src: &str) -> Result<Directory, RamError> {
        Directory::from_json(src, "dir.json", None)
    }

    #[test]
    fn a_directory_file_builds_the_directory() {
        let d = load(FILE).unwrap_or_else(|e| panic!("{e}"));
        let a = d
            .account("1234567890123456")
            .unwrap_or_else(|| panic!("no account"));
        assert_eq!(
            a.role("SLS-BYOK").map(|r| r.max_session_duration()),
            Some(7_200)
        );
        assert_eq!(a.groups_of("bob").count(), 1);
        assert_eq!(
            a.policy("PassLogRole").map(|p| p.default_version()),
            Some("v1")
        );
    }

    #[test]
    fn a_directory_round_trips_through_its_json() {
        let d = load(FILE).unwrap_or_else(|e| panic!("{e}"));
        let json = d.to_json();
        let again = load(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
        assert_eq!(again, d);
        assert_eq!(again.to_json(), json);
        // Inline JSON documents are kept exactly as written.
        assert!(json.contains(r#""Principal": {"Service": ["log.aliyuncs.com"]}"#));
        let via_serde: Directory = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(via_serde, d);
    }

    #[test]
    fn file_errors_name_the_position_and_the_rule_broken() {
        let e = load("{\"accounts\": [{\"uid\": \"1234567890123456\", \"user\": []}]}").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("dir.json:1:48: unknown field `user`, expected one of `uid`, `users`, `groups`, `roles`, `policies`".into())
        );
        let e =
            load(r#"{"accounts": [{"uid": "1234567890123456", "users": [{"name": "al ice"}]}]}"#)
                .err();
        assert_eq!(
            e.map(|e| e.code()),
            Some("InvalidParameter.UserName.InvalidChars".into())
        );
        let e = load(r#"{"accounts": [{"uid": "1234567890123456", "policies": [{"name": "P", "versions": [{"id": "version1", "document": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}]}]}"#).err();
        assert_eq!(
            e.map(|e| e.code()),
            Some("InvalidParameter.VersionId.Format".into())
        );
        let e = load(r#"{"accounts": [{"uid": "1234567890123456", "users": [{"name": "a", "policies": ["policy/Nope"]}]}]}"#).err();
        assert_eq!(e.map(|e| e.code()), Some("EntityNotExist.Policy".into()));
        let e = load(r#"{"accounts": [{"uid": "1234567890123456", "roles": [{"name": "r", "trust_policy": "trust.json"}]}]}"#).err();
        assert_eq!(
            e.as_ref().map(RamError::code),
            Some("InvalidDirectoryFile".into())
        );
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("trust.json: the trust policy of role `r` is given as the file `trust.json`, which can only be read when the directory is loaded from a file".into())
        );
    }

    #[test]
    fn documents_may_be_files_next_to_the_directory_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::1234567890123456:root"}}]}"#;
        std::fs::write(dir.path().join("trust.json"), trust).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("bad.json"), "{\"Version\": \"2\"}")
            .unwrap_or_else(|e| panic!("{e}"));
        let file = |doc: &str| {
            format!(
                r#"{{"accounts": [{{"uid": "1234567890123456", "roles": [{{"name": "r", "trust_policy": "{doc}"}}]}}]}}"#
            )
        };
        let path = dir.path().join("dir.json");
        std::fs::write(&path, file("trust.json")).unwrap_or_else(|e| panic!("{e}"));
        let d = Directory::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            d.account("1234567890123456")
                .and_then(|a| a.role("r"))
                .is_some()
        );
        std::fs::write(&path, file("bad.json")).unwrap_or_else(|e| panic!("{e}"));
        let e = Directory::load(&path).err();
        let shown = dir.path().join("bad.json").display().to_string();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(format!(
                "the trust policy of role `r`: {shown}:1:13: Version: unsupported `Version` `2`, RAM knows only `\"1\"`"
            ))
        );
    }
}

//! Errors of the identity layer, each with the code and HTTP status Alibaba
//! Cloud's RAM or STS API returns for it (spec §9.2, sls-kms §4).
//!
//! A denied authorization is never an error: `authorize` and
//! `check_pass_role` return a decision. Only `assume_role`, an API call that
//! either issues a session or fails, turns a deny into [`RamError::NoPermission`],
//! which still carries the decision chain that denied it.

use std::fmt;
use std::sync::Arc;

use crate::authz::RequestError;
use crate::policy::{ParseError, ParseErrorKind, PolicyKind, render_with_source};

use super::chain::ChainStep;
use super::names::NameKind;

/// What can go wrong in the directory, in STS and in reading a directory file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RamError {
    /// A name outside its length range.
    #[error("{kind} name `{name}` has {len} characters, outside the {min} to {max} allowed")]
    NameLength {
        /// What the name names.
        kind: NameKind,
        /// The name as given.
        name: String,
        /// Its length in characters.
        len: usize,
        /// The shortest allowed.
        min: usize,
        /// The longest allowed.
        max: usize,
    },
    /// A name with a character its kind does not allow.
    #[error("{kind} name `{name}` contains `{bad}`, which {kind} names may not contain")]
    NameChars {
        /// What the name names.
        kind: NameKind,
        /// The name as given.
        name: String,
        /// The first character not allowed.
        bad: char,
    },
    /// Not a 16-digit account id.
    #[error("`{0}` is not an Alibaba Cloud account id (16 digits)")]
    InvalidAccountId(String),
    /// The named entity does not exist.
    #[error("{entity} `{name}` does not exist")]
    NotFound {
        /// What kind of entity.
        entity: Entity,
        /// Its name (or ARN).
        name: String,
    },
    /// An entity of that name exists already.
    #[error("{entity} `{name}` already exists")]
    AlreadyExists {
        /// What kind of entity.
        entity: Entity,
        /// Its name.
        name: String,
    },
    /// The policy is attached to the target already.
    #[error("policy `{policy}` is already attached to {target}")]
    AlreadyAttached {
        /// The user, group or role.
        target: Target,
        /// The policy (`system/<name>` or `policy/<name>`).
        policy: String,
    },
    /// The policy is not attached to the target.
    #[error("policy `{policy}` is not attached to {target}")]
    NotAttached {
        /// The user, group or role.
        target: Target,
        /// The policy (`system/<name>` or `policy/<name>`).
        policy: String,
    },
    /// The user is in the group already.
    #[error("user `{user}` is already a member of group `{group}`")]
    AlreadyMember {
        /// The user.
        user: String,
        /// The group.
        group: String,
    },
    /// The user is not in the group.
    #[error("user `{user}` is not a member of group `{group}`")]
    NotMember {
        /// The user.
        user: String,
        /// The group.
        group: String,
    },
    /// A version id that is not `v<n>`.
    #[error("`{0}` is not a policy version id such as `v1`")]
    InvalidVersionId(String),
    /// A sixth version of a custom policy.
    #[error("policy `{0}` already has 5 versions, the most RAM keeps")]
    PolicyVersionLimit(String),
    /// Deleting the default version.
    #[error("`{version}` is the default version of policy `{policy}` and cannot be deleted")]
    DeleteDefaultVersion {
        /// The policy.
        policy: String,
        /// The version id (`v2`).
        version: String,
    },
    /// A custom policy still attached somewhere cannot be deleted.
    #[error("policy `{policy}` is still attached to {target}")]
    PolicyInUse {
        /// One of the entities it is attached to.
        target: Target,
        /// The policy name.
        policy: String,
    },
    /// An entity that others still refer to cannot be deleted (RAM's
    /// `DeleteConflict.<Entity>.<What>`: a user still in a group, with a
    /// policy or an access key; a group with members or policies; a role
    /// with policies).
    #[error("{entity} `{name}` cannot be deleted: {reason}")]
    DeleteConflict {
        /// What was to be deleted.
        entity: Entity,
        /// Its name.
        name: String,
        /// What still refers to it, as RAM's code names it (`Group`,
        /// `Policy`, `AccessKey`, `User`).
        what: &'static str,
        /// The same, in words.
        reason: String,
    },
    /// `MaxSessionDuration` outside 3,600–43,200 s.
    #[error(
        "MaxSessionDuration `{seconds}` of role `{role}` is outside the 3600 to 43200 seconds allowed"
    )]
    InvalidMaxSessionDuration {
        /// The role.
        role: String,
        /// The duration given.
        seconds: u64,
    },
    /// A policy document that does not parse or is too large.
    #[error("{0}")]
    PolicyDocument(Box<DocumentError>),
    /// Not `acs:ram::<uid>:role/<name>`.
    #[error("`{0}` is not a role ARN `acs:ram::<uid>:role/<role-name>`")]
    InvalidRoleArn(String),
    /// `DurationSeconds` outside 900 … the role's `MaxSessionDuration`.
    #[error("DurationSeconds `{seconds}` is outside the 900 to {max} seconds role `{role}` allows")]
    InvalidDurationSeconds {
        /// The duration asked for.
        seconds: u64,
        /// The role's `MaxSessionDuration`.
        max: u64,
        /// The role.
        role: String,
    },
    /// The account itself called AssumeRole.
    #[error("the account `{0}` cannot assume roles; only RAM users and role sessions can")]
    RootCannotAssumeRole(String),
    /// The caller's policies or the role's trust policy do not allow AssumeRole.
    #[error("{0}")]
    NoPermission(Box<Denied>),
    /// A role session used after it expired.
    #[error("role session `{session}` expired at {expiration}")]
    SessionExpired {
        /// The session ARN.
        session: String,
        /// When it expired (RFC 3339).
        expiration: String,
    },
    /// A principal that is no RAM ARN, provider ARN or service name.
    #[error(transparent)]
    Principal(#[from] RequestError),
    /// A directory file that cannot be read.
    #[error("{file}: {message}")]
    DirectoryFile {
        /// The file (or `<input>`), with `:line:column` when known.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// A policy document that could not be accepted, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// Which document, in words: ``the trust policy of role `x` ``.
    pub what: String,
    /// The kind it was read as (decides the error code).
    pub kind: PolicyKind,
    /// The file it was read from, if any.
    pub file: Option<String>,
    /// Its text, for the snippet under the error.
    pub source_text: Arc<str>,
    /// The parse error.
    pub error: ParseError,
}

impl DocumentError {
    /// Whether the document was refused for its size rather than its content.
    pub fn is_size(&self) -> bool {
        matches!(
            *self.error.kind,
            ParseErrorKind::TooLarge { .. } | ParseErrorKind::InputTooLarge { .. }
        )
    }

    /// The rustc-style rendering: `file:line:column: message`, the source
    /// line with a caret, and the help line.
    pub fn render(&self) -> String {
        let file = self.file.as_deref().unwrap_or("<inline>");
        format!(
            "{}\n  = note: in {}",
            render_with_source(&self.error, file, &self.source_text),
            self.what
        )
    }
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref().unwrap_or("<inline>");
        write!(
            f,
            "{}: {file}:{}:{}: {}",
            self.what, self.error.loc.line, self.error.loc.column, self.error
        )
    }
}

/// Why an AssumeRole was refused, with the chain that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// The caller (ARN or service).
    pub caller: String,
    /// The role ARN.
    pub role: String,
    /// Which side refused, in words.
    pub reason: String,
    /// The evaluated steps (`assume-role.identity`, `assume-role.trust`).
    pub steps: Vec<ChainStep>,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` may not assume `{}`: {}",
            self.caller, self.role, self.reason
        )
    }
}

/// The kinds of entity the directory holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    /// An Alibaba Cloud account.
    Account,
    /// A RAM user.
    User,
    /// A RAM user group.
    Group,
    /// A RAM role.
    Role,
    /// A custom or system policy.
    Policy,
    /// A version of a custom policy.
    PolicyVersion,
}

impl Entity {
    fn code(self) -> &'static str {
        match self {
            Entity::Account => "Account",
            Entity::User => "User",
            Entity::Group => "Group",
            Entity::Role => "Role",
            Entity::Policy => "Policy",
            Entity::PolicyVersion => "Policy.Version",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::Account => "account",
            Entity::User => "user",
            Entity::Group => "group",
            Entity::Role => "role",
            Entity::Policy => "policy",
            Entity::PolicyVersion => "policy version",
        })
    }
}

/// Something policies attach to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A RAM user.
    User(String),
    /// A RAM user group.
    Group(String),
    /// A RAM role.
    Role(String),
}

impl Target {
    fn code(&self) -> &'static str {
        match self {
            Target::User(_) => "User",
            Target::Group(_) => "Group",
            Target::Role(_) => "Role",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::User(n) => write!(f, "user `{n}`"),
            Target::Group(n) => write!(f, "group `{n}`"),
            Target::Role(n) => write!(f, "role `{n}`"),
        }
    }
}

impl RamError {
    /// The Alibaba Cloud error code (`EntityNotExist.Role`, `NoPermission`, …).
    ///
    /// Codes are the documented ones (spec §9.2; the RAM error-message page
    /// of AlibabaCloudDocs/ram; sls-kms §4). Some have no documented
    /// counterpart and are ramgate's own, named in RAM's style: accounts are
    /// not RAM entities (`InvalidParameter.AccountId`, `EntityNotExist.Account`,
    /// `EntityAlreadyExists.Account`), and `InvalidDirectoryFile` is a local
    /// file problem, `InvalidParameter.Principal` a caller ARN that does not
    /// parse. `InvalidSecurityToken.Expired` is the code Alibaba's
    /// API gateway returns for an expired STS token in SDKs and field
    /// reports; no RAM page documents it (medium confidence). Role codes the
    /// RAM error page does not list (`InvalidParameter.RoleName.*`,
    /// `EntityAlreadyExists.Role.Policy`, `EntityNotExist.Role.Policy`,
    /// `DeleteConflict.Policy.Role`) follow the pattern of the user and group
    /// codes it does list.
    pub fn code(&self) -> String {
        use RamError as E;
        match self {
            E::NameLength { kind, .. } => kind.length_code().to_string(),
            E::NameChars { kind, .. } => kind.chars_code().to_string(),
            E::InvalidAccountId(_) => "InvalidParameter.AccountId".to_string(),
            E::NotFound { entity, .. } => format!("EntityNotExist.{}", entity.code()),
            E::AlreadyExists { entity, .. } => format!("EntityAlreadyExists.{}", entity.code()),
            E::AlreadyAttached { target, .. } => {
                format!("EntityAlreadyExists.{}.Policy", target.code())
            }
            E::NotAttached { target, .. } => format!("EntityNotExist.{}.Policy", target.code()),
            E::AlreadyMember { .. } => "EntityAlreadyExists.User.Group".to_string(),
            E::NotMember { .. } => "EntityNotExist.User.Group".to_string(),
            E::InvalidVersionId(_) => "InvalidParameter.VersionId.Format".to_string(),
            E::PolicyVersionLimit(_) => "LimitExceeded.Policy.Version".to_string(),
            E::DeleteDefaultVersion { .. } => "DeleteConflict.Policy.Version.Default".to_string(),
            E::PolicyInUse { target, .. } => format!("DeleteConflict.Policy.{}", target.code()),
            E::DeleteConflict { entity, what, .. } => {
                format!("DeleteConflict.{}.{what}", entity.code())
            }
            E::InvalidMaxSessionDuration { .. } => {
                "InvalidParameter.MaxSessionDuration".to_string()
            }
            E::PolicyDocument(d) => document_code(d).to_string(),
            E::InvalidRoleArn(_) => "InvalidParameter.RoleArn".to_string(),
            E::InvalidDurationSeconds { .. } => "InvalidParameter.DurationSeconds".to_string(),
            E::RootCannotAssumeRole(_) | E::NoPermission(_) => "NoPermission".to_string(),
            E::SessionExpired { .. } => "InvalidSecurityToken.Expired".to_string(),
            E::Principal(_) => "InvalidParameter.Principal".to_string(),
            E::DirectoryFile { .. } => "InvalidDirectoryFile".to_string(),
        }
    }

    /// The HTTP status RAM / STS answers with.
    pub fn http_status(&self) -> u16 {
        use RamError as E;
        match self {
            E::NotFound { .. } | E::NotAttached { .. } | E::NotMember { .. } => 404,
            E::AlreadyExists { .. }
            | E::AlreadyAttached { .. }
            | E::AlreadyMember { .. }
            | E::PolicyVersionLimit(_)
            | E::DeleteDefaultVersion { .. }
            | E::PolicyInUse { .. }
            | E::DeleteConflict { .. } => 409,
            E::RootCannotAssumeRole(_) | E::NoPermission(_) => 403,
            _ => 400,
        }
    }

    /// How to fix it, when there is something to say.
    pub fn help(&self) -> Option<String> {
        use RamError as E;
        match self {
            E::NameLength { kind, .. } | E::NameChars { kind, .. } => Some(kind.rule().to_string()),
            E::InvalidRoleArn(_) => {
                Some("write the role as `acs:ram::1234567890123456:role/<role-name>`".to_string())
            }
            E::InvalidDurationSeconds { max, .. } => Some(format!(
                "ask for 900 to {max} seconds, or raise the role's MaxSessionDuration (up to 43200)"
            )),
            E::PolicyVersionLimit(_) => {
                Some("delete a version that is not the default first".to_string())
            }
            E::DeleteDefaultVersion { .. } => {
                Some("make another version the default first".to_string())
            }
            E::PolicyDocument(d) => d.error.help.clone(),
            E::RootCannotAssumeRole(_) => Some(
                "call AssumeRole as a RAM user or role session that `sts:AssumeRole` allows"
                    .to_string(),
            ),
            E::SessionExpired { .. } => Some("assume the role again".to_string()),
            _ => None,
        }
    }

    /// The chain that decided a [`RamError::NoPermission`].
    pub fn steps(&self) -> &[ChainStep] {
        match self {
            RamError::NoPermission(d) => &d.steps,
            _ => &[],
        }
    }
}

/// Session policies answer with STS's codes, every other kind with RAM's.
fn document_code(d: &DocumentError) -> &'static str {
    match (d.kind, d.is_size()) {
        (PolicyKind::Session, true) => "InvalidParameter.PolicySize",
        (PolicyKind::Session, false) => "InvalidParameter.PolicyGrammar",
        (PolicyKind::Trust, true) => "InvalidParameter.AssumeRolePolicyDocument.Length",
        (PolicyKind::Identity | PolicyKind::Resource, true) => {
            "InvalidParameter.PolicyDocument.Length"
        }
        (_, false) => "MalformedPolicyDocument",
    }
}

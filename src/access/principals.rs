//! The principals of a directory: every identity that could act.
//!
//! The account root of each account, each RAM user (its groups' policies
//! come with it), each role (standing for its sessions), and each service
//! and identity provider some trust policy names (they act only through the
//! roles that trust them).

use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};

use crate::authz::Principal;
use crate::policy::PrincipalKind;
use crate::ram::{Directory, Identity, RoleSession};

/// The session name the analysis gives the role sessions it reasons about.
pub const SESSION_NAME: &str = "ramgate-access";

/// When the analysis' role sessions expire: half a day after the epoch, the
/// analysis clock's time, so they are valid for every question.
pub fn session_expiration() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::hours(12)
}

/// One principal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// The account itself.
    Root {
        /// The account id.
        account: String,
    },
    /// A RAM user.
    User {
        /// The account id.
        account: String,
        /// The user name.
        name: String,
    },
    /// The sessions of a role.
    Role {
        /// The account id.
        account: String,
        /// The role name.
        name: String,
    },
    /// A cloud service a trust policy names (`log.aliyuncs.com`).
    Service(String),
    /// An identity provider a trust policy names.
    Federated(String),
}

impl Subject {
    /// The ARN (for a role, the role's: it stands for every session), or
    /// the service name.
    pub fn arn(&self) -> String {
        match self {
            Subject::Root { account } => format!("acs:ram::{account}:root"),
            Subject::User { account, name } => format!("acs:ram::{account}:user/{name}"),
            Subject::Role { account, name } => crate::ram::role_arn(account, name),
            Subject::Service(s) | Subject::Federated(s) => s.clone(),
        }
    }

    /// The identity the engine is asked about; a role acts as a session
    /// named [`SESSION_NAME`] without a session policy.
    pub fn identity(&self) -> Identity {
        match self {
            Subject::Root { account } => Identity::Account {
                uid: account.clone(),
            },
            Subject::User { account, name } => Identity::User {
                account: account.clone(),
                name: name.clone(),
            },
            Subject::Role { account, name } => {
                match RoleSession::new(account, name, SESSION_NAME, None, session_expiration()) {
                    Ok(s) => Identity::RoleSession(s),
                    // Names in a directory are valid role names, and the
                    // session name is a constant that passes; a federated
                    // identity asks nothing of anyone, should it not.
                    Err(_) => Identity::Federated {
                        provider: self.arn(),
                    },
                }
            }
            Subject::Service(s) => {
                Identity::from_principal(Principal::from_service(s), session_expiration())
                    .unwrap_or(Identity::Service {
                        service: s.clone(),
                        account: None,
                    })
            }
            Subject::Federated(p) => Identity::Federated {
                provider: p.clone(),
            },
        }
    }

    /// Whether the principal may call AssumeRole at all (not the root).
    pub fn can_assume(&self) -> bool {
        !matches!(self, Subject::Root { .. })
    }

    /// The account, for RAM identities.
    pub fn account(&self) -> Option<&str> {
        match self {
            Subject::Root { account }
            | Subject::User { account, .. }
            | Subject::Role { account, .. } => Some(account),
            _ => None,
        }
    }
}

/// Every principal of the directory: per account its root, users and
/// roles (in name order), then the services and identity providers named
/// by trust policies (sorted, each once). A trust entry with a wildcard is
/// not a principal of its own: it matches the ones listed.
pub fn enumerate(directory: &Directory) -> Vec<Subject> {
    let mut out = Vec::new();
    let mut services = BTreeSet::new();
    let mut federated = BTreeSet::new();
    for a in directory.accounts() {
        let account = a.uid().to_string();
        out.push(Subject::Root {
            account: account.clone(),
        });
        out.extend(a.users().map(|u| Subject::User {
            account: account.clone(),
            name: u.name().to_string(),
        }));
        for r in a.roles() {
            out.push(Subject::Role {
                account: account.clone(),
                name: r.name().to_string(),
            });
            let trust = r.trust_policy().policy();
            for s in &trust.statements {
                for e in s.principal.iter().flat_map(|p| p.entries.iter()) {
                    let set = match e.kind.node {
                        PrincipalKind::Service => &mut services,
                        PrincipalKind::Federated => &mut federated,
                        // RAM principals are enumerated from the directory;
                        // plain lists belong to resource policies only.
                        PrincipalKind::Ram | PrincipalKind::Plain => continue,
                    };
                    set.extend(
                        e.values
                            .strs()
                            .filter(|v| !v.contains(['*', '?']))
                            .map(str::to_string),
                    );
                }
            }
        }
    }
    out.extend(services.into_iter().map(Subject::Service));
    out.extend(federated.into_iter().map(Subject::Federated));
    out
}

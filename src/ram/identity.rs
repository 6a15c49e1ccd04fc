//! Who acts: the account itself, a RAM user, a session of a role, a cloud
//! service, or a federated user on its way to a role.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::authz::{Principal, RequestError};
use crate::policy::arn::is_account_id;

use super::directory::role_arn;
use super::document::PolicyDocument;
use super::error::RamError;
use super::names::{self, NameKind};

/// An acting identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The Alibaba Cloud account itself (`acs:ram::<uid>:root`): every
    /// permission on its own resources, and it cannot assume roles.
    Account {
        /// The account id.
        uid: String,
    },
    /// A RAM user (`acs:ram::<uid>:user/<name>`).
    User {
        /// The owning account.
        account: String,
        /// The user name.
        name: String,
    },
    /// A session of a role (`acs:ram::<uid>:role/<role>/<session>`).
    RoleSession(RoleSession),
    /// A cloud service (`log.aliyuncs.com`), acting in the account of the
    /// resource it touches, or for `account` (`<uid>@log.aliyuncs.com`).
    Service {
        /// The service host name.
        service: String,
        /// The account it acts for, when known.
        account: Option<String>,
    },
    /// A user of an identity provider (`acs:ram::<uid>:saml-provider/<name>`),
    /// who can only assume roles that trust the provider.
    Federated {
        /// The provider's ARN.
        provider: String,
    },
}

/// A session of a role, as STS issues it: the role's permissions,
/// intersected with the session policy if one was given, until it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSession {
    account: String,
    role: String,
    name: String,
    policy: Option<PolicyDocument>,
    expiration: OffsetDateTime,
}

impl RoleSession {
    /// A session of role `role` of `account`, named `name`, with an optional
    /// session policy, valid until `expiration`. `assume_role` is the usual
    /// way to get one; this constructor serves callers that already hold
    /// one (a command line, tests).
    pub fn new(
        account: &str,
        role: &str,
        name: &str,
        policy: Option<PolicyDocument>,
        expiration: OffsetDateTime,
    ) -> Result<RoleSession, RamError> {
        if !is_account_id(account) {
            return Err(RamError::InvalidAccountId(account.to_string()));
        }
        names::check(NameKind::Role, role)?;
        names::check(NameKind::RoleSession, name)?;
        Ok(RoleSession {
            account: account.to_string(),
            role: role.to_string(),
            name: name.to_string(),
            policy,
            expiration,
        })
    }

    /// The account that owns the role.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The role name.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// The session name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `acs:ram::<uid>:role/<role>`.
    pub fn role_arn(&self) -> String {
        role_arn(&self.account, &self.role)
    }

    /// `acs:ram::<uid>:role/<role>/<session>`.
    pub fn arn(&self) -> String {
        format!("{}/{}", self.role_arn(), self.name)
    }

    /// The session policy, if the session has one.
    pub fn policy(&self) -> Option<&PolicyDocument> {
        self.policy.as_ref()
    }

    /// When the session stops being valid.
    pub fn expiration(&self) -> OffsetDateTime {
        self.expiration
    }

    /// Fails once `now` has reached the expiration.
    pub(crate) fn check_valid(&self, now: OffsetDateTime) -> Result<(), RamError> {
        if now < self.expiration {
            return Ok(());
        }
        Err(RamError::SessionExpired {
            session: self.arn(),
            expiration: self
                .expiration
                .format(&Rfc3339)
                .unwrap_or_else(|_| self.expiration.unix_timestamp().to_string()),
        })
    }
}

impl Identity {
    /// Reads a RAM ARN (`…:root`, `…:user/<name>`, `…:role/<role>/<session>`),
    /// an identity provider ARN or a service name; a role session read this
    /// way has no session policy and expires at `expiration`.
    ///
    /// Only well-formed callers are identities (S4, S6): the empty string,
    /// text with control or format characters, and a service that is not
    /// `<name>.aliyuncs.com` (optionally `<uid>@` before it) are refused.
    pub fn parse(text: &str, expiration: OffsetDateTime) -> Result<Identity, RamError> {
        let not_an_identity = || {
            RamError::Principal(RequestError::NotAnIdentity(
                crate::terminal::clip(text).into(),
            ))
        };
        if text.is_empty() || text.chars().any(crate::terminal::is_unsafe) {
            return Err(not_an_identity());
        }
        if !text.starts_with("acs:") && !is_service_name(text) {
            return Err(not_an_identity());
        }
        if text.starts_with("acs:")
            && (text.contains(":saml-provider/") || text.contains(":oidc-provider/"))
        {
            return Ok(Identity::Federated {
                provider: text.to_string(),
            });
        }
        let principal = if text.starts_with("acs:") {
            Principal::from_ram_arn(text)?
        } else {
            Principal::from_service(text)
        };
        Identity::from_principal(principal, expiration)
    }

    /// The identity of a request principal.
    pub fn from_principal(p: Principal, expiration: OffsetDateTime) -> Result<Identity, RamError> {
        Ok(match p {
            Principal::Account { account } => Identity::Account { uid: account },
            Principal::User { account, name } => Identity::User { account, name },
            Principal::RoleSession {
                account,
                role,
                session,
            } => Identity::RoleSession(RoleSession::new(
                &account, &role, &session, None, expiration,
            )?),
            Principal::Service { service, account } => Identity::Service { service, account },
            Principal::Federated { provider } => Identity::Federated { provider },
        })
    }

    /// The principal policies see.
    pub fn principal(&self) -> Principal {
        match self {
            Identity::Account { uid } => Principal::Account {
                account: uid.clone(),
            },
            Identity::User { account, name } => Principal::User {
                account: account.clone(),
                name: name.clone(),
            },
            Identity::RoleSession(s) => Principal::RoleSession {
                account: s.account.clone(),
                role: s.role.clone(),
                session: s.name.clone(),
            },
            Identity::Service { service, account } => Principal::Service {
                service: service.clone(),
                account: account.clone(),
            },
            Identity::Federated { provider } => Principal::Federated {
                provider: provider.clone(),
            },
        }
    }

    /// The account the identity belongs to or acts for; `None` for a
    /// service that acts wherever the resource is.
    pub fn account(&self) -> Option<String> {
        self.principal().account().map(str::to_string)
    }
}

impl fmt::Display for Identity {
    /// The ARN, or the service name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.principal().fmt(f)
    }
}

/// `<name>.aliyuncs.com` or `<uid>@<name>.aliyuncs.com`: lower-case labels of
/// letters, digits and `-`, as Alibaba's service principals are written.
fn is_service_name(text: &str) -> bool {
    let (uid, service) = match text.split_once('@') {
        Some((uid, service)) => (Some(uid), service),
        None => (None, text),
    };
    if uid.is_some_and(|u| !is_account_id(u)) {
        return false;
    }
    let Some(name) = service.strip_suffix(".aliyuncs.com") else {
        return false;
    };
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s4_only_well_formed_callers_are_identities() {
        let t = OffsetDateTime::UNIX_EPOCH;
        for good in [
            "acs:ram::1234567890123456:root",
            "acs:ram::1234567890123456:user/alice",
            "log.aliyuncs.com",
            "1234567890123456@log.aliyuncs.com",
            "actiontrail.aliyuncs.com",
        ] {
            assert!(Identity::parse(good, t).is_ok(), "{good}");
        }
        for bad in [
            "",
            "root",
            "alice",
            "log.aliyuncs.com.evil",
            "LOG.aliyuncs.com",
            ".aliyuncs.com",
            "12@log.aliyuncs.com",
            "acs:ram::1234567890123456:user/al\nice",
            "acs:ram::1234567890123456:user/\u{202e}ecila",
        ] {
            let e = Identity::parse(bad, t).err().map(|e| e.to_string());
            let e = e.unwrap_or_else(|| panic!("`{bad}` was taken for an identity"));
            assert!(!e.chars().any(crate::terminal::is_unsafe), "{e:?}");
            if !bad.starts_with("acs:") {
                assert!(e.contains("`<name>.aliyuncs.com`"), "{e}");
            }
        }
    }

    #[test]
    fn identities_read_from_arns_and_service_names() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let s = Identity::parse("acs:ram::1234567890123456:role/sls-byok/log", t);
        assert_eq!(
            s.as_ref().map(ToString::to_string).ok().as_deref(),
            Some("acs:ram::1234567890123456:role/sls-byok/log")
        );
        assert!(matches!(s, Ok(Identity::RoleSession(ref r)) if r.policy().is_none()));
        assert_eq!(
            Identity::parse("1345678901234567@log.aliyuncs.com", t)
                .ok()
                .and_then(|i| i.account()),
            Some("1345678901234567".to_string())
        );
        assert!(matches!(
            Identity::parse("acs:ram::1234567890123456:saml-provider/idp", t),
            Ok(Identity::Federated { .. })
        ));
        // A session name must follow AssumeRole's rule even when typed in.
        let bad = Identity::parse("acs:ram::1234567890123456:role/r/a", t);
        assert_eq!(
            bad.err().map(|e| e.to_string()),
            Some("session name `a` has 1 characters, outside the 2 to 64 allowed".to_string())
        );
        let e = Identity::parse("acs:ram::1234567890123456:group/ops", t).err();
        assert_eq!(
            e.map(|e| e.code()),
            Some("InvalidParameter.Principal".to_string())
        );
    }

    #[test]
    fn a_session_is_valid_until_its_expiration() {
        let t = OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1);
        let s = RoleSession::new("1234567890123456", "r", "s1", None, t)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.check_valid(t - time::Duration::seconds(1)).is_ok());
        let e = s.check_valid(t).err();
        assert_eq!(
            e.as_ref().map(RamError::code).as_deref(),
            Some("InvalidSecurityToken.Expired")
        );
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(
                "role session `acs:ram::1234567890123456:role/r/s1` expired at 1970-01-01T01:00:00Z"
                    .to_string()
            )
        );
    }
}

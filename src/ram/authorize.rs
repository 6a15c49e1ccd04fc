//! `authorize`: may an identity do an action on a resource, the way RAM
//! answers it (spec §8.2, §8.4, §8.5, §8.6).

use crate::authz::{Context, Decision, Request};
use crate::policy::PolicyKind;
use crate::policy::arn::{Arn, is_account_id};

use super::chain::{ChainStep, PartKind, StepKind};
use super::combine::{Evaluated, combine};
use super::directory::Directory;
use super::document::PolicyDocument;
use super::error::RamError;
use super::identity::Identity;
use crate::clock::Clock;

/// The identity layer at work: a directory and a clock. Cheap to build per
/// request; it only borrows.
#[derive(Clone, Copy)]
pub struct Ram<'a> {
    pub(crate) directory: &'a Directory,
    pub(crate) clock: &'a dyn Clock,
}

/// What is asked: an action on a resource, with condition keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN, or `*` for actions without resource-level control.
    pub resource: String,
    /// Condition keys.
    pub context: Context,
}

impl Access {
    /// `action` on `resource`, with no condition keys.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Access {
        Access {
            action: action.into(),
            resource: resource.into(),
            context: Context::new(),
        }
    }

    /// Adds a condition key.
    pub fn with_context<I, S>(mut self, key: &str, values: I) -> Access
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.context.insert(key, values);
        self
    }
}

/// A resource's own policy (a KMS key policy), with the id traces name it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePolicy {
    id: String,
    document: PolicyDocument,
}

impl ResourcePolicy {
    /// Parses a resource policy (JSON or DSL).
    pub fn parse(id: &str, src: &str) -> Result<ResourcePolicy, RamError> {
        let what = format!("resource policy `{id}`");
        let document = PolicyDocument::parse(src, PolicyKind::Resource, &what, None)?;
        Ok(ResourcePolicy {
            id: id.to_string(),
            document,
        })
    }

    /// The id (`key/<key-id>:policy/default`, …).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The document.
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }
}

/// Whose a resource is, read from its ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// `*`, or an ARN with an empty account field: the caller's own account,
    /// where RAM resolves a request that names no account (actions without
    /// resource-level control use `*`).
    Caller,
    /// A 16-digit account id.
    Account(String),
    /// Anything else (a wildcard account, a string that is no ARN): nobody
    /// can be shown to own it, so it counts as another account's (fail
    /// closed: the account root gets nothing, and cross-account rules apply).
    Unknown,
}

pub(crate) fn owner(resource: &str) -> Owner {
    match Arn::parse(resource) {
        None if resource == "*" => Owner::Caller,
        None => Owner::Unknown,
        Some(a) if a.account.is_empty() => Owner::Caller,
        Some(a) if is_account_id(a.account) => Owner::Account(a.account.to_string()),
        Some(_) => Owner::Unknown,
    }
}

/// Whether the identity acts in the resource's account. A service that
/// names no account acts in the account of the resource it touches (as a
/// plain `log.aliyuncs.com` trust entry means, spec §10.6).
pub(crate) fn same_account(identity: &Identity, owner: &Owner) -> bool {
    match owner {
        Owner::Caller => true,
        Owner::Account(uid) => identity.account().is_none_or(|a| a == *uid),
        Owner::Unknown => false,
    }
}

impl<'a> Ram<'a> {
    /// The layer over a directory, reading time from `clock`.
    pub fn new(directory: &'a Directory, clock: &'a dyn Clock) -> Ram<'a> {
        Ram { directory, clock }
    }

    /// The directory.
    pub fn directory(&self) -> &'a Directory {
        self.directory
    }

    /// May `identity` do `access`? `resource_policy` is the resource's own
    /// policy when it has one (a KMS key policy).
    ///
    /// Following spec §8.2: a session policy, if the identity is a role
    /// session that has one, must allow; then identity policies (the user's
    /// and its groups', or the role's) and the resource policy decide
    /// together — either one allowing suffices for a caller of the
    /// resource's account, both must allow for a caller of another account
    /// (§8.5). A resource of another account that has no resource policy is
    /// closed to the caller: RAM policies grant only within their own
    /// account, so the missing policy counts as an implicit deny (§8.2 step
    /// 3: "B = Implicit Deny if the resource has none", with §8.5's AND).
    /// An explicit deny anywhere wins.
    ///
    /// The account itself holds every permission on its own resources
    /// (§8.6) and none elsewhere unless the resource policy grants it.
    /// Services and federated users have no identity policies; only a
    /// resource policy naming them can grant them anything.
    ///
    /// A deny is a decision, not an error. Errors: the user or the session's
    /// role does not exist (`EntityNotExist.User`, `EntityNotExist.Role`), or
    /// the session has expired (`InvalidSecurityToken.Expired`).
    pub fn authorize(
        &self,
        identity: &Identity,
        access: &Access,
        resource_policy: Option<&ResourcePolicy>,
    ) -> Result<ChainStep, RamError> {
        let request = Request {
            action: access.action.clone(),
            resource: Some(access.resource.clone()),
            principal: Some(identity.principal()),
            context: access.context.clone(),
        };
        let same = same_account(identity, &owner(&access.resource));
        let mut parts = self.caller_parts(identity, &request)?;
        match resource_policy {
            Some(rp) => {
                let policies = vec![(rp.id.clone(), rp.document.compiled().clone())];
                parts.push(Evaluated::of(PartKind::Resource, true, policies, &request));
            }
            None if !same => parts.push(Evaluated::fixed(
                PartKind::Resource,
                true,
                Decision::ImplicitDeny,
            )),
            None => {}
        }
        if same && resource_policy.is_some() {
            for p in &mut parts {
                if matches!(
                    p.kind,
                    PartKind::Account | PartKind::Identity | PartKind::Resource
                ) {
                    p.required = false;
                }
            }
        }
        Ok(combine(StepKind::Authorize, &request, parts))
    }

    /// The parts that speak for the caller, all required: the session policy
    /// of a role session that has one, then the identity policies; for the
    /// account itself, its own authority (an Allow without a policy).
    pub(crate) fn caller_parts(
        &self,
        identity: &Identity,
        request: &Request,
    ) -> Result<Vec<Evaluated>, RamError> {
        Ok(match identity {
            Identity::Account { .. } => {
                vec![Evaluated::fixed(PartKind::Account, true, Decision::Allow)]
            }
            Identity::User { account, name } => {
                let (acct, user) = self.directory.user_of(account, name)?;
                let policies = acct.user_policies(user);
                vec![Evaluated::of(PartKind::Identity, true, policies, request)]
            }
            Identity::RoleSession(s) => {
                s.check_valid(self.clock.now())?;
                let role = self.directory.role_of(s.account(), s.role())?;
                let policies = self
                    .directory
                    .account(s.account())
                    .map(|a| a.role_policies(role))
                    .unwrap_or_default();
                let mut parts = Vec::with_capacity(2);
                if let Some(p) = s.policy() {
                    let session = vec![("session-policy".to_string(), p.compiled().clone())];
                    parts.push(Evaluated::of(PartKind::Session, true, session, request));
                }
                parts.push(Evaluated::of(PartKind::Identity, true, policies, request));
                parts
            }
            Identity::Service { .. } | Identity::Federated { .. } => {
                vec![Evaluated::of(PartKind::Identity, true, Vec::new(), request)]
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_read_from_the_account_field() {
        assert_eq!(owner("*"), Owner::Caller);
        assert_eq!(owner("acs:kms:cn-hangzhou::key/k"), Owner::Caller);
        assert_eq!(
            owner("acs:kms:cn-hangzhou:1234567890123456:key/k"),
            Owner::Account("1234567890123456".into())
        );
        assert_eq!(owner("acs:kms:cn-hangzhou:*:key/k"), Owner::Unknown);
        assert_eq!(owner("key/k"), Owner::Unknown);
    }
}

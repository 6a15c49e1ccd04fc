//! The directory: Alibaba Cloud accounts with their RAM users, groups,
//! roles and custom policies, and which policies are attached to whom.
//!
//! Every change goes through a method that checks RAM's rules (names,
//! duplicates, five versions per policy, one default version) and fails
//! with RAM's error code, so a directory is always consistent. Its serde
//! form is the directory file (`file.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::authz::Compiled;
use crate::policy::PolicyKind;
use crate::policy::arn::{Arn, is_account_id};

use super::document::PolicyDocument;
use super::error::{Entity, RamError, Target};
use super::names::{self, NameKind};
use super::system::system_policy;

/// The most versions RAM keeps of one custom policy (spec §9.1).
pub const MAX_POLICY_VERSIONS: usize = 5;

/// `MaxSessionDuration` bounds and default, in seconds (sls-kms §4).
pub const MIN_MAX_SESSION_DURATION: u64 = 3_600;
/// The largest `MaxSessionDuration`.
pub const MAX_MAX_SESSION_DURATION: u64 = 43_200;

/// Every account the directory knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory {
    accounts: BTreeMap<String, Account>,
}

/// One Alibaba Cloud account. The account itself (its root identity) holds
/// every permission on its own resources; its RAM identities hold only what
/// their policies grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    uid: String,
    users: BTreeMap<String, User>,
    groups: BTreeMap<String, Group>,
    /// Keyed by the lower-cased name: role names are case-insensitive (spec §4.3).
    roles: BTreeMap<String, Role>,
    policies: BTreeMap<String, CustomPolicy>,
    /// User name → the names of the groups it is in: the inverse of the
    /// groups' member lists, kept by every change to them, so a user's
    /// groups are found without scanning every group (a decision asks for
    /// them each time). Derived state: the directory file does not hold
    /// it, and loading one rebuilds it through [`Account::add_user_to_group`].
    member_of: BTreeMap<String, BTreeSet<String>>,
}

/// A RAM user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    name: String,
    policies: Vec<PolicyRef>,
}

/// A RAM user group: its members get its policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    name: String,
    members: BTreeSet<String>,
    policies: Vec<PolicyRef>,
}

/// A RAM role: who may assume it (the trust policy) and what its sessions
/// may do (the attached policies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    account: String,
    name: String,
    trust_policy: PolicyDocument,
    max_session_duration: u64,
    policies: Vec<PolicyRef>,
}

/// A custom policy: up to five versions, exactly one of them the default
/// (the one in force).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomPolicy {
    name: String,
    versions: Vec<PolicyVersion>,
    default_version: String,
    /// Version ids are never reused, even after a delete, so an audit log
    /// that names `policy/Foo@v3` always means one text.
    next_version: u32,
}

/// One version of a custom policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVersion {
    id: String,
    document: PolicyDocument,
}

/// A policy that can be attached: a system policy or a custom policy of the
/// same account. Written `system/<name>` or `policy/<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyRef {
    /// A system policy shipped with ramgate.
    System(String),
    /// A custom policy of the account.
    Custom(String),
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyRef::System(n) => write!(f, "system/{n}"),
            PolicyRef::Custom(n) => write!(f, "policy/{n}"),
        }
    }
}

/// The error for a policy reference of neither form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a policy reference `system/<name>` or `policy/<name>`")]
pub struct BadPolicyRef(pub String);

impl FromStr for PolicyRef {
    type Err = BadPolicyRef;
    fn from_str(s: &str) -> Result<PolicyRef, BadPolicyRef> {
        match s.split_once('/') {
            Some(("system", n)) if !n.is_empty() => Ok(PolicyRef::System(n.to_string())),
            Some(("policy", n)) if !n.is_empty() => Ok(PolicyRef::Custom(n.to_string())),
            _ => Err(BadPolicyRef(s.to_string())),
        }
    }
}

impl Serialize for PolicyRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PolicyRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PolicyRef, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Splits a role ARN `acs:ram::<uid>:role/<name>` into account and name.
pub fn parse_role_arn(arn: &str) -> Result<(&str, &str), RamError> {
    let bad = || RamError::InvalidRoleArn(arn.to_string());
    let a = Arn::parse(arn)
        .filter(|a| a.service == "ram" && a.region.is_empty() && is_account_id(a.account))
        .ok_or_else(bad)?;
    let name = a.resource.strip_prefix("role/").ok_or_else(bad)?;
    names::check(NameKind::Role, name).map_err(|_| bad())?;
    Ok((a.account, name))
}

/// The ARN of a role.
pub fn role_arn(account: &str, role: &str) -> String {
    format!("acs:ram::{account}:role/{role}")
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Directory {
        Directory::default()
    }

    /// Adds an account.
    pub fn add_account(&mut self, uid: &str) -> Result<&mut Account, RamError> {
        if !is_account_id(uid) {
            return Err(RamError::InvalidAccountId(uid.to_string()));
        }
        if self.accounts.contains_key(uid) {
            return Err(RamError::AlreadyExists {
                entity: Entity::Account,
                name: uid.to_string(),
            });
        }
        Ok(self
            .accounts
            .entry(uid.to_string())
            .or_insert_with(|| Account::new(uid)))
    }

    /// The account, added if the directory does not have it yet.
    pub fn ensure_account(&mut self, uid: &str) -> Result<&mut Account, RamError> {
        if !is_account_id(uid) {
            return Err(RamError::InvalidAccountId(uid.to_string()));
        }
        Ok(self
            .accounts
            .entry(uid.to_string())
            .or_insert_with(|| Account::new(uid)))
    }

    /// An account.
    pub fn account(&self, uid: &str) -> Option<&Account> {
        self.accounts.get(uid)
    }

    /// An account, to change it.
    pub fn account_mut(&mut self, uid: &str) -> Option<&mut Account> {
        self.accounts.get_mut(uid)
    }

    /// Every account, by uid.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// The role an ARN names.
    pub fn role_by_arn(&self, arn: &str) -> Result<&Role, RamError> {
        let (uid, name) = parse_role_arn(arn)?;
        self.account(uid)
            .and_then(|a| a.role(name))
            .ok_or_else(|| RamError::NotFound {
                entity: Entity::Role,
                name: arn.to_string(),
            })
    }

    /// The role of that account and name.
    pub(crate) fn role_of(&self, account: &str, name: &str) -> Result<&Role, RamError> {
        self.account(account)
            .and_then(|a| a.role(name))
            .ok_or_else(|| RamError::NotFound {
                entity: Entity::Role,
                name: role_arn(account, name),
            })
    }

    /// The user of that account and name.
    pub(crate) fn user_of(&self, account: &str, name: &str) -> Result<(&Account, &User), RamError> {
        self.account(account)
            .and_then(|a| Some((a, a.user(name)?)))
            .ok_or_else(|| RamError::NotFound {
                entity: Entity::User,
                name: format!("acs:ram::{account}:user/{name}"),
            })
    }
}

impl Account {
    fn new(uid: &str) -> Account {
        Account {
            uid: uid.to_string(),
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            roles: BTreeMap::new(),
            policies: BTreeMap::new(),
            member_of: BTreeMap::new(),
        }
    }

    /// The 16-digit account id.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Creates a RAM user.
    pub fn create_user(&mut self, name: &str) -> Result<&User, RamError> {
        names::check(NameKind::User, name)?;
        if self.users.contains_key(name) {
            return Err(exists(Entity::User, name));
        }
        Ok(self.users.entry(name.to_string()).or_insert(User {
            name: name.to_string(),
            policies: Vec::new(),
        }))
    }

    /// A user. User names compare with case: RAM does not document
    /// otherwise (spec §3.4 rule 4).
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// Every user, by name.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// Deletes a RAM user that is in no group and has no policy attached
    /// (RAM's rule: `DeleteConflict.User.Group`, `DeleteConflict.User.Policy`).
    /// Access keys live outside the directory; whoever holds them checks
    /// them first.
    pub fn delete_user(&mut self, name: &str) -> Result<(), RamError> {
        let user = self
            .users
            .get(name)
            .ok_or_else(|| not_found(Entity::User, name))?;
        let conflict = |what, reason: String| RamError::DeleteConflict {
            entity: Entity::User,
            name: name.to_string(),
            what,
            reason,
        };
        if let Some(g) = self.groups_of(name).next() {
            return Err(conflict(
                "Group",
                format!("it is a member of group `{}`", g.name),
            ));
        }
        if let Some(p) = user.policies.first() {
            return Err(conflict(
                "Policy",
                format!("policy `{p}` is attached to it"),
            ));
        }
        self.users.remove(name);
        Ok(())
    }

    /// Deletes a group without members or policies
    /// (`DeleteConflict.Group.User`, `DeleteConflict.Group.Policy`).
    pub fn delete_group(&mut self, name: &str) -> Result<(), RamError> {
        let group = self
            .groups
            .get(name)
            .ok_or_else(|| not_found(Entity::Group, name))?;
        let conflict = |what, reason: String| RamError::DeleteConflict {
            entity: Entity::Group,
            name: name.to_string(),
            what,
            reason,
        };
        if let Some(u) = group.members.first() {
            return Err(conflict("User", format!("user `{u}` is a member")));
        }
        if let Some(p) = group.policies.first() {
            return Err(conflict(
                "Policy",
                format!("policy `{p}` is attached to it"),
            ));
        }
        self.groups.remove(name);
        Ok(())
    }

    /// Deletes a role without policies (`DeleteConflict.Role.Policy`).
    /// Sessions already issued stop working at their next request: the
    /// role is gone (`EntityNotExist.Role`).
    pub fn delete_role(&mut self, name: &str) -> Result<(), RamError> {
        let role = self.role_mut(name)?;
        if let Some(p) = role.policies.first() {
            return Err(RamError::DeleteConflict {
                entity: Entity::Role,
                name: role.name.clone(),
                what: "Policy",
                reason: format!("policy `{p}` is attached to it"),
            });
        }
        self.roles.remove(&name.to_ascii_lowercase());
        Ok(())
    }

    /// Creates a user group.
    pub fn create_group(&mut self, name: &str) -> Result<&Group, RamError> {
        names::check(NameKind::Group, name)?;
        if self.groups.contains_key(name) {
            return Err(exists(Entity::Group, name));
        }
        Ok(self.groups.entry(name.to_string()).or_insert(Group {
            name: name.to_string(),
            members: BTreeSet::new(),
            policies: Vec::new(),
        }))
    }

    /// A group.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    /// Every group, by name.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// The groups a user belongs to, by name.
    pub fn groups_of<'a>(&'a self, user: &'a str) -> impl Iterator<Item = &'a Group> {
        self.member_of
            .get(user)
            .into_iter()
            .flatten()
            .filter_map(|g| self.groups.get(g))
    }

    /// Adds a user to a group.
    pub fn add_user_to_group(&mut self, user: &str, group: &str) -> Result<(), RamError> {
        if !self.users.contains_key(user) {
            return Err(not_found(Entity::User, user));
        }
        let g = self
            .groups
            .get_mut(group)
            .ok_or_else(|| not_found(Entity::Group, group))?;
        if !g.members.insert(user.to_string()) {
            return Err(RamError::AlreadyMember {
                user: user.to_string(),
                group: group.to_string(),
            });
        }
        self.member_of
            .entry(user.to_string())
            .or_default()
            .insert(group.to_string());
        Ok(())
    }

    /// Removes a user from a group.
    pub fn remove_user_from_group(&mut self, user: &str, group: &str) -> Result<(), RamError> {
        let g = self
            .groups
            .get_mut(group)
            .ok_or_else(|| not_found(Entity::Group, group))?;
        if !g.members.remove(user) {
            return Err(RamError::NotMember {
                user: user.to_string(),
                group: group.to_string(),
            });
        }
        if let Some(of) = self.member_of.get_mut(user) {
            of.remove(group);
            if of.is_empty() {
                self.member_of.remove(user);
            }
        }
        Ok(())
    }

    /// Creates a role with a trust policy (JSON or DSL) and the default
    /// `MaxSessionDuration` of 3,600 s.
    pub fn create_role(&mut self, name: &str, trust_policy: &str) -> Result<&Role, RamError> {
        names::check(NameKind::Role, name)?;
        let doc = PolicyDocument::parse(trust_policy, PolicyKind::Trust, &trust_what(name), None)?;
        self.insert_role(name, doc)
    }

    pub(crate) fn insert_role(
        &mut self,
        name: &str,
        trust_policy: PolicyDocument,
    ) -> Result<&Role, RamError> {
        names::check(NameKind::Role, name)?;
        let key = name.to_ascii_lowercase();
        if self.roles.contains_key(&key) {
            return Err(exists(Entity::Role, name));
        }
        Ok(self.roles.entry(key).or_insert(Role {
            account: self.uid.clone(),
            name: name.to_string(),
            trust_policy,
            max_session_duration: MIN_MAX_SESSION_DURATION,
            policies: Vec::new(),
        }))
    }

    /// A role, by name in any case (spec §4.3).
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(&name.to_ascii_lowercase())
    }

    /// Every role, by lower-cased name.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    fn role_mut(&mut self, name: &str) -> Result<&mut Role, RamError> {
        self.roles
            .get_mut(&name.to_ascii_lowercase())
            .ok_or_else(|| not_found(Entity::Role, name))
    }

    /// Replaces a role's trust policy.
    pub fn update_trust_policy(&mut self, role: &str, trust_policy: &str) -> Result<(), RamError> {
        let doc = PolicyDocument::parse(trust_policy, PolicyKind::Trust, &trust_what(role), None)?;
        self.role_mut(role)?.trust_policy = doc;
        Ok(())
    }

    /// Sets how long sessions of a role may last: 3,600 to 43,200 s.
    pub fn set_max_session_duration(&mut self, role: &str, seconds: u64) -> Result<(), RamError> {
        if !(MIN_MAX_SESSION_DURATION..=MAX_MAX_SESSION_DURATION).contains(&seconds) {
            return Err(RamError::InvalidMaxSessionDuration {
                role: role.to_string(),
                seconds,
            });
        }
        self.role_mut(role)?.max_session_duration = seconds;
        Ok(())
    }

    /// Creates a custom identity policy; its document becomes `v1`, the default.
    pub fn create_policy(&mut self, name: &str, document: &str) -> Result<&CustomPolicy, RamError> {
        names::check(NameKind::Policy, name)?;
        let doc = PolicyDocument::parse(
            document,
            PolicyKind::Identity,
            &version_what(name, "v1"),
            None,
        )?;
        self.insert_policy(name, vec![("v1".to_string(), doc)], "v1")
    }

    /// Inserts a custom policy with its versions as a directory file holds them.
    pub(crate) fn insert_policy(
        &mut self,
        name: &str,
        versions: Vec<(String, PolicyDocument)>,
        default_version: &str,
    ) -> Result<&CustomPolicy, RamError> {
        names::check(NameKind::Policy, name)?;
        if self.policies.contains_key(name) {
            return Err(exists(Entity::Policy, name));
        }
        if versions.len() > MAX_POLICY_VERSIONS {
            return Err(RamError::PolicyVersionLimit(name.to_string()));
        }
        let mut next_version = 1;
        let mut seen = BTreeSet::new();
        for (id, _) in &versions {
            let n = version_number(id).ok_or_else(|| RamError::InvalidVersionId(id.clone()))?;
            if !seen.insert(n) {
                return Err(exists(Entity::PolicyVersion, id));
            }
            next_version = next_version.max(n.saturating_add(1));
        }
        if !versions.iter().any(|(id, _)| id == default_version) {
            return Err(not_found(Entity::PolicyVersion, default_version));
        }
        let versions = versions
            .into_iter()
            .map(|(id, document)| PolicyVersion { id, document })
            .collect();
        Ok(self
            .policies
            .entry(name.to_string())
            .or_insert(CustomPolicy {
                name: name.to_string(),
                versions,
                default_version: default_version.to_string(),
                next_version,
            }))
    }

    /// A custom policy.
    pub fn policy(&self, name: &str) -> Option<&CustomPolicy> {
        self.policies.get(name)
    }

    /// Every custom policy, by name.
    pub fn policies(&self) -> impl Iterator<Item = &CustomPolicy> {
        self.policies.values()
    }

    fn policy_mut(&mut self, name: &str) -> Result<&mut CustomPolicy, RamError> {
        self.policies
            .get_mut(name)
            .ok_or_else(|| not_found(Entity::Policy, name))
    }

    /// Adds a version to a custom policy (at most five are kept) and
    /// returns its id (`v2`, `v3`, …).
    pub fn create_policy_version(
        &mut self,
        name: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<String, RamError> {
        let p = self.policy_mut(name)?;
        if p.versions.len() >= MAX_POLICY_VERSIONS {
            return Err(RamError::PolicyVersionLimit(name.to_string()));
        }
        let id = format!("v{}", p.next_version);
        let doc = PolicyDocument::parse(
            document,
            PolicyKind::Identity,
            &version_what(name, &id),
            None,
        )?;
        p.next_version = p.next_version.saturating_add(1);
        p.versions.push(PolicyVersion {
            id: id.clone(),
            document: doc,
        });
        if set_as_default {
            p.default_version = id.clone();
        }
        Ok(id)
    }

    /// Makes a version the default.
    pub fn set_default_policy_version(
        &mut self,
        name: &str,
        version: &str,
    ) -> Result<(), RamError> {
        let p = self.policy_mut(name)?;
        if !p.versions.iter().any(|v| v.id == version) {
            return Err(not_found(Entity::PolicyVersion, version));
        }
        p.default_version = version.to_string();
        Ok(())
    }

    /// Deletes a version that is not the default.
    pub fn delete_policy_version(&mut self, name: &str, version: &str) -> Result<(), RamError> {
        let p = self.policy_mut(name)?;
        if p.default_version == version {
            return Err(RamError::DeleteDefaultVersion {
                policy: name.to_string(),
                version: version.to_string(),
            });
        }
        let before = p.versions.len();
        p.versions.retain(|v| v.id != version);
        if p.versions.len() == before {
            return Err(not_found(Entity::PolicyVersion, version));
        }
        Ok(())
    }

    /// Deletes a custom policy that nothing is attached to.
    pub fn delete_policy(&mut self, name: &str) -> Result<(), RamError> {
        if !self.policies.contains_key(name) {
            return Err(not_found(Entity::Policy, name));
        }
        let r = PolicyRef::Custom(name.to_string());
        if let Some(target) = self.attached_to(&r) {
            return Err(RamError::PolicyInUse {
                target,
                policy: name.to_string(),
            });
        }
        self.policies.remove(name);
        Ok(())
    }

    /// The first user, group or role the policy is attached to.
    fn attached_to(&self, r: &PolicyRef) -> Option<Target> {
        let user = self.users.values().find(|u| u.policies.contains(r));
        let group = self.groups.values().find(|g| g.policies.contains(r));
        let role = self.roles.values().find(|x| x.policies.contains(r));
        user.map(|u| Target::User(u.name.clone()))
            .or_else(|| group.map(|g| Target::Group(g.name.clone())))
            .or_else(|| role.map(|x| Target::Role(x.name.clone())))
    }

    /// Attaches a system policy or a custom policy of this account to a
    /// user, group or role.
    pub fn attach_policy(&mut self, target: &Target, policy: &PolicyRef) -> Result<(), RamError> {
        let known = match policy {
            PolicyRef::System(n) => system_policy(n).is_some(),
            PolicyRef::Custom(n) => self.policies.contains_key(n),
        };
        if !known {
            return Err(not_found(Entity::Policy, &policy.to_string()));
        }
        let list = self.attachments_mut(target)?;
        if list.contains(policy) {
            return Err(RamError::AlreadyAttached {
                target: target.clone(),
                policy: policy.to_string(),
            });
        }
        list.push(policy.clone());
        Ok(())
    }

    /// Detaches a policy.
    pub fn detach_policy(&mut self, target: &Target, policy: &PolicyRef) -> Result<(), RamError> {
        let list = self.attachments_mut(target)?;
        let before = list.len();
        list.retain(|p| p != policy);
        if list.len() == before {
            return Err(RamError::NotAttached {
                target: target.clone(),
                policy: policy.to_string(),
            });
        }
        Ok(())
    }

    fn attachments_mut(&mut self, target: &Target) -> Result<&mut Vec<PolicyRef>, RamError> {
        match target {
            Target::User(n) => self
                .users
                .get_mut(n)
                .map(|u| &mut u.policies)
                .ok_or_else(|| not_found(Entity::User, n)),
            Target::Group(n) => self
                .groups
                .get_mut(n)
                .map(|g| &mut g.policies)
                .ok_or_else(|| not_found(Entity::Group, n)),
            Target::Role(n) => self.role_mut(n).map(|r| &mut r.policies),
        }
    }

    /// The document an attachment refers to, named for traces:
    /// `<owner>:system/<name>` or `<owner>:policy/<name>@<default version>`.
    /// `None` only for a reference the directory no longer resolves, which
    /// its methods do not let happen.
    pub(crate) fn resolve(&self, owner: &str, r: &PolicyRef) -> Option<(String, Compiled)> {
        match r {
            PolicyRef::System(n) => {
                let p = system_policy(n)?;
                Some((format!("{owner}:{r}"), p.document.compiled().clone()))
            }
            PolicyRef::Custom(n) => {
                let p = self.policies.get(n)?;
                let v = p.default()?;
                Some((
                    format!("{owner}:{r}@{}", v.id),
                    v.document.compiled().clone(),
                ))
            }
        }
    }

    /// The compiled document an attachment refers to (see [`Account::resolve`]).
    #[cfg(feature = "access")]
    pub(crate) fn document(&self, r: &PolicyRef) -> Option<&Compiled> {
        match r {
            PolicyRef::System(n) => Some(system_policy(n)?.document.compiled()),
            PolicyRef::Custom(n) => Some(self.policies.get(n)?.default()?.document.compiled()),
        }
    }

    /// The documents of [`Account::user_policies`], in its order, without
    /// their ids.
    #[cfg(feature = "access")]
    pub(crate) fn user_documents<'a>(
        &'a self,
        user: &'a User,
    ) -> impl Iterator<Item = &'a Compiled> {
        let groups = self.groups_of(&user.name).flat_map(|g| g.policies.iter());
        user.policies
            .iter()
            .chain(groups)
            .filter_map(|r| self.document(r))
    }

    /// The identity policies of a user: its own, then its groups', in name order.
    pub(crate) fn user_policies(&self, user: &User) -> Vec<(String, Compiled)> {
        let own = format!("user/{}", user.name);
        let mut out: Vec<_> = user
            .policies
            .iter()
            .filter_map(|r| self.resolve(&own, r))
            .collect();
        for g in self.groups_of(&user.name) {
            let owner = format!("group/{}", g.name);
            out.extend(g.policies.iter().filter_map(|r| self.resolve(&owner, r)));
        }
        out
    }

    /// The identity policies of a role.
    pub(crate) fn role_policies(&self, role: &Role) -> Vec<(String, Compiled)> {
        let owner = format!("role/{}", role.name);
        role.policies
            .iter()
            .filter_map(|r| self.resolve(&owner, r))
            .collect()
    }
}

impl User {
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policies attached to the user itself (not through groups).
    pub fn policies(&self) -> &[PolicyRef] {
        &self.policies
    }
}

impl Group {
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The members, by name.
    pub fn members(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(String::as_str)
    }

    /// The policies attached to the group.
    pub fn policies(&self) -> &[PolicyRef] {
        &self.policies
    }
}

impl Role {
    /// The name as created.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The owning account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// `acs:ram::<uid>:role/<name>`.
    pub fn arn(&self) -> String {
        role_arn(&self.account, &self.name)
    }

    /// Who may assume the role.
    pub fn trust_policy(&self) -> &PolicyDocument {
        &self.trust_policy
    }

    /// The longest session, in seconds.
    pub fn max_session_duration(&self) -> u64 {
        self.max_session_duration
    }

    /// The policies attached to the role.
    pub fn policies(&self) -> &[PolicyRef] {
        &self.policies
    }
}

impl CustomPolicy {
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The versions, oldest first.
    pub fn versions(&self) -> &[PolicyVersion] {
        &self.versions
    }

    /// The id of the version in force.
    pub fn default_version(&self) -> &str {
        &self.default_version
    }

    /// The version in force.
    pub fn default(&self) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.id == self.default_version)
    }
}

impl PolicyVersion {
    /// `v1`, `v2`, …
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The document.
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }
}

fn version_number(id: &str) -> Option<u32> {
    id.strip_prefix('v')
        .filter(|n| !n.starts_with('0'))
        .and_then(|n| n.parse().ok())
}

pub(crate) fn trust_what(role: &str) -> String {
    format!("the trust policy of role `{role}`")
}

pub(crate) fn version_what(policy: &str, version: &str) -> String {
    format!("version `{version}` of policy `{policy}`")
}

fn not_found(entity: Entity, name: &str) -> RamError {
    RamError::NotFound {
        entity,
        name: name.to_string(),
    }
}

fn exists(entity: Entity, name: &str) -> RamError {
    RamError::AlreadyExists {
        entity,
        name: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "1234567890123456";
    const TRUST: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["log.aliyuncs.com"]}}]}"#;

    fn policy(action: &str) -> String {
        format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    }

    fn account() -> Directory {
        let mut d = Directory::new();
        if let Err(e) = d.add_account(UID) {
            panic!("{e}");
        }
        d
    }

    fn code<T>(r: Result<T, RamError>) -> String {
        r.err().map(|e| e.code()).unwrap_or_default()
    }

    #[test]
    fn accounts_need_sixteen_digits_and_are_added_once() {
        let mut d = account();
        assert_eq!(code(d.add_account("123")), "InvalidParameter.AccountId");
        assert_eq!(code(d.add_account(UID)), "EntityAlreadyExists.Account");
        assert!(d.ensure_account(UID).is_ok());
    }

    #[test]
    fn role_names_are_case_insensitive_and_unique() {
        let mut d = account();
        let a = d.account_mut(UID).unwrap();
        a.create_role("AliyunLogETLRole", TRUST).unwrap();
        assert_eq!(
            a.role("aliyunlogetlrole").map(Role::name),
            Some("AliyunLogETLRole")
        );
        assert_eq!(
            code(a.create_role("ALIYUNLOGETLROLE", TRUST)),
            "EntityAlreadyExists.Role"
        );
        assert_eq!(
            a.role("AliyunLogETLRole").map(Role::arn),
            Some(format!("acs:ram::{UID}:role/AliyunLogETLRole"))
        );
        assert_eq!(
            d.role_by_arn(&format!("acs:ram::{UID}:role/ALIYUNLOGETLROLE"))
                .map(Role::name)
                .ok(),
            Some("AliyunLogETLRole")
        );
    }

    #[test]
    fn a_trust_policy_must_parse_as_one() {
        let mut d = account();
        let a = d.account_mut(UID).unwrap();
        assert_eq!(
            code(a.create_role("r", &policy("sts:AssumeRole"))),
            "MalformedPolicyDocument"
        );
        let huge = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":[{}]}}}}]}}"#,
            vec!["\"log.aliyuncs.com\""; 300].join(",")
        );
        assert_eq!(
            code(a.create_role("r", &huge)),
            "InvalidParameter.AssumeRolePolicyDocument.Length"
        );
    }

    #[test]
    fn max_session_duration_is_between_one_and_twelve_hours() {
        let mut d = account();
        let a = d.account_mut(UID).unwrap();
        a.create_role("r", TRUST).unwrap();
        assert_eq!(a.role("r").map(Role::max_session_duration), Some(3_600));
        assert_eq!(
            code(a.set_max_session_duration("r", 3_599)),
            "InvalidParameter.MaxSessionDuration"
        );
        assert_eq!(
            code(a.set_max_session_duration("r", 43_201)),
            "InvalidParameter.MaxSessionDuration"
        );
        assert!(a.set_max_session_duration("R", 43_200).is_ok());
        assert_eq!(a.role("r").map(Role::max_session_duration), Some(43_200));
        assert_eq!(
            code(a.set_max_session_duration("nope", 7_200)),
            "EntityNotExist.Role"
        );
    }

    #[test]
    fn a_policy_keeps_five_versions_and_one_default() {
        let mut d = account();
        let a = d.account_mut(UID).unwrap();
        a.create_policy("Foo", &policy("kms:Decrypt")).unwrap();
        assert_eq!(
            a.policy("Foo").map(CustomPolicy::default_version),
            Some("v1")
        );
        for n in 2..=5 {
            let id = a.create_policy_version("Foo", &policy("kms:Encrypt"), n == 3);
            assert_eq!(id.ok(), Some(format!("v{n}")));
        }
        assert_eq!(
            a.policy("Foo").map(CustomPolicy::default_version),
            Some("v3")
        );
        assert_eq!(
            code(a.create_policy_version("Foo", &policy("kms:Encrypt"), false)),
            "LimitExceeded.Policy.Version"
        );
        assert_eq!(
            code(a.delete_policy_version("Foo", "v3")),
            "DeleteConflict.Policy.Version.Default"
        );
        assert!(a.delete_policy_version("Foo", "v5").is_ok());
        // Ids are not reused: the next version after deleting v5 is v6.
        assert_eq!(
            a.create_policy_version("Foo", &policy("kms:Encrypt"), false)
                .ok(),
            Some("v6".to_string())
        );
        assert_eq!(
            code(a.set_default_policy_version("Foo", "v5")),
            "EntityNotExist.Policy.Version"
        );
        assert_eq!(
            code(a.create_policy_version("Bar", &policy("x:Y"), true)),
            "EntityNotExist.Policy"
        );
        assert_eq!(
            code(a.create_policy("Foo", &policy("x:Y"))),
            "EntityAlreadyExists.Policy"
        );
        assert_eq!(
            code(a.create_policy("foo_bar", &policy("x:Y"))),
            "InvalidParameter.PolicyName.InvalidChars"
        );
        let too_long = policy(&"a".repeat(6_200));
        assert_eq!(
            code(a.create_policy("Big", &too_long)),
            "InvalidParameter.PolicyDocument.Length"
        );
    }

    #[test]
    fn attachments_resolve_to_ids_that_say_where_they_come_from() {
        let mut d = account();
        let a = d.account_mut(UID).unwrap();
        a.create_user("alice").unwrap();
        a.create_group("ops").unwrap();
        a.add_user_to_group("alice", "ops").unwrap();
        a.create_policy("Foo", &policy("kms:Decrypt")).unwrap();
        a.create_policy_version("Foo", &policy("kms:Encrypt"), true)
            .unwrap();
        let user = Target::User("alice".into());
        let group = Target::Group("ops".into());
        a.attach_policy(&user, &PolicyRef::Custom("Foo".into()))
            .unwrap();
        a.attach_policy(&group, &PolicyRef::System("AliyunLogReadOnlyAccess".into()))
            .unwrap();
        assert_eq!(
            code(a.attach_policy(&user, &PolicyRef::Custom("Foo".into()))),
            "EntityAlreadyExists.User.Policy"
        );
        assert_eq!(
            code(a.attach_policy(&user, &PolicyRef::System("NoSuchPolicy".into()))),
            "EntityNotExist.Policy"
        );
        assert_eq!(
            code(a.attach_policy(&Target::Role("r".into()), &PolicyRef::Custom("Foo".into()))),
            "EntityNotExist.Role"
        );
        assert_eq!(
            code(a.add_user_to_group("alice", "ops")),
            "EntityAlreadyExists.User.Group"
        );
        let alice = a.user("alice").unwrap().clone();
        let ids: Vec<String> = a
            .user_policies(&alice)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(
            ids,
            vec![
                "user/alice:policy/Foo@v2".to_string(),
                "group/ops:system/AliyunLogReadOnlyAccess".to_string()
            ]
        );
        assert_eq!(code(a.delete_policy("Foo")), "DeleteConflict.Policy.User");
        a.detach_policy(&user, &PolicyRef::Custom("Foo".into()))
            .unwrap();
        assert_eq!(
            code(a.detach_policy(&user, &PolicyRef::Custom("Foo".into()))),
            "EntityNotExist.User.Policy"
        );
        assert!(a.delete_policy("Foo").is_ok());
        a.remove_user_from_group("alice", "ops").unwrap();
        assert_eq!(
            code(a.remove_user_from_group("alice", "ops")),
            "EntityNotExist.User.Group"
        );
    }

    /// Regression for the user → groups index: every membership change
    /// shows in `groups_of` and in the policies a user gets, a failed
    /// change leaves it alone, and a directory file loaded back rebuilds it.
    #[test]
    fn groups_of_follows_every_membership_change() {
        let mut d = account();
        let a = d.account_mut(UID).unwrap();
        for u in ["alice", "bob"] {
            a.create_user(u).unwrap();
        }
        for g in ["ops", "dev", "audit"] {
            a.create_group(g).unwrap();
        }
        a.attach_policy(
            &Target::Group("dev".into()),
            &PolicyRef::System("AliyunLogReadOnlyAccess".into()),
        )
        .unwrap();
        let groups = |a: &Account, u: &str| -> Vec<String> {
            a.groups_of(u).map(|g| g.name().to_string()).collect()
        };
        assert!(groups(a, "alice").is_empty());
        a.add_user_to_group("alice", "ops").unwrap();
        a.add_user_to_group("alice", "dev").unwrap();
        a.add_user_to_group("bob", "dev").unwrap();
        // Name order, as the scan over every group gave.
        assert_eq!(groups(a, "alice"), ["dev", "ops"]);
        assert_eq!(groups(a, "bob"), ["dev"]);
        // Failed changes change nothing.
        assert!(a.add_user_to_group("alice", "ops").is_err());
        assert!(a.add_user_to_group("alice", "nope").is_err());
        assert!(a.add_user_to_group("carol", "ops").is_err());
        assert!(a.remove_user_from_group("bob", "ops").is_err());
        assert_eq!(groups(a, "alice"), ["dev", "ops"]);
        assert_eq!(groups(a, "carol"), Vec::<String>::new());
        a.remove_user_from_group("alice", "dev").unwrap();
        assert_eq!(groups(a, "alice"), ["ops"]);
        let alice = a.user("alice").unwrap().clone();
        assert!(a.user_policies(&alice).is_empty(), "dev's policy is gone");
        let bob = a.user("bob").unwrap().clone();
        assert_eq!(a.user_policies(&bob).len(), 1);
        a.remove_user_from_group("alice", "ops").unwrap();
        assert!(groups(a, "alice").is_empty());
        // Every member list and the index agree, after a round trip too.
        a.add_user_to_group("alice", "audit").unwrap();
        let back = Directory::from_json(&d.to_json(), "ram.json", None).unwrap();
        assert_eq!(back, d);
        let a = back.account(UID).unwrap();
        for u in a.users() {
            let scanned: Vec<String> = a
                .groups()
                .filter(|g| g.members().any(|m| m == u.name()))
                .map(|g| g.name().to_string())
                .collect();
            assert_eq!(groups(a, u.name()), scanned, "{}", u.name());
        }
        assert_eq!(groups(a, "alice"), ["audit"]);
    }

    #[test]
    fn role_arns_parse_only_in_their_documented_form() {
        assert_eq!(
            parse_role_arn("acs:ram::1234567890123456:role/sls-byok").ok(),
            Some(("1234567890123456", "sls-byok"))
        );
        for bad in [
            "acs:ram:*:1234567890123456:role/x",
            "acs:ram::123:role/x",
            "acs:ram::1234567890123456:user/x",
            "acs:ram::1234567890123456:role/x/session",
            "acs:kms::1234567890123456:role/x",
            "role/x",
        ] {
            assert_eq!(
                code(parse_role_arn(bad)),
                "InvalidParameter.RoleArn",
                "{bad}"
            );
        }
    }
}

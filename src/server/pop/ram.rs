//! RAM 2015-05-01 over POP: users, roles and access keys (§4.7); groups
//! are in `ram_groups.rs`, policies and attachments in `ram_policies.rs`.
//!
//! Every call is authorized for its caller as `ram:<Action>` on the ARN of
//! what it acts on (`acs:ram::<uid>:user/<name>`, `…:group/<name>`,
//! `…:role/<name>`; `…:user/*` and so on for the lists), with the
//! request's context. Changes go through
//! [`LogService::edit_directory_as`], which decides on the very directory
//! it changes; the CLI, the operator's path, stays unauthorized.
//!
//! The directory keeps names, trust policies and attachments only, so
//! `DisplayName`, `Comments`, `Description`, `MobilePhone`, `Email` are
//! echoed by the call that sets them and not kept, `UserId` and `RoleId`
//! are derived from the ARN ([`super::entity_id`]), and `CreateDate` is
//! given only by the create calls (the time of the call).

use serde_json::{Value, json};

use crate::logstore::{AuditedCall, LogService};
use crate::ram::{Account, Entity, Identity, MIN_MAX_SESSION_DURATION, RamError, Role};

use super::super::credentials::{CredentialStore, Credentials, KeyOwner, KeyStatus};
use super::{
    Params, PopCall, PopFailure, access, authorize, entity_id, ram_groups, ram_policies, rfc3339,
};

/// The answer of `action`, or `None` when RAM has no such action.
pub(super) fn handle(
    audit: &AuditedCall<'_>,
    credentials: &dyn Credentials,
    call: &PopCall<'_>,
    params: &Params<'_>,
) -> Option<Result<Value, PopFailure>> {
    let ram = RamCall {
        service: audit.service(),
        audit,
        call,
        params,
    };
    Some(match call.action {
        "CreateUser" => ram.create_user(),
        "GetUser" => ram.get_user(),
        "ListUsers" => ram.list_users(),
        "DeleteUser" => ram.delete_user(credentials),
        "CreateRole" => ram.create_role(),
        "GetRole" => ram.get_role(),
        "ListRoles" => ram.list_roles(),
        "UpdateRole" => ram.update_role(),
        "DeleteRole" => ram.delete_role(),
        "CreateAccessKey" => ram.create_access_key(credentials),
        "ListAccessKeys" => ram.list_access_keys(credentials),
        "UpdateAccessKey" => ram.update_access_key(credentials),
        "DeleteAccessKey" => ram.delete_access_key(credentials),
        _ => return ram_groups::handle(&ram).or_else(|| ram_policies::handle(&ram)),
    })
}

/// One RAM call: the service, the request and its parameters.
pub(super) struct RamCall<'a> {
    pub(super) service: &'a LogService,
    /// The audited call: every decision joins its record.
    pub(super) audit: &'a AuditedCall<'a>,
    pub(super) call: &'a PopCall<'a>,
    pub(super) params: &'a Params<'a>,
}

type Answer = Result<Value, PopFailure>;

impl RamCall<'_> {
    /// `acs:ram::<uid>:<kind>/<name>`.
    pub(super) fn arn(&self, kind: &str, name: &str) -> String {
        format!("acs:ram::{}:{kind}/{name}", self.service.account())
    }

    /// Authorizes a read.
    pub(super) fn authorize(&self, action: &str, resource: &str) -> Result<(), PopFailure> {
        authorize(self.audit, self.call, action, resource)
    }

    /// An authorized change of the directory.
    pub(super) fn edit<T>(
        &self,
        action: &str,
        resource: &str,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> Result<T, PopFailure> {
        Ok(self.audit.edit_directory_as(
            self.call.caller,
            &access(self.call, action, resource),
            edit,
        )?)
    }

    /// Runs `f` on the account's directory as it stands.
    pub(super) fn read<T>(&self, f: impl FnOnce(&Account) -> Result<T, RamError>) -> Answer2<T> {
        let directory = self.service.directory();
        let account = directory
            .account(self.service.account())
            .ok_or_else(|| RamError::InvalidAccountId(self.service.account().to_string()))?;
        Ok(f(account)?)
    }

    /// One page of a RAM list, `{<outer>: {<inner>: [...]}, "IsTruncated":
    /// …, "Marker": …}`: at most `MaxItems` (1–1000, 100 when absent) items
    /// from `Marker` on. The marker is the position of the next item, in
    /// decimal (RAM's are opaque): a change of the list between two pages
    /// can shift it by the items added or removed before it.
    pub(super) fn paged(&self, outer: &str, inner: &str, items: Vec<Value>) -> Answer {
        let max = self.params.number("MaxItems", 100)?;
        if !(1..=1000).contains(&max) {
            return Err(PopFailure::invalid(
                "InvalidParameter.MaxItems",
                format!("`MaxItems` must be from 1 to 1000, not `{max}`"),
            ));
        }
        let from = match self.params.get("Marker") {
            None => 0,
            Some(m) => m
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= items.len())
                .ok_or_else(|| {
                    PopFailure::invalid(
                        "InvalidParameter.Marker",
                        format!(
                            "the marker `{}` is not one this list answered",
                            crate::terminal::clip(m)
                        ),
                    )
                })?,
        };
        let to = from.saturating_add(usize::try_from(max).unwrap_or(usize::MAX));
        let truncated = to < items.len();
        let page: Vec<Value> = items.into_iter().skip(from).take(to - from).collect();
        let mut answer = json!({ outer: { inner: page }, "IsTruncated": truncated });
        if let (true, Some(o)) = (truncated, answer.as_object_mut()) {
            o.insert("Marker".into(), json!(to.to_string()));
        }
        Ok(answer)
    }

    /// Now, as RAM writes dates.
    pub(super) fn now(&self) -> String {
        rfc3339(self.service.clock().now())
    }

    fn create_user(&self) -> Answer {
        let name = self.params.required("UserName")?;
        self.edit("ram:CreateUser", &self.arn("user", name), |a| {
            a.create_user(name).map(drop)
        })?;
        let mut user = self.user_json(name);
        if let Some(o) = user.as_object_mut() {
            o.insert("CreateDate".into(), json!(self.now()));
            for key in ["DisplayName", "MobilePhone", "Email", "Comments"] {
                if let Some(v) = self.params.get(key) {
                    o.insert(key.into(), json!(v));
                }
            }
        }
        Ok(json!({ "User": user }))
    }

    /// A user as RAM lists it.
    pub(super) fn user_json(&self, name: &str) -> Value {
        json!({
            "UserId": entity_id("user", &self.arn("user", name)),
            "UserName": name,
            "DisplayName": name,
        })
    }

    fn get_user(&self) -> Answer {
        let name = self.params.required("UserName")?;
        self.authorize("ram:GetUser", &self.arn("user", name))?;
        self.read(|a| {
            a.user(name)
                .map(drop)
                .ok_or_else(|| missing(Entity::User, name))
        })?;
        Ok(json!({ "User": self.user_json(name) }))
    }

    fn list_users(&self) -> Answer {
        self.authorize("ram:ListUsers", &self.arn("user", "*"))?;
        let names =
            self.read(|a| Ok(a.users().map(|u| u.name().to_string()).collect::<Vec<_>>()))?;
        let users = names.iter().map(|n| self.user_json(n)).collect();
        self.paged("Users", "User", users)
    }

    /// A user with access keys cannot be deleted
    /// (`DeleteConflict.User.AccessKey`); the directory checks groups and
    /// policies.
    fn delete_user(&self, credentials: &dyn Credentials) -> Answer {
        let name = self.params.required("UserName")?;
        let resource = self.arn("user", name);
        self.authorize("ram:DeleteUser", &resource)?;
        if let Some(store) = credentials.store() {
            let keys = store.list_access_keys(&KeyOwner::User(name.to_string()))?;
            if let Some(k) = keys.first() {
                return Err(RamError::DeleteConflict {
                    entity: Entity::User,
                    name: name.to_string(),
                    what: "AccessKey",
                    reason: format!("it has the access key `{}`", k.id),
                }
                .into());
            }
        }
        self.edit("ram:DeleteUser", &resource, |a| a.delete_user(name))?;
        Ok(json!({}))
    }

    /// The role `name` as RAM answers it (`EntityNotExist.Role` when the
    /// account has none): what `CreateRole`, `GetRole` and `UpdateRole`
    /// answer, read inside the edit or the read that found it.
    fn role_answer(&self, a: &Account, name: &str) -> Result<Value, RamError> {
        a.role(name)
            .map(|r| self.role_json(r))
            .ok_or_else(|| missing(Entity::Role, name))
    }

    /// `role` with the echoed description parameter `description` (not
    /// kept by the directory) and `date` (`CreateDate`, `UpdateDate`) set
    /// to now.
    fn stamped(&self, mut role: Value, description: &str, date: &str) -> Value {
        if let Some(o) = role.as_object_mut() {
            if let Some(d) = self.params.get(description) {
                o.insert("Description".into(), json!(d));
            }
            o.insert(date.into(), json!(self.now()));
        }
        role
    }

    fn role_json(&self, role: &Role) -> Value {
        let uid = self.service.account();
        json!({
            "RoleId": entity_id("role", &role.arn().to_ascii_lowercase()),
            "RoleName": role.name(),
            "Arn": role.arn(),
            "AssumeRolePolicyDocument": role.trust_policy().source(),
            "MaxSessionDuration": role.max_session_duration(),
            "RolePrincipalName": format!("{}@role.{uid}.onaliyunservice.com", role.name()),
            "IsServiceLinkedRole": false,
        })
    }

    /// `MaxSessionDuration`-like parameters: 3600–43200 s, checked by the
    /// directory.
    fn max_session(&self, name: &str) -> Result<Option<u64>, PopFailure> {
        match self.params.get(name) {
            None => Ok(None),
            Some(_) => self.params.number(name, MIN_MAX_SESSION_DURATION).map(Some),
        }
    }

    fn create_role(&self) -> Answer {
        let name = self.params.required("RoleName")?;
        let trust = self.params.required("AssumeRolePolicyDocument")?;
        let max = self.max_session("MaxSessionDuration")?;
        let role = self.edit("ram:CreateRole", &self.arn("role", name), |a| {
            a.create_role(name, trust)?;
            if let Some(seconds) = max {
                a.set_max_session_duration(name, seconds)?;
            }
            self.role_answer(a, name)
        })?;
        Ok(json!({ "Role": self.stamped(role, "Description", "CreateDate") }))
    }

    fn get_role(&self) -> Answer {
        let name = self.params.required("RoleName")?;
        self.authorize("ram:GetRole", &self.arn("role", name))?;
        let role = self.read(|a| self.role_answer(a, name))?;
        Ok(json!({ "Role": role }))
    }

    fn list_roles(&self) -> Answer {
        self.authorize("ram:ListRoles", &self.arn("role", "*"))?;
        let roles = self.read(|a| Ok(a.roles().map(|r| self.role_json(r)).collect::<Vec<_>>()))?;
        self.paged("Roles", "Role", roles)
    }

    fn update_role(&self) -> Answer {
        let name = self.params.required("RoleName")?;
        let trust = self.params.get("NewAssumeRolePolicyDocument");
        let max = self.max_session("NewMaxSessionDuration")?;
        let role = self.edit("ram:UpdateRole", &self.arn("role", name), |a| {
            if a.role(name).is_none() {
                return Err(missing(Entity::Role, name));
            }
            if let Some(text) = trust {
                a.update_trust_policy(name, text)?;
            }
            if let Some(seconds) = max {
                a.set_max_session_duration(name, seconds)?;
            }
            self.role_answer(a, name)
        })?;
        Ok(json!({ "Role": self.stamped(role, "NewDescription", "UpdateDate") }))
    }

    fn delete_role(&self) -> Answer {
        let name = self.params.required("RoleName")?;
        self.edit("ram:DeleteRole", &self.arn("role", name), |a| {
            a.delete_role(name)
        })?;
        Ok(json!({}))
    }

    /// Whose keys a call is about, and the ARN it is authorized on: the
    /// user `UserName` names, else the caller itself (a RAM user's own
    /// keys, or the account's).
    fn key_owner(&self) -> Result<(KeyOwner, String), PopFailure> {
        let uid = self.service.account();
        match (self.params.get("UserName"), self.call.caller) {
            (Some(name), _) => {
                self.read(|a| {
                    a.user(name)
                        .map(drop)
                        .ok_or_else(|| missing(Entity::User, name))
                })?;
                Ok((KeyOwner::User(name.to_string()), self.arn("user", name)))
            }
            (None, Identity::User { name, .. }) => {
                Ok((KeyOwner::User(name.clone()), self.arn("user", name)))
            }
            (None, Identity::Account { .. }) => {
                Ok((KeyOwner::Root, format!("acs:ram::{uid}:root")))
            }
            (None, other) => Err(PopFailure::new(
                400,
                "MissingParameter",
                format!(
                    "`{other}` has no access keys of its own: the parameter `UserName` is required"
                ),
            )),
        }
    }

    fn create_access_key(&self, credentials: &dyn Credentials) -> Answer {
        let store = key_store(credentials)?;
        let (owner, resource) = self.key_owner()?;
        self.authorize("ram:CreateAccessKey", &resource)?;
        let key = store.create_access_key(&owner)?;
        Ok(json!({ "AccessKey": {
            "AccessKeyId": key.info.id,
            "AccessKeySecret": key.secret.as_str(),
            "Status": key.info.status.as_str(),
            "CreateDate": rfc3339(key.info.create_date),
        }}))
    }

    fn list_access_keys(&self, credentials: &dyn Credentials) -> Answer {
        let store = key_store(credentials)?;
        let (owner, resource) = self.key_owner()?;
        self.authorize("ram:ListAccessKeys", &resource)?;
        let keys: Vec<Value> = store
            .list_access_keys(&owner)?
            .iter()
            .map(|k| {
                json!({
                    "AccessKeyId": k.id,
                    "Status": k.status.as_str(),
                    "CreateDate": rfc3339(k.create_date),
                })
            })
            .collect();
        Ok(json!({ "AccessKeys": { "AccessKey": keys } }))
    }

    fn update_access_key(&self, credentials: &dyn Credentials) -> Answer {
        let store = key_store(credentials)?;
        let id = self.params.required("UserAccessKeyId")?;
        let status = self.params.required("Status")?;
        let status = KeyStatus::parse(status).ok_or_else(|| {
            PopFailure::invalid(
                "InvalidParameter.Status",
                format!("the status `{status}` is neither `Active` nor `Inactive`"),
            )
        })?;
        let (owner, resource) = self.key_owner()?;
        self.authorize("ram:UpdateAccessKey", &resource)?;
        store.set_access_key_status(&owner, id, status)?;
        Ok(json!({}))
    }

    fn delete_access_key(&self, credentials: &dyn Credentials) -> Answer {
        let store = key_store(credentials)?;
        let id = self.params.required("UserAccessKeyId")?;
        let (owner, resource) = self.key_owner()?;
        self.authorize("ram:DeleteAccessKey", &resource)?;
        store.delete_access_key(&owner, id)?;
        Ok(json!({}))
    }
}

/// A result whose error is already a [`PopFailure`].
pub(super) type Answer2<T> = Result<T, PopFailure>;

/// `EntityNotExist.<Entity>`.
pub(super) fn missing(entity: Entity, name: &str) -> RamError {
    RamError::NotFound {
        entity,
        name: name.to_string(),
    }
}

fn key_store(credentials: &dyn Credentials) -> Result<&dyn CredentialStore, PopFailure> {
    credentials.store().ok_or_else(|| {
        PopFailure::new(
            400,
            "NotSupported",
            "this endpoint's credentials cannot be managed over the API",
        )
    })
}

//! `ramgate ram`: the users, groups, roles and policies of the data
//! directory's account.

use std::fmt::Write as _;

use clap::{Args, Subcommand};

use serde_json::{Value, json};

use crate::logstore::LogService;
use crate::policy::PolicyKind;
use crate::ram::{Account, Identity, PolicyDocument, PolicyRef, RamError, Target};

use super::data::{
    DataDirArg, DataError, Format, FormatArg, emit, emit_json, emit_raw, finish, inline_or_file,
    open, open_read_only,
};
use super::{Failure, Outcome};

/// Users, groups, roles and their policies in the data directory's account.
///
/// Create users, groups and roles, write trust and custom policies (JSON or
/// DSL files), attach and detach system and custom policies.
///
/// Whoever runs ramgate on the data directory administers its account, so
/// these changes are not themselves authorized (RAM's own API is not
/// emulated). Exit status: 0 done, 2 bad input — an unknown or duplicate
/// name, a policy that does not parse (`error: <Code> (<status>):
/// <message>`, with `file:line:column` for policy files).
#[derive(Debug, Args)]
pub(crate) struct RamArgs {
    #[command(subcommand)]
    command: RamCommand,
    #[command(flatten)]
    dir: DataDirArg,
}

#[derive(Debug, Subcommand)]
enum RamCommand {
    /// Create a RAM user.
    CreateUser { name: String },
    /// Create a user group.
    CreateGroup { name: String },
    /// Add a user to a group (it gets the group's policies).
    AddUserToGroup { user: String, group: String },
    /// Create a role whose trust policy says who may assume it.
    CreateRole {
        name: String,
        /// The trust policy, JSON or DSL.
        #[arg(long, value_name = "FILE")]
        trust_policy: String,
    },
    /// Replace a role's trust policy.
    UpdateTrustPolicy {
        role: String,
        /// The trust policy, JSON or DSL.
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Create a custom policy (its document becomes version `v1`).
    CreatePolicy {
        name: String,
        /// The policy, JSON or DSL.
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Attach `system/<Name>` or `policy/<Name>` to a user, group or role.
    AttachPolicy {
        #[command(flatten)]
        target: TargetArgs,
        /// `system/<Name>` (a system policy) or `policy/<Name>` (a custom one).
        policy: String,
    },
    /// Detach a policy from a user, group or role.
    DetachPolicy {
        #[command(flatten)]
        target: TargetArgs,
        /// `system/<Name>` or `policy/<Name>`.
        policy: String,
    },
    /// Create an access key for a RAM user (`--user`) or the account itself
    /// (`--root`), and print its id and secret: the secret is shown this
    /// once, and stored only sealed under the data directory's root key.
    /// JSON with `--format json`: `{"AccessKeyId": …, "AccessKeySecret": …}`.
    CreateAccessKey {
        #[command(flatten)]
        owner: KeyOwnerArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show the account's users, groups, roles and custom policies (JSON:
    /// the directory file).
    Show {
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct TargetArgs {
    /// A RAM user.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// A user group.
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// A role.
    #[arg(long, value_name = "NAME")]
    role: Option<String>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct KeyOwnerArgs {
    /// The RAM user the key signs as.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// The account itself (`acs:ram::<uid>:root`): every permission on its
    /// own resources.
    #[arg(long)]
    root: bool,
}

impl TargetArgs {
    fn target(&self) -> Target {
        match (&self.user, &self.group, &self.role) {
            (Some(u), _, _) => Target::User(u.clone()),
            (_, Some(g), _) => Target::Group(g.clone()),
            (_, _, r) => Target::Role(r.clone().unwrap_or_default()),
        }
    }
}

pub(crate) fn run(args: RamArgs) -> Result<Outcome, Failure> {
    finish(ram(args))
}

fn ram(args: RamArgs) -> Result<(), DataError> {
    if let RamCommand::Show { format } = &args.command {
        // Changes nothing and audits nothing: no lock, nothing written.
        let dir = open_read_only(&args.dir)?;
        return match format.format {
            Format::Json => emit_raw(&format!("{}\n", dir.directory().to_json())),
            Format::Text => emit(&show(dir.directory(), dir.account())),
        };
    }
    let svc = open(&args.dir)?;
    let uid = svc.account().to_string();
    let done = match args.command {
        RamCommand::CreateUser { name } => {
            edit(&svc, "CreateUser", json!({"UserName": name}), |a| {
                a.create_user(&name).map(drop)
            })?;
            format!("created user `{name}` (acs:ram::{uid}:user/{name})")
        }
        RamCommand::CreateGroup { name } => {
            edit(&svc, "CreateGroup", json!({"GroupName": name}), |a| {
                a.create_group(&name).map(drop)
            })?;
            format!("created group `{name}`")
        }
        RamCommand::AddUserToGroup { user, group } => {
            let target = json!({"UserName": user, "GroupName": group});
            edit(&svc, "AddUserToGroup", target, |a| {
                a.add_user_to_group(&user, &group)
            })?;
            format!("added user `{user}` to group `{group}`")
        }
        RamCommand::CreateRole { name, trust_policy } => {
            let what = format!("the trust policy of role `{name}`");
            let text = policy_file(&trust_policy, PolicyKind::Trust, &what)?;
            let arn = edit(&svc, "CreateRole", json!({"RoleName": name}), |a| {
                a.create_role(&name, &text).map(|r| r.arn())
            })?;
            format!("created role `{name}` ({arn})")
        }
        RamCommand::UpdateTrustPolicy { role, file } => {
            let what = format!("the trust policy of role `{role}`");
            let text = policy_file(&file, PolicyKind::Trust, &what)?;
            edit(&svc, "UpdateRole", json!({"RoleName": role}), |a| {
                a.update_trust_policy(&role, &text)
            })?;
            format!("updated the trust policy of role `{role}`")
        }
        RamCommand::CreatePolicy { name, file } => {
            let text = policy_file(&file, PolicyKind::Identity, &format!("policy `{name}`"))?;
            let target = json!({"PolicyName": name});
            edit(&svc, "CreatePolicy", target, |a| {
                a.create_policy(&name, &text).map(drop)
            })?;
            format!("created policy `policy/{name}` (version v1)")
        }
        RamCommand::AttachPolicy { target, policy } => {
            let (target, policy) = (target.target(), policy_ref(&policy)?);
            let (op, audited) = attachment("AttachPolicyTo", &target, &policy);
            edit(&svc, &op, audited, |a| a.attach_policy(&target, &policy))?;
            format!("attached `{policy}` to {target}")
        }
        RamCommand::DetachPolicy { target, policy } => {
            let (target, policy) = (target.target(), policy_ref(&policy)?);
            let (op, audited) = attachment("DetachPolicyFrom", &target, &policy);
            edit(&svc, &op, audited, |a| a.detach_policy(&target, &policy))?;
            format!("detached `{policy}` from {target}")
        }
        RamCommand::CreateAccessKey { owner, format } => {
            return create_access_key(&svc, &owner, format.format);
        }
        RamCommand::Show { .. } => return Ok(()),
    };
    emit(&format!("{done}\n"))
}

/// An operator's change of the directory, audited as the RAM API it is
/// (`op`, the names it changes as the target): the caller is the account
/// and the chain is empty, since the CLI, the operator's path, is not
/// authorized.
fn edit<T>(
    svc: &LogService,
    op: &str,
    mut target: Value,
    edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
) -> Result<T, DataError> {
    if let Some(o) = target.as_object_mut() {
        for v in o.values_mut() {
            if let Some(text) = v.as_str() {
                *v = json!(crate::terminal::clip(text));
            }
        }
        o.insert("product".into(), json!("ram"));
    }
    let account = Identity::Account {
        uid: svc.account().to_string(),
    };
    svc.audited_call(op, &account, target, |_| {
        Ok((svc.edit_directory(edit)?, json!({})))
    })
}

/// The API and target of attaching `policy` to `target` (`AttachPolicyTo`
/// + `User`, …).
fn attachment(verb: &str, target: &Target, policy: &PolicyRef) -> (String, Value) {
    let (kind, param, name) = match target {
        Target::User(n) => ("User", "UserName", n),
        Target::Group(n) => ("Group", "GroupName", n),
        Target::Role(n) => ("Role", "RoleName", n),
    };
    let (policy_type, policy_name) = match policy {
        PolicyRef::System(n) => ("System", n),
        PolicyRef::Custom(n) => ("Custom", n),
    };
    (
        format!("{verb}{kind}"),
        json!({param: name, "PolicyName": policy_name, "PolicyType": policy_type}),
    )
}

/// `create-access-key`: the user must exist; the key goes to the data
/// directory's credential store, which `ramgate serve` reads.
fn create_access_key(
    svc: &crate::logstore::LogService,
    owner: &KeyOwnerArgs,
    format: Format,
) -> Result<(), DataError> {
    use crate::server::credentials::{CredentialStore as _, KeyOwner};
    let owner = match &owner.user {
        Some(name) => {
            let directory = svc.directory();
            if directory
                .account(svc.account())
                .and_then(|a| a.user(name))
                .is_none()
            {
                return Err(crate::ram::RamError::NotFound {
                    entity: crate::ram::Entity::User,
                    name: name.clone(),
                }
                .into());
            }
            KeyOwner::User(name.clone())
        }
        None => KeyOwner::Root,
    };
    let store = crate::server::keystore::KeyStore::open(svc)?;
    let mut target = json!({"product": "ram"});
    if let KeyOwner::User(name) = &owner {
        target["UserName"] = json!(crate::terminal::clip(name));
    }
    let account = Identity::Account {
        uid: svc.account().to_string(),
    };
    // The record names the key, never its secret.
    let key = svc.audited_call("CreateAccessKey", &account, target, |_| {
        let key = store.create_access_key(&owner)?;
        let detail = json!({"AccessKey": {"AccessKeyId": key.info.id}});
        Ok::<_, DataError>((key, detail))
    })?;
    match format {
        Format::Json => emit_json(&serde_json::json!({
            "AccessKeyId": key.info.id,
            "AccessKeySecret": key.secret.as_str(),
        })),
        Format::Text => emit(&format!(
            "created access key `{}` for {owner}\nAccessKeyId: {}\nAccessKeySecret: {}\n(the secret is shown only now)\n",
            key.info.id,
            key.info.id,
            key.secret.as_str()
        )),
    }
}

/// Reads a policy file and checks it here, so that an error names the file
/// with `line:column` (the directory would only see the text).
fn policy_file(path: &str, kind: PolicyKind, what: &str) -> Result<String, DataError> {
    let (text, _) = inline_or_file(&format!("@{path}"))
        .map_err(|m| DataError::invalid("InvalidParameter", m))?;
    PolicyDocument::parse(&text, kind, what, Some(path))?;
    Ok(text)
}

fn policy_ref(text: &str) -> Result<PolicyRef, DataError> {
    text.parse::<PolicyRef>()
        .map_err(|e| DataError::invalid("InvalidParameter.PolicyName", e.to_string()))
}

/// One line per entity, its attachments and memberships indented under it.
fn show(directory: &crate::ram::Directory, uid: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "account {uid} (acs:ram::{uid}:root)");
    let Some(account) = directory.account(uid) else {
        return out;
    };
    let policies = |out: &mut String, refs: &[PolicyRef]| {
        for r in refs {
            let _ = writeln!(out, "  policy {r}");
        }
    };
    for u in account.users() {
        let _ = writeln!(out, "user {}", u.name());
        policies(&mut out, u.policies());
        for g in account.groups_of(u.name()) {
            let _ = writeln!(out, "  in group {}", g.name());
        }
    }
    for g in account.groups() {
        let _ = writeln!(out, "group {}", g.name());
        policies(&mut out, g.policies());
    }
    for r in account.roles() {
        let _ = writeln!(out, "role {} ({})", r.name(), r.arn());
        policies(&mut out, r.policies());
    }
    for p in account.policies() {
        let versions: Vec<&str> = p.versions().iter().map(|v| v.id()).collect();
        let _ = writeln!(
            out,
            "policy/{} default {} (versions {})",
            p.name(),
            p.default_version(),
            versions.join(", ")
        );
    }
    out
}

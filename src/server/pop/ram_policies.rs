//! RAM policies over POP: custom policies and their versions, system
//! policies, and attaching either to users, groups and roles.
//!
//! Policy calls are authorized on `acs:ram::<uid>:policy/<name>`;
//! attaching, detaching and listing a target's policies on the target
//! (`…:user/<name>`, `…:group/<name>`, `…:role/<name>`). (RAM also checks
//! the policy for attach calls; ramgate asks about the target only, which
//! is what a policy that grants `ram:AttachPolicyToUser` on a user names.)

use serde_json::{Value, json};

use crate::ram::{Account, CustomPolicy, Entity, PolicyRef, RamError, Target, system_policies};

use super::PopFailure;
use super::ram::{RamCall, missing};

type Answer = Result<Value, PopFailure>;

/// The answer of a policy action, or `None` when RAM has no such action.
pub(super) fn handle(ram: &RamCall<'_>) -> Option<Answer> {
    Some(match ram.call.action {
        "CreatePolicy" => create_policy(ram),
        "GetPolicy" => get_policy(ram),
        "ListPolicies" => list_policies(ram),
        "CreatePolicyVersion" => create_policy_version(ram),
        "GetPolicyVersion" => get_policy_version(ram),
        "ListPolicyVersions" => list_policy_versions(ram),
        "SetDefaultPolicyVersion" => version_call(ram, "ram:SetDefaultPolicyVersion", |a, p, v| {
            a.set_default_policy_version(p, v)
        }),
        "DeletePolicyVersion" => version_call(ram, "ram:DeletePolicyVersion", |a, p, v| {
            a.delete_policy_version(p, v)
        }),
        "DeletePolicy" => delete_policy(ram),
        "AttachPolicyToUser" => attach(ram, "ram:AttachPolicyToUser", Kind::User, true),
        "AttachPolicyToGroup" => attach(ram, "ram:AttachPolicyToGroup", Kind::Group, true),
        "AttachPolicyToRole" => attach(ram, "ram:AttachPolicyToRole", Kind::Role, true),
        "DetachPolicyFromUser" => attach(ram, "ram:DetachPolicyFromUser", Kind::User, false),
        "DetachPolicyFromGroup" => attach(ram, "ram:DetachPolicyFromGroup", Kind::Group, false),
        "DetachPolicyFromRole" => attach(ram, "ram:DetachPolicyFromRole", Kind::Role, false),
        "ListPoliciesForUser" => list_for(ram, "ram:ListPoliciesForUser", Kind::User),
        "ListPoliciesForGroup" => list_for(ram, "ram:ListPoliciesForGroup", Kind::Group),
        "ListPoliciesForRole" => list_for(ram, "ram:ListPoliciesForRole", Kind::Role),
        _ => return None,
    })
}

/// What policies attach to.
#[derive(Clone, Copy)]
enum Kind {
    User,
    Group,
    Role,
}

impl Kind {
    fn param(self) -> &'static str {
        match self {
            Kind::User => "UserName",
            Kind::Group => "GroupName",
            Kind::Role => "RoleName",
        }
    }

    fn arn_kind(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
        }
    }

    fn target(self, name: &str) -> Target {
        match self {
            Kind::User => Target::User(name.to_string()),
            Kind::Group => Target::Group(name.to_string()),
            Kind::Role => Target::Role(name.to_string()),
        }
    }
}

fn policy_arn(ram: &RamCall<'_>, name: &str) -> String {
    ram.arn("policy", name)
}

fn custom_json(p: &CustomPolicy) -> Value {
    json!({
        "PolicyName": p.name(),
        "PolicyType": "Custom",
        "DefaultVersion": p.default_version(),
    })
}

/// `PolicyType`: `Custom` or `System`, required where RAM requires it.
fn policy_ref(ram: &RamCall<'_>) -> Result<PolicyRef, PopFailure> {
    let name = ram.params.required("PolicyName")?;
    match ram.params.required("PolicyType")? {
        "Custom" => Ok(PolicyRef::Custom(name.to_string())),
        "System" => Ok(PolicyRef::System(name.to_string())),
        other => Err(PopFailure::invalid(
            "InvalidParameter.PolicyType",
            format!("the policy type `{other}` is neither `System` nor `Custom`"),
        )),
    }
}

fn create_policy(ram: &RamCall<'_>) -> Answer {
    let name = ram.params.required("PolicyName")?;
    let document = ram.params.required("PolicyDocument")?;
    let mut policy = ram.edit("ram:CreatePolicy", &policy_arn(ram, name), |a| {
        a.create_policy(name, document).map(custom_json)
    })?;
    if let Some(o) = policy.as_object_mut() {
        o.insert(
            "CreateDate".into(),
            json!(super::rfc3339(ram.service.clock().now())),
        );
        if let Some(d) = ram.params.get("Description") {
            o.insert("Description".into(), json!(d));
        }
    }
    Ok(json!({ "Policy": policy }))
}

fn get_policy(ram: &RamCall<'_>) -> Answer {
    let r = policy_ref(ram)?;
    let name = match &r {
        PolicyRef::Custom(n) | PolicyRef::System(n) => n.as_str(),
    };
    ram.authorize("ram:GetPolicy", &policy_arn(ram, name))?;
    match r {
        PolicyRef::System(_) => {
            let p = crate::ram::system_policy(name)
                .ok_or_else(|| missing(Entity::Policy, &format!("system/{name}")))?;
            Ok(json!({
                "Policy": {"PolicyName": p.name, "PolicyType": "System", "DefaultVersion": p.version},
                "DefaultPolicyVersion": {
                    "VersionId": p.version, "IsDefaultVersion": true,
                    "PolicyDocument": p.document.source(),
                },
            }))
        }
        PolicyRef::Custom(_) => ram.read(|a| {
            let p = a
                .policy(name)
                .ok_or_else(|| missing(Entity::Policy, name))?;
            let document = p
                .default()
                .map(|v| v.document().source())
                .unwrap_or_default();
            Ok(json!({
                "Policy": custom_json(p),
                "DefaultPolicyVersion": {
                    "VersionId": p.default_version(), "IsDefaultVersion": true,
                    "PolicyDocument": document,
                },
            }))
        }),
    }
}

fn list_policies(ram: &RamCall<'_>) -> Answer {
    ram.authorize("ram:ListPolicies", &policy_arn(ram, "*"))?;
    let kind = ram.params.get("PolicyType");
    let mut list: Vec<Value> = Vec::new();
    if kind != Some("Custom") {
        list.extend(system_policies().iter().map(
            |p| json!({"PolicyName": p.name, "PolicyType": "System", "DefaultVersion": p.version}),
        ));
    }
    if kind != Some("System") {
        list.extend(ram.read(|a| Ok(a.policies().map(custom_json).collect::<Vec<_>>()))?);
    }
    ram.paged("Policies", "Policy", list)
}

fn create_policy_version(ram: &RamCall<'_>) -> Answer {
    let name = ram.params.required("PolicyName")?;
    let document = ram.params.required("PolicyDocument")?;
    let set_as_default = ram.params.flag("SetAsDefault")?;
    let id = ram.edit("ram:CreatePolicyVersion", &policy_arn(ram, name), |a| {
        a.create_policy_version(name, document, set_as_default)
    })?;
    Ok(json!({ "PolicyVersion": {
        "VersionId": id,
        "IsDefaultVersion": set_as_default,
        "PolicyDocument": document,
        "CreateDate": super::rfc3339(ram.service.clock().now()),
    }}))
}

/// The versions of the policy `PolicyName` of `PolicyType`, as RAM lists
/// them, authorized as `action` on the policy: a system policy has its one
/// version. The directory keeps no dates, so `CreateDate` is not answered.
fn policy_versions(ram: &RamCall<'_>, action: &str) -> Result<Vec<Value>, PopFailure> {
    let r = policy_ref(ram)?;
    let (PolicyRef::Custom(name) | PolicyRef::System(name)) = &r;
    ram.authorize(action, &policy_arn(ram, name))?;
    let version = |id: &str, default: bool, document: &str| json!({"VersionId": id, "IsDefaultVersion": default, "PolicyDocument": document});
    match r {
        PolicyRef::System(_) => {
            let p = crate::ram::system_policy(name)
                .ok_or_else(|| missing(Entity::Policy, &format!("system/{name}")))?;
            Ok(vec![version(p.version, true, p.document.source())])
        }
        PolicyRef::Custom(_) => ram.read(|a| {
            let p = a
                .policy(name)
                .ok_or_else(|| missing(Entity::Policy, name))?;
            Ok(p.versions()
                .iter()
                .map(|v| version(v.id(), v.id() == p.default_version(), v.document().source()))
                .collect())
        }),
    }
}

fn get_policy_version(ram: &RamCall<'_>) -> Answer {
    let id = ram.params.required("VersionId")?;
    let versions = policy_versions(ram, "ram:GetPolicyVersion")?;
    let found = versions
        .into_iter()
        .find(|v| v["VersionId"] == id)
        .ok_or_else(|| missing(Entity::PolicyVersion, id))?;
    Ok(json!({ "PolicyVersion": found }))
}

fn list_policy_versions(ram: &RamCall<'_>) -> Answer {
    let versions = policy_versions(ram, "ram:ListPolicyVersions")?;
    Ok(json!({ "PolicyVersions": { "PolicyVersion": versions } }))
}

fn version_call(
    ram: &RamCall<'_>,
    action: &str,
    change: impl FnOnce(&mut Account, &str, &str) -> Result<(), RamError>,
) -> Answer {
    let name = ram.params.required("PolicyName")?;
    let version = ram.params.required("VersionId")?;
    ram.edit(action, &policy_arn(ram, name), |a| change(a, name, version))?;
    Ok(json!({}))
}

fn delete_policy(ram: &RamCall<'_>) -> Answer {
    let name = ram.params.required("PolicyName")?;
    ram.edit("ram:DeletePolicy", &policy_arn(ram, name), |a| {
        a.delete_policy(name)
    })?;
    Ok(json!({}))
}

fn attach(ram: &RamCall<'_>, action: &str, kind: Kind, attach: bool) -> Answer {
    let r = policy_ref(ram)?;
    let name = ram.params.required(kind.param())?;
    let target = kind.target(name);
    ram.edit(action, &ram.arn(kind.arn_kind(), name), |a| {
        if attach {
            a.attach_policy(&target, &r)
        } else {
            a.detach_policy(&target, &r)
        }
    })?;
    Ok(json!({}))
}

fn list_for(ram: &RamCall<'_>, action: &str, kind: Kind) -> Answer {
    let name = ram.params.required(kind.param())?;
    ram.authorize(action, &ram.arn(kind.arn_kind(), name))?;
    let list = ram.read(|a| {
        let refs = match kind {
            Kind::User => a.user(name).map(|u| u.policies().to_vec()),
            Kind::Group => a.group(name).map(|g| g.policies().to_vec()),
            Kind::Role => a.role(name).map(|r| r.policies().to_vec()),
        };
        let entity = match kind {
            Kind::User => Entity::User,
            Kind::Group => Entity::Group,
            Kind::Role => Entity::Role,
        };
        let refs = refs.ok_or_else(|| missing(entity, name))?;
        Ok(refs
            .iter()
            .map(|r| match r {
                PolicyRef::System(n) => {
                    let version = crate::ram::system_policy(n).map_or("", |p| p.version);
                    json!({"PolicyName": n, "PolicyType": "System", "DefaultVersion": version})
                }
                PolicyRef::Custom(n) => {
                    let version = a.policy(n).map_or("", |p| p.default_version());
                    json!({"PolicyName": n, "PolicyType": "Custom", "DefaultVersion": version})
                }
            })
            .collect::<Vec<_>>())
    })?;
    Ok(json!({ "Policies": { "Policy": list } }))
}

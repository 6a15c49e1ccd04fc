//! RAM groups over POP: create, read, list and delete them, their members,
//! and the groups of a user.
//!
//! Group calls are authorized on `acs:ram::<uid>:group/<name>`
//! (`AddUserToGroup`, `RemoveUserFromGroup` and `ListUsersForGroup` too),
//! `ListGroupsForUser` on the user. The directory keeps no dates and no
//! comments: `Comments` is echoed by `CreateGroup`, and `JoinDate` is not
//! answered.

use serde_json::{Value, json};

use crate::ram::{Account, Entity, RamError};

use super::PopFailure;
use super::entity_id;
use super::ram::{RamCall, missing};

type Answer = Result<Value, PopFailure>;

/// The answer of a group action, or `None` when it is not one.
pub(super) fn handle(ram: &RamCall<'_>) -> Option<Answer> {
    Some(match ram.call.action {
        "CreateGroup" => create_group(ram),
        "GetGroup" => get_group(ram),
        "ListGroups" => list_groups(ram),
        "DeleteGroup" => delete_group(ram),
        "AddUserToGroup" => membership(ram, "ram:AddUserToGroup", Account::add_user_to_group),
        "RemoveUserFromGroup" => membership(
            ram,
            "ram:RemoveUserFromGroup",
            Account::remove_user_from_group,
        ),
        "ListGroupsForUser" => list_groups_for_user(ram),
        "ListUsersForGroup" => list_users_for_group(ram),
        _ => return None,
    })
}

/// A group as RAM lists it.
fn group_json(ram: &RamCall<'_>, name: &str) -> Value {
    json!({
        "GroupName": name,
        "GroupId": entity_id("group", &ram.arn("group", name)),
    })
}

fn create_group(ram: &RamCall<'_>) -> Answer {
    let name = ram.params.required("GroupName")?;
    ram.edit("ram:CreateGroup", &ram.arn("group", name), |a| {
        a.create_group(name).map(drop)
    })?;
    let mut group = group_json(ram, name);
    if let Some(o) = group.as_object_mut() {
        o.insert("CreateDate".into(), json!(ram.now()));
        if let Some(c) = ram.params.get("Comments") {
            o.insert("Comments".into(), json!(c));
        }
    }
    Ok(json!({ "Group": group }))
}

/// Reads group `name` (`EntityNotExist.Group` when there is none).
fn existing_group(ram: &RamCall<'_>, name: &str) -> Result<Vec<String>, PopFailure> {
    ram.read(|a| {
        a.group(name)
            .map(|g| g.members().map(str::to_string).collect())
            .ok_or_else(|| missing(Entity::Group, name))
    })
}

fn get_group(ram: &RamCall<'_>) -> Answer {
    let name = ram.params.required("GroupName")?;
    ram.authorize("ram:GetGroup", &ram.arn("group", name))?;
    existing_group(ram, name)?;
    Ok(json!({ "Group": group_json(ram, name) }))
}

fn list_groups(ram: &RamCall<'_>) -> Answer {
    ram.authorize("ram:ListGroups", &ram.arn("group", "*"))?;
    let names = ram.read(|a| Ok(a.groups().map(|g| g.name().to_string()).collect::<Vec<_>>()))?;
    let groups = names.iter().map(|n| group_json(ram, n)).collect();
    ram.paged("Groups", "Group", groups)
}

fn delete_group(ram: &RamCall<'_>) -> Answer {
    let name = ram.params.required("GroupName")?;
    ram.edit("ram:DeleteGroup", &ram.arn("group", name), |a| {
        a.delete_group(name)
    })?;
    Ok(json!({}))
}

/// `AddUserToGroup` / `RemoveUserFromGroup`, authorized on the group.
fn membership(
    ram: &RamCall<'_>,
    action: &str,
    change: fn(&mut Account, &str, &str) -> Result<(), RamError>,
) -> Answer {
    let user = ram.params.required("UserName")?;
    let group = ram.params.required("GroupName")?;
    ram.edit(action, &ram.arn("group", group), |a| change(a, user, group))?;
    Ok(json!({}))
}

/// The groups `UserName` belongs to (RAM does not page this list).
fn list_groups_for_user(ram: &RamCall<'_>) -> Answer {
    let user = ram.params.required("UserName")?;
    ram.authorize("ram:ListGroupsForUser", &ram.arn("user", user))?;
    let names = ram.read(|a| {
        a.user(user).ok_or_else(|| missing(Entity::User, user))?;
        Ok(a.groups_of(user)
            .map(|g| g.name().to_string())
            .collect::<Vec<_>>())
    })?;
    let groups: Vec<Value> = names.iter().map(|n| group_json(ram, n)).collect();
    Ok(json!({ "Groups": { "Group": groups } }))
}

/// The members of `GroupName`, paged as `ListUsers` is.
fn list_users_for_group(ram: &RamCall<'_>) -> Answer {
    let group = ram.params.required("GroupName")?;
    ram.authorize("ram:ListUsersForGroup", &ram.arn("group", group))?;
    let members = existing_group(ram, group)?;
    let users = members
        .iter()
        .map(|n| json!({ "UserName": n, "DisplayName": n }))
        .collect();
    ram.paged("Users", "User", users)
}

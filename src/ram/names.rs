//! Name rules of RAM users, groups, roles, policies and role sessions.
//!
//! Lengths are counted in characters; every allowed character is ASCII.
//! Sources: RAM's error-message page (AlibabaCloudDocs/ram
//! `API Reference/Error messages.md`: user names letters, digits, `.`, `_`,
//! `-`, 1–64; group names letters, digits, `-`, 1–64; policy names letters,
//! digits, `-`, 1–128), CreateRole (spec §4.3: 1–64, letters, digits, `.`,
//! `-`; the 2021 API also allowed `@`, the current one does not, and we follow
//! the current one) and AssumeRole (spec §9.1: `RoleSessionName` 2–64,
//! letters, digits, `.`, `@`, `-`, `_`).

use std::fmt;

use super::error::RamError;

/// What a name names; each kind has its own rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// A RAM user.
    User,
    /// A RAM user group.
    Group,
    /// A RAM role.
    Role,
    /// A custom policy.
    Policy,
    /// An STS role session (`RoleSessionName`).
    RoleSession,
}

impl NameKind {
    fn limits(self) -> (usize, usize) {
        match self {
            NameKind::User | NameKind::Group | NameKind::Role => (1, 64),
            NameKind::Policy => (1, 128),
            NameKind::RoleSession => (2, 64),
        }
    }

    /// The punctuation allowed besides ASCII letters and digits.
    fn punctuation(self) -> &'static [char] {
        match self {
            NameKind::User => &['.', '_', '-'],
            NameKind::Group | NameKind::Policy => &['-'],
            NameKind::Role => &['.', '-'],
            NameKind::RoleSession => &['.', '@', '_', '-'],
        }
    }

    /// The rule in words, for help texts.
    pub fn rule(self) -> &'static str {
        match self {
            NameKind::User => {
                "user names are 1 to 64 characters: letters, digits, `.`, `_` and `-`"
            }
            NameKind::Group => "group names are 1 to 64 characters: letters, digits and `-`",
            NameKind::Role => "role names are 1 to 64 characters: letters, digits, `.` and `-`",
            NameKind::Policy => "policy names are 1 to 128 characters: letters, digits and `-`",
            NameKind::RoleSession => {
                "session names are 2 to 64 characters: letters, digits, `.`, `@`, `_` and `-`"
            }
        }
    }

    pub(crate) fn length_code(self) -> &'static str {
        match self {
            NameKind::User => "InvalidParameter.UserName.Length",
            NameKind::Group => "InvalidParameter.GroupName.Length",
            NameKind::Role => "InvalidParameter.RoleName.Length",
            NameKind::Policy => "InvalidParameter.PolicyName.Length",
            NameKind::RoleSession => "InvalidParameter.RoleSessionName",
        }
    }

    pub(crate) fn chars_code(self) -> &'static str {
        match self {
            NameKind::User => "InvalidParameter.UserName.InvalidChars",
            NameKind::Group => "InvalidParameter.GroupName.InvalidChars",
            NameKind::Role => "InvalidParameter.RoleName.InvalidChars",
            NameKind::Policy => "InvalidParameter.PolicyName.InvalidChars",
            NameKind::RoleSession => "InvalidParameter.RoleSessionName",
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::User => "user",
            NameKind::Group => "group",
            NameKind::Role => "role",
            NameKind::Policy => "policy",
            NameKind::RoleSession => "session",
        })
    }
}

/// Checks a name against its kind's rule.
pub fn check(kind: NameKind, name: &str) -> Result<(), RamError> {
    let (min, max) = kind.limits();
    let len = name.chars().count();
    if len < min || len > max {
        return Err(RamError::NameLength {
            kind,
            name: name.to_string(),
            len,
            min,
            max,
        });
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || kind.punctuation().contains(&c);
    match name.chars().find(|&c| !allowed(c)) {
        Some(bad) => Err(RamError::NameChars {
            kind,
            name: name.to_string(),
            bad,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(kind: NameKind, name: &str) -> Option<String> {
        check(kind, name).err().map(|e| e.code())
    }

    #[test]
    fn role_names_allow_dots_and_dashes_only() {
        assert_eq!(code(NameKind::Role, "AliyunLogETLRole"), None);
        assert_eq!(code(NameKind::Role, "sls-byok.role"), None);
        assert_eq!(
            code(NameKind::Role, "sls_byok"),
            Some("InvalidParameter.RoleName.InvalidChars".into())
        );
        // The 2021 CreateRole regex allowed `@`; the current API does not.
        assert_eq!(
            code(NameKind::Role, "a@b"),
            Some("InvalidParameter.RoleName.InvalidChars".into())
        );
        assert_eq!(
            code(NameKind::Role, &"r".repeat(65)),
            Some("InvalidParameter.RoleName.Length".into())
        );
        assert_eq!(code(NameKind::Role, &"r".repeat(64)), None);
        assert_eq!(
            code(NameKind::Role, ""),
            Some("InvalidParameter.RoleName.Length".into())
        );
    }

    #[test]
    fn session_names_are_two_to_sixty_four_characters() {
        assert_eq!(code(NameKind::RoleSession, "log@sls_1.x-y"), None);
        assert_eq!(
            code(NameKind::RoleSession, "a"),
            Some("InvalidParameter.RoleSessionName".into())
        );
        assert_eq!(
            code(NameKind::RoleSession, &"s".repeat(65)),
            Some("InvalidParameter.RoleSessionName".into())
        );
        assert_eq!(
            code(NameKind::RoleSession, "has space"),
            Some("InvalidParameter.RoleSessionName".into())
        );
    }

    #[test]
    fn user_group_and_policy_names_follow_their_own_rules() {
        assert_eq!(code(NameKind::User, "alice.w_1-x"), None);
        assert_eq!(
            code(NameKind::User, "alice@x"),
            Some("InvalidParameter.UserName.InvalidChars".into())
        );
        assert_eq!(
            code(NameKind::Group, "ops.team"),
            Some("InvalidParameter.GroupName.InvalidChars".into())
        );
        assert_eq!(code(NameKind::Policy, &"p".repeat(128)), None);
        assert_eq!(
            code(NameKind::Policy, &"p".repeat(129)),
            Some("InvalidParameter.PolicyName.Length".into())
        );
        assert_eq!(
            code(NameKind::Policy, "kms_use"),
            Some("InvalidParameter.PolicyName.InvalidChars".into())
        );
    }

    #[test]
    fn messages_name_the_offending_value_and_help_states_the_rule() {
        let e = check(NameKind::Role, "my role").err();
        assert_eq!(
            e.as_ref().map(|e| e.to_string()),
            Some("role name `my role` contains ` `, which role names may not contain".into())
        );
        assert_eq!(
            e.and_then(|e| e.help()),
            Some("role names are 1 to 64 characters: letters, digits, `.` and `-`".into())
        );
        let non_ascii = check(NameKind::User, "zoë").err().map(|e| e.to_string());
        assert_eq!(
            non_ascii,
            Some("user name `zoë` contains `ë`, which user names may not contain".into())
        );
    }
}

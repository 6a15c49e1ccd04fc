//! Matching a request principal against the entries of a `Principal` element
//! (spec §3.4).

use std::fmt;
use std::io::Write;

use crate::policy::PrincipalKind;
use crate::policy::arn::Arn;
use crate::policy::pattern::{Case, Pattern};

use super::request::Principal;

/// One compiled `Principal` value.
#[derive(Clone, Debug)]
pub enum PrincipalMatcher {
    /// `acs:ram::<uid>:root`: every user, role session and the account
    /// itself of `<uid>` (spec §3.4 rule 1).
    Root(String),
    /// `acs:ram::<uid>:user/<name>`: that user; user names compare with case
    /// (RAM does not document otherwise, spec §3.4 rule 4).
    User(String, String),
    /// `acs:ram::<uid>:role/<name>`: sessions of that role; role names
    /// compare without case (spec §4.3).
    Role(String, String),
    /// A RAM value with wildcards (`acs:ram::<uid>:*`, as KMS key policies
    /// use, or `*`): matched against the principal's ARNs (for a role
    /// session, both the role's and the session's). A trust policy trusting
    /// `*` is AWS behaviour; RAM does not document it, and `ramgate lint`
    /// reports it as `trust-any-principal`.
    RamPattern(Pattern, Pattern),
    /// `log.aliyuncs.com` (the service acting in the resource's own account)
    /// or `<uid>@log.aliyuncs.com` (acting for `<uid>`). Service names
    /// compare exactly: case-insensitive matching is plausible but not
    /// documented (spec §3.1), and exact is the safer reading.
    Service(String, Option<String>),
    /// An identity provider ARN, compared exactly (wildcards allowed).
    Federated(Pattern),
}

impl PrincipalMatcher {
    /// Compiles one value of a `Principal` entry.
    pub fn new(kind: PrincipalKind, value: &str) -> PrincipalMatcher {
        match kind {
            PrincipalKind::Ram => ram(value),
            PrincipalKind::Service => match value.split_once('@') {
                Some((uid, service)) => {
                    PrincipalMatcher::Service(service.to_string(), Some(uid.to_string()))
                }
                None => PrincipalMatcher::Service(value.to_string(), None),
            },
            PrincipalKind::Federated => {
                PrincipalMatcher::Federated(Pattern::new(value, Case::Sensitive))
            }
            PrincipalKind::Plain => plain(value),
        }
    }

    /// Whether `principal` is one of the entities this value trusts.
    /// `resource_account` is the account of the resource (the role, the key)
    /// whose policy this is.
    pub fn matches(&self, principal: &Principal, resource_account: Option<&str>) -> bool {
        use Principal as P;
        match (self, principal) {
            (
                PrincipalMatcher::Root(uid),
                P::Account { account } | P::User { account, .. } | P::RoleSession { account, .. },
            ) => uid == account,
            (PrincipalMatcher::User(uid, name), P::User { account, name: n }) => {
                uid == account && name == n
            }
            (PrincipalMatcher::Role(uid, name), P::RoleSession { account, role, .. }) => {
                uid == account && name.eq_ignore_ascii_case(role)
            }
            (PrincipalMatcher::RamPattern(exact, folded), p) => match p {
                P::RoleSession { account, role, .. } => {
                    matches_formatted(folded, format_args!("acs:ram::{account}:role/{role}"))
                        || matches_formatted(folded, format_args!("{p}"))
                }
                P::Account { .. } | P::User { .. } => matches_formatted(exact, format_args!("{p}")),
                _ => false,
            },
            (PrincipalMatcher::Service(name, uid), P::Service { service, account }) => {
                name == service
                    && match (uid, account) {
                        // `<uid>@service`: the service acting for that account.
                        (Some(uid), Some(acting)) => uid == acting,
                        (Some(_), None) => false,
                        // Plain `service`: the service in the resource's own
                        // account; a service acting for another account needs
                        // the `<uid>@` form (spec §10.6, §12 item 9).
                        (None, None) => true,
                        (None, Some(acting)) => resource_account == Some(acting.as_str()),
                    }
            }
            (PrincipalMatcher::Federated(p), P::Federated { provider }) => p.matches(provider),
            _ => false,
        }
    }
}

/// Matches `pattern` against formatted text without allocating: the text is
/// written to a stack buffer, and only ARNs longer than it take the heap.
fn matches_formatted(pattern: &Pattern, text: fmt::Arguments<'_>) -> bool {
    let mut buf = [0u8; 256];
    let mut rest = &mut buf[..];
    if rest.write_fmt(text).is_ok() {
        let written = 256 - rest.len();
        if let Ok(s) = std::str::from_utf8(&buf[..written]) {
            return pattern.matches(s);
        }
    }
    pattern.matches(&text.to_string())
}

/// A plain resource-policy principal (OSS, VPC endpoint, MaxCompute):
/// `*` is every principal; an account id is that account's identities, as
/// `acs:ram::<uid>:root` is in a trust policy (the account still decides,
/// by its own RAM policies, which of its users may use the grant); anything else (a RAM user's UID, a MaxCompute
/// `ALIYUN$<user>`) names an identity ramgate's requests cannot carry and
/// matches only its own text.
fn plain(value: &str) -> PrincipalMatcher {
    if crate::policy::arn::is_account_id(value) {
        return PrincipalMatcher::Root(value.to_string());
    }
    PrincipalMatcher::RamPattern(
        Pattern::new(value, Case::Sensitive),
        Pattern::new(value, Case::Sensitive),
    )
}

fn ram(value: &str) -> PrincipalMatcher {
    let literal = !value.contains(['*', '?']);
    if literal
        && let Some(a) = Arn::parse(value).filter(|a| a.service == "ram" && a.region.is_empty())
    {
        let uid = a.account.to_string();
        if a.resource == "root" {
            return PrincipalMatcher::Root(uid);
        }
        if let Some(name) = a.resource.strip_prefix("user/") {
            return PrincipalMatcher::User(uid, name.to_string());
        }
        if let Some(name) = a
            .resource
            .strip_prefix("role/")
            .filter(|n| !n.contains('/'))
        {
            return PrincipalMatcher::Role(uid, name.to_string());
        }
    }
    PrincipalMatcher::RamPattern(
        Pattern::new(value, Case::Sensitive),
        Pattern::new(value, Case::Insensitive),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "1234567890123456";

    fn p(arn: &str) -> Principal {
        Principal::from_ram_arn(arn).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn root_trusts_users_and_role_sessions_of_that_account() {
        let m = PrincipalMatcher::new(PrincipalKind::Ram, "acs:ram::1345678901234567:root");
        assert!(m.matches(&p("acs:ram::1345678901234567:user/alice"), None));
        assert!(m.matches(&p("acs:ram::1345678901234567:role/ci/job"), None));
        assert!(!m.matches(&p("acs:ram::1999999999999999:user/mallory"), None));
    }

    #[test]
    fn role_entries_match_sessions_of_the_role_case_insensitively() {
        let m = PrincipalMatcher::new(
            PrincipalKind::Ram,
            "acs:ram::1234567890123456:role/TestRole",
        );
        assert!(m.matches(&p("acs:ram::1234567890123456:role/testrole/s1"), None));
        assert!(!m.matches(&p("acs:ram::1234567890123456:user/testrole"), None));
    }

    #[test]
    fn plain_service_trusts_only_the_resource_account() {
        let m = PrincipalMatcher::new(PrincipalKind::Service, "log.aliyuncs.com");
        let same = Principal::from_service(&format!("{OWNER}@log.aliyuncs.com"));
        let other = Principal::from_service("1999999999999999@log.aliyuncs.com");
        assert!(m.matches(&same, Some(OWNER)));
        assert!(!m.matches(&other, Some(OWNER)));
        assert!(m.matches(&Principal::from_service("log.aliyuncs.com"), Some(OWNER)));
        assert!(!m.matches(&Principal::from_service("ecs.aliyuncs.com"), Some(OWNER)));
        let cross =
            PrincipalMatcher::new(PrincipalKind::Service, "1999999999999999@log.aliyuncs.com");
        assert!(cross.matches(&other, Some(OWNER)));
    }

    #[test]
    fn wildcard_ram_values_match_principal_arns() {
        let m = PrincipalMatcher::new(PrincipalKind::Ram, "acs:ram::1234567890123456:*");
        assert!(m.matches(&p("acs:ram::1234567890123456:user/localdev"), None));
        assert!(m.matches(&p("acs:ram::1234567890123456:role/r/s"), None));
        assert!(!m.matches(&p("acs:ram::1345678901234567:user/partner"), None));
        assert!(!m.matches(&Principal::from_service("log.aliyuncs.com"), None));
    }

    #[test]
    fn arns_longer_than_the_stack_buffer_still_match() {
        let long = "r".repeat(300);
        let m = PrincipalMatcher::new(PrincipalKind::Ram, "acs:ram::1234567890123456:role/r*");
        assert!(m.matches(
            &p(&format!("acs:ram::1234567890123456:role/{long}/s")),
            None
        ));
        let m = PrincipalMatcher::new(PrincipalKind::Ram, "*/s");
        assert!(m.matches(
            &p(&format!("acs:ram::1234567890123456:role/{long}/s")),
            None
        ));
        assert!(!m.matches(
            &p(&format!("acs:ram::1234567890123456:role/{long}/t")),
            None
        ));
    }
}

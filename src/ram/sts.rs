//! STS `AssumeRole` (spec §8.3, §8.4; sls-kms §4): who may become a role,
//! for how long, and with what session policy.

use time::Duration;

use crate::authz::{Context, Decision, Request};
use crate::policy::{PolicyKind, PrincipalKind};

use super::authorize::Ram;
use super::chain::{ChainStep, PartKind, StepKind};
use super::combine::{Evaluated, combine};
use super::directory::{Role, parse_role_arn};
use super::document::PolicyDocument;
use super::error::{Denied, RamError};
use super::identity::{Identity, RoleSession};
use super::names::{self, NameKind};

/// The action AssumeRole is authorized as.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";

/// The shortest session, in seconds.
pub const MIN_DURATION_SECONDS: u64 = 900;

/// The session length when none is asked for, in seconds.
pub const DEFAULT_DURATION_SECONDS: u64 = 3_600;

/// The parameters of an AssumeRole call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    /// `acs:ram::<uid>:role/<name>`.
    pub role_arn: String,
    /// `RoleSessionName`: 2–64 letters, digits, `.`, `@`, `_`, `-`.
    pub session_name: String,
    /// The session policy text (JSON or DSL), at most 2,048 characters.
    pub policy: Option<String>,
    /// `DurationSeconds`: 900 … the role's `MaxSessionDuration`; 3,600 when absent.
    pub duration_seconds: Option<u64>,
    /// Condition keys the trust and identity policies may test
    /// (`saml:recipient`, `acs:SourceIp`, …).
    pub context: Context,
}

impl AssumeRoleRequest {
    /// A request for a session of `role_arn` named `session_name`.
    pub fn new(role_arn: impl Into<String>, session_name: impl Into<String>) -> AssumeRoleRequest {
        AssumeRoleRequest {
            role_arn: role_arn.into(),
            session_name: session_name.into(),
            policy: None,
            duration_seconds: None,
            context: Context::new(),
        }
    }

    /// With a session policy.
    pub fn with_policy(mut self, policy: impl Into<String>) -> AssumeRoleRequest {
        self.policy = Some(policy.into());
        self
    }

    /// With a session length.
    pub fn with_duration(mut self, seconds: u64) -> AssumeRoleRequest {
        self.duration_seconds = Some(seconds);
        self
    }

    /// With a condition key.
    pub fn with_context<I, S>(mut self, key: &str, values: I) -> AssumeRoleRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.context.insert(key, values);
        self
    }
}

/// A successful AssumeRole: the session and the steps that allowed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumedRole {
    /// The new session.
    pub session: RoleSession,
    /// `assume-role.identity` (RAM users and role sessions only) and
    /// `assume-role.trust`.
    pub steps: Vec<ChainStep>,
}

impl<'a> Ram<'a> {
    /// Issues a session of a role.
    ///
    /// Parameters are checked first, in this order, each with STS's error
    /// code: the role ARN (`InvalidParameter.RoleArn`), the session name
    /// (`InvalidParameter.RoleSessionName`), the session policy
    /// (`InvalidParameter.PolicyGrammar`, `InvalidParameter.PolicySize`);
    /// then the caller (`NoPermission` for the account itself), the role
    /// (`EntityNotExist.Role`) and the duration against the role's
    /// `MaxSessionDuration` (`InvalidParameter.DurationSeconds`). The order
    /// of these checks is not documented; checking what the caller sent
    /// before what the directory holds is the usual API order. Finally
    /// [`Ram::evaluate_assume_role`] decides; anything but Allow is
    /// `NoPermission`, carrying the steps.
    pub fn assume_role(
        &self,
        caller: &Identity,
        request: &AssumeRoleRequest,
    ) -> Result<AssumedRole, RamError> {
        parse_role_arn(&request.role_arn)?;
        names::check(NameKind::RoleSession, &request.session_name)?;
        let policy = match &request.policy {
            Some(text) => Some(PolicyDocument::parse(
                text,
                PolicyKind::Session,
                "the session policy",
                None,
            )?),
            None => None,
        };
        if let Identity::Account { .. } = caller {
            return Err(RamError::RootCannotAssumeRole(caller.to_string()));
        }
        let role = self.directory.role_by_arn(&request.role_arn)?;
        let seconds = request.duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS);
        if !(MIN_DURATION_SECONDS..=role.max_session_duration()).contains(&seconds) {
            return Err(RamError::InvalidDurationSeconds {
                seconds,
                max: role.max_session_duration(),
                role: role.arn(),
            });
        }
        let steps = self.evaluate_assume_role(caller, &request.role_arn, &request.context)?;
        if let Some(reason) = refusal(caller, role, &steps) {
            return Err(RamError::NoPermission(Box::new(Denied {
                caller: caller.to_string(),
                role: role.arn(),
                reason,
                steps,
            })));
        }
        // `seconds` is at most 43,200, so the conversion cannot fail.
        let lifetime = Duration::seconds(i64::try_from(seconds).unwrap_or(0));
        let expiration = self.clock.now().saturating_add(lifetime);
        let session = RoleSession::new(
            role.account(),
            role.name(),
            &request.session_name,
            policy,
            expiration,
        )?;
        Ok(AssumedRole { session, steps })
    }

    /// The decision of an AssumeRole without issuing anything: the steps
    /// `assume-role.identity` (for RAM users and role sessions: their
    /// session policy and identity policies must allow `sts:AssumeRole` on
    /// the role) and `assume-role.trust` (the role's trust policy must
    /// trust the caller). Both must allow (§8.3). Services and federated
    /// users have no identity policies: for them the trust policy alone
    /// decides (§8.3: "Role SSO has no identity step").
    ///
    /// A RAM user or role session can never assume a role that trusts only
    /// services (spec §3.1, CreateRole): no `Service` entry matches them, so
    /// the trust step denies.
    pub fn evaluate_assume_role(
        &self,
        caller: &Identity,
        role_arn: &str,
        context: &Context,
    ) -> Result<Vec<ChainStep>, RamError> {
        parse_role_arn(role_arn)?;
        if let Identity::Account { .. } = caller {
            return Err(RamError::RootCannotAssumeRole(caller.to_string()));
        }
        let role = self.directory.role_by_arn(role_arn)?;
        let request = Request {
            action: ASSUME_ROLE.to_string(),
            resource: Some(role.arn()),
            principal: Some(caller.principal()),
            context: context.clone(),
        };
        let mut steps = Vec::with_capacity(2);
        if let Identity::User { .. } | Identity::RoleSession(_) = caller {
            let parts = self.caller_parts(caller, &request)?;
            steps.push(combine(StepKind::AssumeRoleIdentity, &request, parts));
        }
        let trust = vec![(
            format!("role/{}:trust", role.name()),
            role.trust_policy().compiled().clone(),
        )];
        let parts = vec![Evaluated::of(PartKind::Trust, true, trust, &request)];
        steps.push(combine(StepKind::AssumeRoleTrust, &request, parts));
        Ok(steps)
    }
}

/// Why the steps refuse, in words; `None` when they allow.
fn refusal(caller: &Identity, role: &Role, steps: &[ChainStep]) -> Option<String> {
    if steps.iter().all(ChainStep::is_allowed) && !steps.is_empty() {
        return None;
    }
    let denied_by: Vec<&str> = steps
        .iter()
        .filter(|s| s.decision() == Decision::ExplicitDeny)
        .flat_map(|s| s.response.reasons.iter().map(|r| r.policy.as_str()))
        .collect();
    if !denied_by.is_empty() {
        return Some(format!(
            "an explicit deny in `{}` forbids it",
            denied_by.join("`, `")
        ));
    }
    let refused = |kind: StepKind| steps.iter().any(|s| s.step == kind && !s.is_allowed());
    let ram_caller = matches!(caller, Identity::User { .. } | Identity::RoleSession(_));
    let trust = if ram_caller && trusts_only_services(role) {
        "the role trusts only cloud services, and RAM users and roles cannot assume such a role"
    } else {
        "the role's trust policy does not trust the caller"
    };
    Some(
        match (
            refused(StepKind::AssumeRoleIdentity),
            refused(StepKind::AssumeRoleTrust),
        ) {
            (true, true) => format!(
                "the caller's own policies do not allow `sts:AssumeRole` on the role, and {trust}"
            ),
            (true, false) => {
                "the caller's own policies do not allow `sts:AssumeRole` on the role".to_string()
            }
            _ => trust.to_string(),
        },
    )
}

/// Whether every principal the trust policy names is a service.
fn trusts_only_services(role: &Role) -> bool {
    let mut kinds = role
        .trust_policy()
        .policy()
        .statements
        .iter()
        .filter_map(|s| s.principal.as_ref())
        .flat_map(|p| p.entries.iter().map(|e| e.kind.node))
        .peekable();
    kinds.peek().is_some() && kinds.all(|k| k == PrincipalKind::Service)
}

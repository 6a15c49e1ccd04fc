//! `ram:PassRole`: may a caller hand a role to a service (spec §10.5)?
//!
//! Evaluated against the caller's own policies only (its session policy,
//! if any, and its identity policies), with `acs:Service` in the context.
//! The role's trust policy is not consulted: the service assumes the role
//! later, through the trust policy, in its own step.

use crate::authz::{Context, Decision, Request};

use super::authorize::Ram;
use super::chain::{ChainStep, PartKind, StepKind};
use super::combine::{Evaluated, combine};
use super::error::RamError;
use super::identity::Identity;

/// The action PassRole is authorized as.
pub const PASS_ROLE: &str = "ram:PassRole";

/// The condition key naming the service the role is passed to.
pub const SERVICE_KEY: &str = "acs:Service";

impl<'a> Ram<'a> {
    /// May `caller` pass `role_arn` to `service` (`log.aliyuncs.com`)?
    ///
    /// The account itself may pass its own roles (it holds every permission
    /// on its own resources, spec §8.6; sls-kms §1.4 asks for PassRole only
    /// from RAM users); a role of another account is not its to pass. A
    /// service or federated user has no identity policies and may not.
    ///
    /// The role must exist (`EntityNotExist.Role`): handing a service a role
    /// that is not there can only fail later, so it fails here, where the
    /// caller can act on it. Malformed ARNs are `InvalidParameter.RoleArn`.
    pub fn check_pass_role(
        &self,
        caller: &Identity,
        role_arn: &str,
        service: &str,
    ) -> Result<ChainStep, RamError> {
        let role = self.directory.role_by_arn(role_arn)?;
        let mut context = Context::new();
        context.insert(SERVICE_KEY, [service]);
        let request = Request {
            action: PASS_ROLE.to_string(),
            resource: Some(role.arn()),
            principal: Some(caller.principal()),
            context,
        };
        let parts = match caller {
            Identity::Account { uid } => {
                let own = if uid == role.account() {
                    Decision::Allow
                } else {
                    Decision::ImplicitDeny
                };
                vec![Evaluated::fixed(PartKind::Account, true, own)]
            }
            _ => self.caller_parts(caller, &request)?,
        };
        Ok(combine(StepKind::PassRole, &request, parts))
    }
}

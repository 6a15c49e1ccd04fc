//! STS `AssumeRole` for the data directory's callers (S4): a role session is
//! earned by assuming the role, never declared, and the decision is audited
//! like every other operation.

use serde_json::json;

use crate::ram::{AssumeRoleRequest, Identity, Ram, RamError, StepKind};

use super::error::LogError;
use super::service::{LogService, Traced};

impl LogService {
    /// `caller` assumes `role_arn` as session `session_name`: the caller's
    /// `sts:AssumeRole` permission (`assume-role.identity`) and the role's
    /// trust policy (`assume-role.trust`) are decided, recorded as the
    /// chain's first steps and audited as operation `assume_role`. The
    /// answer is the new role session's identity.
    ///
    /// A refusal is `Unauthorized` naming the refusing step; when both
    /// refuse, the trust step is named, since no permission of the caller
    /// can overcome a role that does not trust it.
    pub fn assume_role_traced(
        &self,
        caller: &Identity,
        role_arn: &str,
        session_name: &str,
    ) -> Traced<Identity> {
        let target = json!({"role": role_arn, "session": session_name});
        self.shared
            .audited(self.request(), "assume_role", caller, target, |s, op| {
                let ram = Ram::new(&op.ram, &*s.clock);
                match ram.assume_role(caller, &AssumeRoleRequest::new(role_arn, session_name)) {
                    Ok(assumed) => {
                        op.chain.extend(assumed.steps);
                        Ok((Identity::RoleSession(assumed.session), json!({}), None))
                    }
                    Err(RamError::NoPermission(denied)) => {
                        let refused = |kind: StepKind| {
                            denied
                                .steps
                                .iter()
                                .any(|st| st.step == kind && !st.is_allowed())
                        };
                        let step = if refused(StepKind::AssumeRoleTrust) {
                            StepKind::AssumeRoleTrust
                        } else {
                            StepKind::AssumeRoleIdentity
                        };
                        let reason = denied.to_string();
                        op.chain.extend(denied.steps);
                        Err(LogError::Unauthorized {
                            step: step.as_str().to_string(),
                            reason,
                        })
                    }
                    Err(e @ RamError::RootCannotAssumeRole(_)) => Err(LogError::Unauthorized {
                        step: StepKind::AssumeRoleIdentity.as_str().to_string(),
                        reason: format!("{e} ({})", e.code()),
                    }),
                    Err(e) => Err(LogError::ParameterInvalid(format!("{e} ({})", e.code()))),
                }
            })
    }
}

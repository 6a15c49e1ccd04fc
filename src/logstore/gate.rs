//! The decision chains, as functions of the operation's RAM snapshot and
//! the KMS: the caller's own action, the BYOK configuration chain
//! (PassRole, trust, `kms:DescribeKey`), and Log Service's role session.
//! No storage lock is held while any of this runs.

use crate::kms::{KeyState, KmsError};
use crate::ram::{Access, AssumeRoleRequest, Identity, Ram, RamError};

use super::encrypt_conf::UserCmkInfo;
use super::error::LogError;
use super::op::Op;
use super::service::{LOG_SERVICE, Shared};

/// The role session name Log Service uses for BYOK.
const BYOK_SESSION: &str = "aliyun-log-byok";

/// Where a failed KMS call is reported: its step, code and message.
pub(crate) fn key_unavailable(step: &str, e: &KmsError) -> LogError {
    LogError::KeyUnavailable {
        step: step.to_string(),
        code: e.code().to_string(),
        message: e.to_string(),
    }
}

fn ram_unavailable(step: &str, e: &RamError) -> LogError {
    LogError::KeyUnavailable {
        step: step.to_string(),
        code: e.code(),
        message: e.to_string(),
    }
}

impl Shared {
    /// Authorizes the caller's own action: the first step of every chain.
    pub(crate) fn authorize(
        &self,
        op: &mut Op,
        caller: &Identity,
        action: &str,
        resource: &str,
    ) -> Result<(), LogError> {
        let ram = Ram::new(&op.ram, &*self.clock);
        let mut access = Access::new(action, resource);
        if let Some(context) = &op.context {
            for (key, values) in context.iter() {
                access.context.insert(key, values.iter().cloned());
            }
        }
        let step = ram
            .authorize(caller, &access, None)
            .map_err(|e| LogError::Unauthorized {
                step: "authorize".into(),
                reason: format!("{} ({})", e, e.code()),
            })?;
        let decision = step.decision();
        op.chain.push(step);
        if decision.is_allowed() {
            Ok(())
        } else {
            Err(LogError::Unauthorized {
                step: "authorize".into(),
                reason: format!("`{action}` on `{resource}` is {decision} for `{caller}`"),
            })
        }
    }

    /// The configuration chain for BYOK (seed document, step 1): a RAM
    /// caller holds `ram:PassRole` on the role for Log Service; Log Service
    /// can assume the role; the role may `kms:DescribeKey` the CMK, which is
    /// in `region_id` and `Enabled`.
    pub(crate) fn configuration_chain(
        &self,
        op: &mut Op,
        caller: &Identity,
        info: &UserCmkInfo,
    ) -> Result<(), LogError> {
        if matches!(caller, Identity::User { .. } | Identity::RoleSession(_)) {
            let ram = Ram::new(&op.ram, &*self.clock);
            let step = ram
                .check_pass_role(caller, &info.arn, LOG_SERVICE)
                .map_err(|e| LogError::Unauthorized {
                    step: "pass-role".into(),
                    reason: format!("{e} ({})", e.code()),
                })?;
            let decision = step.decision();
            op.chain.push(step);
            if !decision.is_allowed() {
                return Err(LogError::Unauthorized {
                    step: "pass-role".into(),
                    reason: format!(
                        "`ram:PassRole` on `{}` for `{LOG_SERVICE}` is {decision} for `{caller}`",
                        info.arn
                    ),
                });
            }
        }
        let session = self.byok_session(op, info)?;
        let described = op.kms_call(self, &session, |c| {
            self.kms.describe_key(c, &info.cmk_key_id)
        });
        let metadata = described.map_err(|e| key_unavailable("kms:DescribeKey", &e))?;
        match metadata.key_state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(key_unavailable(
                "kms:DescribeKey",
                &KmsError::Disabled(metadata.key_id),
            )),
            KeyState::PendingDeletion => Err(key_unavailable(
                "kms:DescribeKey",
                &KmsError::PendingDeletion(metadata.key_id),
            )),
        }
    }

    /// Log Service assumes the BYOK role (trust policy decides), after
    /// checking that the CMK is in this region.
    pub(crate) fn byok_session(
        &self,
        op: &mut Op,
        info: &UserCmkInfo,
    ) -> Result<Identity, LogError> {
        if info.region_id != self.region {
            return Err(LogError::KeyUnavailable {
                step: "kms-region".into(),
                code: "Forbidden.KeyNotFound".into(),
                message: format!(
                    "the CMK is in `{}`, and Log Service in `{}` reaches only keys of its own region",
                    info.region_id, self.region
                ),
            });
        }
        let log = Identity::Service {
            service: LOG_SERVICE.into(),
            account: Some(self.account.clone()),
        };
        let ram = Ram::new(&op.ram, &*self.clock);
        match ram.assume_role(
            &log,
            &AssumeRoleRequest::new(info.arn.clone(), BYOK_SESSION),
        ) {
            Ok(assumed) => {
                op.chain.extend(assumed.steps);
                Ok(Identity::RoleSession(assumed.session))
            }
            Err(e) => {
                op.chain.extend(e.steps().iter().cloned());
                Err(ram_unavailable("assume-role", &e))
            }
        }
    }
}

//! Audited calls for the layers above Log Service: the endpoint's KMS, STS
//! and RAM APIs run through [`LogService::audited_call`], so each request
//! leaves one audit record shaped like a Log Service operation's (`op`,
//! `caller`, `target`, `outcome`, `detail`, `versions`, `chain`,
//! `request_id`), durable before the call answers.
//!
//! The call's body decides through an [`AuditedCall`]: every RAM step,
//! KMS call and directory edit it makes there joins the record's chain, and
//! the RAM and KMS versions that decided are the record's `versions`.

use std::cell::RefCell;
use std::sync::Arc;

use serde_json::Value;

use crate::authz::Context;
use crate::kms::{Caller, Kms};
use crate::ram::{Access, Account, ChainStep, Identity, Ram, RamError};

use super::error::LogError;
use super::op::Op;
use super::ramstore::{EditRefused, RamSnapshot};
use super::service::LogService;

/// How a call that did not succeed is recorded.
pub trait AuditedFailure: From<LogError> {
    /// `true` when ramgate itself failed (a disk error, damaged data), so
    /// the record says `failed`; `false` for a refusal (`refused`): the log
    /// keeps the two apart, as it does for Log Service.
    fn is_failure(&self) -> bool;

    /// The record's `detail`: the error's code and message. Never a secret.
    fn detail(&self) -> Value;
}

/// One audited call in flight: what it decides on, and the steps it has
/// decided so far.
pub struct AuditedCall<'a> {
    service: &'a LogService,
    op: RefCell<Op>,
}

impl std::fmt::Debug for AuditedCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditedCall").finish_non_exhaustive()
    }
}

impl AuditedCall<'_> {
    /// The service the call runs on.
    pub fn service(&self) -> &LogService {
        self.service
    }

    /// The RAM directory this call decides on (taken once, when it began).
    pub fn directory(&self) -> Arc<RamSnapshot> {
        self.op.borrow().ram.clone()
    }

    /// Adds steps decided elsewhere (an `AssumeRole`'s, say) to the chain.
    pub fn record(&self, steps: impl IntoIterator<Item = ChainStep>) {
        self.op.borrow_mut().chain.extend(steps);
    }

    /// Decides `access` for `caller` on this call's directory; the step
    /// joins the chain, allowed or not.
    pub fn authorize(&self, caller: &Identity, access: &Access) -> Result<ChainStep, RamError> {
        let directory = self.directory();
        let step =
            Ram::new(&directory.directory, self.service.clock()).authorize(caller, access, None)?;
        self.record([step.clone()]);
        Ok(step)
    }

    /// Runs a KMS call as `identity` with `context`, authorized by this
    /// call's directory; its steps join the chain and the key-state version
    /// it saw is the record's.
    pub fn kms_call<T>(
        &self,
        identity: &Identity,
        context: &Context,
        call: impl FnOnce(&Kms, &Caller<'_>) -> T,
    ) -> T {
        let directory = self.directory();
        let caller = Caller::new(
            Ram::new(&directory.directory, self.service.clock()),
            identity,
        )
        .with_context(context.clone());
        let out = call(self.service.kms(), &caller);
        let mut op = self.op.borrow_mut();
        op.chain.extend(caller.take_chain().steps);
        if let Some(v) = caller.key_state_version() {
            op.kms_version = Some(v);
        }
        out
    }

    /// [`LogService::edit_directory_as`]: the step that decided joins the
    /// chain, and the directory version it decided on is the record's.
    pub fn edit_directory_as<T>(
        &self,
        caller: &Identity,
        access: &Access,
        edit: impl FnOnce(&mut Account) -> Result<T, RamError>,
    ) -> Result<T, EditRefused> {
        let shared = &self.service.shared;
        let (decided, out) = shared
            .ram
            .edit_decided(&*shared.clock, caller, access, edit);
        let mut op = self.op.borrow_mut();
        op.ram = decided;
        match out {
            Ok((out, step)) => {
                op.chain.push(step);
                Ok(out)
            }
            Err(EditRefused::Denied(step)) => {
                op.chain.push((*step).clone());
                Err(EditRefused::Denied(step))
            }
            Err(e) => Err(e),
        }
    }
}

impl LogService {
    /// Runs `body` as one audited call named `op` (an API's action) for
    /// `caller` on `target`: its record names the outcome (`allowed`, or
    /// the failure's `refused`/`failed`), `detail` (the body's on success,
    /// the failure's otherwise), the versions and the chain decided through
    /// the [`AuditedCall`], and this handle's request id. The record is
    /// durable before this returns; when it cannot be written, the answer
    /// is that error, whatever the body did (fail closed). Keep secrets out
    /// of `target` and `detail`.
    pub fn audited_call<T, E: AuditedFailure>(
        &self,
        op: &str,
        caller: &Identity,
        target: Value,
        body: impl FnOnce(&AuditedCall<'_>) -> Result<(T, Value), E>,
    ) -> Result<T, E> {
        let request = self.request();
        let call = AuditedCall {
            service: self,
            op: RefCell::new(Op::new(self.shared.ram.snapshot(), request)),
        };
        let result = body(&call);
        let (outcome, detail) = match &result {
            Ok((_, detail)) => ("allowed", detail.clone()),
            Err(e) if e.is_failure() => ("failed", e.detail()),
            Err(e) => ("refused", e.detail()),
        };
        let event = call
            .op
            .into_inner()
            .event(request, op, caller, target, outcome, detail);
        self.shared
            .finish(&event, Ok(((), Value::Null, None)))
            .map_err(E::from)?;
        result.map(|(value, _)| value)
    }
}

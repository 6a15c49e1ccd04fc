//! One audited operation: the state it decides on (a RAM snapshot, and the
//! KMS key-state version its KMS calls saw), the chain it builds, and the
//! audit record that ends it — durable before the operation answers.

use std::sync::Arc;

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::authz::Context;
use crate::kms::Caller;
use crate::ram::{DecisionChain, Identity, Ram};

use super::audit::{AuditError, StateVersions};
use super::commit::Slot;
use super::error::{ErrorKind, LogError};
use super::journal::Part;
use super::ramstore::RamSnapshot;
use super::segment::Segment;
use super::service::{RequestScope, Shared, Traced, audit_error};

/// An operation in flight.
pub(crate) struct Op {
    /// Every step decided so far.
    pub(crate) chain: DecisionChain,
    /// The RAM directory that decides every step of this operation.
    pub(crate) ram: Arc<RamSnapshot>,
    /// The KMS key-state version the last KMS call saw.
    pub(crate) kms_version: Option<u64>,
    /// The request's condition keys, for the caller's decisions.
    pub(crate) context: Option<Context>,
}

impl Op {
    /// An operation deciding on `ram`.
    pub(super) fn new(ram: Arc<RamSnapshot>, request: Option<&RequestScope>) -> Op {
        Op {
            chain: DecisionChain::new(),
            ram,
            kms_version: None,
            context: request.map(|r| r.context.clone()),
        }
    }

    /// The audit record's event: what ran, for whom, how it ended, the
    /// state versions that decided it and its chain.
    pub(super) fn event(
        &self,
        request: Option<&RequestScope>,
        op: &str,
        caller: &Identity,
        target: Value,
        outcome: &str,
        detail: Value,
    ) -> Value {
        let mut event = json!({
            "op": op,
            "caller": caller.to_string(),
            "target": target,
            "outcome": outcome,
            "detail": detail,
            "versions": {"ram": self.ram.version, "kms": self.kms_version},
            "chain": self.chain.steps,
        });
        if let Some(r) = request {
            event["request_id"] = json!(r.request_id);
        }
        event
    }

    /// Runs a KMS call as `identity`, authorized by this operation's RAM
    /// snapshot; its steps join the chain and its key-state version is kept.
    pub(crate) fn kms_call<T>(
        &mut self,
        shared: &Shared,
        identity: &Identity,
        call: impl FnOnce(&Caller<'_>) -> T,
    ) -> T {
        let caller = Caller::new(Ram::new(&self.ram, &*shared.clock), identity);
        let out = call(&caller);
        self.chain.extend(caller.take_chain().steps);
        if let Some(v) = caller.key_state_version() {
            self.kms_version = Some(v);
        }
        out
    }
}

/// A block sealed but not yet written: journaled with the audit record,
/// then applied to its segment, before the operation answers.
pub(crate) struct Pending {
    pub(crate) segment: Arc<Segment>,
    /// Its place in the segment (its sequence number is `slot.index`).
    pub(crate) slot: Slot,
    /// Its frame.
    pub(crate) frame: Vec<u8>,
}

/// What an operation's body answers: its value, the audit detail, and a
/// block to make durable.
pub(crate) type Done<T> = (T, Value, Option<Pending>);

impl Shared {
    fn now(&self) -> String {
        self.clock.now().format(&Rfc3339).unwrap_or_default()
    }

    /// Runs `body` as one audited operation: the chain starts empty, the
    /// outcome is recorded whether it succeeds or not, and the record (and
    /// the block, for a write) is durable before the answer.
    pub(crate) fn audited<T>(
        &self,
        request: Option<&RequestScope>,
        op: &str,
        caller: &Identity,
        target: Value,
        body: impl FnOnce(&Shared, &mut Op) -> Result<Done<T>, LogError>,
    ) -> Traced<T> {
        let mut state = Op::new(self.ram.snapshot(), request);
        let result = body(self, &mut state);
        // A refusal is the service saying no; a failure is ramgate not
        // managing to answer (a disk error, damaged data): the audit log
        // keeps the two apart (U8).
        let (outcome, detail) = match &result {
            Ok((_, detail, _)) => ("allowed", detail.clone()),
            Err(e) => (
                match e.kind() {
                    ErrorKind::System | ErrorKind::Damaged => "failed",
                    _ => "refused",
                },
                json!({"code": e.code(), "message": e.to_string()}),
            ),
        };
        let event = state.event(request, op, caller, target, outcome, detail);
        let outcome = self.finish(&event, result);
        Traced {
            outcome,
            chain: state.chain,
        }
    }

    /// Runs `body` with its own chain and no audit record (a read of
    /// settings: `GetLogStore`, `ListLogStores`).
    pub(crate) fn unaudited<T>(
        &self,
        request: Option<&RequestScope>,
        body: impl FnOnce(&Shared, &mut Op) -> Result<T, LogError>,
    ) -> Traced<T> {
        let mut state = Op::new(self.ram.snapshot(), request);
        let outcome = body(self, &mut state);
        Traced {
            outcome,
            chain: state.chain,
        }
    }

    /// Makes the audit record, journals it with the block (group commit:
    /// both durable under one `fsync`), waits until both are applied to
    /// their files, then answers.
    pub(super) fn finish<T>(
        &self,
        event: &Value,
        result: Result<Done<T>, LogError>,
    ) -> Result<T, LogError> {
        // The state files as they stand now (at least what decided this
        // operation): the log's floor against rollback.
        let seen = StateVersions {
            keys: self.kms.state_version(),
            logstores: self.catalog.version(),
        };
        let (result, pending) = match result {
            Ok((value, detail, pending)) => (Ok((value, detail)), pending),
            Err(e) => (Err(e), None),
        };
        let event = serde_json::to_string(event).map_err(|e| {
            audit_error(AuditError::Io {
                path: self.audit.appender().path().display().to_string(),
                message: e.to_string(),
            })
        });
        let event = match event {
            Ok(text) => text,
            Err(e) => {
                if let Some(p) = &pending {
                    p.segment.abandon(p.slot, &e.to_string());
                }
                return Err(e);
            }
        };
        let mut parts = Vec::with_capacity(2);
        let mut block = None;
        if let Some(p) = pending {
            block = Some((p.segment.clone(), p.slot.index));
            parts.push(Part {
                target: p.segment.appender().clone(),
                slot: p.slot,
                bytes: p.frame,
            });
        }
        // The record is numbered and linked under the journal's mutex: the
        // audit log's order is the journal's. (On an error the block's
        // place is given up: nothing after it in its segment waits for it.)
        let record = self.journal.commit_then(parts, || {
            let (slot, line) = self
                .audit
                .prepare(&self.now(), seen, &event)
                .map_err(audit_error)?;
            Ok(Some(Part {
                target: self.audit.appender().clone(),
                slot,
                bytes: line,
            }))
        })?;
        if let Some((segment, seq)) = block {
            segment.commit(seq)?;
        }
        if let Some(slot) = record {
            self.audit.commit(slot.index).map_err(audit_error)?;
        }
        result.map(|(value, _)| value)
    }
}

//! Who calls the KMS, and the record of what RAM decided about each call.
//!
//! Every KMS API is authorized as `kms:<ApiName>` on the key's ARN (or the
//! key container's, for `CreateKey` and `ListKeys`) through
//! [`Ram::authorize`], before the key is looked up. The step is recorded
//! whether RAM allows or refuses; a refusal is `Forbidden.NoPermission`.

use std::cell::{Cell, RefCell};

use crate::authz::Context;
use crate::ram::{Access, ChainStep, DecisionChain, Identity, Ram};

use super::error::KmsError;

/// An identity calling the KMS, with the directory that says what it may do.
pub struct Caller<'a> {
    ram: Ram<'a>,
    identity: &'a Identity,
    context: Context,
    steps: RefCell<Vec<ChainStep>>,
    state_version: Cell<Option<u64>>,
}

impl<'a> Caller<'a> {
    /// `identity`, authorized by `ram`.
    pub fn new(ram: Ram<'a>, identity: &'a Identity) -> Caller<'a> {
        Caller {
            ram,
            identity,
            context: Context::new(),
            steps: RefCell::new(Vec::new()),
            state_version: Cell::new(None),
        }
    }

    /// The same caller, with the request's condition keys (`acs:SourceIp`,
    /// `acs:SecureTransport`, …) for every authorization it asks: a call
    /// over the wire carries its connection's context.
    pub fn with_context(mut self, context: Context) -> Caller<'a> {
        self.context = context;
        self
    }

    /// The version of the KMS key state that decided this caller's last
    /// call ([`super::Kms::state_version`]); `None` before any call looked
    /// at keys.
    pub fn key_state_version(&self) -> Option<u64> {
        self.state_version.get()
    }

    pub(crate) fn saw_state_version(&self, version: u64) {
        self.state_version.set(Some(version));
    }

    /// The calling identity.
    pub fn identity(&self) -> &Identity {
        self.identity
    }

    /// The decision steps recorded so far, emptied.
    pub fn take_chain(&self) -> DecisionChain {
        let mut chain = DecisionChain::new();
        chain.extend(self.steps.borrow_mut().drain(..));
        chain
    }

    /// The steps recorded so far.
    pub fn steps(&self) -> Vec<ChainStep> {
        self.steps.borrow().clone()
    }

    /// Authorizes `action` on `resource`, recording the step either way.
    pub(crate) fn authorize(&self, action: &str, resource: String) -> Result<(), KmsError> {
        let mut access = Access::new(action, resource.clone());
        access.context = self.context.clone();
        let step = self
            .ram
            .authorize(self.identity, &access, None)
            .map_err(KmsError::Caller)?;
        let allowed = step.is_allowed();
        self.steps.borrow_mut().push(step);
        if allowed {
            Ok(())
        } else {
            Err(KmsError::NoPermission {
                action: action.to_string(),
                resource,
            })
        }
    }
}

impl std::fmt::Debug for Caller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("identity", &self.identity.to_string())
            .finish_non_exhaustive()
    }
}

/// A directory with one account, and that account as the caller: for tests
/// that are about keys, not permissions.
#[cfg(test)]
pub(crate) fn account_root(uid: &str) -> (crate::ram::Directory, Identity) {
    let mut directory = crate::ram::Directory::new();
    if let Err(e) = directory.add_account(uid) {
        panic!("{e}");
    }
    (
        directory,
        Identity::Account {
            uid: uid.to_string(),
        },
    )
}

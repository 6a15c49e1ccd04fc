//! Key states and the state/API matrix of Alibaba KMS (spec `sls-kms.md`
//! §3.1, from Alibaba's "Impact of CMK states on API calls"), kept as data.
//!
//! `PendingImport` (keys with `Origin=EXTERNAL`) and `CreateAlias` are left
//! out: ramgate makes no external keys and no aliases, so neither can occur.
//! A deleted key is no row and no column here: it no longer exists, and
//! every call naming it answers `Forbidden.KeyNotFound` before any state is
//! looked at.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::api::Api;
use super::error::KmsError;
use super::id::KeyId;

/// The state of an existing CMK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable for cryptography. New keys start here.
    Enabled,
    /// Kept, but refuses cryptography until enabled again.
    Disabled,
    /// Refuses cryptography; destroyed when the window ends unless the
    /// deletion is cancelled.
    PendingDeletion,
}

impl KeyState {
    /// Every state, in matrix column order.
    pub const ALL: [KeyState; 3] = [
        KeyState::Enabled,
        KeyState::Disabled,
        KeyState::PendingDeletion,
    ];

    /// The state's name (`PendingDeletion`).
    pub fn name(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
    }

    fn column(self) -> usize {
        match self {
            KeyState::Enabled => 0,
            KeyState::Disabled => 1,
            KeyState::PendingDeletion => 2,
        }
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one (API, state) cell of the matrix says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// The call succeeds and leaves the state as it is.
    Ok,
    /// The call succeeds and the key ends in this state (idempotent when it
    /// is the state the key is already in).
    To(KeyState),
    /// `409 Rejected.Disabled`.
    RejectedDisabled,
    /// `409 Rejected.PendingDeletion`.
    RejectedPendingDeletion,
    /// `409 Rejected.StateModifiedFailed`.
    RejectedStateModifiedFailed,
}

use Cell::{
    Ok as OK, RejectedDisabled as DIS, RejectedPendingDeletion as PEND,
    RejectedStateModifiedFailed as SMF, To,
};
use KeyState::{Disabled, Enabled, PendingDeletion};

/// The matrix: one row per API that involves key states, columns
/// `Enabled`, `Disabled`, `PendingDeletion`. `CreateKey` has no row: it
/// makes a key rather than finding one.
pub const MATRIX: [(Api, [Cell; 3]); 9] = [
    (Api::GenerateDataKey, [OK, DIS, PEND]),
    (Api::Encrypt, [OK, DIS, PEND]),
    (Api::Decrypt, [OK, DIS, PEND]),
    (Api::DescribeKey, [OK, OK, OK]),
    (Api::ListKeys, [OK, OK, OK]),
    (Api::EnableKey, [To(Enabled), To(Enabled), SMF]),
    (Api::DisableKey, [To(Disabled), To(Disabled), SMF]),
    (
        Api::ScheduleKeyDeletion,
        [To(PendingDeletion), To(PendingDeletion), SMF],
    ),
    // Alibaba, unlike AWS, returns a cancelled key to `Enabled` even when
    // it was `Disabled` before the deletion was scheduled (spec §3.1).
    (Api::CancelKeyDeletion, [SMF, SMF, To(Enabled)]),
];

/// The matrix cell of `api` on a key in `state`.
pub fn cell(api: Api, state: KeyState) -> Cell {
    MATRIX
        .iter()
        .find(|(row, _)| *row == api)
        .and_then(|(_, cells)| cells.get(state.column()).copied())
        // Only `CreateKey` has no row, and it never meets an existing key;
        // refusing is the fail-closed answer should anything else get here.
        .unwrap_or(SMF)
}

/// Whether `api` may run on key `key` in `state`: the state the key ends in,
/// or the matrix's rejection as an error.
pub fn check(api: Api, key: KeyId, state: KeyState) -> Result<KeyState, KmsError> {
    match cell(api, state) {
        Cell::Ok => Ok(state),
        Cell::To(next) => Ok(next),
        Cell::RejectedDisabled => Err(KmsError::Disabled(key)),
        Cell::RejectedPendingDeletion => Err(KmsError::PendingDeletion(key)),
        Cell::RejectedStateModifiedFailed => Err(KmsError::StateModifiedFailed { key, api, state }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_but_create_key_has_exactly_one_row() {
        for api in Api::ALL {
            let rows = MATRIX.iter().filter(|(row, _)| *row == api).count();
            let expected = usize::from(api != Api::CreateKey);
            assert_eq!(rows, expected, "{api}");
        }
    }

    #[test]
    fn only_enabled_keys_do_cryptography() {
        for api in [Api::GenerateDataKey, Api::Encrypt, Api::Decrypt] {
            for state in KeyState::ALL {
                assert_eq!(check(api, key(), state).is_ok(), state == Enabled);
            }
        }
    }

    #[test]
    fn rejections_carry_their_alibaba_codes() {
        let code = |api, state| check(api, key(), state).unwrap_err().code();
        assert_eq!(code(Api::Encrypt, Disabled), "Rejected.Disabled");
        assert_eq!(
            code(Api::Decrypt, PendingDeletion),
            "Rejected.PendingDeletion"
        );
        assert_eq!(
            code(Api::CancelKeyDeletion, Enabled),
            "Rejected.StateModifiedFailed"
        );
        let err = check(Api::DisableKey, key(), PendingDeletion).unwrap_err();
        assert_eq!(err.http_status(), 409);
        assert_eq!(
            err.to_string(),
            "cannot `DisableKey` key `86a9efd9-3d16-4894-bd4f-1fc43f3f2abf` in state `PendingDeletion`"
        );
    }

    #[test]
    fn cancelling_a_deletion_enables_the_key() {
        assert_eq!(
            check(Api::CancelKeyDeletion, key(), PendingDeletion).unwrap(),
            Enabled
        );
    }

    fn key() -> KeyId {
        KeyId::parse("86a9efd9-3d16-4894-bd4f-1fc43f3f2abf").unwrap()
    }
}

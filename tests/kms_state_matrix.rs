//! The whole state/API matrix of spec `sls-kms.md` §3.1, cell by cell,
//! through the public API, for both key specs.
//!
//! The table below is copied from the spec (not from `src/`), with the
//! `PendingImport` column and the `CreateAlias` row left out (ramgate has no
//! external keys and no aliases) and a `Deleted` column added: a key whose
//! deletion window has passed no longer exists (spec §3.1 notes).
//!
//! A cell is `ok` (state unchanged), `ok → <State>` (the key ends in that
//! state; idempotent when it already was) or the error code. After every
//! call the test checks the state the key is left in.

#![cfg(feature = "kms")]

mod kms_support;

use kms_support::{Fixture, as_account};
use ramgate::kms::{Api, DataKeySpec, EncryptionContext, KeySpec, KeyState};
use time::Duration;

const MATRIX: &str = "
| API                 | Enabled                      | Disabled                     | PendingDeletion              | Deleted               |
|---------------------|------------------------------|------------------------------|------------------------------|-----------------------|
| GenerateDataKey     | ok                           | Rejected.Disabled            | Rejected.PendingDeletion     | Forbidden.KeyNotFound |
| Encrypt             | ok                           | Rejected.Disabled            | Rejected.PendingDeletion     | Forbidden.KeyNotFound |
| Decrypt             | ok                           | Rejected.Disabled            | Rejected.PendingDeletion     | Forbidden.KeyNotFound |
| DescribeKey         | ok                           | ok                           | ok                           | Forbidden.KeyNotFound |
| ListKeys            | ok                           | ok                           | ok                           | ok                    |
| EnableKey           | ok → Enabled                 | ok → Enabled                 | Rejected.StateModifiedFailed | Forbidden.KeyNotFound |
| DisableKey          | ok → Disabled                | ok → Disabled                | Rejected.StateModifiedFailed | Forbidden.KeyNotFound |
| ScheduleKeyDeletion | ok → PendingDeletion         | ok → PendingDeletion         | Rejected.StateModifiedFailed | Forbidden.KeyNotFound |
| CancelKeyDeletion   | Rejected.StateModifiedFailed | Rejected.StateModifiedFailed | ok → Enabled                 | Forbidden.KeyNotFound |
";

/// A column: an existing state, or gone.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Column {
    State(KeyState),
    Deleted,
}

fn column(name: &str) -> Column {
    match name {
        "Enabled" => Column::State(KeyState::Enabled),
        "Disabled" => Column::State(KeyState::Disabled),
        "PendingDeletion" => Column::State(KeyState::PendingDeletion),
        "Deleted" => Column::Deleted,
        other => panic!("unknown column {other}"),
    }
}

fn api(name: &str) -> Api {
    Api::ALL
        .into_iter()
        .find(|a| a.name() == name)
        .unwrap_or_else(|| panic!("unknown API {name}"))
}

/// What a cell expects: success and the column the key ends in, or a code.
#[derive(Debug)]
enum Expected {
    Ok(Column),
    Err(&'static str),
}

fn cells() -> Vec<(Api, Column, Expected)> {
    let mut lines = MATRIX.trim().lines();
    let split = |line: &'static str| -> Vec<&'static str> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect()
    };
    let header = split(lines.next().unwrap());
    let columns: Vec<Column> = header[1..].iter().map(|c| column(c)).collect();
    lines.next(); // the |---| rule
    let mut out = Vec::new();
    for line in lines {
        let row = split(line);
        let api = api(row[0]);
        for (cell, &col) in row[1..].iter().zip(&columns) {
            let expected = if *cell == "ok" {
                Expected::Ok(col)
            } else if let Some(state) = cell.strip_prefix("ok → ") {
                Expected::Ok(column(state))
            } else {
                Expected::Err(cell)
            };
            out.push((api, col, expected));
        }
    }
    out
}

/// A fixture with one key in `col`, and a blob the key made while enabled.
fn key_in(spec: KeySpec, col: Column) -> (Fixture, String, Vec<u8>) {
    let f = Fixture::new();
    let id = f.key(spec).key_id.to_string();
    let blob = f
        .kms
        .encrypt(&as_account(), &id, b"matrix", &EncryptionContext::new())
        .unwrap()
        .ciphertext_blob;
    match col {
        Column::State(KeyState::Enabled) => {}
        Column::State(KeyState::Disabled) => f.kms.disable_key(&as_account(), &id).unwrap(),
        Column::State(KeyState::PendingDeletion) => {
            f.kms.schedule_key_deletion(&as_account(), &id, 7).unwrap()
        }
        Column::Deleted => {
            f.kms.schedule_key_deletion(&as_account(), &id, 7).unwrap();
            f.clock.advance(Duration::days(7));
        }
    }
    assert_eq!(column_of(&f, &id), col, "set-up");
    (f, id, blob)
}

/// The column a key is in, asked through the API.
fn column_of(f: &Fixture, id: &str) -> Column {
    match f.kms.describe_key(&as_account(), id) {
        Ok(m) => Column::State(m.key_state),
        Err(e) => {
            assert_eq!(e.code(), "Forbidden.KeyNotFound");
            Column::Deleted
        }
    }
}

/// Calls `api` on the key; `Ok` or the error code.
fn call(f: &Fixture, api: Api, id: &str, blob: &[u8]) -> Result<(), (&'static str, u16)> {
    let ctx = EncryptionContext::new();
    let result = match api {
        Api::GenerateDataKey => f
            .kms
            .generate_data_key(&as_account(), id, DataKeySpec::AES_256, &ctx)
            .map(|out| assert_eq!(out.plaintext.len(), 32)),
        Api::Encrypt => f.kms.encrypt(&as_account(), id, b"cell", &ctx).map(|_| ()),
        Api::Decrypt => f
            .kms
            .decrypt(&as_account(), blob, &ctx)
            .map(|out| assert_eq!(out.plaintext.expose(), b"matrix")),
        Api::DescribeKey => f.kms.describe_key(&as_account(), id).map(|_| ()),
        Api::ListKeys => f.kms.list_keys(&as_account(), 1, 10).map(|list| {
            let listed = list.keys.iter().any(|k| k.key_id.to_string() == id);
            assert_eq!(listed, column_of(f, id) != Column::Deleted, "ListKeys");
        }),
        Api::EnableKey => f.kms.enable_key(&as_account(), id),
        Api::DisableKey => f.kms.disable_key(&as_account(), id),
        Api::ScheduleKeyDeletion => f.kms.schedule_key_deletion(&as_account(), id, 7),
        Api::CancelKeyDeletion => f.kms.cancel_key_deletion(&as_account(), id),
        Api::CreateKey => unreachable!("CreateKey has no row"),
    };
    result.map_err(|e| (e.code(), e.http_status()))
}

fn expected_status(code: &str) -> u16 {
    match code {
        c if c.starts_with("Rejected.") => 409,
        "Forbidden.KeyNotFound" => 404,
        other => panic!("no status for {other}"),
    }
}

#[test]
fn every_cell_of_the_state_api_matrix() {
    let cells = cells();
    assert_eq!(cells.len(), 9 * 4);
    let mut checked = 0;
    for spec in [KeySpec::AliyunAes256, KeySpec::AliyunSm4] {
        for (api, col, expected) in &cells {
            let (f, id, blob) = key_in(spec, *col);
            let got = call(&f, *api, &id, &blob);
            let cell = format!("{spec} {api} in {col:?}");
            match expected {
                Expected::Ok(after) => {
                    assert_eq!(got, Ok(()), "{cell}");
                    assert_eq!(column_of(&f, &id), *after, "{cell}: state after");
                }
                Expected::Err(code) => {
                    assert_eq!(got, Err((*code, expected_status(code))), "{cell}");
                    assert_eq!(column_of(&f, &id), *col, "{cell}: state after");
                }
            }
            // The state a call leaves is on disk, not only in memory.
            let f = f.reopen();
            let after = match expected {
                Expected::Ok(after) => *after,
                Expected::Err(_) => *col,
            };
            assert_eq!(column_of(&f, &id), after, "{cell}: after reopening");
            checked += 1;
        }
    }
    assert_eq!(checked, 72);
}

#[test]
fn cancelling_the_deletion_of_a_key_disabled_before_enables_it() {
    // Alibaba, not AWS: CancelKeyDeletion always ends in Enabled (spec §3.1).
    let (f, id, blob) = key_in(KeySpec::AliyunAes256, Column::State(KeyState::Disabled));
    f.kms.schedule_key_deletion(&as_account(), &id, 30).unwrap();
    f.kms.cancel_key_deletion(&as_account(), &id).unwrap();
    assert_eq!(column_of(&f, &id), Column::State(KeyState::Enabled));
    assert!(
        f.kms
            .describe_key(&as_account(), &id)
            .unwrap()
            .delete_date
            .is_none()
    );
    f.kms
        .decrypt(&as_account(), &blob, &EncryptionContext::new())
        .unwrap();
}

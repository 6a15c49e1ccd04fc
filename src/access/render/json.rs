//! The JSON form: rows as `{"principal", "via", "actions", "condition",
//! "chain"}`, reports and paths built from them.

use super::super::who_can::Row;

/// The rows as a pretty JSON array.
pub fn rows(rows: &[Row]) -> String {
    let rows: Vec<_> = rows.iter().map(Row::to_json).collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_string())
}

//! The JSON form: rows as `{"principal", "via", "actions", "condition",
//! "chain"}`, reports and paths built from them.

use super::super::who_can::Row;

/// The rows as a pretty JSON array.
pub fn rows(rows: &[Row]) -> String {
    let rows: Vec<_> = rows.iter().map(Row::to_json).collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_string())
}

/// The Logstore report as JSON: its identity, then each section with its
/// rows in the `who-can` form.
pub fn logstore(r: &super::super::LogstoreReport) -> String {
    let sections: Vec<serde_json::Value> = r
        .sections
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": s.name,
                "title": s.title,
                "note": s.note,
                "rows": s.rows.iter().map(Row::to_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = serde_json::json!({
        "project": r.project,
        "logstore": r.logstore,
        "arn": r.arn,
        "encryption": r.encryption,
        "sections": sections,
    });
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".to_string())
}

/// The JSON form of one escalation path.
pub fn escalation_value(p: &super::super::Escalation) -> serde_json::Value {
    serde_json::json!({
        "principal": p.principal,
        "kind": p.kind,
        "target": p.target,
        "gains": p.gains,
        "condition": (!p.condition.is_always()).then(|| p.condition.to_when()),
        "chain": p.chain,
    })
}

/// Escalation paths as a JSON array.
pub fn escalation(paths: &[super::super::Escalation]) -> String {
    let v: Vec<serde_json::Value> = paths.iter().map(escalation_value).collect();
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| "[]".to_string())
}

/// A check report as JSON: the file, the count, and each violation with
/// its row or path.
pub fn check(r: &super::super::check::CheckReport) -> String {
    use super::super::check::Proof;
    let violations: Vec<serde_json::Value> = r
        .violations
        .iter()
        .map(|v| {
            let proof = match &v.proof {
                Proof::Row(row) => serde_json::json!({"row": row.to_json()}),
                Proof::Path(p) => serde_json::json!({"path": escalation_value(p)}),
            };
            serde_json::json!({
                "line": v.line,
                "assertion": v.assertion,
                "message": v.message,
                "proof": proof,
            })
        })
        .collect();
    let v = serde_json::json!({
        "file": r.file,
        "assertions": r.assertions,
        "violations": violations,
    });
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".to_string())
}

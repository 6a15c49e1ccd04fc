//! SARIF 2.1.0 for `access check`: one result per violation, located at
//! its assertion in the check file, with the proof in `properties`.

use super::super::check::{CheckReport, Proof};

/// The tool name SARIF reports.
pub const NAME: &str = "ramgate-access";

/// The SARIF log of a check report.
pub fn check(r: &CheckReport) -> String {
    let results: Vec<serde_json::Value> = r
        .violations
        .iter()
        .map(|v| {
            let (rule, proof) = match &v.proof {
                Proof::Row(row) => ("access-who-can", serde_json::json!(row.to_json())),
                Proof::Path(p) => ("access-escalation", super::json::escalation_value(p)),
            };
            serde_json::json!({
                "ruleId": rule,
                "level": "error",
                "message": {"text": format!("{}: {}", v.assertion, v.message)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": r.file},
                        "region": {"startLine": v.line},
                    }
                }],
                "properties": {"proof": proof},
            })
        })
        .collect();
    let log = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": NAME,
                "rules": [
                    {"id": "access-who-can", "shortDescription": {"text": "a principal can do what a who-can assertion forbids"}},
                    {"id": "access-escalation", "shortDescription": {"text": "a principal can grant itself more than it has"}},
                ],
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_string())
}

//! SARIF 2.1.0, as GitHub code scanning reads it: one run, every catalogue
//! check as a rule, one result per finding with its region.
//!
//! Levels: `error` → `error`; `security-warning` → `error` too, since it
//! fails CI by default and GitHub ranks it by the rule's
//! `security-severity` (8.0, "high"); `warning` → `warning`; `suggestion`
//! → `note`. Columns count Unicode code points (`columnKind`), as ramgate's
//! columns do; `endColumn` is exclusive, as SARIF defines it.

use serde_json::{Value, json};

use super::super::{Severity, catalogue};
use super::FileReport;

/// The URI of the schema the output follows.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error | Severity::SecurityWarning => "error",
        Severity::Warning => "warning",
        Severity::Suggestion => "note",
    }
}

/// Renders all files' findings as one SARIF log.
pub fn sarif(reports: &[FileReport<'_>], config: Option<&str>) -> String {
    let checks = catalogue::checks();
    let rules: Vec<Value> = checks
        .iter()
        .map(|c| {
            let mut properties = json!({ "tags": ["ram", c.severity.as_str()] });
            if c.severity == Severity::SecurityWarning {
                properties = json!({ "tags": ["ram", "security"], "security-severity": "8.0" });
            }
            json!({
                "id": c.code,
                "name": pascal(&c.code),
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": c.explanation },
                "help": {
                    "text": format!("{}\n\nFix, for example: {}", c.explanation, c.fix),
                    "markdown": format!("{}\n\n**Fix, for example:** {}", c.explanation, c.fix),
                },
                "defaultConfiguration": { "level": level(c.severity) },
                "properties": properties,
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in reports {
        let uri = uri(r.file);
        for f in r.findings {
            let mut message = f.message.clone();
            if let Some(help) = &f.help {
                message.push_str(" Help: ");
                message.push_str(help);
            }
            let mut physical = json!({ "artifactLocation": { "uri": uri } });
            if f.span.line > 0 {
                physical["region"] = json!({
                    "startLine": f.span.line,
                    "startColumn": f.span.column,
                    "endLine": f.span.end_line.max(f.span.line),
                    "endColumn": f.span.end_column.max(1),
                });
            }
            let mut location = json!({ "physicalLocation": physical });
            if !f.path.is_empty() {
                location["logicalLocations"] =
                    json!([{ "fullyQualifiedName": f.path, "kind": "member" }]);
            }
            let mut result = json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": message },
                "locations": [location],
            });
            if let Some(i) = checks.iter().position(|c| c.code == f.code) {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "ramgate",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": true,
                "properties": { "configuration": config },
            }],
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// `pass-role-wildcard` → `PassRoleWildcard`, the rule's `name`.
fn pascal(code: &str) -> String {
    code.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A file path as a relative URI reference: forward slashes, and
/// percent-encoding for everything outside RFC 3986's unreserved set.
fn uri(file: &str) -> String {
    let mut out = String::new();
    for b in file.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_and_uris() {
        assert_eq!(pascal("pass-role-wildcard"), "PassRoleWildcard");
        assert_eq!(uri("policies/a b.json"), "policies/a%20b.json");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
    }
}

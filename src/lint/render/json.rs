//! `{"configuration": <path or null>, "findings": [...]}`. Its shape is a
//! contract: every finding has at least `file`, `code`, `severity`,
//! `message`, `path`, `line`, `column`.

use serde::Serialize;

use super::super::Severity;
use super::FileReport;

#[derive(Serialize)]
struct Row<'a> {
    file: &'a str,
    code: &'a str,
    severity: Severity,
    message: &'a str,
    help: Option<&'a str>,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct Output<'a> {
    configuration: Option<&'a str>,
    findings: Vec<Row<'a>>,
}

/// Renders all findings of all files as one pretty-printed JSON object,
/// with the configuration file that applied.
pub fn json(reports: &[FileReport<'_>], config: Option<&str>) -> String {
    let rows: Vec<Row<'_>> = reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| Row {
                file: r.file,
                code: f.code,
                severity: f.severity,
                message: &f.message,
                help: f.help.as_deref(),
                path: &f.path,
                line: f.span.line,
                column: f.span.column,
                end_line: f.span.end_line,
                end_column: f.span.end_column,
            })
        })
        .collect();
    let output = Output {
        configuration: config,
        findings: rows,
    };
    let mut out = serde_json::to_string_pretty(&output).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}

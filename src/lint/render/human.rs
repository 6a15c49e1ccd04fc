//! rustc-style text: `severity[code]: message`, the location, the source
//! line with carets under the span, the JSON path and the help line.

use std::fmt::Write as _;

use super::super::{Finding, Severity};
use super::FileReport;

/// Renders every file's findings and a closing count.
pub fn human(reports: &[FileReport<'_>], config: Option<&str>) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 4];
    for r in reports {
        for f in r.findings {
            finding(&mut out, r, f);
            if let Some(i) = Severity::ALL.iter().position(|s| *s == f.severity) {
                counts[i] += 1;
            }
        }
    }
    let total: usize = counts.iter().sum();
    let files = reports.len();
    let noun = if files == 1 { "file" } else { "files" };
    let applied = match config {
        Some(path) => format!("configuration `{path}`"),
        None => "no configuration".to_string(),
    };
    if total == 0 {
        let _ = writeln!(out, "no findings in {files} {noun} ({applied})");
    } else {
        let parts: Vec<String> = Severity::ALL
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}{}", if n == 1 { "" } else { "s" }))
            .collect();
        let _ = writeln!(
            out,
            "{total} finding{} in {files} {noun}: {} ({applied})",
            if total == 1 { "" } else { "s" },
            parts.join(", ")
        );
    }
    out
}

fn finding(out: &mut String, r: &FileReport<'_>, f: &Finding) {
    let _ = writeln!(out, "{}[{}]: {}", f.severity, f.code, f.message);
    let s = f.span;
    if s.line == 0 {
        let _ = writeln!(out, "  --> {}", r.file);
    } else {
        let _ = writeln!(out, "  --> {}:{}:{}", r.file, s.line, s.column);
        if let Some(line) = r.src.lines().nth(s.line as usize - 1) {
            let number = s.line.to_string();
            let pad = " ".repeat(number.len());
            let shown: String = line.chars().take(200).collect();
            let before: String = line
                .chars()
                .take(s.column.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let line_len = line.chars().count() as u32;
            // Underline the span on its first line; a span that goes on to
            // later lines is underlined to the end of this one.
            let end = if s.end_line == s.line {
                s.end_column
            } else {
                line_len + 1
            };
            let width = end.saturating_sub(s.column).max(1) as usize;
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {shown}");
            let _ = writeln!(out, "{pad} | {before}{}", "^".repeat(width.min(200)));
        }
    }
    if !f.path.is_empty() {
        let _ = writeln!(out, "  = at: {}", f.path);
    }
    if let Some(help) = &f.help {
        let _ = writeln!(out, "  = help: {help}");
    }
    out.push('\n');
}

//! The text form: one block per row, its condition in DSL `when` lines,
//! then its decision chain.

use std::fmt::Write as _;

use super::super::who_can::Row;
use super::ChainPrinter;

/// The rows of one question, or a line saying there are none.
pub fn rows(out: &mut String, rows: &[Row], chain: ChainPrinter<'_>) {
    if rows.is_empty() {
        out.push_str("  nobody\n");
    }
    for r in rows {
        row(out, r, chain);
    }
}

/// One row: `<principal> [-> hop…]: <actions>`, the condition, the chain.
pub fn row(out: &mut String, r: &Row, chain: ChainPrinter<'_>) {
    let _ = writeln!(out, "  {}: {}", r.path(), r.actions.join(", "));
    condition(out, r, "    ");
    for line in chain(&r.chain).lines() {
        let _ = writeln!(out, "    {line}");
    }
}

/// `allowed when` and the alternatives, or nothing for an unconditional row.
pub fn condition(out: &mut String, r: &Row, indent: &str) {
    if r.condition.is_always() {
        return;
    }
    let _ = writeln!(out, "{indent}allowed when");
    for (i, alt) in r.condition.to_when().iter().enumerate() {
        if i > 0 {
            let _ = writeln!(out, "{indent}or");
        }
        for line in alt {
            let _ = writeln!(out, "{indent}  {line}");
        }
    }
}

/// The Logstore report: a heading, then each section with its rows.
pub fn logstore(r: &super::super::LogstoreReport, chain: ChainPrinter<'_>) -> String {
    let mut out = format!(
        "Logstore {}/{} ({})\nencryption: {}\n",
        r.project, r.logstore, r.arn, r.encryption
    );
    for s in &r.sections {
        let _ = writeln!(out, "\nwho can {}:", s.title);
        if let Some(n) = &s.note {
            let _ = writeln!(out, "  note: {n}");
        }
        rows(&mut out, &s.rows, chain);
    }
    out
}

/// The Logstore report in short: each section and its principals, one
/// line each, without the chains.
pub fn logstore_summary(r: &super::super::LogstoreReport) -> String {
    let mut out = format!("Logstore {}/{}: {}\n", r.project, r.logstore, r.encryption);
    for s in &r.sections {
        let who: Vec<String> = s
            .rows
            .iter()
            .map(|row| {
                let mut p = super::dot::short(&row.principal);
                for v in &row.via {
                    p.push_str(" -> ");
                    p.push_str(&super::dot::short(v));
                }
                if !row.condition.is_always() {
                    p.push_str(" (conditional)");
                }
                p
            })
            .collect();
        let who = if who.is_empty() {
            "nobody".to_string()
        } else {
            who.join(", ")
        };
        let _ = writeln!(out, "  {}: {who}", s.title);
    }
    out
}

/// Escalation paths: one block each, with the pair gained and the chain.
pub fn escalation(paths: &[super::super::Escalation], chain: ChainPrinter<'_>) -> String {
    let mut out = String::from("privilege escalation paths:\n");
    if paths.is_empty() {
        out.push_str("  none\n");
    }
    for p in paths {
        let _ = writeln!(
            out,
            "  {}: {} on {}, gaining {} on {}",
            p.principal,
            p.kind.as_str(),
            p.target,
            p.gains.action,
            p.gains.resource
        );
        if !p.condition.is_always() {
            let _ = writeln!(out, "    allowed when");
            for (i, alt) in p.condition.to_when().iter().enumerate() {
                if i > 0 {
                    let _ = writeln!(out, "    or");
                }
                for line in alt {
                    let _ = writeln!(out, "      {line}");
                }
            }
        }
        for line in chain(&p.chain).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// A check report: the count, then each violation with its proof.
pub fn check(r: &super::super::check::CheckReport, chain: ChainPrinter<'_>) -> String {
    use super::super::check::Proof;
    let mut out = format!(
        "{}: {} assertions, {} violations\n",
        r.file,
        r.assertions,
        r.violations.len()
    );
    for v in &r.violations {
        let _ = writeln!(out, "{}:{}: {}: {}", r.file, v.line, v.assertion, v.message);
        match &v.proof {
            Proof::Row(row) => {
                condition(&mut out, row, "    ");
                for line in chain(&row.chain).lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
            Proof::Path(p) => {
                for line in chain(&p.chain).lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    out
}

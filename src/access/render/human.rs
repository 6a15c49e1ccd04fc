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

//! The data the linter reads: the check catalogue (`checks.json`) and the
//! service catalogue (`services/*.json`).
//!
//! Both are JSON files compiled into the binary and parsed once, at first
//! use. The code, `ramgate lint --explain`, the generated checks table
//! (`docs/lint-checks.md`) and the tests all read the same records, so a
//! check cannot be documented one way and implemented another.

pub mod services;

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Deserialize;

use super::finding::Severity;

pub use services::{
    ActionDef, ActionExpansion, ConditionKeyDef, ResourceType, Service, ServiceCatalogue,
};

/// One lint check as the catalogue describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The stable kebab-case code (`pass-role-wildcard`).
    pub code: String,
    /// The default severity.
    pub severity: Severity,
    /// A short title.
    pub title: String,
    /// What the check finds and why it matters.
    pub explanation: String,
    /// An example of the fix.
    pub fix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    #[allow(dead_code)]
    version: String,
    checks: Vec<Check>,
}

/// The raw text of the check catalogue, for tests and tools.
pub const CHECKS_JSON: &str = include_str!("checks.json");

/// Every check, in catalogue order (errors first).
pub fn checks() -> &'static [Check] {
    static CHECKS: OnceLock<Vec<Check>> = OnceLock::new();
    CHECKS.get_or_init(|| {
        // The file is part of the crate and a unit test parses it, so a
        // failure here is a build defect; an empty catalogue keeps the
        // library from panicking all the same.
        serde_json::from_str::<CheckFile>(CHECKS_JSON)
            .map(|f| f.checks)
            .unwrap_or_default()
    })
}

/// Looks a check up by its code.
pub fn check(code: &str) -> Option<&'static Check> {
    checks().iter().find(|c| c.code == code)
}

/// The closest check code to a misspelt or shortened one, for help lines.
pub fn suggest_code(code: &str) -> Option<&'static str> {
    let codes = || checks().iter().map(|c| c.code.as_str());
    crate::policy::condition::suggest(code, codes()).or_else(|| {
        // `pass-role` for `pass-role-wildcard`: the first code containing
        // it, which is the most severe (the catalogue is ordered so), as
        // `pass-role-wildcard` comes before `pass-role-to-service`.
        codes().find(|c| code.len() >= 4 && c.contains(code))
    })
}

/// The checks table in Markdown, as `docs/lint-checks.md` holds it between
/// its `<!-- checks:start -->` / `<!-- checks:end -->` markers.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | severity | what it finds | fix, for example |\n");
    out.push_str("|---|---|---|---|\n");
    for c in checks() {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            c.code,
            c.severity,
            cell(&c.title),
            cell(&c.fix)
        );
    }
    out
}

/// The long form `ramgate lint --explain CODE` prints.
pub fn explain(check: &Check) -> String {
    format!(
        "{} [{}]: {}\n\n{}\n\nfix, for example: {}\n",
        check.code, check.severity, check.title, check.explanation, check.fix
    )
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_catalogue_parses_and_codes_are_unique_kebab_case() {
        let parsed: CheckFile = serde_json::from_str(CHECKS_JSON).unwrap_or_else(|e| panic!("{e}"));
        assert!(parsed.checks.len() >= 46, "{} checks", parsed.checks.len());
        let mut codes: Vec<&str> = parsed.checks.iter().map(|c| c.code.as_str()).collect();
        for code in &codes {
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{code} is not kebab-case"
            );
        }
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "duplicate codes");
    }

    #[test]
    fn checks_are_listed_from_the_most_to_the_least_severe() {
        let severities: Vec<Severity> = checks().iter().map(|c| c.severity).collect();
        let mut sorted = severities.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(severities, sorted);
    }

    #[test]
    fn misspelt_codes_get_a_suggestion() {
        assert_eq!(
            suggest_code("pass-role-wildcards"),
            Some("pass-role-wildcard")
        );
        assert_eq!(
            check("allow-all").map(|c| c.severity),
            Some(Severity::SecurityWarning)
        );
    }
}

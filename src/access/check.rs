//! `ramgate access check FILE`: assertions about a directory, for CI.
//!
//! ```toml
//! # Only the log-admin role may disable CMKs.
//! [[who-can]]
//! action = "kms:DisableKey"
//! resource = "acs:kms:*:*:key/*"
//! only = ["role/log-admin"]
//!
//! # Nobody can grant themselves more than they have.
//! [escalation]
//! none = true
//! ```
//!
//! A `who-can` assertion has `only` (the principals allowed, each an ARN,
//! its resource part such as `user/alice` or `role/log-admin`, or a service
//! name) or `none = true`; `context` fixes condition keys. A row satisfies
//! `only` when its principal or the role it acts as at the end of its path
//! is listed (so `only = ["role/log-admin"]` admits whoever goes through
//! that role; the hops are in the proof).
//!
//! Choice: the account root is never a violation of `only`. It holds every
//! permission on its own resources by definition (spec §8.6), so listing it
//! would be required by every assertion and prove nothing; `none = true`
//! does count it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::authz::Context;

use super::analyzer::Analyzer;
use super::error::AccessError;
use super::escalation::{Escalation, escalation};
use super::principals::Subject;
use super::who_can::{Row, who_can};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    #[serde(default, rename = "who-can")]
    who_can: Vec<WhoCanAssertion>,
    escalation: Option<EscalationAssertion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhoCanAssertion {
    action: String,
    resource: String,
    only: Option<Vec<String>>,
    #[serde(default)]
    none: bool,
    #[serde(default)]
    context: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationAssertion {
    none: bool,
}

/// What broke an assertion, with its proof.
#[derive(Clone, Debug)]
pub enum Proof {
    /// A row `only` does not admit, or any row under `none`.
    Row(Row),
    /// An escalation path under `[escalation] none = true`.
    Path(Escalation),
}

/// One violation.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The line of the assertion in the check file.
    pub line: usize,
    /// The assertion, in words.
    pub assertion: String,
    /// Why it is violated, in words.
    pub message: String,
    /// The row or path that violates it.
    pub proof: Proof,
}

/// The outcome of a check file.
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// The file.
    pub file: String,
    /// How many assertions it holds.
    pub assertions: usize,
    /// Every row of every `who-can` assertion (what the DOT form draws),
    /// with the assertion's resource.
    pub answers: Vec<(String, Vec<Row>)>,
    /// The escalation paths, when asked.
    pub paths: Vec<Escalation>,
    /// The violations.
    pub violations: Vec<Violation>,
}

/// The 1-based line of the `n`-th line that starts with `header`.
fn line_of(text: &str, header: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with(header))
        .nth(n)
        .map_or(1, |(i, _)| i + 1)
}

/// Whether `entry` names `arn`: the ARN itself, its resource part, or the
/// service name.
fn names(entry: &str, arn: &str) -> bool {
    arn == entry || arn.ends_with(&format!(":{entry}"))
}

fn admitted(only: &[String], r: &Row) -> bool {
    let acting = r.via.last().unwrap_or(&r.principal);
    only.iter()
        .any(|e| names(e, &r.principal) || names(e, acting))
}

/// Reads and runs a check file.
pub fn run(an: &Analyzer<'_>, file: &Path) -> Result<CheckReport, AccessError> {
    let name = file.display().to_string();
    let bad = |message: String| AccessError::CheckFile {
        file: name.clone(),
        message,
    };
    let text = std::fs::read_to_string(file).map_err(|e| bad(e.to_string()))?;
    let parsed: CheckFile =
        toml::from_str(&text).map_err(|e| bad(e.to_string().trim().to_string()))?;
    let mut report = CheckReport {
        file: name.clone(),
        assertions: parsed.who_can.len() + usize::from(parsed.escalation.is_some()),
        answers: Vec::new(),
        paths: Vec::new(),
        violations: Vec::new(),
    };
    for (n, a) in parsed.who_can.iter().enumerate() {
        let line = line_of(&text, "[[who-can]]", n);
        let assertion = match (&a.only, a.none) {
            (Some(only), false) => format!(
                "who can {} on {}: only {}",
                a.action,
                a.resource,
                only.join(", ")
            ),
            (None, true) => format!("who can {} on {}: nobody", a.action, a.resource),
            _ => {
                return Err(bad(format!(
                    "line {line}: a `who-can` assertion needs exactly one of `only = [...]` and `none = true`"
                )));
            }
        };
        let mut known = Context::new();
        for (k, v) in &a.context {
            known.insert(k, [v.as_str()]);
        }
        let rows = who_can(an, &a.action, &a.resource, &known)?;
        for r in &rows {
            let root = an
                .subjects()
                .get(r.start)
                .is_some_and(|s| matches!(s, Subject::Root { .. }));
            let message = match &a.only {
                Some(only) if root || admitted(only, r) => continue,
                Some(_) => format!("`{}` can, and is not listed in `only`", r.path()),
                None => format!("`{}` can", r.path()),
            };
            report.violations.push(Violation {
                line,
                assertion: assertion.clone(),
                message,
                proof: Proof::Row(r.clone()),
            });
        }
        report.answers.push((a.resource.clone(), rows));
    }
    if let Some(e) = &parsed.escalation {
        let line = line_of(&text, "[escalation]", 0);
        let paths = escalation(an)?;
        if e.none {
            for p in &paths {
                report.violations.push(Violation {
                    line,
                    assertion: "no privilege escalation".to_string(),
                    message: format!(
                        "`{}` can {} `{}`, gaining `{}` on `{}`",
                        p.principal,
                        p.kind.as_str(),
                        p.target,
                        p.gains.action,
                        p.gains.resource
                    ),
                    proof: Proof::Path(p.clone()),
                });
            }
        }
        report.paths = paths;
    }
    Ok(report)
}

//! What a check reports: a [`Finding`] with its severity, message, help,
//! JSON path and source span.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The four classes of Access Analyzer and of Alibaba's console policy
/// check, ordered from the least to the most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// No effect on access; cleaner to change.
    Suggestion,
    /// Not best practice, or probably not what was meant.
    Warning,
    /// Grants more than it seems to.
    SecurityWarning,
    /// The policy, or part of it, does not work.
    Error,
}

impl Severity {
    /// All severities, the most severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Error,
        Severity::SecurityWarning,
        Severity::Warning,
        Severity::Suggestion,
    ];

    /// The name used in output, options and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::SecurityWarning => "security-warning",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}`, expected `error`, `security-warning`, `warning` or `suggestion`")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Severity, UnknownSeverity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

/// Where a finding is: byte offsets and the 1-based line and column (in
/// characters) of its first and one-past-last character. Line 0 means the
/// position is not known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset one past the end.
    pub end: usize,
    /// Line of the start.
    pub line: u32,
    /// Column of the start.
    pub column: u32,
    /// Line of the end.
    pub end_line: u32,
    /// Column one past the end (exclusive, as SARIF counts).
    pub end_column: u32,
}

/// One problem found in one policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check's stable code.
    pub code: &'static str,
    /// The severity, after configuration.
    pub severity: Severity,
    /// One sentence naming the offending value.
    pub message: String,
    /// How to fix it, when there is something specific to say.
    pub help: Option<String>,
    /// The JSON path of the offending element (`Statement[1].Resource[0]`);
    /// empty for the document itself.
    pub path: String,
    /// Where in the source.
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse_by_their_names() {
        assert!(Severity::Error > Severity::SecurityWarning);
        assert!(Severity::SecurityWarning > Severity::Warning);
        assert!(Severity::Warning > Severity::Suggestion);
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(s));
        }
        assert_eq!(
            serde_json::to_string(&Severity::SecurityWarning).unwrap_or_default(),
            "\"security-warning\""
        );
        assert!("Error".parse::<Severity>().is_err());
    }
}

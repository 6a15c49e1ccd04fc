//! SARIF 2.1.0 for `access check`: one result per violated assertion.

/// The tool name SARIF reports.
pub const NAME: &str = "ramgate-access";

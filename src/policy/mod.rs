//! The policy language: one AST, two concrete syntaxes (RAM's JSON and
//! ramgate's DSL), wildcard patterns, ARNs, condition operators and limits.

pub mod arn;
pub mod ast;
pub mod condition;
pub mod dialect;
pub mod dsl;
pub mod error;
pub mod json;
pub mod kind;
pub mod loc;
pub mod pattern;
mod tree_eq;

pub use ast::{
    ActionList, ConditionBlock, Effect, KeyValues, OperatorBlock, Policy, PrincipalBlock,
    PrincipalEntry, PrincipalKind, Statement, ValueList,
};
pub use dialect::{Dialect, KindSpec};
pub use error::{ParseError, ParseErrorKind, render_with_source};
pub use kind::PolicyKind;
pub use loc::{Loc, Spanned};

/// The two concrete syntaxes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// RAM's JSON.
    Json,
    /// ramgate's text form (`.rgp` files).
    Dsl,
}

impl Format {
    /// Recognises the syntax by content: JSON documents start with `{`
    /// (after white space); anything else is read as DSL.
    pub fn detect(src: &str) -> Format {
        if src
            .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
            .starts_with('{')
        {
            Format::Json
        } else {
            Format::Dsl
        }
    }
}

impl Policy {
    /// Parses a policy in either syntax, recognised by content.
    ///
    /// With `kind` absent it is inferred: statements that carry `Principal`
    /// make a trust policy (a resource policy when a `Principal` is a plain
    /// list, as OSS writes it), otherwise an identity policy.
    pub fn parse(src: &str, kind: Option<PolicyKind>) -> Result<Policy, ParseError> {
        match Format::detect(src) {
            Format::Json => json::parse_policy(src, kind),
            Format::Dsl => dsl::parse_policy(src, kind),
        }
    }

    /// Parses RAM JSON.
    pub fn from_json(src: &str, kind: Option<PolicyKind>) -> Result<Policy, ParseError> {
        json::parse_policy(src, kind)
    }

    /// Prints canonical RAM JSON.
    pub fn to_json(&self) -> String {
        json::print_policy(self)
    }

    /// Parses ramgate's DSL.
    pub fn from_dsl(src: &str, kind: Option<PolicyKind>) -> Result<Policy, ParseError> {
        dsl::parse_policy(src, kind)
    }

    /// Prints canonical DSL.
    pub fn to_dsl(&self) -> String {
        dsl::print_policy(self)
    }
}

/// Rewrites a policy text in canonical form, in its own syntax (recognised
/// by content): DSL keeping its comments ([`dsl::format`]), JSON as
/// [`Policy::to_json`] prints it. The policy must be valid for `kind`
/// (inferred when absent, as [`Policy::parse`] does).
pub fn format(src: &str, kind: Option<PolicyKind>) -> Result<String, ParseError> {
    match Format::detect(src) {
        Format::Json => Ok(json::parse_policy(src, kind)?.to_json()),
        Format::Dsl => dsl::format(src, kind),
    }
}

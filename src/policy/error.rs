//! Errors of the policy front ends (JSON and DSL), with the location and the
//! JSON path of the offending element.

use std::fmt;

use super::condition::{OperatorError, ValueError};
use super::kind::PolicyKind;
use super::loc::Loc;

/// What is wrong with a policy document. Each kind has a stable code (the
/// same as the `ramgate lint` check that reports it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not well-formed JSON.
    #[error("invalid JSON: {0}")]
    JsonSyntax(String),
    /// Not well-formed DSL.
    #[error("expected {expected}, found {found}")]
    Expected {
        /// What the grammar allows here.
        expected: String,
        /// What the text has instead.
        found: String,
    },
    /// A DSL string literal that is not closed or has a bad escape.
    #[error("{0}")]
    BadString(String),
    /// Over RAM's limit for this kind of policy.
    #[error(
        "the policy has {actual} characters, more than the {limit} RAM allows in {kind} policies"
    )]
    TooLarge {
        /// Characters counted (white space outside strings excluded).
        actual: usize,
        /// The limit for the kind.
        limit: usize,
        /// The policy kind.
        kind: PolicyKind,
    },
    /// Over the hard limit any input may have.
    #[error("the document has {actual} bytes, more than the {limit} ramgate reads")]
    InputTooLarge {
        /// Bytes given.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// Nested deeper than any policy needs.
    #[error("the document is nested more than {0} levels deep")]
    TooDeep(usize),
    /// The document or an element is not the JSON type it must be.
    #[error("{element} must be {expected}, found {found}")]
    WrongType {
        /// The element.
        element: String,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
    /// No `Version`.
    #[error("the policy has no `Version`")]
    MissingVersion,
    /// `Version` other than `"1"`.
    #[error("unsupported `Version` `{0}`, RAM knows only `\"1\"`")]
    InvalidVersion(String),
    /// No `Statement`, or an empty one.
    #[error("the policy has no statement")]
    MissingStatement,
    /// A statement without `Effect`.
    #[error("the statement has no `Effect`")]
    MissingEffect,
    /// `Effect` other than `Allow` / `Deny`.
    #[error("unknown effect `{0}`, expected `Allow` or `Deny`")]
    InvalidEffect(String),
    /// Neither `Action` nor `NotAction`.
    #[error("the statement has neither `Action` nor `NotAction`")]
    MissingAction,
    /// Both `Action` and `NotAction`.
    #[error("the statement has both `Action` and `NotAction`")]
    ActionAndNotAction,
    /// No `Resource` where the kind requires one.
    #[error("the statement has no `Resource`, which {0} policies require")]
    MissingResource(PolicyKind),
    /// `Resource` in a trust policy.
    #[error("trust policies have no `Resource`; the role itself is the resource")]
    ResourceInTrustPolicy,
    /// `Principal` in an identity or session policy.
    #[error("`Principal` is not allowed in {0} policies")]
    PrincipalNotAllowed(PolicyKind),
    /// No `Principal` where the kind requires one.
    #[error("the statement has no `Principal`, which {0} policies require")]
    MissingPrincipal(PolicyKind),
    /// A `Principal` key other than `RAM`, `Service`, `Federated`.
    #[error("unknown principal type `{0}`, expected `RAM`, `Service` or `Federated`")]
    InvalidPrincipal(String),
    /// `NotResource`, `NotPrincipal`, or an element RAM does not know.
    #[error("unsupported element `{0}`")]
    UnsupportedElement(String),
    /// A JSON key given twice in one object.
    #[error("duplicate key `{0}`")]
    DuplicateKey(String),
    /// An operator RAM does not have.
    #[error("{0}")]
    Operator(OperatorError),
    /// A condition value not of its operator's type.
    #[error("invalid value for `{operator}`: {error}")]
    ConditionValue {
        /// The operator.
        operator: String,
        /// What is wrong with the value.
        error: ValueError,
    },
}

impl ParseErrorKind {
    /// The stable kebab-case code, shared with `ramgate lint`.
    pub fn code(&self) -> &'static str {
        use ParseErrorKind::*;
        match self {
            JsonSyntax(_) | Expected { .. } | BadString(_) | TooDeep(_) | InputTooLarge { .. } => {
                "json-syntax"
            }
            TooLarge { .. } => "policy-too-large",
            WrongType { .. } => "invalid-element-type",
            MissingVersion => "missing-version",
            InvalidVersion(_) => "invalid-version",
            MissingStatement => "missing-statement",
            MissingEffect => "missing-effect",
            InvalidEffect(_) => "invalid-effect",
            MissingAction => "missing-action",
            ActionAndNotAction => "action-and-not-action",
            MissingResource(_) => "missing-resource",
            ResourceInTrustPolicy => "resource-in-trust-policy",
            PrincipalNotAllowed(_) => "principal-in-identity-policy",
            MissingPrincipal(_) => "missing-principal",
            InvalidPrincipal(_) => "invalid-principal",
            UnsupportedElement(_) | DuplicateKey(_) => "unsupported-element",
            Operator(_) => "unknown-condition-operator",
            ConditionValue { .. } => "invalid-condition-value",
        }
    }
}

/// A policy that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong (boxed: errors are rare, and results stay small).
    pub kind: Box<ParseErrorKind>,
    /// Where (line and column of the offending element).
    pub loc: Loc,
    /// The JSON path of the offending element (`Statement[1].Effect`);
    /// empty for the document itself.
    pub path: String,
    /// How to fix it, when there is something to say.
    pub help: Option<String>,
}

impl ParseError {
    /// An error at `loc` and `path`.
    pub fn new(kind: ParseErrorKind, loc: Loc, path: impl Into<String>) -> ParseError {
        let help = match &kind {
            ParseErrorKind::Operator(e) => e.help(),
            _ => None,
        };
        ParseError {
            kind: Box::new(kind),
            loc,
            path: path.into(),
            help,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> ParseError {
        self.help = Some(help.into());
        self
    }

    /// The stable code of the error kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The one-line form with the file name: `file:line:column: path: message`.
    pub fn render(&self, file: &str) -> String {
        let mut out = format!("{file}:{}:{}: {self}", self.loc.line, self.loc.column);
        if let Some(help) = &self.help {
            out.push_str("\n  help: ");
            out.push_str(help);
        }
        out
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.path, self.kind)
        }
    }
}

impl std::error::Error for ParseError {}

/// Builds JSON paths like `Statement[2].Condition.DateLessThan."acs:CurrentTime"`.
#[derive(Clone, Debug, Default)]
pub struct Path(String);

impl Path {
    /// The document root.
    pub fn root() -> Path {
        Path(String::new())
    }

    /// The path of a member; keys that are not plain identifiers are quoted.
    pub fn key(&self, key: &str) -> Path {
        let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let mut s = self.0.clone();
        if !s.is_empty() {
            s.push('.');
        }
        if plain {
            s.push_str(key);
        } else {
            s.push_str(&serde_json::to_string(key).unwrap_or_default());
        }
        Path(s)
    }

    /// The path of an array element.
    pub fn index(&self, i: usize) -> Path {
        Path(format!("{}[{i}]", self.0))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Renders an error rustc-style: `file:line:column: message`, then the source
/// line with a caret under the offending element, then the help line.
pub fn render_with_source(error: &ParseError, file: &str, src: &str) -> String {
    let mut out = format!("{file}:{}:{}: {error}", error.loc.line, error.loc.column);
    if let Some(snippet) = snippet(src, error.loc) {
        out.push('\n');
        out.push_str(&snippet);
    }
    if let Some(help) = &error.help {
        out.push_str("\n  = help: ");
        out.push_str(help);
    }
    out
}

/// The source line of `loc` with a caret under its first character, framed
/// with the line number as rustc does; `None` when `loc` is not in `src`.
pub fn snippet(src: &str, loc: Loc) -> Option<String> {
    if !loc.is_known() {
        return None;
    }
    let line = src.lines().nth(loc.line as usize - 1)?;
    let number = loc.line.to_string();
    let pad = " ".repeat(number.len());
    // Tabs keep their width so the caret stays under the element.
    let indent: String = line
        .chars()
        .take(loc.column.saturating_sub(1) as usize)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let shown: String = line.chars().take(200).collect();
    Some(format!("{pad} |\n{number} | {shown}\n{pad} | {indent}^"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_keys_that_are_not_identifiers() {
        let p = Path::root()
            .key("Statement")
            .index(2)
            .key("Condition")
            .key("DateLessThan")
            .key("acs:CurrentTime");
        assert_eq!(
            p.as_str(),
            r#"Statement[2].Condition.DateLessThan."acs:CurrentTime""#
        );
    }

    #[test]
    fn rendered_errors_show_the_line_with_a_caret() {
        let src = "{\n  \"Version\": \"2\"\n}";
        let loc = Loc {
            start: 0,
            end: 0,
            line: 2,
            column: 14,
        };
        let e = ParseError::new(ParseErrorKind::InvalidVersion("2".into()), loc, "Version");
        assert_eq!(
            render_with_source(&e, "p.json", src),
            "p.json:2:14: Version: unsupported `Version` `2`, RAM knows only `\"1\"`\n  |\n2 |   \"Version\": \"2\"\n  |              ^"
        );
    }

    #[test]
    fn rendered_errors_name_file_line_column_and_path() {
        let loc = Loc {
            start: 0,
            end: 1,
            line: 7,
            column: 15,
        };
        let e = ParseError::new(
            ParseErrorKind::InvalidEffect("Alow".into()),
            loc,
            "Statement[0].Effect",
        );
        assert_eq!(
            e.render("policy.json"),
            "policy.json:7:15: Statement[0].Effect: unknown effect `Alow`, expected `Allow` or `Deny`"
        );
    }
}

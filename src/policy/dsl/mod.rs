//! The DSL front end: ramgate's text form of RAM policies (`.rgp` files),
//! a second concrete syntax of the same AST as RAM's JSON.
//!
//! The normative grammar is `grammar/policy.ebnf`. Parsing applies the same
//! rules as the JSON front end and reports the same [`ParseErrorKind`]s
//! (plus [`ParseErrorKind::Expected`] and [`ParseErrorKind::BadString`] for
//! text that does not fit the grammar), so a policy is valid in one syntax
//! exactly when it is valid in the other.
//!
//! ```
//! use ramgate::policy::{Policy, dsl};
//!
//! let src = "version 1\n\nallow sts:AssumeRole\n  principal service log.aliyuncs.com\n";
//! let policy = dsl::parse_policy(src, None)?;
//! assert_eq!(Policy::from_json(&policy.to_json(), None)?, policy);
//! assert_eq!(dsl::print_policy(&policy), src);
//! # Ok::<(), ramgate::policy::ParseError>(())
//! ```
//!
//! [`ParseErrorKind`]: crate::policy::ParseErrorKind
//! [`ParseErrorKind::Expected`]: crate::policy::ParseErrorKind::Expected
//! [`ParseErrorKind::BadString`]: crate::policy::ParseErrorKind::BadString

mod check;
mod fail;
mod fmt;
mod lexer;
mod locate;
mod parse;
mod print;
mod size;

use crate::policy::ast::Policy;
use crate::policy::condition::{Operator, Qualifier};
use crate::policy::error::{ParseError, ParseErrorKind};
use crate::policy::kind::{MAX_SOURCE_BYTES, PolicyKind};
use crate::policy::loc::Loc;

pub use fmt::format;
pub use lexer::{KEYWORDS, is_bare_word};
pub use print::print_policy;

/// The file extension of DSL policies.
pub const EXTENSION: &str = "rgp";

/// Parses a policy from DSL text.
///
/// With `kind` absent it is inferred as for JSON: statements with a
/// `principal` clause make a trust policy (a resource policy when one is
/// `principal plain`), otherwise an identity policy.
pub fn parse_policy(src: &str, kind: Option<PolicyKind>) -> Result<Policy, ParseError> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(ParseError::new(
            ParseErrorKind::InputTooLarge {
                actual: src.len(),
                limit: MAX_SOURCE_BYTES,
            },
            Loc::from_offsets(src, 0, 0),
            "",
        ));
    }
    // A byte order mark is not text; offsets still count it.
    let body = src.strip_prefix('\u{feff}').unwrap_or(src);
    let (_, doc) = parse::Grammar::new(src)
        .policy(body)
        .map_err(|e| fail::into_error(e, src))?;
    let mut policy = check::policy(doc, src, kind)?;
    locate::locate(&mut policy, src);
    Ok(policy)
}

/// Every word the parser gives a meaning to: the reserved keywords, the
/// annotation, the principal types and the condition operators with their
/// qualifiers. `grammar/policy.ebnf` names each of them (a test checks).
pub fn keywords() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = KEYWORDS.to_vec();
    words.push("@sid");
    words.extend(["ram", "service", "federated", "plain"]);
    words.extend([Qualifier::ForAnyValue, Qualifier::ForAllValues].map(Qualifier::as_str));
    words.extend(Operator::ALL.map(Operator::as_str));
    words
}

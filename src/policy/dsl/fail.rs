//! Why the DSL parser stopped, while it runs: a position in the text and
//! what went wrong there, turned into a [`ParseError`] once, at the end.
//!
//! The position is kept as the rest of the input (what nom hands around), so
//! building a failure costs nothing; the offset, line and column, the
//! "found …" description and the JSON path are only worked out for the one
//! failure that is reported.

use std::borrow::Cow;

use nom::error::{ErrorKind, ParseError as NomParseError};

use crate::policy::error::{ParseError, ParseErrorKind};
use crate::policy::loc::Loc;

use super::lexer;

/// A failure at a position of the text. Small, and free to build for the
/// recoverable failures that end lists and optional parts: what only a
/// reported error needs is boxed.
#[derive(Debug)]
pub(crate) struct Fail<'a> {
    /// The text from the offending token on.
    pub at: &'a str,
    /// What is wrong.
    pub what: What,
    notes: Option<Box<Notes>>,
}

#[derive(Debug, Default)]
struct Notes {
    /// How to fix it.
    help: Option<Cow<'static, str>>,
    /// The JSON path of the element being read, once known.
    path: Option<String>,
}

/// What is wrong.
#[derive(Debug)]
pub(crate) enum What {
    /// The grammar wanted something else here (described for the message).
    Expected(Cow<'static, str>),
    /// A rule of the policy language, or a bad string literal.
    Kind(Box<ParseErrorKind>),
}

/// nom's result type with [`Fail`] as the error.
pub(crate) type Res<'a, O> = nom::IResult<&'a str, O, Fail<'a>>;

impl<'a> Fail<'a> {
    /// The grammar expected `what` at `at`.
    pub fn expected(at: &'a str, what: impl Into<Cow<'static, str>>) -> Fail<'a> {
        Fail {
            at,
            what: What::Expected(what.into()),
            notes: None,
        }
    }

    /// A policy-language error at `at`.
    pub fn kind(at: &'a str, kind: ParseErrorKind) -> Fail<'a> {
        Fail {
            at,
            what: What::Kind(Box::new(kind)),
            notes: None,
        }
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<Cow<'static, str>>) -> Fail<'a> {
        self.notes.get_or_insert_default().help = Some(help.into());
        self
    }

    /// Names the JSON path of the element, unless a more precise one is set.
    pub fn in_path(mut self, path: impl FnOnce() -> String) -> Fail<'a> {
        let notes = self.notes.get_or_insert_default();
        if notes.path.is_none() {
            notes.path = Some(path());
        }
        self
    }

    /// As an unrecoverable nom error: the grammar never backtracks past it.
    pub fn fatal<T>(self) -> Result<T, nom::Err<Fail<'a>>> {
        Err(nom::Err::Failure(self))
    }

    /// The error a user sees; `src` is the whole text the parse began with.
    pub fn into_error(self, src: &str) -> ParseError {
        let mut start = src.len().saturating_sub(self.at.len());
        if lexer::skip_trivia(self.at).is_empty() {
            // At the end of the text: point just past the last token, on a
            // line the snippet can show.
            start = src.get(..start).map_or(start, |s| s.trim_end().len());
        }
        let end = start + lexer::token_len(self.at);
        let loc = Loc::from_offsets(src, start, end);
        let kind = match self.what {
            What::Expected(expected) => ParseErrorKind::Expected {
                expected: expected.into_owned(),
                found: lexer::describe(self.at),
            },
            What::Kind(kind) => *kind,
        };
        let Notes { help, path } = self.notes.map(|n| *n).unwrap_or_default();
        let mut error = ParseError::new(kind, loc, path.unwrap_or_default());
        if let Some(help) = help {
            error = error.with_help(help);
        }
        error
    }
}

/// Maps a nom failure (or an incomplete input, which complete parsers never
/// report) to the user's error.
pub(crate) fn into_error(e: nom::Err<Fail<'_>>, src: &str) -> ParseError {
    match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => f.into_error(src),
        nom::Err::Incomplete(_) => Fail::expected("", "more text").into_error(src),
    }
}

/// Lets nom's own combinators report through [`Fail`]. Their failures are
/// always replaced by the grammar with what it expected, so the generic
/// description here is only a fallback.
impl<'a> NomParseError<&'a str> for Fail<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        Fail::expected(input, "valid policy text")
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two alternatives that failed, the one that got further knows more.
    fn or(self, other: Self) -> Self {
        if other.at.len() <= self.at.len() {
            other
        } else {
            self
        }
    }
}

//! The tokens of the DSL (`grammar/policy.ebnf`, "Lexical structure"):
//! white space and `//` comments between tokens, quoted strings with their
//! escapes, bare words, keywords and punctuation.
//!
//! The first character decides the token, so lexing never backtracks. A bad
//! string literal is an error wherever it stands; any other token the
//! grammar does not want is reported by the grammar, which knows what it
//! wanted instead.

use std::borrow::Cow;

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_while, take_while_m_n};
use nom::character::complete::{char, multispace1};
use nom::combinator::{map_opt, recognize, value};
use nom::multi::many0_count;
use nom::sequence::{delimited, preceded};

use crate::policy::error::ParseErrorKind;

use super::fail::{Fail, Res};

/// The reserved words. A bare word spelled like one is that keyword, so a
/// value with this spelling has to be quoted (`"on"`).
pub const KEYWORDS: [&str; 7] = ["version", "allow", "deny", "not", "principal", "on", "when"];

/// A reserved word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    Version,
    Allow,
    Deny,
    Not,
    Principal,
    On,
    When,
}

impl Keyword {
    fn of(word: &str) -> Option<Keyword> {
        Some(match word {
            "version" => Keyword::Version,
            "allow" => Keyword::Allow,
            "deny" => Keyword::Deny,
            "not" => Keyword::Not,
            "principal" => Keyword::Principal,
            "on" => Keyword::On,
            "when" => Keyword::When,
            _ => return None,
        })
    }
}

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// A reserved word.
    Keyword(Keyword),
    /// A bare word that is not reserved.
    Word(&'a str),
    /// A quoted string, escapes resolved.
    Quoted(Cow<'a, str>),
    /// `@name`: only `@sid` exists.
    Annotation(&'a str),
    /// `[`
    Open,
    /// `]`
    Close,
    /// `,`
    Comma,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// A character no token starts with.
    Unknown(char),
    /// The end of the text.
    End,
}

/// A token and where it starts.
#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    /// The token.
    pub tok: Tok<'a>,
    /// The text from the token's first character on.
    pub at: &'a str,
}

impl Tok<'_> {
    /// The string a value token stands for.
    pub fn string(self) -> Option<String> {
        match self {
            Tok::Word(w) => Some(w.to_string()),
            Tok::Quoted(s) => Some(s.into_owned()),
            _ => None,
        }
    }

    /// Whether a statement (or the end of the text) starts here.
    pub fn starts_statement(&self) -> bool {
        matches!(
            self,
            Tok::Keyword(Keyword::Allow | Keyword::Deny) | Tok::Annotation(_) | Tok::End
        )
    }
}

/// Characters a bare word may start with.
pub(crate) fn is_bare_start(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '*' | '?' | '.' | ':' | '+' | '=' | '-')
}

/// Characters a bare word may hold after its first.
pub(crate) fn is_bare_char(c: char) -> bool {
    is_bare_start(c) || c == '/' || c == '@'
}

/// Whether `s` can be written as a bare word and read back as the same
/// string: the printer writes exactly these strings without quotes.
pub fn is_bare_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_bare_start)
        && chars.all(is_bare_char)
        && !s.contains("//")
        && Keyword::of(s).is_none()
}

/// A `//` comment up to (not including) the end of its line.
fn comment(i: &str) -> Res<'_, &str> {
    recognize(preceded(tag("//"), take_till(|c| c == '\n'))).parse(i)
}

/// Skips white space and comments.
pub(crate) fn skip_trivia(i: &str) -> &str {
    // The common case, white space and no comment, without nom's machinery:
    // this runs before every token.
    let t = i.trim_start_matches([' ', '\t', '\r', '\n']);
    if !t.starts_with("//") {
        return t;
    }
    match recognize(many0_count(alt((multispace1, comment)))).parse(t) {
        Ok((rest, _)) => rest,
        Err(_) => t,
    }
}

/// Reads the next token after any white space and comments. Fails only on a
/// malformed quoted string.
pub(crate) fn token(i: &str) -> Res<'_, Token<'_>> {
    let at = skip_trivia(i);
    let Some(c) = at.chars().next() else {
        return Ok((at, Token { tok: Tok::End, at }));
    };
    let punct = |tok| Ok((&at[1..], Token { tok, at }));
    match c {
        '"' => {
            let (rest, s) = quoted(at)?;
            Ok((
                rest,
                Token {
                    tok: Tok::Quoted(s),
                    at,
                },
            ))
        }
        '[' => punct(Tok::Open),
        ']' => punct(Tok::Close),
        ',' => punct(Tok::Comma),
        '(' => punct(Tok::LParen),
        ')' => punct(Tok::RParen),
        '{' => punct(Tok::LBrace),
        '}' => punct(Tok::RBrace),
        '@' => {
            let (rest, name) = bare_tail(&at[1..]);
            Ok((
                rest,
                Token {
                    tok: Tok::Annotation(name),
                    at,
                },
            ))
        }
        c if is_bare_start(c) => {
            let (rest, word) = bare_tail(at);
            let tok = Keyword::of(word).map_or(Tok::Word(word), Tok::Keyword);
            Ok((rest, Token { tok, at }))
        }
        c => Ok((
            &at[c.len_utf8()..],
            Token {
                tok: Tok::Unknown(c),
                at,
            },
        )),
    }
}

/// The longest run of bare-word characters, stopping before `//` (which
/// starts a comment even right after a word).
fn bare_tail(i: &str) -> (&str, &str) {
    let (_, word) = take_while::<_, _, Fail<'_>>(is_bare_char)
        .parse(i)
        .unwrap_or((i, ""));
    let word = match word.find("//") {
        Some(p) => &word[..p],
        None => word,
    };
    (&i[word.len()..], word)
}

/// A quoted string starting at its opening quote. Strings stay on one line;
/// control characters must be escaped.
fn quoted(open: &str) -> Res<'_, Cow<'_, str>> {
    let body = &open[1..];
    let mut owned: Option<String> = None;
    let mut rest = body;
    loop {
        let (after, run) =
            take_till::<_, _, Fail<'_>>(|c: char| c == '"' || c == '\\' || c < ' ').parse(rest)?;
        match after.chars().next() {
            Some('"') => {
                let s = match owned {
                    None => Cow::Borrowed(run),
                    Some(mut s) => {
                        s.push_str(run);
                        Cow::Owned(s)
                    }
                };
                return Ok((&after[1..], s));
            }
            Some('\\') => {
                // Before the first escape nothing was copied: `run` is all so far.
                let s = owned.get_or_insert_with(String::new);
                s.push_str(run);
                let (next, c) = escape(after)?;
                s.push(c);
                rest = next;
            }
            None | Some('\n' | '\r') => {
                return Fail::kind(open, bad_string("unterminated string"))
                    .help("a string ends on the line it starts on; write a line break as `\\n`")
                    .fatal();
            }
            Some(c) => {
                return Fail::kind(
                    after,
                    bad_string(&format!(
                        "control character `{}` in a string must be escaped",
                        c.escape_default()
                    )),
                )
                .help(ESCAPES_HELP)
                .fatal();
            }
        }
    }
}

const ESCAPES_HELP: &str =
    "the escapes are `\\\"`, `\\\\`, `\\n`, `\\r`, `\\t` and `\\u{…}` with 1 to 6 hex digits";

fn bad_string(message: &str) -> ParseErrorKind {
    ParseErrorKind::BadString(message.to_string())
}

/// One escape sequence, starting at its backslash.
fn escape(i: &str) -> Res<'_, char> {
    let simple = preceded(
        char('\\'),
        alt((
            value('"', char('"')),
            value('\\', char('\\')),
            value('\n', char('n')),
            value('\r', char('r')),
            value('\t', char('t')),
        )),
    );
    let unicode = map_opt(
        delimited(
            tag("\\u{"),
            take_while_m_n(1, 6, |c: char| c.is_ascii_hexdigit()),
            char('}'),
        ),
        |hex: &str| u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
    );
    let parsed: Res<'_, char> = alt((simple, unicode)).parse(i);
    match parsed {
        Ok(ok) => Ok(ok),
        Err(_) => {
            let message = if i.starts_with("\\u") {
                let end = i.find('}').filter(|&e| e < 12).map_or(2, |e| e + 1);
                format!(
                    "invalid escape `{}`: a `\\u{{…}}` escape holds 1 to 6 hex digits naming a Unicode scalar value",
                    &i[..end]
                )
            } else {
                let shown = match i[1..].chars().next() {
                    Some(c) if !c.is_control() => c.to_string(),
                    Some(c) => c.escape_default().to_string(),
                    None => String::new(),
                };
                format!("invalid escape `\\{shown}`")
            };
            Fail::kind(i, bad_string(&message))
                .help(ESCAPES_HELP)
                .fatal()
        }
    }
}

/// How many bytes the token at `at` spans (at least one character, for a
/// caret); never fails, so it can measure whatever an error points at.
pub(crate) fn token_len(at: &str) -> usize {
    match token(at) {
        Ok((rest, t)) if t.at.len() == at.len() => at.len() - rest.len(),
        _ => at.chars().next().map_or(0, char::len_utf8),
    }
}

/// Describes the token at `at` for "expected …, found …".
pub(crate) fn describe(at: &str) -> String {
    let at = skip_trivia(at);
    if at.is_empty() {
        return "the end of the document".to_string();
    }
    let text = &at[..token_len(at)];
    let mut shown: String = text
        .chars()
        .take(40)
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    if text.chars().nth(40).is_some() {
        shown.push('…');
    }
    format!("`{shown}`")
}

/// A `//` comment found by [`scan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Comment {
    /// Byte offset of the `//`.
    pub start: usize,
    /// Byte offset of the end of the line (or text).
    pub end: usize,
    /// The comment from `//` on, trailing white space removed.
    pub text: String,
}

/// Every token's byte range and every comment of a text, in order: what the
/// comment-keeping formatter needs to know where comments stand.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scan {
    /// `(start, end)` of each token, the end of text excluded.
    pub tokens: Vec<(usize, usize)>,
    /// The comments.
    pub comments: Vec<Comment>,
}

/// Scans a whole text into tokens and comments.
pub(crate) fn scan(src: &str) -> Result<Scan, nom::Err<Fail<'_>>> {
    let offset = |s: &str| src.len() - s.len();
    let mut out = Scan::default();
    let mut i = src;
    loop {
        // Comments sit in the trivia before each token.
        let mut t = i;
        loop {
            t = t.trim_start_matches([' ', '\t', '\r', '\n']);
            match comment(t) {
                Ok((rest, text)) => {
                    out.comments.push(Comment {
                        start: offset(t),
                        end: offset(rest),
                        text: text.trim_end().to_string(),
                    });
                    t = rest;
                }
                Err(_) => break,
            }
        }
        let (rest, tok) = token(t)?;
        if tok.tok == Tok::End {
            return Ok(out);
        }
        out.tokens.push((offset(tok.at), offset(rest)));
        i = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok<'_>> {
        let mut out = Vec::new();
        let mut i = src;
        loop {
            let (rest, t) = token(i).unwrap_or_else(|e| panic!("{e:?}"));
            if t.tok == Tok::End {
                return out;
            }
            out.push(t.tok);
            i = rest;
        }
    }

    #[test]
    fn words_keywords_and_punctuation() {
        assert_eq!(
            toks("allow not [kms:*, \"a b\"] // c\n @sid(x) {}"),
            vec![
                Tok::Keyword(Keyword::Allow),
                Tok::Keyword(Keyword::Not),
                Tok::Open,
                Tok::Word("kms:*"),
                Tok::Comma,
                Tok::Quoted(Cow::Borrowed("a b")),
                Tok::Close,
                Tok::Annotation("sid"),
                Tok::LParen,
                Tok::Word("x"),
                Tok::RParen,
                Tok::LBrace,
                Tok::RBrace,
            ]
        );
    }

    #[test]
    fn a_bare_word_stops_before_a_comment_but_keeps_single_slashes() {
        assert_eq!(
            toks("acs:oss:*:*:b/x//c\nAllow"),
            vec![Tok::Word("acs:oss:*:*:b/x"), Tok::Word("Allow")]
        );
        assert!(!is_bare_word("a//b"));
        assert!(is_bare_word("acs:ram::1234567890123456:role/x"));
        assert!(is_bare_word("2019-08-12T17:00:00+08:00"));
        assert!(!is_bare_word("on"));
        assert!(!is_bare_word(""));
        assert!(!is_bare_word("@x"));
        assert!(!is_bare_word("a b"));
        assert!(!is_bare_word("é"));
    }

    #[test]
    fn escapes_decode_and_bad_ones_are_refused() {
        assert_eq!(
            toks(r#""q\" b\\ n\n r\r t\t u\u{e9}\u{1F600}""#),
            vec![Tok::Quoted(Cow::Owned(
                "q\" b\\ n\n r\r t\t u\u{e9}\u{1F600}".into()
            ))]
        );
        let err = |src: &str| match token(src) {
            Err(nom::Err::Failure(f)) => match f.what {
                super::super::fail::What::Kind(k) => k.to_string(),
                other => format!("{other:?}"),
            },
            other => format!("{other:?}"),
        };
        assert_eq!(err("\"abc"), "unterminated string");
        assert_eq!(err("\"ab\ncd\""), "unterminated string");
        assert_eq!(err("\"a\\x\""), "invalid escape `\\x`");
        assert_eq!(
            err("\"\\u{d800}\""),
            "invalid escape `\\u{d800}`: a `\\u{…}` escape holds 1 to 6 hex digits naming a Unicode scalar value"
        );
        assert_eq!(
            err("\"a\tb\""),
            "control character `\\t` in a string must be escaped"
        );
    }

    #[test]
    fn scan_finds_comments_and_token_ranges() {
        let s = scan("// a\nallow x // b\n\"//not\"").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.tokens, vec![(5, 10), (11, 12), (18, 25)]);
        let texts: Vec<_> = s.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["// a", "// b"]);
        assert_eq!((s.comments[1].start, s.comments[1].end), (13, 17));
    }

    #[test]
    fn found_descriptions() {
        assert_eq!(describe("  , x"), "`,`");
        assert_eq!(describe(""), "the end of the document");
        assert_eq!(describe("\"ab\" x"), "`\"ab\"`");
        assert_eq!(describe("kms:Decrypt on"), "`kms:Decrypt`");
    }
}

//! The syntax of `grammar/policy.ebnf`, one method per production, written
//! with nom, into the policy AST.
//!
//! The grammar is LL(1): every choice is decided by the next token, so the
//! parser never backtracks and nothing is lexed into a value twice. Where a
//! choice is made, the token is matched once and every alternative the
//! grammar allows there is named in the error ("expected `on` or `when`,
//! found `,`").
//!
//! Locations are byte offsets here; lines and columns are filled in by one
//! pass over the finished tree ([`super::locate`]). The rules that depend on
//! the policy kind run after parsing ([`super::check`]), because the kind may
//! be inferred from the whole document.

use std::borrow::Cow;

use nom::Parser;
use nom::combinator::{cut, opt};
use nom::multi::many0;
use nom::sequence::{delimited, preceded};

use crate::policy::ast::*;
use crate::policy::condition::{QualifiedOperator, check_value, suggest};
use crate::policy::error::{ParseErrorKind as K, Path};
use crate::policy::loc::{Loc, Spanned};

use super::fail::{Fail, Res, What};
use super::lexer::{Keyword, Tok, Token, token};

/// A document read by the grammar, before the kind's rules are applied.
pub(crate) struct Document {
    /// From `version` to the end of the last statement.
    pub loc: Loc,
    /// The statements, in order.
    pub statements: Vec<Parsed>,
}

/// A statement and where its `principal` and `on` keywords stand (the kind
/// rules point at them).
pub(crate) struct Parsed {
    /// The statement.
    pub statement: Statement,
    /// Offset of the first `principal` keyword.
    pub principal_at: Option<usize>,
    /// Offset of the `on` keyword.
    pub on_at: Option<usize>,
}

/// How far a statement has got: its clauses come in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Action,
    Principal,
    /// After `principal {}`, which stands alone.
    PrincipalDone,
    On,
    When,
    /// After `when {}`, which stands alone.
    WhenDone,
}

/// The grammar over one text.
pub(crate) struct Grammar<'s> {
    src: &'s str,
}

fn statement_path(index: usize) -> Path {
    Path::root().key("Statement").index(index)
}

/// Names the JSON path of whatever fails inside `p`.
fn within<'s, O>(
    path: impl Fn() -> Path,
    mut p: impl Parser<&'s str, Output = O, Error = Fail<'s>>,
) -> impl Parser<&'s str, Output = O, Error = Fail<'s>> {
    move |i| {
        p.parse(i)
            .map_err(|e| e.map(|f| f.in_path(|| path().to_string())))
    }
}

/// Runs `p`; if it does not match, that is final, and the message says the
/// grammar expected `what` here.
fn expect<'s, O>(
    what: &'static str,
    mut p: impl Parser<&'s str, Output = O, Error = Fail<'s>>,
) -> impl Parser<&'s str, Output = O, Error = Fail<'s>> {
    move |i| {
        p.parse(i).map_err(|e| match e {
            nom::Err::Error(mut f) => {
                f.what = What::Expected(Cow::Borrowed(what));
                nom::Err::Failure(f)
            }
            other => other,
        })
    }
}

impl<'s> Grammar<'s> {
    /// The grammar for `src`; every input handed to it is a suffix of `src`.
    pub fn new(src: &'s str) -> Grammar<'s> {
        Grammar { src }
    }

    fn offset(&self, at: &str) -> usize {
        self.src.len() - at.len()
    }

    fn span(&self, at: &str, rest: &str) -> Loc {
        Loc {
            start: self.offset(at),
            end: self.offset(rest),
            line: 0,
            column: 0,
        }
    }

    /// policy ::= version-decl statement+
    pub fn policy(&self, i: &'s str) -> Res<'s, Document> {
        let (mut i, version_at) = self.version_decl(i)?;
        let mut end = self.offset(i);
        let mut statements = Vec::new();
        loop {
            let (_, next) = token(i)?;
            match next.tok {
                Tok::End => break,
                ref t if t.starts_statement() => {
                    let (rest, parsed) = self.statement(i, statements.len())?;
                    end = self.offset(rest);
                    statements.push(parsed);
                    i = rest;
                }
                ref t => {
                    let n = statements.len();
                    let f = Fail::expected(next.at, "a statement: `allow`, `deny` or `@sid`");
                    return effect_help(f, t)
                        .in_path(|| statement_path(n).to_string())
                        .fatal();
                }
            }
        }
        if statements.is_empty() {
            return Fail::kind(version_at, K::MissingStatement)
                .help("add a statement such as `allow kms:Decrypt on *`")
                .fatal();
        }
        let loc = Loc {
            start: self.offset(version_at),
            end,
            line: 0,
            column: 0,
        };
        Ok((i, Document { loc, statements }))
    }

    /// version-decl ::= 'version' string (which must be `1`)
    ///
    /// Returns the text from the `version` keyword on.
    fn version_decl(&self, i: &'s str) -> Res<'s, &'s str> {
        let (rest, first) = token(i)?;
        match first.tok {
            Tok::Keyword(Keyword::Version) => {}
            ref t if t.starts_statement() => {
                return Fail::kind(first.at, K::MissingVersion)
                    .help("start the policy with `version 1`")
                    .fatal();
            }
            ref t => {
                let f = Fail::expected(first.at, "`version 1`");
                return match t {
                    Tok::Word(w) if suggest(w, ["version"].into_iter()).is_some() => {
                        f.help("keywords are lower case: did you mean `version`?")
                    }
                    _ => f,
                }
                .fatal();
            }
        }
        let (rest, v) = token(rest)?;
        let Token { tok, at } = v;
        match tok.string() {
            Some(s) if s == "1" => Ok((rest, first.at)),
            Some(s) => Fail::kind(at, K::InvalidVersion(s))
                .in_path(|| "Version".to_string())
                .fatal(),
            None => Fail::expected(at, "the version `1`")
                .in_path(|| "Version".to_string())
                .fatal(),
        }
    }

    /// statement ::= sid? effect action-clause principal-clause* resource-clause? condition-clause*
    fn statement(&self, i: &'s str, index: usize) -> Res<'s, Parsed> {
        let path = || statement_path(index);
        let (mut i, mut first) = token(i)?;
        let start = first.at;
        let mut sid = None;
        if let Tok::Annotation(name) = first.tok {
            if name != "sid" {
                return Fail::expected(first.at, "`@sid`")
                    .help("the only annotation is `@sid(…)`, the statement id")
                    .in_path(|| path().to_string())
                    .fatal();
            }
            let (rest, s) = within(|| path().key("Sid"), |i| self.sid_args(i)).parse(i)?;
            sid = Some(s);
            (i, first) = token(rest)?;
        }
        let effect = match first.tok {
            Tok::Keyword(Keyword::Allow) => Effect::Allow,
            Tok::Keyword(Keyword::Deny) => Effect::Deny,
            ref t => {
                let f = Fail::expected(first.at, "`allow` or `deny`");
                return effect_help(f, t)
                    .in_path(|| path().key("Effect").to_string())
                    .fatal();
            }
        };
        let effect = Spanned::new(effect, self.span(first.at, i));
        let (mut i, action) = self.action_clause(i, start, index)?;

        let mut stage = Stage::Action;
        let (mut principal, mut principal_at) = (None, None);
        let (mut resource, mut on_at) = (None, None);
        let mut condition = None;
        loop {
            let (rest, t) = within(path, token).parse(i)?;
            match t.tok {
                Tok::Keyword(Keyword::Principal) if stage <= Stage::Principal => {
                    principal_at.get_or_insert(self.offset(t.at));
                    let (rest, alone) = within(
                        || path().key("Principal"),
                        |r| self.principal_clause(r, t.at, &mut principal, index),
                    )
                    .parse(rest)?;
                    stage = if alone {
                        Stage::PrincipalDone
                    } else {
                        Stage::Principal
                    };
                    i = rest;
                }
                Tok::Keyword(Keyword::On) if stage < Stage::On => {
                    on_at = Some(self.offset(t.at));
                    let (rest, (list, _)) =
                        within(|| path().key("Resource"), |i| self.value_list(i)).parse(rest)?;
                    resource = Some(list);
                    stage = Stage::On;
                    i = rest;
                }
                Tok::Keyword(Keyword::When) if stage < Stage::WhenDone => {
                    let (rest, alone) = within(
                        || path().key("Condition"),
                        |r| self.condition_clause(r, t.at, &mut condition, index),
                    )
                    .parse(rest)?;
                    stage = if alone { Stage::WhenDone } else { Stage::When };
                    i = rest;
                }
                ref tok if tok.starts_statement() => break,
                ref tok => {
                    let between = &i[..i.len() - t.at.len()];
                    let f = Fail::expected(t.at, expected_after(stage));
                    return clause_expected(f, tok, stage, between.contains('\n'))
                        .in_path(|| path().to_string())
                        .fatal();
                }
            }
        }
        let statement = Statement {
            sid,
            effect,
            action,
            resource,
            principal,
            condition,
            loc: self.span(start, i),
        };
        Ok((
            i,
            Parsed {
                statement,
                principal_at,
                on_at,
            },
        ))
    }

    /// sid ::= '@sid' '(' string ')', from the `(` on.
    fn sid_args(&self, i: &'s str) -> Res<'s, Spanned<String>> {
        delimited(
            expect("`(` after `@sid`", |i| self.punct(i, Tok::LParen)),
            expect("the statement id, a string", |i| self.value(i)),
            expect("`)`", |i| self.punct(i, Tok::RParen)),
        )
        .parse(i)
    }

    /// action-clause ::= 'not'? value-list
    fn action_clause(
        &self,
        i: &'s str,
        statement_at: &'s str,
        index: usize,
    ) -> Res<'s, ActionList> {
        let (rest, t) = within(|| statement_path(index).key("Action"), token).parse(i)?;
        let (rest, t, negated) = match t.tok {
            Tok::Keyword(Keyword::Not) => {
                let (rest, t) =
                    within(|| statement_path(index).key("NotAction"), token).parse(rest)?;
                (rest, t, true)
            }
            _ => (rest, t, false),
        };
        let clause_start = matches!(
            t.tok,
            Tok::Keyword(Keyword::Principal | Keyword::On | Keyword::When)
        );
        if !negated && (clause_start || t.tok.starts_statement()) {
            return Fail::kind(statement_at, K::MissingAction)
                .help("name the actions right after the effect: `allow kms:Decrypt`")
                .in_path(|| statement_path(index).to_string())
                .fatal();
        }
        let element = if negated { "NotAction" } else { "Action" };
        let (rest, (list, _)) = within(
            || statement_path(index).key(element),
            |r| self.list_from(t.clone(), r),
        )
        .parse(rest)?;
        Ok((rest, ActionList { negated, list }))
    }

    /// principal-clause ::= 'principal' ( principal-type value-list | empty-block )
    ///
    /// Adds to `block`; returns whether it was `principal {}`, which stands alone.
    fn principal_clause(
        &self,
        i: &'s str,
        keyword: &'s str,
        block: &mut Option<PrincipalBlock>,
        index: usize,
    ) -> Res<'s, bool> {
        let path = || statement_path(index).key("Principal");
        let (rest, t) = token(i)?;
        let word = match t.tok {
            Tok::LBrace if block.is_none() => {
                let (rest, ()) = self.close_brace(rest)?;
                *block = Some(PrincipalBlock {
                    entries: Vec::new(),
                    loc: self.span(keyword, rest),
                });
                return Ok((rest, true));
            }
            Tok::Word(w) => w,
            _ => {
                let what = if block.is_none() {
                    "a principal type (`ram`, `service` or `federated`) or `{}`"
                } else {
                    "a principal type: `ram`, `service` or `federated`"
                };
                return Fail::expected(t.at, what)
                    .in_path(|| path().to_string())
                    .fatal();
            }
        };
        // `principal plain [...]` is a resource policy's plain `Principal`
        // (`["<uid>"]`, `"*"`): it has no JSON key and stands alone.
        let plain = word == "plain";
        if plain != block.as_ref().is_some_and(|b| b.plain().is_some()) && block.is_some() {
            return Fail::kind(t.at, K::DuplicateKey(word.to_string()))
                .help("a `principal plain` clause is the statement's only principal clause")
                .in_path(|| path().to_string())
                .fatal();
        }
        let Some(kind) = PrincipalKind::parse(word).or(plain.then_some(PrincipalKind::Plain))
        else {
            return Fail::kind(t.at, K::InvalidPrincipal(word.to_string()))
                .help("the principal types are `ram`, `service`, `federated` and `plain`")
                .in_path(|| path().key(word).to_string())
                .fatal();
        };
        let block = block.get_or_insert_with(|| PrincipalBlock {
            entries: Vec::new(),
            loc: self.span(keyword, keyword),
        });
        let entry_path = || path().key(kind.as_str());
        if block.entries.iter().any(|e| e.kind.node == kind) {
            let dsl = kind.as_str().to_ascii_lowercase();
            return Fail::kind(t.at, K::DuplicateKey(word.to_string()))
                .help(format!(
                    "list every `{dsl}` principal in one clause: `principal {dsl} [a, b]`"
                ))
                .in_path(|| entry_path().to_string())
                .fatal();
        }
        let kind = Spanned::new(kind, self.span(t.at, rest));
        let (rest, (values, _)) = within(entry_path, |i| self.value_list(i)).parse(rest)?;
        block.entries.push(PrincipalEntry { kind, values });
        block.loc.end = self.offset(rest);
        Ok((rest, false))
    }

    /// condition-clause ::= 'when' ( operator ( condition-key value-list | empty-block ) | empty-block )
    ///
    /// Consecutive clauses with one operator make one operator block, as
    /// the keys of one JSON operator object. Adds to `block`; returns whether
    /// it was `when {}`, which stands alone.
    fn condition_clause(
        &self,
        i: &'s str,
        keyword: &'s str,
        block: &mut Option<ConditionBlock>,
        index: usize,
    ) -> Res<'s, bool> {
        let path = || statement_path(index).key("Condition");
        let (rest, t) = token(i)?;
        let word = match t.tok {
            Tok::LBrace if block.is_none() => {
                let (rest, ()) = self.close_brace(rest)?;
                *block = Some(ConditionBlock {
                    operators: Vec::new(),
                    loc: self.span(keyword, rest),
                });
                return Ok((rest, true));
            }
            Tok::Word(w) => w,
            _ => {
                let what = if block.is_none() {
                    "a condition operator such as `StringEquals`, or `{}`"
                } else {
                    "a condition operator such as `StringEquals`"
                };
                return Fail::expected(t.at, what)
                    .in_path(|| path().to_string())
                    .fatal();
            }
        };
        let op_path = || path().key(word);
        let operator: QualifiedOperator = match word.parse() {
            Ok(op) => op,
            Err(e) => {
                return Fail::kind(t.at, K::Operator(e))
                    .in_path(|| op_path().to_string())
                    .fatal();
            }
        };
        let op_loc = self.span(t.at, rest);
        let block = block.get_or_insert_with(|| ConditionBlock {
            operators: Vec::new(),
            loc: self.span(keyword, keyword),
        });
        let continues = block
            .operators
            .last()
            .is_some_and(|b| b.operator.node == operator);
        let (rest, k) = token(rest)?;
        let reopens = continues && block.operators.last().is_some_and(|b| b.keys.is_empty());
        if reopens
            || (!continues && block.operators.iter().any(|b| b.operator.node == operator))
            || (continues && k.tok == Tok::LBrace)
        {
            let help = if continues {
                format!("`when {word} {{}}` is the operator with no keys; it cannot also have keys")
            } else {
                format!(
                    "write every `{word}` condition of the statement on consecutive `when` lines"
                )
            };
            return Fail::kind(t.at, K::DuplicateKey(word.to_string()))
                .help(help)
                .in_path(|| op_path().to_string())
                .fatal();
        }
        if !continues {
            block.operators.push(OperatorBlock {
                operator: Spanned::new(operator, op_loc),
                keys: Vec::new(),
            });
        }
        let Token { tok, at: key_at } = k;
        let key = match tok {
            Tok::LBrace => {
                let (rest, ()) = self.close_brace(rest)?;
                block.loc.end = self.offset(rest);
                return Ok((rest, false));
            }
            tok => match tok.string() {
                Some(key) => Spanned::new(key, self.span(key_at, rest)),
                None => {
                    return Fail::expected(
                        key_at,
                        "a condition key such as `acs:SourceIp`, or `{}`",
                    )
                    .in_path(|| op_path().to_string())
                    .fatal();
                }
            },
        };
        let key_path = || op_path().key(&key.node);
        let Some(target) = block.operators.last_mut() else {
            return Fail::expected(key_at, "a condition operator").fatal();
        };
        // Keys compare case-insensitively (spec §5.2), so two spellings of
        // one key under one operator would be ambiguous, as in JSON.
        if target
            .keys
            .iter()
            .any(|kv| kv.key.node.eq_ignore_ascii_case(&key.node))
        {
            return Fail::kind(key_at, K::DuplicateKey(key.node.clone()))
                .help("list every value of the key in one clause: `[a, b]`")
                .in_path(|| key_path().to_string())
                .fatal();
        }
        let (rest, (values, bracketed)) = within(key_path, |i| self.value_list(i)).parse(rest)?;
        for (n, v) in values.values.iter().enumerate() {
            if let Err(error) = check_value(operator.operator, &v.node) {
                let at = self.src.get(v.loc.start..).unwrap_or_default();
                return Fail::kind(
                    at,
                    K::ConditionValue {
                        operator: operator.operator.to_string(),
                        error,
                    },
                )
                .in_path(|| {
                    if bracketed {
                        key_path().index(n).to_string()
                    } else {
                        key_path().to_string()
                    }
                })
                .fatal();
            }
        }
        target.keys.push(KeyValues { key, values });
        block.loc.end = self.offset(rest);
        Ok((rest, false))
    }

    /// value-list ::= string | '[' ( string ( ',' string )* )? ']'
    ///
    /// Also says whether the list was written in brackets (a JSON array),
    /// which decides whether error paths index its items.
    fn value_list(&self, i: &'s str) -> Res<'s, (ValueList, bool)> {
        let (rest, t) = token(i)?;
        self.list_from(t, rest)
    }

    /// A value list whose first token, `first`, is already read.
    fn list_from(&self, first: Token<'s>, rest: &'s str) -> Res<'s, (ValueList, bool)> {
        let Token { tok, at } = first;
        match tok {
            Tok::Open => {
                let value = |i| self.value(i);
                let more = many0(preceded(|i| self.punct(i, Tok::Comma), cut(value)));
                let (rest, items) = opt((value, more)).parse(rest)?;
                let rest = match self.punct(rest, Tok::Close) {
                    Ok((rest, ())) => rest,
                    Err(nom::Err::Error(f)) => {
                        let (what, help) = match (&items, token(f.at)) {
                            (None, _) => ("a value or `]`", "a list is `[a, b]`"),
                            (Some(_), Ok((_, next)))
                                if matches!(next.tok, Tok::Word(_) | Tok::Quoted(_)) =>
                            {
                                ("`,` or `]`", "separate the values with `,`")
                            }
                            (Some(_), _) => ("`,` or `]`", "close the list with `]`"),
                        };
                        return Fail::expected(f.at, what).help(help).fatal();
                    }
                    Err(e) => return Err(e),
                };
                let values = match items {
                    None => Vec::new(),
                    Some((first, tail)) => {
                        let mut values = Vec::with_capacity(tail.len() + 1);
                        values.push(first);
                        values.extend(tail);
                        values
                    }
                };
                let loc = self.span(at, rest);
                Ok((rest, (ValueList { values, loc }, true)))
            }
            tok => {
                let keyword = matches!(tok, Tok::Keyword(_));
                match tok.string() {
                    Some(s) => {
                        let loc = self.span(at, rest);
                        let values = vec![Spanned::new(s, loc)];
                        Ok((rest, (ValueList { values, loc }, false)))
                    }
                    None => {
                        let f = Fail::expected(at, "a value or a list `[…]`");
                        if keyword {
                            keyword_as_value(f).fatal()
                        } else {
                            f.fatal()
                        }
                    }
                }
            }
        }
    }

    /// string ::= quoted-string | bare-word, as a value with its location.
    /// Anything else is a recoverable error (lists try for more values).
    fn value(&self, i: &'s str) -> Res<'s, Spanned<String>> {
        let (rest, t) = token(i)?;
        let Token { tok, at } = t;
        let keyword = matches!(tok, Tok::Keyword(_));
        let close = tok == Tok::Close;
        match tok.string() {
            Some(s) => Ok((rest, Spanned::new(s, self.span(at, rest)))),
            None => {
                let f = Fail::expected(at, "a value");
                let f = if keyword {
                    keyword_as_value(f)
                } else if close {
                    f.help("there is no comma after the last value")
                } else {
                    f
                };
                Err(nom::Err::Error(f))
            }
        }
    }

    /// One punctuation token; a recoverable error if another stands here.
    fn punct(&self, i: &'s str, want: Tok<'static>) -> Res<'s, ()> {
        let (rest, t) = token(i)?;
        if t.tok == want {
            Ok((rest, ()))
        } else {
            Err(nom::Err::Error(Fail::expected(t.at, "punctuation")))
        }
    }

    /// The `}` of an empty block `{}`.
    fn close_brace(&self, i: &'s str) -> Res<'s, ()> {
        expect("`}`: a block is always empty, `{}`", |i| {
            self.punct(i, Tok::RBrace)
        })
        .parse(i)
    }
}

/// Explains a keyword written where a value belongs.
fn keyword_as_value(f: Fail<'_>) -> Fail<'_> {
    let word = super::lexer::describe(f.at);
    let bare = word.trim_matches('`').to_string();
    f.help(format!(
        "{word} is a keyword; to use it as a value, quote it: `\"{bare}\"`"
    ))
}

/// What may follow a statement's clauses so far.
fn expected_after(stage: Stage) -> &'static str {
    match stage {
        Stage::Action | Stage::Principal => "`principal`, `on`, `when` or the next statement",
        Stage::PrincipalDone => "`on`, `when` or the next statement",
        Stage::On | Stage::When => "`when` or the next statement",
        Stage::WhenDone => "the next statement",
    }
}

/// Help for a token that cannot come after a statement's clauses so far;
/// `new_line` says whether it starts a line (where a clause would).
fn clause_expected<'a>(f: Fail<'a>, tok: &Tok<'_>, stage: Stage, new_line: bool) -> Fail<'a> {
    match tok {
        Tok::Comma => f.help("write several values as one list: `[a, b]`"),
        Tok::Keyword(Keyword::Principal) if stage == Stage::PrincipalDone => {
            f.help("`principal {}` names no principal; it cannot have entries too")
        }
        Tok::Keyword(Keyword::Principal) => {
            f.help("`principal` clauses come right after the actions, before `on` and `when`")
        }
        Tok::Keyword(Keyword::On) if stage == Stage::On => {
            f.help("a statement has one `on` clause; list several resources as `on [a, b]`")
        }
        Tok::Keyword(Keyword::On) => f.help("the `on` clause comes before the `when` clauses"),
        Tok::Keyword(Keyword::When) => {
            f.help("`when {}` is the empty condition; it cannot have conditions too")
        }
        Tok::Keyword(Keyword::Not) => f.help("`not` comes right after `allow` or `deny`"),
        Tok::Keyword(Keyword::Version) => f.help("`version 1` comes once, at the top"),
        Tok::Word(w) => {
            match suggest(w, ["principal", "on", "when", "allow", "deny"].into_iter()) {
                Some(k) if w.len() > 2 => f.help(format!("did you mean `{k}`?")),
                _ if new_line => f.help("a clause starts with `principal`, `on` or `when`"),
                _ => f.help("write several values as one list: `[a, b]`"),
            }
        }
        Tok::Quoted(_) if !new_line => f.help("write several values as one list: `[a, b]`"),
        _ => f,
    }
}

/// Help for a word where a statement's effect belongs.
fn effect_help<'a>(f: Fail<'a>, tok: &Tok<'_>) -> Fail<'a> {
    match tok {
        Tok::Word(w) => match suggest(w, ["allow", "deny"].into_iter()) {
            Some(k) => f.help(format!("keywords are lower case: did you mean `{k}`?")),
            None => f,
        },
        _ => f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::condition::Operator;
    use crate::policy::error::ParseErrorKind;

    fn parse(src: &str) -> Result<Document, ParseErrorKind> {
        Grammar::new(src)
            .policy(src)
            .map(|(_, d)| d)
            .map_err(|e| *super::super::fail::into_error(e, src).kind)
    }

    fn statement(src: &str) -> Statement {
        match parse(src) {
            Ok(mut d) => d.statements.remove(0).statement,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn consecutive_when_clauses_of_one_operator_make_one_block() {
        let s = statement(
            "version 1 allow x on * when StringEquals a 1 when StringEquals b 2 when Bool c true",
        );
        let ops = s.condition.map(|c| c.operators).unwrap_or_default();
        let shape: Vec<(Operator, Vec<&str>)> = ops
            .iter()
            .map(|o| {
                let keys = o.keys.iter().map(|k| k.key.node.as_str()).collect();
                (o.operator.node.operator, keys)
            })
            .collect();
        assert_eq!(
            shape,
            [
                (Operator::StringEquals, vec!["a", "b"]),
                (Operator::Bool, vec!["c"])
            ]
        );
    }

    #[test]
    fn empty_blocks_stand_alone() {
        let s = statement("version 1 deny [] principal {} when {}");
        assert_eq!(s.principal.map(|p| p.entries.len()), Some(0));
        assert_eq!(s.condition.map(|c| c.operators.len()), Some(0));
        assert_eq!(s.action.list.values.len(), 0);
        for bad in [
            "version 1 allow x principal {} principal ram y",
            "version 1 allow x principal ram y principal {}",
            "version 1 allow x when {} when Bool k true",
            "version 1 allow x when Bool k true when {}",
        ] {
            assert!(
                matches!(parse(bad), Err(ParseErrorKind::Expected { .. })),
                "{bad}"
            );
        }
        for dup in [
            "version 1 allow x when Bool {} when Bool k true",
            "version 1 allow x when Bool k true when Bool {}",
        ] {
            assert_eq!(
                parse(dup).err(),
                Some(ParseErrorKind::DuplicateKey("Bool".into())),
                "{dup}"
            );
        }
    }

    #[test]
    fn the_grammar_reads_no_kind_rules() {
        // Principal and resource together are syntax; the kind decides later.
        let s = statement("version 1 allow x principal ram y on z");
        assert!(s.principal.is_some() && s.resource.is_some());
        assert_eq!(s.action.element(), "Action");
        let s = statement("version 1 deny not [a, b]");
        assert_eq!(s.action.element(), "NotAction");
        assert!(s.resource.is_none());
    }

    #[test]
    fn locations_are_byte_offsets_of_each_element() {
        let src = "version 1\n@sid(\"é\") allow [a, \"b\"] on r";
        let s = statement(src);
        let text = |l: Loc| &src[l.start..l.end];
        assert_eq!(text(s.loc), "@sid(\"é\") allow [a, \"b\"] on r");
        assert_eq!(s.sid.map(|x| text(x.loc).to_string()), Some("\"é\"".into()));
        assert_eq!(text(s.action.list.loc), "[a, \"b\"]");
        assert_eq!(text(s.action.list.values[1].loc), "\"b\"");
        assert_eq!(
            s.resource.map(|r| text(r.loc).to_string()),
            Some("r".into())
        );
    }

    #[test]
    fn principal_types_are_read_in_any_case_like_json_keys() {
        let s = statement("version 1 allow x principal RAM a principal Service b");
        let kinds: Vec<_> = s
            .principal
            .map(|p| p.entries.into_iter().map(|e| e.kind.node).collect())
            .unwrap_or_default();
        assert_eq!(kinds, [PrincipalKind::Ram, PrincipalKind::Service]);
    }
}

//! Policy AST → canonical DSL text.
//!
//! The canonical form, which `ramgate fmt` writes and `grammar/policy.ebnf`
//! describes:
//!
//! * `version 1`, then each statement after one blank line;
//! * `@sid(…)` on its own line, then `allow`/`deny` [`not`] and the actions;
//! * the clauses on their own lines, indented two spaces, in the order
//!   `principal` (one line per type), `on`, `when` (one line per key);
//! * one value written alone, several in brackets on the line when it stays
//!   within 80 columns, else one per line indented four spaces with the `]`
//!   under the clause;
//! * a string written bare when it is a bare word, else quoted, escaping
//!   `"`, `\`, and control and bidirectional-formatting characters.
//!
//! The printer lays the text out as [`Line`]s, each knowing where its first
//! token stood in the source, so the formatter can put comments back.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::policy::ast::{Policy, PrincipalKind, ValueList};

use super::lexer::is_bare_word;

/// Lines longer than this break their lists, one value per line.
pub(crate) const WIDTH: usize = 80;

/// One printed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    /// Spaces before the text.
    pub indent: usize,
    /// The text.
    pub text: String,
    /// A blank line comes first (the line starts a statement).
    pub blank_before: bool,
    /// Where the line's first token stood in the source.
    pub anchor: Anchor,
}

/// The source position of a line's first token: the token starting at
/// `offset`, or the one `back` tokens before it (a clause keyword, whose
/// position the tree does not keep, stands right before its first element).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Anchor {
    /// Byte offset of an element of the line.
    pub offset: usize,
    /// How many tokens before that element the line starts.
    pub back: usize,
}

fn anchor(offset: usize, back: usize) -> Anchor {
    Anchor { offset, back }
}

/// Prints a policy as canonical DSL (with a trailing newline).
pub fn print_policy(policy: &Policy) -> String {
    render(&layout(policy, &|_| false))
}

/// Joins lines into text.
pub(crate) fn render(lines: &[Line]) -> String {
    let mut out = String::with_capacity(lines.len() * 40);
    for line in lines {
        if line.blank_before {
            out.push('\n');
        }
        push_line(&mut out, line.indent, &line.text);
    }
    out
}

/// Appends one indented line.
pub(crate) fn push_line(out: &mut String, indent: usize, text: &str) {
    out.extend(std::iter::repeat_n(' ', indent));
    out.push_str(text);
    out.push('\n');
}

/// Lays a policy out; `broken` says which lists must be written one value
/// per line whatever their width (the formatter's lists with comments).
pub(crate) fn layout(policy: &Policy, broken: &dyn Fn(&ValueList) -> bool) -> Vec<Line> {
    let mut out = Layout {
        lines: Vec::new(),
        broken,
    };
    out.line(
        0,
        "version 1".to_string(),
        false,
        anchor(policy.loc.start, 0),
    );
    for s in &policy.statements {
        let mut first = true;
        if let Some(sid) = &s.sid {
            let text = format!("@sid({})", string(&sid.node));
            out.line(0, text, true, anchor(s.loc.start, 0));
            first = false;
        }
        let mut head = match s.effect.node {
            crate::policy::Effect::Allow => "allow ".to_string(),
            crate::policy::Effect::Deny => "deny ".to_string(),
        };
        if s.action.negated {
            head.push_str("not ");
        }
        out.list(
            0,
            head,
            &s.action.list,
            first,
            anchor(s.effect.loc.start, 0),
        );
        if let Some(p) = &s.principal {
            if p.entries.is_empty() {
                out.line(2, "principal {}".to_string(), false, anchor(p.loc.start, 0));
            }
            for e in &p.entries {
                let head = format!("principal {} ", principal_word(e.kind.node));
                out.list(2, head, &e.values, false, anchor(e.kind.loc.start, 1));
            }
        }
        if let Some(r) = &s.resource {
            out.list(2, "on ".to_string(), r, false, anchor(r.loc.start, 1));
        }
        if let Some(c) = &s.condition {
            if c.operators.is_empty() {
                out.line(2, "when {}".to_string(), false, anchor(c.loc.start, 0));
            }
            for op in &c.operators {
                let name = op.operator.node.to_string();
                if op.keys.is_empty() {
                    let at = anchor(op.operator.loc.start, 1);
                    out.line(2, format!("when {name} {{}}"), false, at);
                }
                for k in &op.keys {
                    let head = format!("when {name} {} ", string(&k.key.node));
                    out.list(2, head, &k.values, false, anchor(k.key.loc.start, 2));
                }
            }
        }
    }
    out.lines
}

/// The DSL's spelling of a principal type.
pub(crate) fn principal_word(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::Ram => "ram",
        PrincipalKind::Service => "service",
        PrincipalKind::Federated => "federated",
        PrincipalKind::Plain => "plain",
    }
}

struct Layout<'b> {
    lines: Vec<Line>,
    broken: &'b dyn Fn(&ValueList) -> bool,
}

impl Layout<'_> {
    fn line(&mut self, indent: usize, text: String, blank_before: bool, anchor: Anchor) {
        self.lines.push(Line {
            indent,
            text,
            blank_before,
            anchor,
        });
    }

    /// `head` followed by a value list, on one line or broken.
    fn list(&mut self, indent: usize, head: String, list: &ValueList, blank: bool, at: Anchor) {
        let values: Vec<Cow<'_, str>> = list.values.iter().map(|v| string(&v.node)).collect();
        if !(self.broken)(list) {
            let text = match values.as_slice() {
                [one] => format!("{head}{one}"),
                many => format!("{head}[{}]", many.join(", ")),
            };
            if values.len() < 2 || indent + text.chars().count() <= WIDTH {
                self.line(indent, text, blank, at);
                return;
            }
        }
        self.line(indent, format!("{head}["), blank, at);
        let last = values.len().saturating_sub(1);
        for (n, (v, node)) in values.iter().zip(&list.values).enumerate() {
            let comma = if n < last { "," } else { "" };
            self.line(4, format!("{v}{comma}"), false, anchor(node.loc.start, 0));
        }
        let close = anchor(list.loc.end.saturating_sub(1), 0);
        self.line(2, "]".to_string(), false, close);
    }
}

/// A string as the DSL writes it: bare when it is a bare word, else quoted.
pub(crate) fn string(s: &str) -> Cow<'_, str> {
    if is_bare_word(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if must_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

/// Characters printed as `\u{…}` although the parser takes them raw:
/// controls, and the invisible and bidirectional formatting characters
/// that could make printed text read differently from what it holds.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_print_bare_only_when_they_read_back_the_same() {
        assert_eq!(string("kms:*"), "kms:*");
        assert_eq!(string("on"), "\"on\"");
        assert_eq!(string(""), "\"\"");
        assert_eq!(string("a b"), "\"a b\"");
        assert_eq!(
            string("é\u{202e}\u{1}\"\\\n"),
            "\"é\\u{202e}\\u{1}\\\"\\\\\\n\""
        );
    }
}

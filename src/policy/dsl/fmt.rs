//! Comment-keeping formatting: DSL text → the same policy in canonical
//! layout, with every `//` comment kept.
//!
//! The policy is printed canonically ([`super::print::layout`]); each
//! printed line knows the source position of its first token, and the
//! canonical order of tokens is their source order, so every comment finds
//! its line:
//!
//! * a comment after a token on the same source line (a trailing comment)
//!   ends the printed line that holds that token;
//! * a comment on a line of its own goes on its own line before the printed
//!   line that holds the next token, indented like it (or at the end of the
//!   text when no token follows);
//! * a blank source line before such a comment, or between it and its
//!   token, is kept (as one blank line);
//! * a list with a comment inside is written one value per line, so each
//!   comment stays with its value;
//! * when several trailing comments end up on one printed line, all but
//!   the last go on their own lines before it.
//!
//! Formatting twice gives the same text as formatting once.

use crate::policy::ast::ValueList;
use crate::policy::error::ParseError;
use crate::policy::kind::PolicyKind;

use super::fail;
use super::lexer::{self, Comment, Scan};
use super::print::{self, Anchor, Line};

/// Formats DSL text canonically, keeping its comments. The policy must be
/// valid (for `kind`, or the kind inferred as [`super::parse_policy`] does).
pub fn format(src: &str, kind: Option<PolicyKind>) -> Result<String, ParseError> {
    let policy = super::parse_policy(src, kind)?;
    let scan = lexer::scan(src).map_err(|e| fail::into_error(e, src))?;
    let has_comment =
        |list: &ValueList| comment_within(&scan.comments, list.loc.start, list.loc.end);
    let lines = print::layout(&policy, &has_comment);
    Ok(merge(src, &scan, &lines))
}

fn comment_within(comments: &[Comment], start: usize, end: usize) -> bool {
    let first = comments.partition_point(|c| c.start <= start);
    comments.get(first).is_some_and(|c| c.start < end)
}

/// A comment placed on its own line, and whether a blank line precedes it.
struct OwnLine<'c> {
    comment: &'c Comment,
    blank_before: bool,
}

/// Where the comments go, per printed line.
struct Placement<'c> {
    before: Vec<Vec<OwnLine<'c>>>,
    /// A blank line between the last comment before a line and the line.
    blank_after: Vec<bool>,
    trailing: Vec<Vec<&'c Comment>>,
    at_end: Vec<OwnLine<'c>>,
}

fn merge(src: &str, scan: &Scan, lines: &[Line]) -> String {
    let starts: Vec<usize> = lines.iter().map(|l| resolve(scan, l.anchor)).collect();
    // The printed line holding the token that starts at `offset`.
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let mut place = Placement {
        before: lines.iter().map(|_| Vec::new()).collect(),
        blank_after: vec![false; lines.len()],
        trailing: lines.iter().map(|_| Vec::new()).collect(),
        at_end: Vec::new(),
    };
    for (n, c) in scan.comments.iter().enumerate() {
        let next = scan.tokens.partition_point(|t| t.0 < c.start);
        let prev = next.checked_sub(1).and_then(|p| scan.tokens.get(p));
        if let Some(&(start, end)) = prev
            && !src.get(end..c.start).unwrap_or_default().contains('\n')
        {
            place.trailing[line_of(start)].push(c);
            continue;
        }
        let prev_end = match (prev, n.checked_sub(1).and_then(|p| scan.comments.get(p))) {
            (Some(t), Some(pc)) => t.1.max(pc.end),
            (Some(t), None) => t.1,
            (None, Some(pc)) => pc.end,
            (None, None) => 0,
        };
        let own = OwnLine {
            comment: c,
            blank_before: blank_between(src, prev_end, c.start),
        };
        match scan.tokens.get(next) {
            Some(&(start, _)) => {
                let line = line_of(start);
                place.blank_after[line] = blank_between(src, c.end, start);
                place.before[line].push(own);
            }
            None => place.at_end.push(own),
        }
    }
    render(lines, place)
}

/// The source offset of a line's first token.
fn resolve(scan: &Scan, a: Anchor) -> usize {
    match scan.tokens.binary_search_by_key(&a.offset, |t| t.0) {
        Ok(n) => scan.tokens[n.saturating_sub(a.back)].0,
        Err(_) => a.offset,
    }
}

/// Whether the white space between two offsets holds an empty line.
fn blank_between(src: &str, from: usize, to: usize) -> bool {
    src.get(from..to)
        .is_some_and(|s| s.bytes().filter(|&b| b == b'\n').count() >= 2)
}

fn render(lines: &[Line], mut place: Placement<'_>) -> String {
    let mut out = Out::default();
    for (n, line) in lines.iter().enumerate() {
        if line.blank_before {
            out.blank();
        }
        let mut trailing = std::mem::take(&mut place.trailing[n]);
        let last = trailing.pop();
        for c in &place.before[n] {
            if c.blank_before {
                out.blank();
            }
            out.line(line.indent, &c.comment.text);
        }
        if !place.before[n].is_empty() && place.blank_after[n] {
            out.blank();
        }
        for c in trailing {
            out.line(line.indent, &c.text);
        }
        match last {
            Some(c) => out.line(line.indent, &format!("{} {}", line.text, c.text)),
            None => out.line(line.indent, &line.text),
        }
    }
    for c in &place.at_end {
        if c.blank_before {
            out.blank();
        }
        out.line(0, &c.comment.text);
    }
    out.text
}

/// Output that never starts with a blank line nor has two in a row.
#[derive(Default)]
struct Out {
    text: String,
    blank: bool,
}

impl Out {
    fn blank(&mut self) {
        if !self.blank && !self.text.is_empty() {
            self.text.push('\n');
            self.blank = true;
        }
    }

    fn line(&mut self, indent: usize, text: &str) {
        print::push_line(&mut self.text, indent, text);
        self.blank = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_two_line_breaks_in_white_space() {
        assert!(blank_between("a\n  \n b", 1, 6));
        assert!(!blank_between("a\n b", 1, 3));
        assert!(!blank_between("a", 5, 9));
    }

    #[test]
    fn a_list_holds_a_comment_that_starts_inside_it() {
        let c = |start| Comment {
            start,
            end: start + 4,
            text: "// x".into(),
        };
        assert!(comment_within(&[c(2), c(20)], 0, 10));
        assert!(!comment_within(&[c(20)], 0, 10));
        assert!(!comment_within(&[c(0)], 0, 10));
    }

    #[test]
    fn a_comment_before_the_first_token_goes_first_without_a_blank_line() {
        let out = format("\n\n// top\nversion 1 allow x on y", None);
        assert_eq!(out.as_deref(), Ok("// top\nversion 1\n\nallow x\n  on y\n"));
    }
}

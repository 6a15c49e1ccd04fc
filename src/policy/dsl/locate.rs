//! Fills in the line and column of every location of a parsed tree, in one
//! pass: the tree is visited in source order, so a cursor that only moves
//! forward through the text finds them all in linear time.

use crate::policy::ast::{Policy, ValueList};
use crate::policy::loc::Loc;

/// Sets `line` and `column` of every location in `policy` from its byte
/// offsets into `src`.
pub(crate) fn locate(policy: &mut Policy, src: &str) {
    let mut c = Cursor::new(src);
    c.fill(&mut policy.loc);
    for s in &mut policy.statements {
        c.fill(&mut s.loc);
        if let Some(sid) = &mut s.sid {
            c.fill(&mut sid.loc);
        }
        c.fill(&mut s.effect.loc);
        c.list(&mut s.action.list);
        if let Some(p) = &mut s.principal {
            c.fill(&mut p.loc);
            for e in &mut p.entries {
                c.fill(&mut e.kind.loc);
                c.list(&mut e.values);
            }
        }
        if let Some(r) = &mut s.resource {
            c.list(r);
        }
        if let Some(cond) = &mut s.condition {
            c.fill(&mut cond.loc);
            for op in &mut cond.operators {
                c.fill(&mut op.operator.loc);
                for k in &mut op.keys {
                    c.fill(&mut k.key.loc);
                    c.list(&mut k.values);
                }
            }
        }
    }
}

/// A position in the text with its line and column.
struct Cursor<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u32,
    column: u32,
}

impl<'a> Cursor<'a> {
    fn new(src: &'a str) -> Cursor<'a> {
        Cursor {
            bytes: src.as_bytes(),
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn fill(&mut self, loc: &mut Loc) {
        if loc.start < self.offset {
            // Out of order (never for trees the grammar builds): start over.
            (self.offset, self.line, self.column) = (0, 1, 1);
        }
        let end = loc.start.min(self.bytes.len());
        for &b in self.bytes.get(self.offset..end).unwrap_or_default() {
            if b == b'\n' {
                self.line = self.line.saturating_add(1);
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                // Columns count characters: skip UTF-8 continuation bytes.
                self.column = self.column.saturating_add(1);
            }
        }
        self.offset = end;
        loc.line = self.line;
        loc.column = self.column;
    }

    fn list(&mut self, list: &mut ValueList) {
        self.fill(&mut list.loc);
        for v in &mut list.values {
            self.fill(&mut v.loc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_agree_with_counting_from_the_start() {
        let src = "é\n  ab\ncd";
        let mut c = Cursor::new(src);
        for start in [0, 3, 5, 8, 9] {
            let mut loc = Loc {
                start,
                end: start,
                line: 0,
                column: 0,
            };
            c.fill(&mut loc);
            let expected = Loc::from_offsets(src, start, start);
            assert_eq!(
                (loc.line, loc.column),
                (expected.line, expected.column),
                "{start}"
            );
        }
        let mut back = Loc::from_offsets(src, 0, 0);
        back.line = 0;
        c.fill(&mut back);
        assert_eq!((back.line, back.column), (1, 1));
    }
}

//! Source locations, and values that carry one.
//!
//! A [`Loc`] is a plain value: two locations are equal when they point at
//! the same place. The tree is what ignores them: like Cedar's
//! `Node<T> { node, loc }`, [`Spanned`] compares and hashes its `node` only,
//! and the tree's own types leave their `loc` out of `==`
//! (`policy/tree_eq.rs`), so `json → AST → dsl → AST` can be compared with
//! `==` while every element still knows its line:column.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A span in a source text: byte offsets plus the 1-based line and column
/// (in characters) of its start.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Loc {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, counted in characters.
    pub column: u32,
}

impl Loc {
    /// A location for elements that were built in code rather than parsed.
    pub const NONE: Loc = Loc {
        start: 0,
        end: 0,
        line: 0,
        column: 0,
    };

    /// Whether this location points into a source text.
    pub fn is_known(&self) -> bool {
        self.line > 0
    }

    /// Computes the location of the byte range `start..end` of `src`.
    pub fn from_offsets(src: &str, start: usize, end: usize) -> Loc {
        let start = start.min(src.len());
        let end = end.clamp(start, src.len());
        let (mut line, mut column) = (1u32, 1u32);
        for (i, c) in src.char_indices() {
            if i >= start {
                break;
            }
            if c == '\n' {
                line = line.saturating_add(1);
                column = 1;
            } else {
                column = column.saturating_add(1);
            }
        }
        Loc {
            start,
            end,
            line,
            column,
        }
    }
}

impl fmt::Debug for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value together with where it was written. `==` and `Hash` look at the
/// value only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it was written; ignored by `==`.
    pub loc: Loc,
}

impl<T> Spanned<T> {
    /// Wraps a value with a location.
    pub fn new(node: T, loc: Loc) -> Self {
        Spanned { node, loc }
    }

    /// Wraps a value built in code (no source location).
    pub fn bare(node: T) -> Self {
        Spanned {
            node,
            loc: Loc::NONE,
        }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Spanned<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.node.hash(state);
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.node
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanned_values_compare_and_hash_by_value() {
        use std::collections::HashSet;
        let a = Spanned::new("x".to_string(), Loc::from_offsets("ab\ncd", 4, 5));
        let b = Spanned::bare("x".to_string());
        assert_eq!(a, b);
        assert_ne!(a, Spanned::bare("y".to_string()));
        let set: HashSet<_> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn locations_compare_by_position() {
        let src = "ab\ncd";
        assert_eq!(Loc::from_offsets(src, 3, 4), Loc::from_offsets(src, 3, 4));
        assert_ne!(Loc::from_offsets(src, 3, 4), Loc::from_offsets(src, 0, 1));
        assert_ne!(Loc::from_offsets(src, 3, 4), Loc::NONE);
    }

    #[test]
    fn line_and_column_count_characters() {
        let src = "é\n  ab";
        let loc = Loc::from_offsets(src, src.find('b').unwrap_or(0), src.len());
        assert_eq!((loc.line, loc.column), (2, 4));
        let first = Loc::from_offsets(src, 0, 1);
        assert_eq!((first.line, first.column), (1, 1));
    }
}

//! Source locations that travel with the tree but stay out of equality.
//!
//! Like Cedar's `Node<T> { node, loc }`: every element knows where it came
//! from, yet `json → AST → dsl → AST` can be compared with `==`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A span in a source text: byte offsets plus the 1-based line and column
/// (in characters) of its start.
///
/// Two locations always compare equal, so that trees parsed from different
/// concrete syntaxes compare by content alone.
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
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

impl PartialEq for Loc {
    fn eq(&self, _: &Loc) -> bool {
        true
    }
}

impl Eq for Loc {}

impl std::hash::Hash for Loc {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
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

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    fn locations_never_affect_equality() {
        let a = Spanned::new("x".to_string(), Loc::from_offsets("ab\ncd", 4, 5));
        let b = Spanned::bare("x".to_string());
        assert_eq!(a, b);
        assert_ne!(a, Spanned::bare("y".to_string()));
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

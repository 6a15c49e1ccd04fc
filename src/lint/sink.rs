//! Where checks report to: applies the configuration (disabled codes,
//! severity overrides) and turns byte offsets into lines and columns.

use crate::policy::Loc;

use super::config::Config;
use super::finding::{Finding, Span};

/// Collects the findings of one document.
pub(crate) struct Sink<'a> {
    src: &'a str,
    config: &'a Config,
    /// Byte offsets of line starts, built at the first finding (most
    /// policies have none, and linting them should cost nothing extra).
    line_starts: Option<Vec<usize>>,
    pub(crate) findings: Vec<Finding>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(src: &'a str, config: &'a Config) -> Sink<'a> {
        Sink {
            src,
            config,
            line_starts: None,
            findings: Vec::new(),
        }
    }

    pub(crate) fn config(&self) -> &'a Config {
        self.config
    }

    /// Reports `code` at `loc`.
    pub(crate) fn emit(
        &mut self,
        code: &'static str,
        loc: Loc,
        path: &str,
        message: String,
        help: Option<String>,
    ) {
        debug_assert!(
            super::catalogue::check(code).is_some(),
            "`{code}` is not in the catalogue"
        );
        if self.config.is_disabled(code) {
            return;
        }
        let span = self.span(loc);
        self.findings.push(Finding {
            code,
            severity: self.config.severity(code),
            message,
            help,
            path: path.to_string(),
            span,
        });
    }

    /// Whether an error-level finding was already reported at or under `path`.
    pub(crate) fn has_error_under(&self, path: &str) -> bool {
        self.findings.iter().any(|f| {
            f.severity == super::Severity::Error
                && f.path
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }

    fn span(&mut self, loc: Loc) -> Span {
        if !loc.is_known() {
            return Span::default();
        }
        let (end_line, end_column) = self.position(loc.end.max(loc.start));
        Span {
            start: loc.start,
            end: loc.end.max(loc.start),
            line: loc.line,
            column: loc.column,
            end_line,
            end_column,
        }
    }

    /// The 1-based line and character column of a byte offset.
    fn position(&mut self, offset: usize) -> (u32, u32) {
        let src = self.src;
        let starts = self.line_starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(src.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let offset = offset.min(src.len());
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let start = starts.get(line - 1).copied().unwrap_or(0);
        let column = src
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column + 1).unwrap_or(u32::MAX),
        )
    }
}

/// The location of the first character of `loc` (an object's `{`), for
/// findings about something missing from it.
pub(crate) fn first_char(src: &str, loc: Loc) -> Loc {
    let len = src
        .get(loc.start..)
        .and_then(|s| s.chars().next())
        .map_or(0, char::len_utf8);
    Loc {
        end: loc.start + len,
        ..loc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_positions_count_characters_and_lines() {
        let src = "{\n  \"é\": \"ab\"\n}";
        let config = Config::default();
        let mut sink = Sink::new(src, &config);
        let start = src.find("\"ab\"").unwrap_or(0);
        let loc = Loc::from_offsets(src, start, start + 4);
        sink.emit("empty-sid", loc, "Sid", "m".into(), None);
        let span = sink.findings[0].span;
        assert_eq!(
            (span.line, span.column, span.end_line, span.end_column),
            (2, 8, 2, 12)
        );
    }
}

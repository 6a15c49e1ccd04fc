//! Text that came from input, made safe to show on a terminal (S6).
//!
//! Identities, names, policy values and log contents are attacker-chosen
//! strings. Printed raw, a newline forges a line of an audit listing, an
//! escape sequence drives the reader's terminal, and a bidirectional
//! override (U+202E) makes `tneserp` read as `present`. Every human renderer
//! passes such strings through [`escape`] (one value) or its output through
//! [`escape_lines`] (a whole rendering, whose own line breaks and the tabs of
//! echoed source lines are meaning).
//!
//! Escaped are every control character (C0, DEL, C1: Unicode category Cc)
//! and every format character (category Cf: bidirectional marks, embeddings,
//! overrides and isolates, zero-width characters, the BOM, soft hyphen, tag
//! characters), as Rust writes them: `\n`, `\r`, `\t`, `\u{1b}`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The format characters (Unicode 16, category Cf), as inclusive ranges.
const FORMAT: &[(char, char)] = &[
    ('\u{ad}', '\u{ad}'),
    ('\u{600}', '\u{605}'),
    ('\u{61c}', '\u{61c}'),
    ('\u{6dd}', '\u{6dd}'),
    ('\u{70f}', '\u{70f}'),
    ('\u{890}', '\u{891}'),
    ('\u{8e2}', '\u{8e2}'),
    ('\u{180e}', '\u{180e}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{fff9}', '\u{fffb}'),
    ('\u{110bd}', '\u{110bd}'),
    ('\u{110cd}', '\u{110cd}'),
    ('\u{13430}', '\u{1343f}'),
    ('\u{1bca0}', '\u{1bca3}'),
    ('\u{1d173}', '\u{1d17a}'),
    ('\u{e0001}', '\u{e0001}'),
    ('\u{e0020}', '\u{e007f}'),
];

/// Whether `c` must never reach a terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || FORMAT.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// One value, every unsafe character escaped (newlines and tabs included).
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_except(s, |_| false)
}

/// A whole rendering: like [`escape`], but its line breaks and tabs stay.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_except(s, |c| c == '\n' || c == '\t')
}

/// A report that frames echoed source lines as rustc does (`12 | text`,
/// `   | ^`): like [`escape_lines`], but tabs stay only in those frame lines,
/// where they keep the caret under its column; anywhere else a tab came
/// from a value and is escaped.
pub fn escape_report(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) && c != '\n') {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s
        .split('\n')
        .map(|line| {
            if is_source_frame(line) {
                escape_except(line, |c| c == '\t')
            } else {
                escape(line)
            }
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

/// A frame line: `<digits> | …` or `<spaces> | …`, after optional spaces.
pub(crate) fn is_source_frame(line: &str) -> bool {
    let body = line.trim_start_matches(|c: char| c == ' ' || c.is_ascii_digit());
    let margin = &line[..line.len() - body.len()];
    margin.ends_with(' ') && (body == "|" || body.starts_with("| "))
}

fn escape_except(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// How many characters of an input value an error or audit record echoes.
pub const ECHO_CHARS: usize = 64;

/// An input value as errors and audit records echo it (U6): escaped, and
/// cut after [`ECHO_CHARS`] characters with the whole size in bytes, so an
/// 11 MB value makes a small message.
pub fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(ECHO_CHARS) {
        None => escape(s),
        Some((cut, _)) => Cow::Owned(format!("{}… ({} bytes)", escape(&s[..cut]), s.len())),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn controls_and_overrides_are_escaped_as_rust_writes_them() {
        assert_eq!(
            escape("a\nb\u{1b}[31m\u{9b}\u{202e}c\td"),
            "a\\nb\\u{1b}[31m\\u{9b}\\u{202e}c\\td"
        );
        assert_eq!(escape_lines("a\n\tb\u{7f}"), "a\n\tb\\u{7f}");
        assert_eq!(
            escape_report("error `\t`\n 3 | \tx\n   | \t^"),
            "error `\\t`\n 3 | \tx\n   | \t^"
        );
        assert!(matches!(escape("plain é 中"), Cow::Borrowed(_)));
    }

    #[test]
    fn long_values_are_cut_with_their_size() {
        let big = "x".repeat(11_534_336);
        let shown = clip(&big);
        assert_eq!(shown, format!("{}… (11534336 bytes)", "x".repeat(64)));
        assert_eq!(clip("short\n"), "short\\n");
    }

    /// Every Cc and Cf character that the table and `is_control` know.
    fn unsafe_chars() -> Vec<char> {
        (0u32..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| is_unsafe(*c))
            .collect()
    }

    #[test]
    fn the_known_dangerous_characters_are_all_unsafe() {
        let all = unsafe_chars();
        for c in [
            '\0', '\n', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', '\u{200e}', '\u{202e}', '\u{2066}',
            '\u{feff}',
        ] {
            assert!(all.contains(&c), "{:x}", c as u32);
        }
    }

    proptest! {
        #[test]
        fn escaped_text_has_no_unsafe_character(
            parts in proptest::collection::vec(
                prop_oneof![any::<String>(), proptest::sample::select(unsafe_chars()).prop_map(String::from)],
                0..12,
            )
        ) {
            let s: String = parts.concat();
            prop_assert!(!escape(&s).chars().any(is_unsafe));
            prop_assert!(!escape_lines(&s).chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t'));
            prop_assert!(!clip(&s).chars().any(is_unsafe));
            prop_assert!(!escape_report(&s).chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t'));
        }
    }
}

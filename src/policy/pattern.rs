//! `*` / `?` wildcard patterns, compiled once and matched many times.
//!
//! RAM's wildcards (spec §5.1): `*` is any run of characters, the empty run
//! included; `?` is exactly one character; the pattern covers the whole
//! string and knows nothing of `:` or `/`. Actions compare case-insensitively,
//! resources case-sensitively (RAM role ARNs are the exception, handled by the
//! caller choosing [`Case::Insensitive`] for them).
//!
//! Matching is the classic two-cursor algorithm with one backtrack point: at
//! most `O(pattern × text)` steps, so `*a*a*a*…b` against a long run of `a`
//! is slow-ish but never exponential.

use std::fmt;

/// Whether letters compare with or without case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Case {
    /// `A` differs from `a`.
    Sensitive,
    /// `A` equals `a` (per-character simple lower-casing, see [`fold_char`]).
    Insensitive,
}

/// A compiled wildcard pattern.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    case: Case,
    shape: Shape,
    /// The pattern as characters (folded when case-insensitive): the general
    /// matcher works on these.
    chars: Vec<char>,
}

/// The pattern lowered to the cheapest test that decides it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    /// `*`: everything.
    Any,
    /// No wildcard: equality.
    Exact(String),
    /// `abc*`.
    Prefix(String),
    /// `*abc`.
    Suffix(String),
    /// `*abc*`.
    Contains(String),
    /// `*` wildcards only, with literal runs between them: the runs in
    /// order (`acs:kms:*:123:key/*` → `acs:kms:`, `:123:key/`, ``). Each
    /// run is found leftmost after the previous one, which is exact when
    /// the only wildcard is `*`.
    Runs(Vec<String>),
    /// Anything else (a `?` somewhere).
    Glob,
}

/// Lower-cases one character when that gives exactly one character, else
/// keeps it. Applied to pattern and text alike, so case-insensitive matching
/// is "fold every character, then match exactly".
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Folds a whole string with [`fold_char`].
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// A string folded with [`fold`], kept on the stack when it is ASCII and
/// short (every real action name is), so folding a request's action does
/// not allocate.
pub(crate) enum Folded {
    Inline([u8; Folded::INLINE], usize),
    Heap(String),
}

impl Folded {
    const INLINE: usize = 128;

    pub(crate) fn new(s: &str) -> Folded {
        if s.is_ascii() && s.len() <= Folded::INLINE {
            let mut buf = [0u8; Folded::INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            buf[..s.len()].make_ascii_lowercase();
            Folded::Inline(buf, s.len())
        } else {
            Folded::Heap(fold(s))
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // ASCII lower-cased stays ASCII, so this is always valid UTF-8.
            Folded::Inline(buf, len) => std::str::from_utf8(&buf[..*len]).unwrap_or_default(),
            Folded::Heap(s) => s,
        }
    }
}

impl Pattern {
    /// Compiles a pattern.
    pub fn new(source: &str, case: Case) -> Pattern {
        let text = match case {
            Case::Sensitive => source.to_string(),
            Case::Insensitive => fold(source),
        };
        let chars: Vec<char> = text.chars().collect();
        let shape = Shape::of(&text);
        Pattern {
            source: source.to_string(),
            case,
            shape,
            chars,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern has a wildcard.
    pub fn is_literal(&self) -> bool {
        matches!(self.shape, Shape::Exact(_))
    }

    /// Whether the pattern is `*` and so matches everything.
    pub fn is_any(&self) -> bool {
        self.shape == Shape::Any
    }

    /// The literal start of the pattern, up to its first wildcard, folded
    /// when the pattern is case-insensitive (`kms:get` for `kms:Get*`).
    pub fn literal_prefix(&self) -> String {
        self.chars
            .iter()
            .take_while(|c| !matches!(c, '*' | '?'))
            .collect()
    }

    /// Whether `folded`, a text already folded with [`fold`], matches the
    /// whole pattern. For a case-insensitive pattern this equals
    /// `matches(original)`, since folding works character by character;
    /// the evaluator folds a request's action once and calls this for
    /// every action pattern it tries.
    pub fn matches_folded(&self, folded: &str) -> bool {
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(p) => folded == p,
            Shape::Prefix(p) => folded.starts_with(p.as_str()),
            Shape::Suffix(p) => folded.ends_with(p.as_str()),
            Shape::Contains(p) => folded.contains(p.as_str()),
            Shape::Runs(runs) => match_runs(runs, folded),
            Shape::Glob => glob(&self.chars, folded, |c| c),
        }
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        match self.case {
            Case::Sensitive => self.matches_folded(text),
            // The byte tests below are exact for ASCII text: the pattern is
            // already folded, and a non-ASCII pattern byte can never equal
            // an ASCII text byte. Other text takes the character path.
            Case::Insensitive if text.is_ascii() => {
                let t = text.as_bytes();
                match &self.shape {
                    Shape::Any => true,
                    Shape::Exact(p) => t.eq_ignore_ascii_case(p.as_bytes()),
                    Shape::Prefix(p) => {
                        t.len() >= p.len() && t[..p.len()].eq_ignore_ascii_case(p.as_bytes())
                    }
                    Shape::Suffix(p) => {
                        t.len() >= p.len()
                            && t[t.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
                    }
                    Shape::Contains(p) => {
                        p.is_empty()
                            || t.windows(p.len())
                                .any(|w| w.eq_ignore_ascii_case(p.as_bytes()))
                    }
                    Shape::Runs(_) | Shape::Glob => glob(&self.chars, text, fold_char),
                }
            }
            Case::Insensitive => match self.shape {
                Shape::Any => true,
                _ => glob(&self.chars, text, fold_char),
            },
        }
    }
}

impl Shape {
    fn of(p: &str) -> Shape {
        if p == "*" {
            return Shape::Any;
        }
        if p.contains('?') {
            return Shape::Glob;
        }
        let stars = p.matches('*').count();
        let inner = p.trim_matches('*');
        if stars == 0 {
            Shape::Exact(p.to_string())
        } else if inner.contains('*') {
            Shape::runs(p)
        } else {
            let (lead, trail) = (p.starts_with('*'), p.ends_with('*'));
            match (lead, trail, stars) {
                (false, true, 1) => Shape::Prefix(inner.to_string()),
                (true, false, 1) => Shape::Suffix(inner.to_string()),
                (true, true, 2) => Shape::Contains(inner.to_string()),
                _ => Shape::runs(p),
            }
        }
    }
}

impl Shape {
    /// The literal runs of a `*`-only pattern; consecutive stars make empty
    /// runs, which match anywhere.
    fn runs(p: &str) -> Shape {
        Shape::Runs(p.split('*').map(str::to_string).collect())
    }
}

/// Matches a `*`-only pattern given as its literal runs: the first run
/// starts the text, the last ends it, and each run between is found
/// leftmost after the one before. Leftmost is always right: a later
/// occurrence leaves less text for the runs after it, never more.
fn match_runs(runs: &[String], text: &str) -> bool {
    let Some(([first, middle @ ..], last)) = runs.split_last().map(|(l, m)| (m, l)) else {
        return false;
    };
    let Some(rest) = strip_prefix(text, first) else {
        return false;
    };
    let Some(mut rest) = strip_suffix(rest, last) else {
        return false;
    };
    for run in middle.iter().filter(|r| !r.is_empty()) {
        match rest.find(run.as_str()) {
            Some(at) => rest = rest.get(at + run.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    true
}

// An empty run is tested apart: `strip_prefix("")` compares zero bytes at a
// dangling address, and glibc's AVX-512 `memcmp` makes that a masked load
// that took ~70 ns on the machine the benches ran on (docs/performance.md),
// 50 times a non-empty comparison.
fn strip_prefix<'t>(text: &'t str, run: &str) -> Option<&'t str> {
    if run.is_empty() {
        Some(text)
    } else {
        text.strip_prefix(run)
    }
}

fn strip_suffix<'t>(text: &'t str, run: &str) -> Option<&'t str> {
    if run.is_empty() {
        Some(text)
    } else {
        text.strip_suffix(run)
    }
}

/// The general matcher: `*` remembers one backtrack point; on a mismatch the
/// last `*` swallows one more character and matching resumes after it.
fn glob(pattern: &[char], text: &str, map: impl Fn(char) -> char) -> bool {
    glob_counted(pattern, text, map).0
}

/// [`glob`], also returning how many times its loop ran: the bound on the
/// work, which tests check is at most `(pattern + 1) × (text + 1)`.
fn glob_counted(pattern: &[char], text: &str, map: impl Fn(char) -> char) -> (bool, usize) {
    let mut steps = 0usize;
    let mut p = 0;
    let mut rest = text;
    // (pattern index after the star, text where that star's run ends)
    let mut backtrack: Option<(usize, &str)> = None;
    loop {
        steps += 1;
        let mut chars = rest.chars();
        let Some(t) = chars.next() else { break };
        match pattern.get(p) {
            Some('*') => {
                p += 1;
                backtrack = Some((p, rest));
                continue;
            }
            Some(&c) if c == '?' || c == map(t) => {
                p += 1;
                rest = chars.as_str();
                continue;
            }
            _ => {}
        }
        match backtrack {
            Some((after_star, from)) => {
                let mut swallow = from.chars();
                swallow.next();
                let from = swallow.as_str();
                backtrack = Some((after_star, from));
                p = after_star;
                rest = from;
            }
            None => return (false, steps),
        }
    }
    (
        pattern[p.min(pattern.len())..].iter().all(|&c| c == '*'),
        steps,
    )
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?}, {:?})", self.source, self.case)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source && self.case == other.case
    }
}

impl Eq for Pattern {}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::new(p, Case::Sensitive).matches(t)
    }

    fn mi(p: &str, t: &str) -> bool {
        Pattern::new(p, Case::Insensitive).matches(t)
    }

    #[test]
    fn star_matches_any_run_including_empty() {
        assert!(m("*", ""));
        assert!(m("a*", "a"));
        assert!(m("a*c", "abbbc"));
        assert!(m("*:role/*", "acs:ram::1:role/x"));
        assert!(!m("a*c", "abcd"));
        assert!(m("acs:ram:*:*:role/x", "acs:ram::123:role/x"));
    }

    #[test]
    fn question_mark_is_exactly_one_character() {
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(!m("a?c", "abbc"));
        assert!(m("??", "日本"));
    }

    #[test]
    fn shapes_agree_with_the_general_matcher() {
        for (p, t) in [
            ("ab*", "abc"),
            ("ab*", "xab"),
            ("*ab", "xab"),
            ("*ab", "abx"),
            ("*ab*", "xxabyy"),
            ("*ab*", "xaxb"),
            ("ab", "ab"),
            ("ab", "abc"),
            ("**", ""),
            ("*a*b*", "zazbz"),
            ("a*b", "ab"),
            ("a*b", "axxb"),
            ("a*a", "a"),
            ("a*b*c", "abc"),
            ("a*b*c", "acb"),
            ("acs:kms:*:1:key/*", "acs:kms:cn-hangzhou:1:key/k"),
            ("acs:kms:*:1:key/*", "acs:kms:cn-hangzhou:2:key/k"),
            ("*:*:*", "a:b"),
            ("*ab*ab", "abab"),
            ("*ab*ab", "ab"),
            ("x**y", "xy"),
        ] {
            let chars: Vec<char> = p.chars().collect();
            assert_eq!(m(p, t), glob(&chars, t, |c| c), "{p} vs {t}");
        }
    }

    #[test]
    fn case_insensitive_matching_folds_both_sides() {
        assert!(mi("kms:GenerateDataKey", "KMS:generatedatakey"));
        assert!(mi("kms:Gen*", "KMS:GENERATEDATAKEY"));
        assert!(mi("*KEY", "kms:describekey"));
        assert!(mi("*DATA*", "kms:generatedatakey"));
        assert!(mi("Ä?", "äb"));
        assert!(!m("kms:Gen*", "KMS:GENERATE"));
    }

    #[test]
    fn the_work_is_bounded_by_pattern_times_text() {
        // The classic worst cases for backtracking matchers: many stars that
        // each could swallow the same run, and a final mismatch.
        for stars in [1, 5, 20, 50] {
            let pattern: Vec<char> = format!("{}b", "*a".repeat(stars)).chars().collect();
            let mut previous = 0;
            for len in [100, 200, 400, 800, 1600] {
                let text = "a".repeat(len);
                let (matched, steps) = glob_counted(&pattern, &text, |c| c);
                assert!(!matched);
                assert!(
                    steps <= (pattern.len() + 1) * (len + 1),
                    "{stars} stars, {len} chars: {steps} steps"
                );
                // Doubling the text at most doubles the work (plus a little):
                // linear in the text for a fixed pattern, never exponential.
                assert!(
                    previous == 0 || steps <= 2 * previous + pattern.len() + 2,
                    "{stars} stars, {len}: {steps} after {previous}"
                );
                previous = steps;
            }
        }
    }

    #[test]
    fn matching_folded_text_equals_matching_the_original() {
        let patterns = [
            "kms:Gen*",
            "*KEY",
            "*DATA*",
            "Ä?",
            "kms:GenerateDataKey",
            "*",
            "k?s:*y",
        ];
        let texts = [
            "KMS:generatedatakey",
            "kms:describekey",
            "äB",
            "Kms:Encrypt",
            "ÄÄ",
            "",
        ];
        for p in patterns {
            let compiled = Pattern::new(p, Case::Insensitive);
            for t in texts {
                assert_eq!(
                    compiled.matches_folded(Folded::new(t).as_str()),
                    compiled.matches(t),
                    "{p} vs {t}"
                );
            }
        }
        assert_eq!(
            Pattern::new("kms:Get*Key", Case::Insensitive).literal_prefix(),
            "kms:get"
        );
        assert_eq!(
            Pattern::new("*:Describe*", Case::Insensitive).literal_prefix(),
            ""
        );
        let long = "A".repeat(200);
        assert_eq!(Folded::new(&long).as_str(), "a".repeat(200));
        assert_eq!(Folded::new("Ä:X").as_str(), "ä:x");
    }

    #[test]
    fn pathological_patterns_stay_polynomial() {
        let pattern = format!("{}b", "*a".repeat(50));
        let text = "a".repeat(5_000);
        // 50 stars × 5,000 characters: about 250,000 steps, not 5000^50.
        assert!(!m(&pattern, &text));
        assert!(m(&pattern, &format!("{text}b")));
    }
}

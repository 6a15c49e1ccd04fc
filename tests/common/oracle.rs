//! The regex oracle for RAM wildcards: `*` is `.*`, `?` is `.`, everything
//! else literal, anchored at both ends. Shared by `tests/wildcard.rs` and
//! the `wildcard` fuzz target.

/// Whether `text` matches the RAM wildcard `pattern`, by translation to a
/// regular expression. Patterns are short; the regex crate is linear-time,
/// so its size limit does not trip.
pub fn matches(pattern: &str, text: &str) -> bool {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::RegexBuilder::new(&re)
        .size_limit(1 << 26)
        .build()
        .map(|r| r.is_match(text))
        .unwrap_or(false)
}

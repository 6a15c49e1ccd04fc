//! The compiled `*`/`?` matcher against a `regex` oracle on arbitrary
//! pattern/text pairs: actions case-folded, resources not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::policy::pattern::{Case, Pattern, fold};

fn oracle(pattern: &str, text: &str) -> bool {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    // Patterns are short; the regex crate is linear-time, so no limit trips.
    regex::RegexBuilder::new(&re)
        .size_limit(1 << 26)
        .build()
        .map(|r| r.is_match(text))
        .unwrap_or(false)
}

fuzz_target!(|input: (&str, &str)| {
    let (pattern, text) = input;
    if pattern.len() > 64 || text.len() > 256 {
        return;
    }
    let exact = Pattern::new(pattern, Case::Sensitive).matches(text);
    assert_eq!(exact, oracle(pattern, text), "{pattern:?} vs {text:?}");
    let folded = Pattern::new(pattern, Case::Insensitive).matches(text);
    assert_eq!(
        folded,
        oracle(&fold(pattern), &fold(text)),
        "folded {pattern:?} vs {text:?}"
    );
});

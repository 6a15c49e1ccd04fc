//! The compiled `*`/`?` matcher against a `regex` oracle on arbitrary
//! pattern/text pairs: actions case-folded, resources not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::policy::pattern::{Case, Pattern, fold};

#[path = "../../tests/common/oracle.rs"]
mod oracle;

use oracle::matches as oracle;

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

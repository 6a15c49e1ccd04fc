//! The linter never panics, and every finding's span lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::lint::{Config, lint_source};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    for f in lint_source(src, None, &Config::default()) {
        assert!(
            f.span.start <= f.span.end && f.span.end <= src.len(),
            "{f:?} outside {} bytes",
            src.len()
        );
        assert!(
            src.is_char_boundary(f.span.start) && src.is_char_boundary(f.span.end),
            "{f:?}"
        );
        assert!(f.span.line >= 1 && f.span.column >= 1, "{f:?}");
    }
});

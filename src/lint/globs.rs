//! Questions about wildcard patterns that linting asks and evaluation never
//! does: does one pattern cover another, can two patterns match a common
//! string, does a pattern cover every resource of a type.

use crate::policy::pattern::{Case, Pattern, fold};

/// Whether every string `narrow` matches is also matched by `wide`.
///
/// Decided by matching `narrow`'s text against `wide`. When `wide` has no
/// `?`, this is exact: a literal of `wide` never equals a `*` or `?` of
/// `narrow`, so every wildcard of `narrow` lands in a `*` of `wide`. A `?`
/// of `wide` could swallow a `*` of `narrow`, so with `?` in `wide` only a
/// literal `narrow` is decided and anything else counts as not covered:
/// that can miss a redundancy, never invent one.
pub(crate) fn covers(wide: &str, narrow: &str, case: Case) -> bool {
    let narrow_is_pattern = narrow.contains(['*', '?']);
    if wide.contains('?') && narrow_is_pattern {
        return false;
    }
    Pattern::new(wide, case).matches(narrow)
}

/// Whether some string matches both patterns (`*` any run, `?` one
/// character). A search over pairs of pattern positions: linear in the
/// product of the lengths.
pub(crate) fn intersect(a: &str, b: &str, case: Case) -> bool {
    let (a, b) = match case {
        Case::Sensitive => (a.to_string(), b.to_string()),
        Case::Insensitive => (fold(a), fold(b)),
    };
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let Some(slot) = seen.get_mut(i * width + j) else {
            continue;
        };
        if *slot {
            continue;
        }
        *slot = true;
        if i == a.len() && j == b.len() {
            return true;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        // A star may match nothing.
        if ca == Some('*') {
            stack.push((i + 1, j));
        }
        if cb == Some('*') {
            stack.push((i, j + 1));
        }
        // Both consume one common character.
        if let (Some(x), Some(y)) = (ca, cb) {
            let compatible = matches!(x, '*' | '?') || matches!(y, '*' | '?') || x == y;
            if compatible {
                let ni = if x == '*' { i } else { i + 1 };
                let nj = if y == '*' { j } else { j + 1 };
                if (ni, nj) != (i, j) {
                    stack.push((ni, nj));
                }
            }
        }
    }
    false
}

/// Whether `pattern` covers every resource of an ARN template such as
/// `acs:ram::{AccountId}:role/{RoleName}`: it matches two probe resources
/// whose names share nothing. A pattern naming one account (or region)
/// covers "every resource" of that account when it matches both probes
/// placed in it.
pub(crate) fn covers_every(pattern: &str, template: &str, case: Case) -> bool {
    let fields: Vec<&str> = pattern.splitn(5, ':').collect();
    let literal = |i: usize| {
        fields
            .get(i)
            .filter(|f| !f.is_empty() && !f.contains(['*', '?']))
            .map(|f| f.to_string())
    };
    let region = literal(2);
    let account = literal(3);
    let compiled = Pattern::new(pattern, case);
    [
        ("cn-hangzhou", "1234567890123456", "a"),
        ("ap-southeast-1", "1999999999999999", "Zz9-probe.x_Q"),
    ]
    .into_iter()
    .all(|(r, a, name)| {
        let probe = instantiate(
            template,
            region.as_deref().unwrap_or(r),
            account.as_deref().unwrap_or(a),
            name,
        );
        compiled.matches(&probe)
    })
}

fn instantiate(template: &str, region: &str, account: &str, name: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').unwrap_or(after.len());
        out.push_str(match &after[..close] {
            "RegionId" => region,
            "AccountId" => account,
            _ => name,
        });
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Whether a pattern is made only of wildcards and separators: it covers
/// everything (`*`, `*:*`, `acs:*:*:*:*` for resources is handled by the
/// caller).
pub(crate) fn is_universal(pattern: &str) -> bool {
    pattern.contains('*') && pattern.chars().all(|c| c == '*' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_between_patterns() {
        assert!(covers("kms:*", "kms:Get*", Case::Insensitive));
        assert!(covers("kms:*", "KMS:decrypt", Case::Insensitive));
        assert!(!covers("kms:Get*", "kms:G*t", Case::Insensitive));
        assert!(!covers("a?c", "a*c", Case::Sensitive));
        assert!(covers("a?c", "abc", Case::Sensitive));
        assert!(covers("*", "anything*?", Case::Sensitive));
    }

    #[test]
    fn intersection_of_patterns() {
        let s = Case::Sensitive;
        assert!(intersect(
            "acs:log:*:*:project/p/*",
            "acs:log:*:*:project/*/logstore/*",
            s
        ));
        assert!(!intersect("acs:kms:*:*:key/*", "acs:log:*:*:project/*", s));
        assert!(intersect("a*", "*b", s));
        assert!(!intersect("a?", "abc", s));
        assert!(intersect("**", "", s));
        assert!(!intersect("a", "", s));
    }

    #[test]
    fn covering_every_role() {
        let t = "acs:ram::{AccountId}:role/{RoleName}";
        let i = Case::Insensitive;
        assert!(covers_every("acs:ram::*", t, i));
        assert!(covers_every("*", t, i));
        assert!(covers_every("acs:ram:*:*:role/*", t, i));
        assert!(covers_every("acs:ram::1234567890123456:role/*", t, i));
        assert!(!covers_every("acs:ram::1234567890123456:role/app-*", t, i));
        assert!(!covers_every(
            "acs:ram:*:*:role/aliyunlogimportossrole",
            t,
            i
        ));
        assert!(!covers_every("acs:ram::*:user/*", t, i));
    }
}

//! Account ids in ARNs and principals: the real ones, the patterns, and the
//! placeholders documentation prints in their place.
//!
//! RAM stores an ARN whatever its account field says, so none of these is
//! an error (docs/lint-checks.md, severity discipline): a placeholder
//! matches no account (`193248792425xxxx`, `<yourloginUserId>`,
//! `$accountId`, a short test id), except a masked id (`123456789012****`),
//! whose `*`s are wildcards that match every account with that prefix.

use crate::policy::Loc;

use super::super::sink::Sink;

/// What an account field holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Account {
    /// 16 digits, empty (global services), `system`, or a pattern a user
    /// wrote on purpose (`*`, `1234*`).
    Valid,
    /// A documentation placeholder; the text says what it does as written.
    Placeholder(String),
    /// Anything else (`abc`).
    Invalid,
}

/// Classifies an ARN's account field.
pub(crate) fn classify(account: &str) -> Account {
    if account.is_empty() || account == "system" || crate::policy::arn::is_account_id(account) {
        return Account::Valid;
    }
    let digits = account.bytes().filter(u8::is_ascii_digit).count();
    // Documentation masks the end of an id with `*`, `x` or `X`; a run of
    // two or more, after digits, is a mask rather than a chosen pattern.
    let masked = |c: u8| {
        account.bytes().all(|b| b.is_ascii_digit() || b == c)
            && account.contains(&*format!("{0}{0}", c as char))
            && digits >= 1
    };
    if masked(b'*') {
        let prefix = account.trim_end_matches('*');
        let what = if prefix.contains('*') {
            format!("its `*`s are wildcards: it matches every account id of the form `{account}`")
        } else {
            format!(
                "`{account}` is a wildcard: it matches every account whose id starts with `{prefix}`"
            )
        };
        return Account::Placeholder(what);
    }
    if masked(b'x') || masked(b'X') {
        return Account::Placeholder(format!(
            "`{account}` looks like a masked account id; its `x`s are letters, so it matches no account"
        ));
    }
    if account.contains(['*', '?']) {
        return Account::Valid;
    }
    if account.starts_with('<') || account.starts_with('$') || account.contains("${") {
        return Account::Placeholder(format!(
            "`{account}` looks like a documentation placeholder; as written it matches no account"
        ));
    }
    if account.bytes().all(|b| b.is_ascii_digit()) {
        return Account::Placeholder(format!(
            "`{account}` has {} digits, not 16, so it matches no account (a test or example id?)",
            account.len()
        ));
    }
    Account::Invalid
}

/// Reports `placeholder-account-id` or `invalid-account-id` for the account
/// field `account` of `text` (an ARN or a principal); `true` when the field
/// is a real id or pattern.
pub(crate) fn check(account: &str, text: &str, loc: Loc, path: &str, sink: &mut Sink<'_>) -> bool {
    match classify(account) {
        Account::Valid => true,
        Account::Placeholder(what) => {
            sink.emit(
                "placeholder-account-id",
                loc,
                path,
                format!("account ID `{account}` in `{text}` looks like a documentation placeholder: {what}"),
                Some("replace it with the 16-digit account ID, or `*` for any account".into()),
            );
            false
        }
        Account::Invalid => {
            sink.emit(
                "invalid-account-id",
                loc,
                path,
                format!("invalid account ID `{account}` in `{text}`: account IDs are 16 digits, so it matches no account"),
                Some("use the 16-digit account ID, or `*`".into()),
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholder(a: &str) -> String {
        match classify(a) {
            Account::Placeholder(w) => w,
            other => panic!("{a}: {other:?}"),
        }
    }

    #[test]
    fn masked_ids_say_whether_they_match_nothing_or_a_prefix() {
        assert!(
            placeholder("123456789012****")
                .contains("every account whose id starts with `123456789012`")
        );
        assert!(placeholder("12836***64516515").contains("wildcards"));
        assert!(placeholder("113***").contains("starts with `113`"));
        assert!(placeholder("193248792425xxxx").contains("matches no account"));
        assert!(placeholder("177530505652XXXX").contains("matches no account"));
        assert!(placeholder("1894xxxxxx722283").contains("matches no account"));
        assert!(placeholder("<yourloginUserId>").contains("placeholder"));
        assert!(placeholder("$accountId").contains("placeholder"));
        assert!(placeholder("123456").contains("6 digits"));
        assert!(placeholder("123456789012345678").contains("18 digits"));
    }

    #[test]
    fn real_ids_and_chosen_patterns_are_valid() {
        for a in [
            "1234567890123456",
            "",
            "system",
            "*",
            "1234*",
            "12345678901234?6",
        ] {
            assert_eq!(classify(a), Account::Valid, "{a}");
        }
        assert_eq!(classify("abc"), Account::Invalid);
        assert_eq!(classify("12ab"), Account::Invalid);
    }
}

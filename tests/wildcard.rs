//! The compiled `*`/`?` matcher against a `regex` oracle (after Cedar's
//! `wildcard-matching` fuzz target): actions case-folded, resources not.

use proptest::prelude::*;
use ramgate::policy::pattern::{Case, Pattern, fold};

mod common;

use common::oracle::matches as oracle;

fn alphabet() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ab*?:/Aé日]{0,8}").unwrap_or_else(|e| panic!("{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn case_sensitive_matching_agrees_with_regex(p in alphabet(), t in "[ab:/Aé日]{0,10}") {
        prop_assert_eq!(Pattern::new(&p, Case::Sensitive).matches(&t), oracle(&p, &t), "{} vs {}", p, t);
    }

    #[test]
    fn case_insensitive_matching_is_matching_of_folded_strings(p in alphabet(), t in "[abAB:/Éé日]{0,10}") {
        prop_assert_eq!(Pattern::new(&p, Case::Insensitive).matches(&t), oracle(&fold(&p), &fold(&t)), "{} vs {}", p, t);
    }

    #[test]
    fn matching_folded_text_agrees_with_regex(p in alphabet(), t in "[abAB:/Éé日]{0,10}") {
        let folded = fold(&t);
        prop_assert_eq!(Pattern::new(&p, Case::Insensitive).matches_folded(&folded), oracle(&fold(&p), &folded), "{} vs {}", p, t);
    }
}

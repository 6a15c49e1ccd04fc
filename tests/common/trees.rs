//! proptest generators of policy ASTs: every shape the JSON front end
//! accepts (empty lists and blocks included), strings with quotes,
//! backslashes, control characters, any Unicode, wildcards and keywords,
//! and condition values valid for their operator.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use proptest::sample::subsequence;
use ramgate::policy::condition::{Family, Operator, QualifiedOperator, Qualifier};
use ramgate::policy::kind::significant_chars;
use ramgate::policy::{
    ActionList, ConditionBlock, Effect, KeyValues, Loc, OperatorBlock, Policy, PolicyKind,
    PrincipalBlock, PrincipalEntry, PrincipalKind, Spanned, Statement, ValueList,
};

/// Any text, biased towards what is hard to print: quotes, backslashes,
/// control and formatting characters, non-ASCII, wildcards, `//`, ARNs and
/// DSL keywords.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => proptest::collection::vec(any::<char>(), 0..10).prop_map(String::from_iter),
        3 => "[a-zA-Z0-9:/*?. \"\\\\@_+=,\\[\\]{}()#-]{0,12}",
        2 => "acs:[a-z*]{1,4}:[a-z0-9*-]{0,6}:[0-9*]{0,4}:[a-z/*?-]{0,8}",
        1 => prop::sample::select(vec![
            "", "*", "?", "on", "when", "allow", "deny", "not", "version", "principal",
            "ram", "{}", "[]", "a//b", "https://x", "\u{202e}", "\u{feff}", "日本語", "\u{1F600}",
            "\t", "\u{7f}", "\u{85}",
        ])
        .prop_map(str::to_string),
    ]
    .boxed()
}

/// A value of `operator`'s type.
pub fn value_for(operator: Operator) -> BoxedStrategy<String> {
    match operator.family() {
        Family::String => text(),
        Family::Numeric => "[+-]?[0-9]{1,6}(\\.[0-9]{1,3})?".boxed(),
        Family::Date => (
            2000u32..2100,
            1u32..13,
            1u32..29,
            0u32..24,
            0u32..60,
            0u32..60,
            prop_oneof![
                Just("Z".to_string()),
                (prop::bool::ANY, 0u32..15, 0u32..60).prop_map(|(neg, h, m)| format!(
                    "{}{h:02}:{m:02}",
                    if neg { '-' } else { '+' }
                )),
            ],
            prop::option::of(0u32..1000),
        )
            .prop_map(|(y, mo, d, h, mi, s, off, frac)| {
                let frac = frac.map(|f| format!(".{f:03}")).unwrap_or_default();
                format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}")
            })
            .boxed(),
        Family::Bool => prop::sample::select(vec!["true", "false"])
            .prop_map(str::to_string)
            .boxed(),
        Family::Ip => prop_oneof![
            (any::<[u8; 4]>(), prop::option::of(0u8..=32)).prop_map(|(a, p)| {
                let ip = Ipv4Addr::from(a);
                p.map_or(ip.to_string(), |p| format!("{ip}/{p}"))
            }),
            (any::<[u16; 8]>(), prop::option::of(0u8..=128)).prop_map(|(a, p)| {
                let ip = Ipv6Addr::from(a);
                p.map_or(ip.to_string(), |p| format!("{ip}/{p}"))
            }),
        ]
        .boxed(),
    }
}

/// A list of 0 to 3 values.
pub fn list(values: BoxedStrategy<String>) -> impl Strategy<Value = ValueList> {
    proptest::collection::vec(values, 0..4).prop_map(ValueList::bare)
}

fn operator() -> impl Strategy<Value = QualifiedOperator> {
    (
        prop::sample::select(Operator::ALL.to_vec()),
        prop::sample::select(vec![
            None,
            None,
            Some(Qualifier::ForAnyValue),
            Some(Qualifier::ForAllValues),
        ]),
    )
        .prop_map(|(operator, qualifier)| QualifiedOperator {
            qualifier,
            operator,
        })
}

fn operator_block(keys: BoxedStrategy<String>) -> impl Strategy<Value = OperatorBlock> {
    operator().prop_flat_map(move |op| {
        proptest::collection::vec((keys.clone(), list(value_for(op.operator))), 0..3).prop_map(
            move |keys| {
                let mut out: Vec<KeyValues> = Vec::new();
                for (key, values) in keys {
                    // Keys compare case-insensitively: one spelling per operator.
                    if !out.iter().any(|k| k.key.node.eq_ignore_ascii_case(&key)) {
                        out.push(KeyValues {
                            key: Spanned::bare(key),
                            values,
                        });
                    }
                }
                OperatorBlock {
                    operator: Spanned::bare(op),
                    keys: out,
                }
            },
        )
    })
}

fn condition(keys: BoxedStrategy<String>) -> impl Strategy<Value = Option<ConditionBlock>> {
    prop::option::weighted(
        0.6,
        proptest::collection::vec(operator_block(keys), 0..3).prop_map(|blocks| {
            let mut operators: Vec<OperatorBlock> = Vec::new();
            for b in blocks {
                // An operator is one JSON key: at most once per condition.
                if !operators.iter().any(|o| o.operator.node == b.operator.node) {
                    operators.push(b);
                }
            }
            ConditionBlock {
                operators,
                loc: Loc::NONE,
            }
        }),
    )
}

fn principal(values: BoxedStrategy<String>) -> impl Strategy<Value = PrincipalBlock> {
    let kinds = vec![
        PrincipalKind::Ram,
        PrincipalKind::Service,
        PrincipalKind::Federated,
    ];
    subsequence(kinds, 0..=3)
        .prop_flat_map(move |kinds| {
            let n = kinds.len();
            (
                Just(kinds).prop_shuffle(),
                proptest::collection::vec(list(values.clone()), n..=n),
            )
        })
        .prop_map(|(kinds, lists)| PrincipalBlock {
            entries: kinds
                .into_iter()
                .zip(lists)
                .map(|(kind, values)| PrincipalEntry {
                    kind: Spanned::bare(kind),
                    values,
                })
                .collect(),
            loc: Loc::NONE,
        })
}

/// Where a generator takes its strings from.
#[derive(Clone)]
pub struct Strings {
    /// Actions.
    pub actions: BoxedStrategy<String>,
    /// Resources.
    pub resources: BoxedStrategy<String>,
    /// Principal values.
    pub principals: BoxedStrategy<String>,
    /// Condition keys.
    pub keys: BoxedStrategy<String>,
    /// Sids.
    pub sids: BoxedStrategy<String>,
}

impl Strings {
    /// Long text (up to 80 characters, quotes and backslashes included),
    /// for policies near the size limits.
    pub fn long() -> Strings {
        let long = || "[a-zA-Z0-9:/*\"\\\\é\u{1}-]{0,80}".boxed();
        Strings {
            actions: long(),
            resources: long(),
            principals: long(),
            keys: long(),
            sids: long(),
        }
    }

    /// Any text everywhere.
    pub fn any() -> Strings {
        Strings {
            actions: text(),
            resources: text(),
            principals: text(),
            keys: text(),
            sids: text(),
        }
    }
}

fn statement(kind: PolicyKind, s: Strings) -> impl Strategy<Value = Statement> {
    (
        prop::option::of(s.sids.clone()),
        prop::bool::ANY,
        prop::bool::ANY,
        list(s.actions.clone()),
        list(s.resources.clone()),
        principal(s.principals.clone()),
        condition(s.keys.clone()),
    )
        .prop_map(
            move |(sid, allow, negated, actions, resources, principal, condition)| Statement {
                sid: sid.map(Spanned::bare),
                effect: Spanned::bare(if allow { Effect::Allow } else { Effect::Deny }),
                action: ActionList {
                    negated,
                    list: actions,
                },
                resource: kind.has_resource().then_some(resources),
                principal: kind.has_principal().then_some(principal),
                condition,
                loc: Loc::NONE,
            },
        )
}

/// A valid policy of `kind` (within the kind's size limit) with strings
/// from `strings`.
pub fn policy_of(kind: PolicyKind, strings: Strings) -> impl Strategy<Value = Policy> {
    unchecked_policy_of(kind, strings, 1..4).prop_filter("within the size limit", |p| {
        significant_chars(&p.to_json()) <= p.kind.max_chars()
    })
}

/// A policy of `kind` with `statements` statements, whatever its size.
pub fn unchecked_policy_of(
    kind: PolicyKind,
    strings: Strings,
    statements: std::ops::Range<usize>,
) -> impl Strategy<Value = Policy> {
    proptest::collection::vec(statement(kind, strings), statements).prop_map(move |statements| {
        Policy {
            kind,
            statements,
            loc: Loc::NONE,
        }
    })
}

/// A valid policy of any kind, with any text.
pub fn policy() -> impl Strategy<Value = Policy> {
    prop::sample::select(PolicyKind::ALL.to_vec())
        .prop_flat_map(|kind| policy_of(kind, Strings::any()))
}

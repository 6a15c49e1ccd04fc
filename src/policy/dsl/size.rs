//! The size RAM would count for a policy: the characters of its canonical
//! JSON outside insignificant white space, worked out from the tree without
//! printing it (the DSL parser checks it on every parse).
//!
//! Equal, by construction and by a property test, to
//! `kind::significant_chars(&json::print_policy(policy))`.

use crate::policy::ast::{Policy, Statement, ValueList};

/// `{"Version":"1","Statement":[…]}` around the statements.
const FRAME: usize = r#"{"Version":"1","Statement":[]}"#.len();

/// The significant characters of the policy's canonical JSON.
pub(crate) fn json_chars(policy: &Policy) -> usize {
    let n = policy.statements.len();
    FRAME + policy.statements.iter().map(statement).sum::<usize>() + n.saturating_sub(1)
}

fn statement(s: &Statement) -> usize {
    let mut fields = Fields::default();
    if let Some(sid) = &s.sid {
        fields.add("Sid", quoted(&sid.node));
    }
    fields.add("Effect", quoted(s.effect.node.as_str()));
    if let Some(p) = &s.principal {
        fields.add(
            "Principal",
            object(
                p.entries
                    .iter()
                    .map(|e| (e.kind.node.as_str().len() + 2, list(&e.values))),
            ),
        );
    }
    fields.add(s.action.element(), list(&s.action.list));
    if let Some(r) = &s.resource {
        fields.add("Resource", list(r));
    }
    if let Some(c) = &s.condition {
        fields.add(
            "Condition",
            object(c.operators.iter().map(|op| {
                let q = op.operator.node;
                // `"ForAnyValue:StringEquals"`: ASCII names, no escapes.
                let name =
                    q.qualifier.map_or(0, |q| q.as_str().len() + 1) + q.operator.as_str().len();
                let keys = object(
                    op.keys
                        .iter()
                        .map(|k| (quoted(&k.key.node), list(&k.values))),
                );
                (name + 2, keys)
            })),
        );
    }
    fields.object()
}

/// The members of one JSON object being measured.
#[derive(Default)]
struct Fields {
    count: usize,
    chars: usize,
}

impl Fields {
    /// `"key":value` (keys here are ASCII names that need no escape).
    fn add(&mut self, key: &str, value: usize) {
        self.count += 1;
        self.chars += key.len() + 2 + 1 + value;
    }

    /// `{…}` with commas between the members.
    fn object(&self) -> usize {
        2 + self.chars + self.count.saturating_sub(1)
    }
}

/// `{"k":v,…}` from (quoted key length, value length) pairs.
fn object(members: impl Iterator<Item = (usize, usize)>) -> usize {
    let (count, chars) = members.fold((0, 0), |(n, c), (k, v)| (n + 1, c + k + 1 + v));
    2 + chars + usize::saturating_sub(count, 1)
}

/// One value as a string, several (or none) as an array.
fn list(values: &ValueList) -> usize {
    match values.values.as_slice() {
        [one] => quoted(&one.node),
        many => {
            2 + many.iter().map(|v| quoted(&v.node)).sum::<usize>() + many.len().saturating_sub(1)
        }
    }
}

/// A JSON string literal as serde_json writes it, in characters.
fn quoted(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
            c if (c as u32) < 0x20 => 6,
            _ => 1,
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::kind::significant_chars;

    #[test]
    fn measures_what_the_json_printer_prints() {
        let src = r#"{"Version":"1","Statement":[
            {"Sid":"a\"b\\c\u0001\n","Effect":"Allow","Action":["x","é"],"Resource":[],
             "Principal":{"RAM":"r","Service":["s","t"]},
             "Condition":{"ForAnyValue:StringEquals":{"k":["1","2"],"l":"v"},"Bool":{}}},
            {"Effect":"Deny","NotAction":"y","Resource":"*","Principal":{},"Condition":{}}]}"#;
        let p = Policy::from_json(src, Some(crate::policy::PolicyKind::Resource))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json_chars(&p), significant_chars(&p.to_json()));
    }
}

//! Equality of the policy tree: by meaning, never by where it was written.
//!
//! Each type that carries a `loc` of its own compares every other field.
//! The impls destructure `self` without `..`, so a field added to a type
//! fails to compile here until someone decides whether it is meaning.

use super::ast::{ConditionBlock, Policy, PrincipalBlock, Statement, ValueList};

impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        let Policy {
            kind,
            statements,
            loc: _,
        } = self;
        *kind == other.kind && *statements == other.statements
    }
}

impl Eq for Policy {}

impl PartialEq for Statement {
    fn eq(&self, other: &Self) -> bool {
        let Statement {
            sid,
            effect,
            action,
            resource,
            principal,
            condition,
            loc: _,
        } = self;
        *sid == other.sid
            && *effect == other.effect
            && *action == other.action
            && *resource == other.resource
            && *principal == other.principal
            && *condition == other.condition
    }
}

impl Eq for Statement {}

impl PartialEq for ValueList {
    fn eq(&self, other: &Self) -> bool {
        let ValueList { values, loc: _ } = self;
        *values == other.values
    }
}

impl Eq for ValueList {}

impl PartialEq for PrincipalBlock {
    fn eq(&self, other: &Self) -> bool {
        let PrincipalBlock { entries, loc: _ } = self;
        *entries == other.entries
    }
}

impl Eq for PrincipalBlock {}

impl PartialEq for ConditionBlock {
    fn eq(&self, other: &Self) -> bool {
        let ConditionBlock { operators, loc: _ } = self;
        *operators == other.operators
    }
}

impl Eq for ConditionBlock {}

#[cfg(test)]
mod tests {
    use crate::policy::{Loc, Policy, PolicyKind};

    const JSON: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow",
        "Action": ["log:GetLogStore"], "Resource": "*",
        "Condition": {"Bool": {"acs:SecureTransport": "true"}}}]}"#;

    #[test]
    fn trees_from_two_syntaxes_are_equal_though_their_locations_differ() {
        let json = Policy::from_json(JSON, Some(PolicyKind::Identity)).unwrap();
        let dsl = Policy::from_dsl(&json.to_dsl(), Some(PolicyKind::Identity)).unwrap();
        assert_eq!(json, dsl);
        assert_ne!(json.statements[0].loc, dsl.statements[0].loc);
    }

    #[test]
    fn a_change_of_meaning_is_unequal() {
        let a = Policy::from_json(JSON, Some(PolicyKind::Identity)).unwrap();
        let mut b = a.clone();
        b.statements[0].loc = Loc::NONE;
        assert_eq!(a, b);
        b.statements[0].action.negated = true;
        assert_ne!(a, b);
    }
}

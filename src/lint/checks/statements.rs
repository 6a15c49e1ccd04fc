//! Whole-statement checks: `Sid`s, empty lists, statements another one
//! already covers.

use std::collections::HashMap;

use crate::policy::pattern::Case;
use crate::policy::{ConditionBlock, Statement, ValueList};

use super::super::globs::covers;
use super::super::sink::Sink;
use super::{Doc, Stmt};

pub(super) fn check(doc: &Doc<'_>, sink: &mut Sink<'_>) {
    let mut sids: HashMap<&str, &str> = HashMap::new();
    for st in &doc.statements {
        let path = |e: &str| {
            if st.path.is_empty() {
                e.to_string()
            } else {
                format!("{}.{e}", st.path)
            }
        };
        if let Some(sid) = &st.s.sid {
            if sid.node.is_empty() {
                sink.emit(
                    "empty-sid",
                    sid.loc,
                    &path("Sid"),
                    "`Sid` is empty".into(),
                    Some("name the statement or delete the `Sid`".into()),
                );
            } else if let Some(first) = sids.get(sid.node.as_str()) {
                sink.emit(
                    "duplicate-sid",
                    sid.loc,
                    &path("Sid"),
                    format!("`Sid` `{}` is also the id of `{first}`", sid.node),
                    Some("give each statement its own `Sid`".into()),
                );
            } else {
                sids.insert(&sid.node, &st.path);
            }
        }
        let action = st.s.action.element();
        empty(&st.s.action.list, &path(action), action, sink);
        if let Some(r) = &st.s.resource {
            empty(r, &path("Resource"), "Resource", sink);
        }
    }
    redundant_statements(doc, sink);
}

fn empty(list: &ValueList, path: &str, element: &str, sink: &mut Sink<'_>) {
    if list.values.is_empty() {
        sink.emit(
            "empty-array",
            list.loc,
            path,
            format!("`{element}` is empty, so the statement never applies"),
            Some(format!("fill `{element}` or delete the statement")),
        );
    }
}

fn redundant_statements(doc: &Doc<'_>, sink: &mut Sink<'_>) {
    for (j, b) in doc.statements.iter().enumerate() {
        let by = doc
            .statements
            .iter()
            .enumerate()
            .find(|(i, a)| *i != j && covered(a.s, b.s) && (*i < j || !covered(b.s, a.s)));
        if let Some((_, a)) = by {
            sink.emit(
                "redundant-statement",
                first_char(b),
                &b.path,
                format!(
                    "statement `{}` is covered by statement `{}`",
                    name(b),
                    name(a)
                ),
                Some("delete the narrower statement".into()),
            );
        }
    }
}

fn name(st: &Stmt<'_>) -> String {
    match &st.s.sid {
        Some(sid) if !sid.node.is_empty() => sid.node.clone(),
        _ if st.path.is_empty() => "Statement".to_string(),
        _ => st.path.clone(),
    }
}

fn first_char(st: &Stmt<'_>) -> crate::policy::Loc {
    crate::policy::Loc {
        end: st.s.loc.start + 1,
        ..st.s.loc
    }
}

/// Whether statement `a` applies to every request `b` applies to, with the
/// same effect: then `b` changes nothing.
fn covered(a: &Statement, b: &Statement) -> bool {
    a.effect.node == b.effect.node
        && !a.action.negated
        && !b.action.negated
        && !b.action.list.values.is_empty()
        && a.principal == b.principal
        && same_condition(a.condition.as_ref(), b.condition.as_ref())
        && all_covered(&a.action.list, &b.action.list, Case::Insensitive)
        && match (&a.resource, &b.resource) {
            (Some(ra), Some(rb)) => all_covered(ra, rb, Case::Sensitive),
            (None, None) => true,
            _ => false,
        }
}

/// Equal conditions, `{}` being no condition.
fn same_condition(a: Option<&ConditionBlock>, b: Option<&ConditionBlock>) -> bool {
    let empty = |c: Option<&ConditionBlock>| c.is_none_or(|c| c.operators.is_empty());
    (empty(a) && empty(b)) || a == b
}

fn all_covered(wide: &ValueList, narrow: &ValueList, case: Case) -> bool {
    narrow
        .values
        .iter()
        .all(|n| wide.values.iter().any(|w| covers(w, n, case)))
}

//! Semantic checks on the policy AST: the same for JSON and DSL sources,
//! located by the `Loc`s the front ends put on every element.

mod accounts;
mod actions;
mod conditions;
mod principals;
mod resources;
mod services;
mod statements;

use crate::policy::{Dialect, PolicyKind, Statement, ValueList};

use super::catalogue::ServiceCatalogue;
use super::sink::Sink;

/// A statement with the JSON path it was read from (`Statement[2]`).
pub(crate) struct Stmt<'a> {
    pub(crate) path: String,
    pub(crate) s: &'a Statement,
}

/// What every check sees.
pub(crate) struct Doc<'a> {
    pub(crate) kind: PolicyKind,
    /// The resource-policy dialect; `None` for the other kinds.
    pub(crate) dialect: Option<Dialect>,
    pub(crate) statements: Vec<Stmt<'a>>,
    pub(crate) catalogue: &'static ServiceCatalogue,
}

/// Runs every semantic check.
pub(crate) fn run(doc: &Doc<'_>, sink: &mut Sink<'_>) {
    statements::check(doc, sink);
    for st in &doc.statements {
        actions::check(doc, st, sink);
        resources::check(doc, st, sink);
        conditions::check(doc, st, sink);
        principals::check(doc, st, sink);
    }
}

/// The JSON path of value `i` of a list element: `Statement[0].Action[1]`,
/// or `Statement[0].Action` when the list was written as one string.
pub(crate) fn value_path(stmt: &str, element: &str, list: &ValueList, i: usize) -> String {
    let base = if stmt.is_empty() {
        element.to_string()
    } else {
        format!("{stmt}.{element}")
    };
    if is_scalar(list) {
        base
    } else {
        format!("{base}[{i}]")
    }
}

/// Whether the list was written as a single string (its only value starts
/// where the list does).
pub(crate) fn is_scalar(list: &ValueList) -> bool {
    list.values.len() == 1
        && list.loc.is_known()
        && list
            .values
            .first()
            .is_some_and(|v| v.loc.start == list.loc.start)
}

/// `a`, `a` and `b`, `a`, `b` and 3 more: for messages naming several values.
pub(crate) fn list_some(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().take(3).map(|s| format!("`{s}`")).collect();
    let more = items.len().saturating_sub(3);
    match (quoted.as_slice(), more) {
        ([one], _) => one.clone(),
        ([a, b], _) => format!("{a} and {b}"),
        (_, 0) => quoted.join(", "),
        _ => format!("{} and {more} more", quoted.join(", ")),
    }
}

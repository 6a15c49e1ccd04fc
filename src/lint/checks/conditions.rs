//! `Condition`: key format and catalogue, set qualifiers, wildcards,
//! IP ranges, empty and redundant values.

use std::cmp::Ordering;

use ipnet::IpNet;

use crate::policy::condition::{
    Decimal, Family, Operator, Qualifier, parse_date, parse_ip_range, suggest,
};
use crate::policy::pattern::{Case, fold};
use crate::policy::{KeyValues, OperatorBlock};

use super::super::globs::covers;
use super::super::sink::Sink;
use super::{Doc, Stmt};

pub(super) fn check(doc: &Doc<'_>, st: &Stmt<'_>, sink: &mut Sink<'_>) {
    let Some(block) = &st.s.condition else { return };
    let cpath = join(&st.path, "Condition");
    if block.operators.is_empty() {
        sink.emit(
            "empty-condition",
            block.loc,
            &cpath,
            "`Condition` is empty and adds no condition".into(),
            Some("delete `\"Condition\": {}`".into()),
        );
    }
    for op in &block.operators {
        let opath = join(&cpath, &quote(&op.operator.node.to_string()));
        if op.keys.is_empty() {
            sink.emit(
                "empty-condition",
                op.operator.loc,
                &opath,
                format!("operator `{}` has no condition keys", op.operator.node),
                Some(format!(
                    "delete `{}` or add the keys to test",
                    op.operator.node
                )),
            );
        }
        for kv in &op.keys {
            let kpath = join(&opath, &quote(&kv.key.node));
            key(doc, op, kv, &kpath, sink);
            values(op, kv, &kpath, sink);
        }
    }
}

fn join(base: &str, element: &str) -> String {
    if base.is_empty() {
        element.to_string()
    } else {
        format!("{base}.{element}")
    }
}

/// Quotes a key that is not a plain identifier, as `policy::error::Path` does.
fn quote(key: &str) -> String {
    crate::policy::error::Path::root()
        .key(key)
        .as_str()
        .to_string()
}

/// `invalid-condition-key`, `unknown-condition-key`, `for-all-values-single-valued-key`.
fn key(doc: &Doc<'_>, op: &OperatorBlock, kv: &KeyValues, path: &str, sink: &mut Sink<'_>) {
    let cat = doc.catalogue;
    let k = kv.key.node.as_str();
    let well_formed = k.split_once(':').is_some_and(|(prefix, rest)| {
        !prefix.is_empty()
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !rest.is_empty()
            && !rest.chars().any(char::is_whitespace)
    });
    if !well_formed {
        let guess = format!("acs:{k}");
        let help = match cat.condition_key(&guess) {
            Some(_) => format!("did you mean `{guess}`?"),
            None => "condition keys are `<prefix>:<key>`, for example `acs:SourceIp`".to_string(),
        };
        sink.emit(
            "invalid-condition-key",
            kv.key.loc,
            path,
            format!("invalid condition key `{k}`: keys are `<prefix>:<key>`, and RAM evaluates a key no request carries as absent"),
            Some(help),
        );
        return;
    }
    let prefix = k.split(':').next().unwrap_or("");
    let Some(def) = cat.condition_key(k) else {
        // The keys the dialect's service evaluates (OSS's `oss:x-oss-acl`
        // in a bucket policy) are known there.
        let in_dialect = doc.dialect.is_some_and(|d| d.has_condition_key(k));
        if cat.knows_key_prefix(prefix) && !in_dialect {
            let help = suggest(k, cat.key_names().filter(|n| !n.contains('{')))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    "if the key is new, disable this check for the file or refresh the catalogue"
                        .into()
                });
            sink.emit(
                "unknown-condition-key",
                kv.key.loc,
                path,
                format!("unknown condition key `{k}`"),
                Some(help),
            );
        }
        return;
    };
    if op.operator.node.qualifier == Some(Qualifier::ForAllValues) && !def.multivalued {
        sink.emit(
            "for-all-values-single-valued-key",
            op.operator.loc,
            path,
            format!(
                "`ForAllValues:` on single-valued key `{k}` also holds when the request has no `{k}`"
            ),
            Some(format!("use `{}` without the qualifier", op.operator.node.operator)),
        );
    }
}

/// The value checks of one key.
fn values(op: &OperatorBlock, kv: &KeyValues, path: &str, sink: &mut Sink<'_>) {
    let operator = op.operator.node.operator;
    let list = &kv.values;
    if list.values.is_empty() {
        sink.emit(
            "empty-array",
            list.loc,
            path,
            format!(
                "`{}` lists no values, so the condition never holds",
                kv.key.node
            ),
            Some("add the values to compare with, or delete the key".into()),
        );
        return;
    }
    let is_source_ip = kv.key.node.eq_ignore_ascii_case("acs:SourceIp");
    for (i, v) in list.values.iter().enumerate() {
        let vpath = element_path(path, list, i);
        let text = v.node.as_str();
        if operator.family() == Family::String && !operator.is_like() && text.contains(['*', '?']) {
            let like = if operator.is_negated() {
                "StringNotLike"
            } else {
                "StringLike"
            };
            sink.emit(
                "wildcard-without-like",
                v.loc,
                &vpath,
                format!("`{text}` has a wildcard, but `{operator}` compares it literally"),
                Some(format!("use `{like}` to match `*` and `?` as wildcards")),
            );
        }
        if operator.family() == Family::Ip
            && let Ok(net) = parse_ip_range(text)
        {
            if is_source_ip && text.ends_with("/32") && matches!(net, IpNet::V4(_)) {
                let bare = text.trim_end_matches("/32");
                sink.emit(
                        "source-ip-host-route",
                        v.loc,
                        &vpath,
                        format!("`acs:SourceIp` value `{text}` uses the `/32` form RAM's documentation rules out"),
                        Some(format!("write `{bare}`")),
                    );
            } else if text.contains('/') && net.addr() != net.network() {
                sink.emit(
                    "ip-range-host-bits",
                    v.loc,
                    &vpath,
                    format!(
                        "CIDR range `{text}` has host bits set; it means `{}`",
                        net.trunc()
                    ),
                    Some(format!("write `{}`", net.trunc())),
                );
            }
        }
    }
    redundant(operator, kv, path, sink);
}

/// The path of value `i` of a key: `...."acs:SourceIp"[1]`, or the key's
/// path when its value was written as one string.
fn element_path(path: &str, list: &crate::policy::ValueList, i: usize) -> String {
    if super::is_scalar(list) {
        path.to_string()
    } else {
        format!("{path}[{i}]")
    }
}

/// `redundant-condition-value`: a value that repeats or is implied by another.
fn redundant(operator: Operator, kv: &KeyValues, path: &str, sink: &mut Sink<'_>) {
    let values = &kv.values.values;
    for (j, v) in values.iter().enumerate() {
        let by = values.iter().enumerate().find(|(i, w)| {
            *i != j && implies(operator, w, v) && (*i < j || !implies(operator, v, w))
        });
        if let Some((_, w)) = by {
            sink.emit(
                "redundant-condition-value",
                v.loc,
                &element_path(path, &kv.values, j),
                format!(
                    "value `{}` of `{}` adds nothing to `{}`",
                    v.node, kv.key.node, w.node
                ),
                Some(format!("delete `{}`", v.node)),
            );
        }
    }
}

/// Whether value `wide` makes value `narrow` unnecessary in one key's list
/// (a request value matches the list when it matches any value; for the
/// negated operators, when it matches none: either way a value whose
/// matches are a subset of another's adds nothing).
fn implies(operator: Operator, wide: &str, narrow: &str) -> bool {
    use Operator::*;
    match operator {
        StringEquals | StringNotEquals => wide == narrow,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => fold(wide) == fold(narrow),
        StringLike | StringNotLike => covers(wide, narrow, Case::Sensitive),
        Bool => wide == narrow,
        IpAddress | NotIpAddress => match (parse_ip_range(wide), parse_ip_range(narrow)) {
            (Ok(w), Ok(n)) => w.contains(&n),
            _ => false,
        },
        _ => ordered(operator, wide, narrow).unwrap_or(false),
    }
}

/// For the ordered operators: `x < 10` covers `x < 5`, `x > 1` covers
/// `x > 5`, and equal values cover each other.
fn ordered(operator: Operator, wide: &str, narrow: &str) -> Option<bool> {
    use Operator::*;
    let ord = match operator.family() {
        Family::Numeric => wide
            .parse::<Decimal>()
            .ok()?
            .cmp(&narrow.parse::<Decimal>().ok()?),
        Family::Date => parse_date(wide).ok()?.cmp(&parse_date(narrow).ok()?),
        _ => return None,
    };
    Some(match operator {
        NumericLessThan | NumericLessThanEquals | DateLessThan | DateLessThanEquals => {
            ord != Ordering::Less
        }
        NumericGreaterThan | NumericGreaterThanEquals | DateGreaterThan | DateGreaterThanEquals => {
            ord != Ordering::Greater
        }
        _ => ord == Ordering::Equal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_values_by_operator() {
        use Operator::*;
        assert!(implies(NumericLessThan, "10", "5"));
        assert!(!implies(NumericLessThan, "5", "10"));
        assert!(implies(NumericGreaterThan, "1", "5"));
        assert!(implies(NumericEquals, "1.0", "1"));
        assert!(!implies(NumericEquals, "2", "1"));
        assert!(implies(IpAddress, "10.0.0.0/8", "10.1.2.3"));
        assert!(implies(StringLike, "vpc-*", "vpc-1"));
        assert!(implies(StringEqualsIgnoreCase, "Prod", "PROD"));
        assert!(!implies(StringEquals, "Prod", "PROD"));
        assert!(implies(
            DateLessThan,
            "2020-01-01T00:00:00Z",
            "2019-01-01T00:00:00Z"
        ));
    }
}

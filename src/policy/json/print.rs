//! Policy AST → canonical JSON: stable key order, two-space indent, one
//! value written as a string and several as an array, as RAM stores them.

use crate::policy::ast::*;

/// Prints a policy as canonical JSON (with a trailing newline).
pub fn print_policy(policy: &Policy) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\n  \"Version\": \"1\",\n  \"Statement\": [");
    for (i, s) in policy.statements.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        statement(&mut out, s);
    }
    out.push_str("\n  ]\n}\n");
    out
}

fn statement(out: &mut String, s: &Statement) {
    let mut fields: Vec<(&str, String)> = Vec::new();
    if let Some(sid) = &s.sid {
        fields.push(("Sid", quote(&sid.node)));
    }
    fields.push(("Effect", quote(s.effect.node.as_str())));
    if let Some(values) = s.principal.as_ref().and_then(|p| p.plain()) {
        fields.push(("Principal", list(values, 4)));
    } else if let Some(p) = &s.principal {
        let entries: Vec<(String, String)> = p
            .entries
            .iter()
            .map(|e| (e.kind.node.as_str().to_string(), list(&e.values, 5)))
            .collect();
        fields.push(("Principal", object(&entries, 4)));
    }
    fields.push((s.action.element(), list(&s.action.list, 4)));
    if let Some(r) = &s.resource {
        fields.push(("Resource", list(r, 4)));
    }
    if let Some(c) = &s.condition {
        let ops: Vec<(String, String)> = c
            .operators
            .iter()
            .map(|op| {
                let keys: Vec<(String, String)> = op
                    .keys
                    .iter()
                    .map(|k| (k.key.node.clone(), list(&k.values, 6)))
                    .collect();
                (op.operator.node.to_string(), object(&keys, 5))
            })
            .collect();
        fields.push(("Condition", object(&ops, 4)));
    }
    out.push_str("    {");
    for (i, (k, v)) in fields.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str("      ");
        out.push_str(&quote(k));
        out.push_str(": ");
        out.push_str(v);
    }
    out.push_str("\n    }");
}

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    // Serialising a string cannot fail.
    serde_json::to_string(s).unwrap_or_default()
}

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

/// One value as a string, several as an array whose items sit at `level`.
fn list(values: &ValueList, level: usize) -> String {
    match values.values.as_slice() {
        [one] => quote(&one.node),
        [] => "[]".to_string(),
        many => {
            let items: Vec<String> = many
                .iter()
                .map(|v| format!("{}{}", indent(level), quote(&v.node)))
                .collect();
            format!("[\n{}\n{}]", items.join(",\n"), indent(level - 1))
        }
    }
}

/// An object whose members sit at `level`.
fn object(members: &[(String, String)], level: usize) -> String {
    if members.is_empty() {
        return "{}".to_string();
    }
    let items: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}{}: {}", indent(level), quote(k), v))
        .collect();
    format!("{{\n{}\n{}}}", items.join(",\n"), indent(level - 1))
}

#[cfg(test)]
mod tests {
    use crate::policy::{Policy, PolicyKind};

    #[test]
    fn arrays_and_objects_nest_two_spaces_per_level_in_a_stable_key_order() {
        let src = r#"{"Statement":[{"Condition":{"StringEquals":{"a":["1","2"],"b":"c"}},
            "Resource":"*","Action":["kms:A","kms:B"],"Principal":{"Service":["x","y"]},
            "Effect":"Allow","Sid":"S"}],"Version":"1"}"#;
        let p =
            Policy::from_json(src, Some(PolicyKind::Resource)).unwrap_or_else(|e| panic!("{e}"));
        let expected = r#"{
  "Version": "1",
  "Statement": [
    {
      "Sid": "S",
      "Effect": "Allow",
      "Principal": {
        "Service": [
          "x",
          "y"
        ]
      },
      "Action": [
        "kms:A",
        "kms:B"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "a": [
            "1",
            "2"
          ],
          "b": "c"
        }
      }
    }
  ]
}
"#;
        assert_eq!(p.to_json(), expected);
    }
}

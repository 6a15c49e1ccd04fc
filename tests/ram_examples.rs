//! The RAM documentation vectors that need one policy, or only identity
//! policies, run through the policy engine. (Vectors that combine trust,
//! session or resource policies with identity policies need the RAM
//! identity layer: `tests/ram_examples_directory.rs` runs every vector.)

mod common;

use ramgate::authz::{Authorizer, Decision, PolicySet};
use ramgate::policy::Policy;
use serde_json::Value;

/// Vectors that combine policy kinds (§8.2, §8.3, §8.5), and why they are
/// not run here.
const NEEDS_RAM_LAYER: &[(usize, &str)] = &[
    (
        20,
        "trust policy AND identity policy (AssumeRole, spec §8.3)",
    ),
    (
        21,
        "session policy intersected with the role's identity policy (spec §8.4)",
    ),
    (
        33,
        "KMS key policy OR/AND identity policies by account (spec §8.5)",
    ),
];

#[test]
fn every_single_policy_and_identity_only_vector_passes() {
    let vectors = common::vectors::load();
    assert_eq!(vectors.len(), 34);
    let mut failures = Vec::new();
    let mut ran = 0;
    for (i, v) in vectors.iter().enumerate() {
        let policies: Vec<(String, Value, Option<String>)> = if v.get("policy").is_some() {
            vec![("policy".to_string(), v["policy"].clone(), None)]
        } else if v["policies"]
            .as_array()
            .is_some_and(|ps| ps.iter().all(|p| p["kind"] == "identity"))
        {
            let ps = v["policies"].as_array().cloned().unwrap_or_default();
            ps.iter()
                .enumerate()
                .map(|(j, p)| {
                    (
                        format!("policies[{j}]"),
                        p["document"].clone(),
                        p["attached_to"].as_str().map(str::to_string),
                    )
                })
                .collect()
        } else {
            assert!(
                NEEDS_RAM_LAYER.iter().any(|(n, _)| *n == i),
                "vector {i} is skipped without a reason"
            );
            continue;
        };
        for (j, r) in v["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let request = common::vectors::request(r);
            // Identity policies apply to the user they are attached to, or
            // to the sessions of the role they are attached to.
            let caller = request
                .principal
                .as_ref()
                .map(|p| p.role_arn().unwrap_or_else(|| p.to_string()));
            let set = PolicySet::new(
                policies
                    .iter()
                    .filter(|(_, _, to)| to.is_none() || *to == caller)
                    .map(|(id, doc, _)| {
                        let policy = Policy::from_json(&doc.to_string(), None)
                            .unwrap_or_else(|e| panic!("vector {i}: {e}"));
                        (id.clone(), policy)
                    }),
            );
            let response = Authorizer::new().evaluate(&set, &request);
            let expected = r["expected"].as_str().unwrap_or_default();
            let got = if response.decision == Decision::Allow {
                "Allow"
            } else {
                "Deny"
            };
            ran += 1;
            if got != expected {
                failures.push(format!(
                    "vector {i} request {j}: expected {expected}, got {:?} ({})",
                    response.decision, r["why"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        ran,
        118 - 4 - 3 - 4,
        "every request of every vector run here"
    );
}

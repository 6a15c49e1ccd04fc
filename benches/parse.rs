//! DSL parse throughput against JSON parse throughput on the same policies:
//! every policy of the spec's test vectors and the example policies, each
//! in canonical JSON and canonical DSL, with serde_json's untyped parse of
//! the JSON as the baseline (no positions, no validation, no AST).
//!
//! `cargo bench --bench parse -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ramgate::policy::{Policy, PolicyKind};

/// (kind, canonical JSON, canonical DSL) of every policy.
fn corpus() -> Vec<(Option<PolicyKind>, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/data/ram-examples.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let vectors: Vec<serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut docs: Vec<(Option<PolicyKind>, String)> = Vec::new();
    for v in &vectors {
        if let Some(doc) = v.get("policy") {
            docs.push((None, doc.to_string()));
        }
        for p in v["policies"].as_array().into_iter().flatten() {
            let kind = p["kind"].as_str().and_then(|k| k.parse().ok());
            docs.push((kind, p["document"].to_string()));
        }
    }
    for name in ["kms-guarded.json", "sls-byok-trust.json"] {
        let path = root.join("examples/policies").join(name);
        docs.push((
            None,
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}")),
        ));
    }
    docs.into_iter()
        .map(|(kind, src)| {
            let p = Policy::from_json(&src, kind).unwrap_or_else(|e| panic!("{e}"));
            (kind, p.to_json(), p.to_dsl())
        })
        .collect()
}

/// One large resource policy (about 31,000 characters of JSON).
fn large() -> (Option<PolicyKind>, String, String) {
    let mut dsl = String::from("version 1\n");
    for i in 0..110 {
        dsl.push_str(&format!(
            "\n@sid(Statement{i})\nallow [kms:Decrypt, kms:GenerateDataKey]\n  principal ram acs:ram::1234567890123456:role/app-{i}\n  on acs:kms:cn-hangzhou:1234567890123456:key/key-{i}\n  when IpAddress acs:SourceIp [10.{i}.0.0/16, 192.168.{i}.0/24]\n"
        ));
    }
    let kind = Some(PolicyKind::Resource);
    let p = Policy::from_dsl(&dsl, kind).unwrap_or_else(|e| panic!("{e}"));
    (kind, p.to_json(), p.to_dsl())
}

fn bench_set(c: &mut Criterion, name: &str, set: &[(Option<PolicyKind>, String, String)]) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(set.len() as u64));
    group.bench_function("json", |b| {
        b.iter(|| {
            for (kind, json, _) in set {
                black_box(Policy::from_json(black_box(json), *kind).ok());
            }
        })
    });
    group.bench_function("dsl", |b| {
        b.iter(|| {
            for (kind, _, dsl) in set {
                black_box(Policy::from_dsl(black_box(dsl), *kind).ok());
            }
        })
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for (_, json, _) in set {
                black_box(serde_json::from_str::<serde_json::Value>(black_box(json)).ok());
            }
        })
    });
    group.finish();
}

fn parse(c: &mut Criterion) {
    let corpus = corpus();
    // Every policy must parse in both forms, or the bench measures errors.
    for (kind, json, dsl) in &corpus {
        assert!(Policy::from_json(json, *kind).is_ok() && Policy::from_dsl(dsl, *kind).is_ok());
    }
    bench_set(c, "parse_vectors", &corpus);
    bench_set(c, "parse_large", &[large()]);
}

criterion_group!(benches, parse);
criterion_main!(benches);

//! `ramgate lint` throughput: 1,000 generated policy files (in memory),
//! reported in files per second, next to the cost of merely parsing the same
//! texts with serde_json; and the 393 real documents of the corpus
//! (`tests/data/corpus/`, each with its `--kind` from `kinds.json`) linted
//! in one process, against the same baseline (goal: under 1 s for all).
//!
//! Run: `cargo bench --bench lint -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ramgate::lint::{Config, KindSpec, lint_document, lint_source};

const FILES: usize = 1_000;

/// A policy of the usual shapes: several statements with actions of known
/// and unknown services, ARNs, conditions; every tenth one has mistakes, so
/// the finding path (line index, messages) is measured too.
fn policy(i: usize) -> String {
    let project = format!("project-{i}");
    let broken = i.is_multiple_of(10);
    let effect = if broken { "allow" } else { "Allow" };
    let pass_role_resource = if broken {
        "acs:ram::*".to_string()
    } else {
        format!("acs:ram::1234567890123456:role/app-{i}")
    };
    format!(
        r#"{{
  "Version": "1",
  "Statement": [
    {{
      "Sid": "ReadLogs{i}",
      "Effect": "Allow",
      "Action": ["log:GetLogStore", "log:GetLogStoreLogs", "log:ListShards", "log:GetCursorOrData"],
      "Resource": ["acs:log:cn-hangzhou:1234567890123456:project/{project}/logstore/app-*", "acs:log:*:*:project/{project}/logstore/audit"],
      "Condition": {{
        "IpAddress": {{"acs:SourceIp": ["10.0.0.0/8", "192.168.{}.0/24"]}},
        "Bool": {{"acs:SecureTransport": "true"}}
      }}
    }},
    {{
      "Effect": "{effect}",
      "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
      "Resource": "acs:kms:cn-hangzhou:1234567890123456:key/key-{i:08}"
    }},
    {{
      "Effect": "Allow",
      "Action": "ram:PassRole",
      "Resource": "{pass_role_resource}",
      "Condition": {{"StringEquals": {{"acs:Service": "log.aliyuncs.com"}}}}
    }},
    {{
      "Effect": "Deny",
      "Action": ["oss:DeleteObject", "ecs:DeleteInstance", "vpc:DeleteVpc", "rds:DeleteDBInstance"],
      "Resource": "*",
      "Condition": {{"StringNotLike": {{"acs:SourceVpc": ["vpc-*"]}}}}
    }}
  ]
}}"#,
        i % 256
    )
}

fn bench(c: &mut Criterion) {
    let texts: Vec<String> = (0..FILES).map(policy).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let config = Config::default();
    // Sanity: the corpus parses and the broken tenth is reported.
    let findings: usize = texts
        .iter()
        .map(|t| lint_source(t, None, &config).len())
        .sum();
    assert!(findings >= FILES / 10, "{findings} findings");
    eprintln!("corpus: {FILES} files, {bytes} bytes, {findings} findings");

    let mut group = c.benchmark_group("lint_1000_files");
    group.throughput(Throughput::Elements(FILES as u64));
    group.bench_function("ramgate_lint", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(lint_source(black_box(t), None, &config));
            }
        })
    });
    group.bench_function("serde_json_parse_baseline", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(serde_json::from_str::<serde_json::Value>(black_box(t)).ok());
            }
        })
    });
    group.finish();
}

/// The corpus documents with their kinds, read once before measuring.
fn corpus() -> Vec<(Option<KindSpec>, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let kinds: serde_json::Value = serde_json::from_str(&read("kinds.json")).unwrap_or_default();
    kinds
        .as_object()
        .into_iter()
        .flatten()
        .map(|(file, kind)| (kind.as_str().and_then(|k| k.parse().ok()), read(file)))
        .collect()
}

fn bench_corpus(c: &mut Criterion) {
    let docs = corpus();
    assert_eq!(docs.len(), 393, "the corpus is in tests/data/corpus");
    let config = Config::default();
    let mut group = c.benchmark_group("lint_corpus_393_documents");
    group.throughput(Throughput::Elements(docs.len() as u64));
    group.bench_function("ramgate_lint", |b| {
        b.iter(|| {
            for (kind, text) in &docs {
                black_box(lint_document(black_box(text), *kind, &config));
            }
        })
    });
    group.bench_function("serde_json_parse_baseline", |b| {
        b.iter(|| {
            for (_, text) in &docs {
                black_box(serde_json::from_str::<serde_json::Value>(black_box(text)).ok());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_corpus);
criterion_main!(benches);

//! `cargo bench --bench eval`: ramgate's three decision paths against Cedar
//! on the same policies and requests (see `docs/performance.md`).
//!
//! Groups: `W1`, `W2`, `W3` (ramgate `decide` / `evaluate` / `explain` and
//! `cedar` in each), and `scaling` (`decide` and `cedar` from 10 to 10,000
//! statements). Before anything is timed, every workload is checked: Cedar
//! and ramgate reach the same decision for the same statements on every
//! request, and ramgate's three paths agree with each other.

mod cedar;
mod workload;

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use ramgate::authz::{Authorizer, PolicySet, Request};
use ramgate::policy::Policy;

use cedar::Cedar;
use workload::{NamedPolicy, Req};

/// A workload compiled for both engines, with its requests in both forms.
struct Prepared {
    set: PolicySet,
    cedar: Cedar,
    ours: Vec<Request>,
    theirs: Vec<cedar_policy::Request>,
}

fn ramgate_request(r: &Req) -> Request {
    r.context
        .iter()
        .fold(Request::new(&r.action, &r.resource), |q, (k, v)| {
            q.with_context(k, [v.as_str()])
        })
}

fn ramgate_set(policies: &[NamedPolicy]) -> PolicySet {
    PolicySet::new(policies.iter().map(|p| {
        let text = p.json.to_string();
        let policy = Policy::from_json(&text, None).unwrap_or_else(|e| panic!("{}: {e}", p.id));
        (p.id.clone(), policy)
    }))
}

/// Compiles a workload for both engines and checks that they agree on
/// `checked` (the timed requests are checked too).
fn prepare(name: &str, policies: &[NamedPolicy], timed: &[Req], checked: &[Req]) -> Prepared {
    let set = ramgate_set(policies);
    let cedar = Cedar::new(policies);
    let authorizer = Authorizer::new();
    let mut decisions = [0usize; 3];
    for r in checked.iter().chain(timed) {
        let q = ramgate_request(r);
        let ours = authorizer.evaluate(&set, &q);
        let (traced, _) = authorizer.explain(&set, &q);
        assert_eq!(
            ours, traced,
            "{name}: evaluate and explain differ for {r:?}"
        );
        assert_eq!(authorizer.decide(&set, &q), ours.decision, "{name}: {r:?}");
        cedar::assert_agree(name, r, &ours, &cedar.is_authorized(&cedar::request(r)));
        decisions[ours.decision as usize] += 1;
    }
    let seed = authorizer.evaluate(&set, &ramgate_request(&workload::seed_request()));
    eprintln!(
        "{name}: {} policies, {} statements; ramgate and Cedar agree on {} requests \
         (Allow {}, ExplicitDeny {}, ImplicitDeny {}); the seed request: {} with {} reasons",
        set.policies().len(),
        set.statement_count(),
        checked.len() + timed.len(),
        decisions[0],
        decisions[1],
        decisions[2],
        seed.decision,
        seed.reasons.len(),
    );
    Prepared {
        set,
        ours: timed.iter().map(ramgate_request).collect(),
        theirs: timed.iter().map(cedar::request).collect(),
        cedar,
    }
}

/// The four contenders on one prepared workload. `slow`: some take
/// milliseconds (Cedar and the full trace on 1,000+ statements), so take
/// fewer, equal-length samples.
fn contenders(c: &mut Criterion, group: &str, w: &Prepared, slow: bool) {
    let mut g = c.benchmark_group(group);
    if slow {
        g.sample_size(20).sampling_mode(SamplingMode::Flat);
    }
    g.throughput(Throughput::Elements(w.ours.len() as u64));
    let authorizer = Authorizer::new();
    g.bench_function("ramgate/decide", |b| {
        b.iter(|| {
            for r in &w.ours {
                black_box(authorizer.decide(black_box(&w.set), black_box(r)));
            }
        })
    });
    g.bench_function("ramgate/evaluate", |b| {
        b.iter(|| {
            for r in &w.ours {
                black_box(authorizer.evaluate(black_box(&w.set), black_box(r)));
            }
        })
    });
    g.bench_function("ramgate/explain", |b| {
        b.iter(|| {
            for r in &w.ours {
                black_box(authorizer.explain(black_box(&w.set), black_box(r)));
            }
        })
    });
    g.bench_function("cedar", |b| {
        b.iter(|| {
            for r in &w.theirs {
                black_box(w.cedar.is_authorized(black_box(r)));
            }
        })
    });
    g.finish();
}

fn w1_requests() -> Vec<Req> {
    let seed = workload::seed_request();
    let mut out = vec![seed.clone()];
    // Outside a VPC: the custom policy's guard denies.
    out.push(Req {
        context: seed.context[1..].to_vec(),
        ..seed.clone()
    });
    for action in [
        "kms:DisableKey",
        "kms:DescribeKey",
        "kms:ListKeys",
        "log:GetLogStore",
    ] {
        out.push(Req {
            action: action.into(),
            ..seed.clone()
        });
    }
    out
}

fn eval(c: &mut Criterion) {
    let seed = [workload::seed_request()];

    let w1 = workload::w1();
    let mut checked = w1_requests();
    checked.extend(workload::requests(11, &w1, 200));
    contenders(c, "W1", &prepare("W1", &w1, &seed, &checked), false);

    let w2 = workload::w2();
    let mixed = workload::requests(21, &w2, 32);
    let checked = workload::requests(22, &w2, 300);
    contenders(c, "W2", &prepare("W2", &w2, &mixed, &checked), true);

    let w3 = workload::large_account(10_000);
    let checked = workload::requests(31, &w3, 100);
    contenders(c, "W3", &prepare("W3", &w3, &seed, &checked), true);

    let mut g = c.benchmark_group("scaling");
    g.sample_size(20).sampling_mode(SamplingMode::Flat);
    let authorizer = Authorizer::new();
    for n in [10, 100, 1_000, 10_000] {
        let policies = workload::large_account(n);
        let checked = workload::requests(41, &policies, 50);
        let w = prepare(&format!("scaling/{n}"), &policies, &seed, &checked);
        g.bench_with_input(BenchmarkId::new("ramgate-decide", n), &w, |b, w| {
            b.iter(|| black_box(authorizer.decide(&w.set, &w.ours[0])))
        });
        g.bench_with_input(BenchmarkId::new("ramgate-evaluate", n), &w, |b, w| {
            b.iter(|| black_box(authorizer.evaluate(&w.set, &w.ours[0])))
        });
        g.bench_with_input(BenchmarkId::new("cedar", n), &w, |b, w| {
            b.iter(|| black_box(w.cedar.is_authorized(&w.theirs[0])))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = eval
}
criterion_main!(benches);

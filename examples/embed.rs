//! Embedding the engine in a service: a `PolicySet` parsed and compiled
//! once at start-up, shared by worker threads through `Arc`, each thread
//! authorizing its own requests and logging why a refusal was refused.
//!
//! It needs no feature (`default-features = false` is enough):
//!
//! ```sh
//! cargo run --example embed --no-default-features
//! ```

use std::error::Error;
use std::sync::Arc;
use std::thread;

use ramgate::authz::{Authorizer, Decision, PolicySet, Request};
use ramgate::policy::Policy;

const KEY: &str = "acs:kms:cn-hangzhou:1234567890123456:key/k1";

fn main() -> Result<(), Box<dyn Error>> {
    for line in run()? {
        println!("{line}");
    }
    Ok(())
}

/// Runs the workers and returns their lines, in worker order so the output
/// is the same on every run (`tests/embed.rs` compares it with the README).
pub fn run() -> Result<Vec<String>, Box<dyn Error>> {
    // Parse once, compile once; every thread reads the same set.
    let src = std::fs::read_to_string("examples/policies/kms-guarded.json")?;
    let policy = Policy::parse(&src, None)?;
    let set = Arc::new(PolicySet::new([("kms-guarded.json", policy)]));

    // Each worker has its own requests: (action, source VPC).
    let workers: [&[(&str, &str)]; 3] = [
        &[
            ("kms:GenerateDataKey", "vpc-orders"),
            ("kms:Decrypt", "vpc-orders"),
        ],
        &[
            ("kms:DescribeKey", "vpc-admin"),
            ("kms:DisableKey", "vpc-admin"),
        ],
        &[("kms:Decrypt", "classic"), ("kms:CreateKey", "vpc-admin")],
    ];
    let handles: Vec<_> = workers
        .into_iter()
        .map(|requests| {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                let authorizer = Authorizer::new();
                requests
                    .iter()
                    .map(|&(action, vpc)| {
                        let request =
                            Request::new(action, KEY).with_context("acs:SourceVpc", [vpc]);
                        describe(&request, &authorizer.evaluate(&set, &request))
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();

    let mut out = Vec::new();
    for (n, handle) in handles.into_iter().enumerate() {
        let lines = handle.join().map_err(|_| "a worker panicked")?;
        out.extend(lines.into_iter().map(|line| format!("worker {n}: {line}")));
    }
    Ok(out)
}

/// One line per request: the decision, and for a refusal what refused it.
fn describe(request: &Request, response: &ramgate::authz::Response) -> String {
    let vpc = request.context.get("acs:SourceVpc").and_then(|v| v.first());
    let what = format!(
        "{} from {}",
        request.action,
        vpc.map_or("-", |v| v.as_str())
    );
    match response.decision {
        Decision::Allow => format!("{what}: Allow"),
        Decision::ImplicitDeny => format!("{what}: ImplicitDeny (no statement allows it)"),
        Decision::ExplicitDeny => {
            let by: Vec<String> = response
                .reasons
                .iter()
                .map(|r| {
                    let sid = r.sid.as_deref().unwrap_or("(no Sid)");
                    format!("{} {sid} at {}:{}", r.policy, r.line, r.column)
                })
                .collect();
            format!("{what}: ExplicitDeny by {}", by.join(", "))
        }
    }
}

//! The bound on requests in flight. Each request holds a pass from before
//! its body is read until its answer is built, so at most
//! [`MAX_IN_FLIGHT`] bodies (each up to
//! [`MAX_WIRE_BODY`](super::front::MAX_WIRE_BODY)) and handlers on blocking
//! threads exist at once; further requests wait for a pass, in order of
//! arrival, and are never refused for it (the SDK would retry a refusal).

use tokio::sync::{Semaphore, SemaphorePermit};

/// Requests in flight at once by default: 64 bodies of at most 4 MiB is
/// 256 MiB, while tokio's 512 blocking threads could otherwise hold 2 GiB.
pub const MAX_IN_FLIGHT: usize = 64;

/// At most so many requests in flight; the rest wait.
#[derive(Debug)]
pub struct InFlight {
    passes: Semaphore,
    bound: usize,
}

/// A request's place in flight, given back on drop.
#[derive(Debug)]
pub struct Pass<'a> {
    _permit: Option<SemaphorePermit<'a>>,
}

impl InFlight {
    /// A bound of `bound` requests (at least one: no bound of zero, which
    /// would answer nothing).
    pub fn new(bound: usize) -> InFlight {
        let bound = bound.clamp(1, Semaphore::MAX_PERMITS);
        InFlight {
            passes: Semaphore::new(bound),
            bound,
        }
    }

    /// The bound.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Waits for a place in flight.
    pub async fn enter(&self) -> Pass<'_> {
        // `acquire` fails only on a closed semaphore, and this one is never
        // closed; were it, requests would go unbounded rather than stop.
        Pass {
            _permit: self.passes.acquire().await.ok(),
        }
    }

    /// How many requests are in flight now.
    pub fn in_flight(&self) -> usize {
        self.bound - self.passes.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Eight requests against a bound of three, each holding its pass until
    /// released: three get in, the other five wait (not refused), and all
    /// eight finish once released. The counter inside the passes never
    /// passes three, whatever the scheduling (no timing involved).
    #[test]
    fn no_more_than_the_bound_are_in_flight_and_the_rest_wait() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(async {
            let limit = Arc::new(InFlight::new(3));
            let inside = Arc::new(AtomicUsize::new(0));
            let peak = Arc::new(AtomicUsize::new(0));
            let release = Arc::new(Semaphore::new(0));
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let (limit, inside, peak, release) =
                        (limit.clone(), inside.clone(), peak.clone(), release.clone());
                    tokio::spawn(async move {
                        let _pass = limit.enter().await;
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        if let Ok(go) = release.acquire().await {
                            go.forget();
                        }
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            while inside.load(Ordering::SeqCst) < 3 {
                tokio::task::yield_now().await;
            }
            // Give the five others every chance to get in (they must not).
            for _ in 0..1000 {
                tokio::task::yield_now().await;
            }
            assert_eq!(inside.load(Ordering::SeqCst), 3);
            assert_eq!(limit.in_flight(), 3);
            release.add_permits(8);
            for t in tasks {
                t.await.unwrap_or_else(|e| panic!("{e}"));
            }
            assert_eq!(peak.load(Ordering::SeqCst), 3);
            assert_eq!(limit.in_flight(), 0);
        });
    }

    #[test]
    fn a_bound_of_zero_still_lets_one_request_in() {
        let limit = InFlight::new(0);
        assert_eq!(limit.bound(), 1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(async {
            let _pass = limit.enter().await;
            assert_eq!(limit.in_flight(), 1);
        });
    }
}

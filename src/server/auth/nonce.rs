//! The replay cache: a POP request's `SignatureNonce` may be used once.
//!
//! A nonce only has to be remembered while a request carrying it could
//! still pass the freshness check: [`MAX_CLOCK_SKEW`] either side of its
//! signing time. Entries older than that are dropped as new ones arrive, so
//! memory is bounded by the request rate; a hard [`NonceCache::capacity`]
//! bounds it whatever the rate, and past it new requests are refused
//! (fail closed) rather than old nonces forgotten early.
//!
//! The cache is in memory and does not survive a restart: a request
//! replayed across a restart still has to be fresh, which bounds the
//! window to 15 minutes.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use time::OffsetDateTime;

use super::MAX_CLOCK_SKEW;

/// Why a nonce was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonceError {
    /// Seen before within its window.
    #[error("the signature nonce `{0}` has been used")]
    Used(String),
    /// The cache is full of nonces still within their window.
    #[error("too many signed requests within 15 minutes; retry later")]
    Full,
}

impl NonceError {
    /// Alibaba's code.
    pub fn code(&self) -> &'static str {
        match self {
            NonceError::Used(_) => "SignatureNonceUsed",
            NonceError::Full => "Throttling",
        }
    }

    /// The HTTP status: 400 for a replay, 429 when the cache is full.
    pub fn http_status(&self) -> u16 {
        match self {
            NonceError::Used(_) => 400,
            NonceError::Full => 429,
        }
    }
}

/// Nonces seen within their freshness window, per access key.
#[derive(Debug)]
pub struct NonceCache {
    inner: Mutex<Seen>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Seen {
    /// (access key, nonce) pairs currently remembered.
    set: HashSet<(String, String)>,
    /// The same pairs in arrival order, with the time each may be forgotten.
    order: VecDeque<(OffsetDateTime, (String, String))>,
}

impl NonceCache {
    /// A cache that remembers at most `capacity` nonces at once.
    pub fn new(capacity: usize) -> NonceCache {
        NonceCache {
            inner: Mutex::new(Seen::default()),
            capacity,
        }
    }

    /// The most nonces remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Records `nonce` for `access_key` at `now`, or refuses it when it was
    /// seen within its window. Call it only for requests whose signature
    /// and freshness were verified, so nobody can fill the cache without a
    /// secret.
    pub fn check(
        &self,
        access_key: &str,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<(), NonceError> {
        // A poisoned lock only means another thread panicked mid-insert;
        // the sets are still consistent enough to refuse replays.
        let mut seen = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((forget_at, _)) = seen.order.front() {
            if *forget_at > now {
                break;
            }
            if let Some((_, pair)) = seen.order.pop_front() {
                seen.set.remove(&pair);
            }
        }
        let pair = (access_key.to_string(), nonce.to_string());
        if seen.set.contains(&pair) {
            return Err(NonceError::Used(crate::terminal::clip(nonce).into_owned()));
        }
        if seen.set.len() >= self.capacity {
            return Err(NonceError::Full);
        }
        // Remembered until no request signed with it can be fresh: it was
        // signed at most 15 minutes before `now` and stays fresh for at
        // most 15 minutes after signing, plus the skew the other way.
        let forget_at = now + MAX_CLOCK_SKEW * 2;
        seen.set.insert(pair.clone());
        seen.order.push_back((forget_at, pair));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    fn t(minutes: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
    }

    #[test]
    fn a_nonce_is_used_once_per_key_within_its_window() {
        let cache = NonceCache::new(10);
        assert_eq!(cache.check("ak", "n1", t(0)), Ok(()));
        let e = cache.check("ak", "n1", t(29)).unwrap_err();
        assert_eq!((e.code(), e.http_status()), ("SignatureNonceUsed", 400));
        // Another key may use the same nonce.
        assert_eq!(cache.check("other", "n1", t(1)), Ok(()));
        // After the window it is forgotten: no request with it is fresh now.
        assert_eq!(cache.check("ak", "n1", t(31)), Ok(()));
    }

    #[test]
    fn a_full_cache_refuses_instead_of_forgetting() {
        let cache = NonceCache::new(2);
        assert!(cache.check("ak", "a", t(0)).is_ok());
        assert!(cache.check("ak", "b", t(0)).is_ok());
        let e = cache.check("ak", "c", t(1)).unwrap_err();
        assert_eq!((e.code(), e.http_status()), ("Throttling", 429));
        assert_eq!(
            cache.check("ak", "a", t(1)).map_err(|e| e.code()),
            Err("SignatureNonceUsed")
        );
        // Once the old ones expire there is room again.
        assert!(cache.check("ak", "c", t(31)).is_ok());
    }
}

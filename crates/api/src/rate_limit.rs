//! Kisi's rate limit: 5 requests per second per user (all of a user's
//! logins share it), per client address when unauthenticated, with a burst.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter as Governor};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    User(i64),
    Link(i64),
    Reader(i64),
    Address(IpAddr),
}

/// `None` inside when the limit is off (`--rate-limit-per-second 0`).
#[derive(Clone)]
pub struct RateLimiter(Option<Arc<DefaultKeyedRateLimiter<RateKey>>>);

impl RateLimiter {
    pub fn new(per_second: u32, burst: u32) -> Self {
        let Some(rate) = NonZeroU32::new(per_second) else {
            return RateLimiter(None);
        };
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        RateLimiter(Some(Arc::new(Governor::keyed(
            Quota::per_second(rate).allow_burst(burst),
        ))))
    }

    pub fn disabled() -> Self {
        RateLimiter(None)
    }

    /// Whether one more request of `key` may pass now.
    pub fn check(&self, key: &RateKey) -> bool {
        self.0
            .as_ref()
            .is_none_or(|limiter| limiter.check_key(key).is_ok())
    }

    /// Forgets idle keys now and then so memory stays bounded.
    pub fn spawn_housekeeping(&self) {
        if let Some(limiter) = self.0.clone() {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_key_separately_after_the_burst() {
        let limiter = RateLimiter::new(5, 10);
        let alice = RateKey::User(1);
        let passed = (0..30).filter(|_| limiter.check(&alice)).count();
        assert!((10..=12).contains(&passed), "burst of 10, got {passed}");
        assert!(
            limiter.check(&RateKey::User(2)),
            "another user has its own quota"
        );
        assert!(limiter.check(&RateKey::Address(IpAddr::from([127, 0, 0, 1]))));
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0, 0);
        assert!((0..1000).all(|_| limiter.check(&RateKey::User(1))));
    }
}

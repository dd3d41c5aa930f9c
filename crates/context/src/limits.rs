//! Rate limits: how often one client address (an IPv6 client by its /64),
//! one signing peer or one platform token may knock at each door of the node. Each limit is a
//! sustained rate per minute with a burst (GCRA, `governor`); a request
//! over it is answered 429 with the wait in `Retry-After`.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use passerelle_config::{Rate, RateLimitSettings};
use passerelle_model::error::{Error, Result};

/// The doors that are limited, each keyed by who knocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// `POST /inbox`, per client address.
    InboxPerAddress,
    /// `POST /inbox`, per signing actor.
    InboxPerActor,
    /// Public and signed reads (ActivityPub, WebFinger), per client address.
    ReadsPerAddress,
    /// Signed reads, per signing actor.
    ReadsPerActor,
    /// Console sign-in attempts, per client address.
    SignInPerAddress,
    /// The platform and admin API, per bearer token that verifies.
    ApiPerToken,
    /// The API without a token that verifies, per client address.
    ApiPerAddress,
}

/// Forgotten keys are swept after this many checks of one door.
const SWEEP_EVERY: u64 = 4096;

struct Limiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
}

impl Limiter {
    fn new(rate: &Rate) -> Limiter {
        let limiter = NonZeroU32::new(rate.per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
            DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
        });
        Limiter {
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    fn check(&self, key: &str) -> Result<()> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::TooManyRequests(wait.max(Duration::from_secs(1)))
        })
    }
}

pub struct RateLimits {
    inbox_per_address: Limiter,
    inbox_per_actor: Limiter,
    reads_per_address: Limiter,
    reads_per_actor: Limiter,
    sign_in_per_address: Limiter,
    api_per_token: Limiter,
    api_per_address: Limiter,
}

impl RateLimits {
    pub fn new(settings: &RateLimitSettings) -> RateLimits {
        RateLimits {
            inbox_per_address: Limiter::new(&settings.inbox_per_address),
            inbox_per_actor: Limiter::new(&settings.inbox_per_actor),
            reads_per_address: Limiter::new(&settings.reads_per_address),
            reads_per_actor: Limiter::new(&settings.reads_per_actor),
            sign_in_per_address: Limiter::new(&settings.sign_in_per_address),
            api_per_token: Limiter::new(&settings.api_per_token),
            api_per_address: Limiter::new(&settings.api_per_address),
        }
    }

    /// Counts one knock of `key` at `door`; `TooManyRequests` when over.
    pub fn check(&self, door: Door, key: &str) -> Result<()> {
        let limiter = match door {
            Door::InboxPerAddress => &self.inbox_per_address,
            Door::InboxPerActor => &self.inbox_per_actor,
            Door::ReadsPerAddress => &self.reads_per_address,
            Door::ReadsPerActor => &self.reads_per_actor,
            Door::SignInPerAddress => &self.sign_in_per_address,
            Door::ApiPerToken => &self.api_per_token,
            Door::ApiPerAddress => &self.api_per_address,
        };
        limiter.check(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_next_waits() {
        let rate = Rate {
            per_minute: 60,
            burst: 3,
        };
        let limiter = Limiter::new(&rate);
        for _ in 0..3 {
            assert!(limiter.check("a").is_ok());
        }
        match limiter.check("a") {
            Err(Error::TooManyRequests(wait)) => assert!(wait <= Duration::from_secs(1)),
            other => panic!("{other:?}"),
        }
        assert!(limiter.check("b").is_ok(), "keys are limited apart");
        let off = Limiter::new(&Rate {
            per_minute: 0,
            burst: 0,
        });
        for _ in 0..1000 {
            assert!(off.check("a").is_ok());
        }
    }
}

//! How replicas on one database split the delivery streams: each says it
//! is alive once per poll (`domain::liveness`) and claims at most its fair
//! share of the busy streams, so a backlog is driven by every replica
//! rather than by the first to ask. A replica that stops answering is no
//! longer counted, and the others take its share once its leases lapse.

use std::time::{Duration, Instant};

use crate::context::Context;
use crate::domain::liveness;

pub struct Share {
    replicas: i64,
    said_at: Option<Instant>,
    every: Duration,
}

impl Share {
    pub fn new(every: Duration) -> Self {
        Share {
            replicas: 1,
            said_at: None,
            every,
        }
    }

    /// Whether other replicas were alive at the last heartbeat.
    pub fn has_peers(&self) -> bool {
        self.replicas > 1
    }

    /// How many more streams this replica may claim, holding `held` and
    /// with room for `free`.
    pub async fn claimable(&mut self, state: &Context, held: usize, free: usize) -> usize {
        if self.said_at.is_none_or(|at| at.elapsed() >= self.every) {
            match liveness::heartbeat(state).await {
                Ok(alive) => self.replicas = alive.max(1),
                Err(e) => tracing::warn!(error = %e, "delivery: cannot record this replica"),
            }
            self.said_at = Some(Instant::now());
        }
        if self.replicas == 1 {
            return free;
        }
        match state.store.busy_delivery_streams().await {
            Ok(busy) => fair_share(busy, self.replicas)
                .saturating_sub(held)
                .min(free),
            Err(e) => {
                tracing::warn!(error = %e, "delivery: cannot count busy streams");
                free
            }
        }
    }
}

/// Streams one of `replicas` may drive out of `busy`: rounded up, so that
/// every busy stream has a replica and none is left waiting.
fn fair_share(busy: i64, replicas: i64) -> usize {
    let replicas = replicas.max(1);
    usize::try_from((busy + replicas - 1) / replicas).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::fair_share;

    #[test]
    fn every_busy_stream_has_a_replica() {
        assert_eq!(fair_share(3, 2), 2);
        assert_eq!(fair_share(4, 2), 2);
        assert_eq!(fair_share(1, 3), 1);
        assert_eq!(fair_share(0, 2), 0);
        assert_eq!(fair_share(7, 1), 7);
    }
}

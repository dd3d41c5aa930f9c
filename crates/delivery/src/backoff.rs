//! When to try a failing peer again: exponential backoff with jitter,
//! capped so that a peer back after an outage is found within the hour.

use rand::Rng;

const FIRST_RETRY_MS: i64 = 2_000;
const MAX_RETRY_MS: i64 = 60 * 60 * 1000;

/// Delay before attempt `failures + 1`, ±20% jitter so peers that failed
/// together do not all retry together.
pub fn retry_delay_ms(failures: i64) -> i64 {
    let exponent = u32::try_from(failures.clamp(0, 20)).unwrap_or(20);
    let base = FIRST_RETRY_MS
        .saturating_mul(1_i64 << exponent)
        .min(MAX_RETRY_MS);
    let jitter = rand::thread_rng().gen_range(-base / 5..=base / 5);
    (base + jitter).max(FIRST_RETRY_MS / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps() {
        assert!(retry_delay_ms(0) <= 2_400);
        assert!(retry_delay_ms(3) >= 12_800 && retry_delay_ms(3) <= 19_200);
        assert!(retry_delay_ms(40) <= MAX_RETRY_MS + MAX_RETRY_MS / 5);
    }
}

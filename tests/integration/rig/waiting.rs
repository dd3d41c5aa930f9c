//! Waiting in tests: look at what can be observed, again every `STEP`,
//! never sleep for a guessed time.

use std::future::Future;
use std::time::{Duration, Instant};

/// Time between two looks at what a test waits for: short, so a test
/// moves on as soon as it can, and no test holds still for long.
pub const STEP: Duration = Duration::from_millis(100);

/// Polls `check` until it returns `Some`, failing after `seconds`.
pub async fn eventually<T, F, Fut>(what: &str, seconds: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(STEP).await;
    }
}

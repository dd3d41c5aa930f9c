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

/// Checks `holds` every `STEP` until `window` has passed, failing at the
/// first look where it does not: how a test shows that something does
/// not happen within a window the product defines (a retry that must not
/// come yet, a limit that must hold).
pub async fn holds_for<F, Fut>(what: &str, window: Duration, mut holds: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    let end = start + window;
    loop {
        let looked_at = Instant::now();
        assert!(
            holds().await,
            "{what}: no longer true {:.1} s into the {:.1} s window",
            (looked_at - start).as_secs_f64(),
            window.as_secs_f64()
        );
        if looked_at >= end {
            return;
        }
        tokio::time::sleep(STEP.min(end - looked_at)).await;
    }
}

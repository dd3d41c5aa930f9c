//! RSA signing off the async workers: each signature (about 0.2 ms of CPU
//! with AWS-LC) runs on a blocking thread, and at most one per core at a
//! time, so a burst of deliveries neither stalls the tasks serving
//! requests nor oversubscribes the cores. Ed25519 signatures (a few
//! microseconds) are made in place: the hop would cost more than they do.

use std::sync::LazyLock;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{Error, Result};

static CORES: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
});

/// Runs `job` on a blocking thread once a core is free for it.
pub async fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _core = permit().await?;
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| Error::Internal(format!("signing: {e}")))
}

async fn permit() -> Result<SemaphorePermit<'static>> {
    CORES
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("signing: {e}")))
}

/// For code already on a blocking thread (the draft-cavage signer's
/// callback): waits there for a core.
pub fn blocking_permit() -> Result<SemaphorePermit<'static>> {
    tokio::runtime::Handle::try_current()
        .map_err(|e| Error::Internal(format!("signing: {e}")))?
        .block_on(permit())
}

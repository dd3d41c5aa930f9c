//! Group commit for the inbox: the writes of activities verified at the
//! same time share one change transaction, each in a part of its own (a
//! savepoint), and each request hears its outcome only once that
//! transaction committed.
//!
//! One task writes; the requests hand it their work. While it commits a
//! batch, the next one gathers in its queue, so a lone request waits for
//! nothing and a crowd pays one commit (and, on SQLite, one turn of the
//! single writer lock) per batch instead of one per activity. What takes
//! time without writing — signatures, proofs, fetches — stays with the
//! requests, outside the transaction.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use tokio::sync::{Notify, mpsc, oneshot};

use passerelle_model::error::{Error, Result};
use passerelle_observability::metrics::Metrics;
use passerelle_store::{ChangeTx, Store};

/// The most activities one transaction takes: enough to amortise a commit
/// over a crowd, few enough that one batch stays short.
pub const MOST_PER_BATCH: usize = 64;

/// Requests waiting for the writer beyond this wait for room in the queue.
const QUEUE: usize = 1_024;

pub type Written<T> = Pin<Box<dyn Future<Output = (ChangeTx, Result<T>)> + Send>>;

/// One activity's writes, run in the batch's transaction; it tells whether
/// it failed (its part is then undone) and how to answer its request once
/// the batch has committed, or not.
type Job = Box<dyn FnOnce(ChangeTx) -> Pin<Box<dyn Future<Output = Ran> + Send>> + Send>;

struct Ran {
    tx: ChangeTx,
    failed: bool,
    answer: Box<dyn FnOnce(std::result::Result<(), ()>) + Send>,
}

/// The inbox's writer, started on first use (within the runtime).
pub struct Intake {
    writer: Writer,
    queue: OnceLock<mpsc::Sender<Job>>,
}

/// What the writer needs besides the work: where to write, whom to wake.
#[derive(Clone)]
struct Writer {
    store: Store,
    delivery_wakeup: Arc<Notify>,
    webhook_wakeup: Arc<Notify>,
    metrics: Metrics,
}

impl Intake {
    pub fn new(
        store: Store,
        delivery_wakeup: Arc<Notify>,
        webhook_wakeup: Arc<Notify>,
        metrics: Metrics,
    ) -> Intake {
        Intake {
            writer: Writer {
                store,
                delivery_wakeup,
                webhook_wakeup,
                metrics,
            },
            queue: OnceLock::new(),
        }
    }

    /// How many activities wait for the writer (not counting the batch it
    /// is writing).
    pub fn queued(&self) -> usize {
        self.queue
            .get()
            .map_or(0, |queue| queue.max_capacity() - queue.capacity())
    }

    /// Runs `work` in the next batch and answers once that batch committed:
    /// `work`'s own result then, an error (the sender retries) if the
    /// commit failed. A failing `work` undoes its own writes only.
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(ChangeTx) -> Written<T> + Send + 'static,
    {
        let (reply, answered) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |tx| {
            Box::pin(async move {
                let (tx, result) = work(tx).await;
                Ran {
                    tx,
                    failed: result.is_err(),
                    answer: Box::new(move |committed| {
                        let answer = match committed {
                            Ok(()) => result,
                            // The cause is in the writer's log, not for the sender.
                            Err(()) => Err(Error::Unavailable(
                                "the activity could not be stored; retry later".into(),
                            )),
                        };
                        // The request may be gone; its work is done or undone either way.
                        let _ = reply.send(answer);
                    }),
                }
            })
        });
        let queue = self.queue.get_or_init(|| {
            let (queue, jobs) = mpsc::channel(QUEUE);
            tokio::spawn(run(self.writer.clone(), jobs));
            queue
        });
        queue
            .send(job)
            .await
            .map_err(|_| Error::Internal("the inbox writer has stopped".into()))?;
        // Dropped unrun: its batch could not begin. Nothing of it was
        // written; the sender retries.
        answered.await.map_err(|_| {
            Error::Unavailable("the activity could not be stored; retry later".into())
        })?
    }
}

/// Until every sender is gone (the node's context dropped): take what is
/// queued, up to [`MOST_PER_BATCH`], write it in one transaction, answer.
/// Each batch runs in a task of its own: one that panics rolls back
/// (its requests are answered "retry later") and the writer goes on.
async fn run(writer: Writer, mut jobs: mpsc::Receiver<Job>) {
    let writer = Arc::new(writer);
    let mut batch = Vec::with_capacity(MOST_PER_BATCH);
    while jobs.recv_many(&mut batch, MOST_PER_BATCH).await > 0 {
        let taken = std::mem::replace(&mut batch, Vec::with_capacity(MOST_PER_BATCH));
        if let Err(e) = tokio::spawn(commit_batch(writer.clone(), taken)).await {
            tracing::error!(error = %e, "an inbox batch failed: its senders retry");
        }
    }
}

async fn commit_batch(writer: Arc<Writer>, batch: Vec<Job>) {
    let size = batch.len();
    writer
        .metrics
        .inbox_batch_size
        .observe(f64::from(u32::try_from(size).unwrap_or(u32::MAX)));
    let (committed, answers) = match write_batch(&writer, batch).await {
        Ok((tx, answers)) => (tx.commit().await, answers),
        Err((e, answers)) => (Err(e), answers),
    };
    let committed = match committed {
        Ok(()) => {
            writer.delivery_wakeup.notify_one();
            writer.webhook_wakeup.notify_one();
            Ok(())
        }
        Err(e) => {
            tracing::warn!(error = %e, size, "an inbox batch did not commit: its senders retry");
            Err(())
        }
    };
    for answer in answers {
        answer(committed);
    }
}

type Answers = Vec<Box<dyn FnOnce(std::result::Result<(), ()>) + Send>>;

/// The batch's work, each in its part of one transaction. A database error
/// around the parts (begin, a savepoint) fails the whole batch: nothing of
/// it commits and every request is told to retry.
async fn write_batch(
    writer: &Writer,
    batch: Vec<Job>,
) -> std::result::Result<(ChangeTx, Answers), (Error, Answers)> {
    // On an early return the jobs not yet run are dropped: their requests
    // are answered "retry later".
    let mut answers: Answers = Vec::with_capacity(batch.len());
    let mut tx = match writer.store.begin_change().await {
        Ok(tx) => tx,
        Err(e) => return Err((e, answers)),
    };
    for job in batch {
        if let Err(e) = tx.begin_part().await {
            return Err((e, answers));
        }
        let ran = job(tx).await;
        tx = ran.tx;
        answers.push(ran.answer);
        if ran.failed {
            if let Err(e) = tx.undo_part().await {
                return Err((e, answers));
            }
        }
    }
    Ok((tx, answers))
}

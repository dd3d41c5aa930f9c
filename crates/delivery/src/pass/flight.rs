//! A pass's activities sent through the peer's window, one per object, settled as they land.

use std::future::Future;
use std::time::Duration;

use http::StatusCode;
use tokio::task::{JoinError, JoinSet};

use super::{Ended, StreamPass};
use crate::addressing::to_followers;
use crate::error::Result;
use crate::model::ActivityKind;
use crate::sender::{Outcome, post};
use crate::store::OutgoingActivity;

/// A request that came back: the activity, the type of what was sent for
/// it, and the answer.
struct Landed {
    activity: OutgoingActivity,
    sent_kind: ActivityKind,
    outcome: Outcome,
}

/// Why a pass sends nothing more; what is in flight still lands.
enum Stop {
    /// Half the lease is gone: the stream is given back with work waiting.
    LeaseRunningOut,
    /// An attempt is to be retried: the stream waits.
    Failed {
        activity_uri: String,
        error: String,
        retry_after: Option<Duration>,
    },
    /// The peer's inbox answered 404 or 410.
    Gone(StatusCode),
}

impl StreamPass<'_> {
    /// Sends up to `batch` activities through the window, in log order per
    /// object; the first failure stops new sends, and what is in flight
    /// lands before the cursor is written.
    pub(super) async fn send_batch(&mut self, batch: i64) -> Result<Ended> {
        let activities = self
            .state
            .store
            .activities_after(self.stream.cursor, batch)
            .await?;
        let full_batch = crate::model::count(activities.len()) == batch;
        let mut sends = JoinSet::new();
        let mut stop = None;
        'activities: for activity in activities {
            // Stop well before the lease runs out, so no other replica can
            // take the stream over while this one still sends.
            if self.started.elapsed() > self.state.settings.delivery.lease / 2 {
                stop = Some(Stop::LeaseRunningOut);
                break;
            }
            while !self.flight.may_start(activity.object_id) {
                let Some(joined) = sends.join_next().await else {
                    break;
                };
                stop = self.settle(joined).await?;
                if stop.is_some() {
                    break 'activities;
                }
            }
            match self.content_for(&activity).await? {
                None => self.flight.pass_over(activity.id),
                Some((document, sent_kind)) => {
                    let document = document.into_owned();
                    self.flight.start(activity.id, activity.object_id);
                    sends.spawn(self.send(activity, document, sent_kind));
                }
            }
        }
        while let Some(joined) = sends.join_next().await {
            let also = self.settle(joined).await?;
            stop = stop.or(also);
        }
        match stop {
            None => {
                self.checkpoint(true).await?;
                Ok(Ended::Released(full_batch))
            }
            Some(Stop::LeaseRunningOut) => {
                self.checkpoint(true).await?;
                Ok(Ended::Released(true))
            }
            Some(Stop::Failed {
                activity_uri,
                error,
                retry_after,
            }) => {
                self.retry_later(&activity_uri, &error, retry_after).await?;
                Ok(Ended::Released(false))
            }
            Some(Stop::Gone(status)) => {
                self.gone(status).await?;
                Ok(Ended::Holding)
            }
        }
    }

    /// The POST of `document` (of type `sent_kind`) for `activity`, as a
    /// task of its own that owns what it needs.
    fn send(
        &self,
        activity: OutgoingActivity,
        document: String,
        sent_kind: ActivityKind,
    ) -> impl Future<Output = Landed> + Send + 'static {
        let failures_so_far = if self.delivered_any {
            0
        } else {
            self.stream.failures
        };
        let followers_sync = self
            .followers_sync
            .clone()
            .filter(|_| to_followers(&activity) && sent_kind == activity.kind);
        let (state, peer, inbox) = (self.state.clone(), self.peer.clone(), self.inbox.clone());
        async move {
            let outcome = post(
                &state,
                &peer,
                &inbox,
                (&document, followers_sync.as_deref()),
                failures_so_far,
            )
            .await;
            Landed {
                activity,
                sent_kind,
                outcome,
            }
        }
    }

    /// Records how a request landed, frees its place in the window, and
    /// says whether the pass is to send nothing more.
    async fn settle(&mut self, joined: Result<Landed, JoinError>) -> Result<Option<Stop>> {
        let Landed {
            activity,
            sent_kind,
            outcome,
        } = match joined {
            Ok(landed) => landed,
            Err(e) => {
                // The task died: its activity stays below the cursor and
                // is sent again on the next pass.
                self.failed += 1;
                self.count("failed");
                return Ok(Some(Stop::Failed {
                    activity_uri: String::from("(a send task)"),
                    error: format!("the send task ended: {e}"),
                    retry_after: None,
                }));
            }
        };
        let (id, object) = (activity.id, activity.object_id);
        match outcome {
            Outcome::Delivered => {
                self.flight.landed(id, object, true);
                self.flight.acknowledged();
                self.show_window();
                self.delivered(&activity, sent_kind);
                Ok(None)
            }
            Outcome::Refused(status) => {
                self.failed += 1;
                self.flight.landed(id, object, true);
                self.refused_by_peer(&activity, status).await?;
                Ok(None)
            }
            Outcome::Gone(status) => {
                self.failed += 1;
                self.count("gone");
                self.flight.landed(id, object, false);
                Ok(Some(Stop::Gone(status)))
            }
            Outcome::Failed {
                error,
                retry_after,
                slow_down,
            } => {
                self.failed += 1;
                self.count("failed");
                self.flight.landed(id, object, false);
                if slow_down && !self.slowed_down {
                    self.slowed_down = true;
                    self.flight.slow_down();
                    self.show_window();
                }
                Ok(Some(Stop::Failed {
                    activity_uri: activity.uri,
                    error,
                    retry_after,
                }))
            }
        }
    }
}

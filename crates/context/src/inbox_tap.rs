//! A copy of each activity the inbox is sent, with what its checks
//! decided, for the developer's `passerelle inbox` to print. A serving node
//! has no listener, and then nothing is copied.

use serde_json::Value;
use tokio::sync::broadcast;

/// Activities kept for a listener that falls behind; older ones are
/// dropped (the listener is told how many).
const BACKLOG: usize = 256;

/// One activity as the inbox saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub activity: Value,
    /// The verified signer's actor, or why the signature was refused.
    pub signature: Result<String, String>,
    /// The answer the sender got: accepted, or the refusal.
    pub outcome: Result<(), String>,
}

pub struct InboxTap(broadcast::Sender<Received>);

impl Default for InboxTap {
    fn default() -> InboxTap {
        InboxTap(broadcast::channel(BACKLOG).0)
    }
}

impl InboxTap {
    pub fn subscribe(&self) -> broadcast::Receiver<Received> {
        self.0.subscribe()
    }

    /// Whether anyone listens: the caller copies the activity only then.
    pub fn listened(&self) -> bool {
        self.0.receiver_count() > 0
    }

    pub fn send(&self, received: Received) {
        // No listener left: nothing to tell.
        let _ = self.0.send(received);
    }
}

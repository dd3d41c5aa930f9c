//! The peers whose catalog backfill is running in this process: a peer
//! cannot make the node walk its collections twice at once.

use passerelle_model::PeerId;
use std::collections::HashSet;
use std::sync::Mutex;

/// The peers whose backfill is running on this node.
#[derive(Default)]
pub struct RunningBackfills(Mutex<HashSet<PeerId>>);

impl RunningBackfills {
    /// Marks `peer_id`'s backfill running: false when it already was.
    pub fn start(&self, peer_id: PeerId) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(peer_id)
    }

    pub fn finish(&self, peer_id: PeerId) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&peer_id);
    }
}

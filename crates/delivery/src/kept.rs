//! The windows kept from one pass to the next, for approved followers only: a peer that stops following or whose inbox is gone has its window dropped, and with it its `passerelle_delivery_window` series.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::model::PeerId;
use crate::window::Window;

/// Each follower's window as its last pass left it, so a peer that asked
/// us to slow down is not sent a full window again at its next pass (kept
/// in this process: a restart opens every window fully).
#[derive(Clone, Default)]
pub struct Windows(Arc<Mutex<HashMap<PeerId, Kept>>>);

struct Kept {
    window: Window,
    /// The actor the peer's gauge series is labelled with.
    actor: String,
}

impl Windows {
    /// The map, even after a pass panicked holding it: a window is a hint,
    /// never left half-written.
    fn lock(&self) -> MutexGuard<'_, HashMap<PeerId, Kept>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, peer: PeerId) -> Option<Window> {
        self.lock().get(&peer).map(|kept| kept.window)
    }

    /// Keeps `peer`'s window (its gauge labelled `actor`) for its next pass.
    pub fn keep(&self, peer: PeerId, actor: &str, window: Window) {
        let kept = Kept {
            window,
            actor: actor.to_owned(),
        };
        self.lock().insert(peer, kept);
    }

    /// Drops `peer`'s window; the actor of its gauge series, if one was kept.
    pub fn forget(&self, peer: PeerId) -> Option<String> {
        self.lock().remove(&peer).map(|kept| kept.actor)
    }

    /// Keeps the windows of `followers` only: the actors of those dropped
    /// (peers that stopped following since their last pass, which may not
    /// come for a long while).
    pub fn retain(&self, followers: &HashSet<PeerId>) -> Vec<String> {
        let mut dropped = Vec::new();
        self.lock().retain(|peer, kept| {
            let keep = followers.contains(peer);
            if !keep {
                dropped.push(std::mem::take(&mut kept.actor));
            }
            keep
        });
        dropped
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(id: i64) -> PeerId {
        PeerId(id)
    }

    #[test]
    fn a_forgotten_window_opens_fully_and_names_its_series() {
        let windows = Windows::default();
        let mut slowed = Window::new(8);
        slowed.slow_down();
        windows.keep(peer(1), "https://a.example/actor", slowed);
        assert_eq!(windows.get(peer(1)).map(|w| w.size()), Some(4));
        assert_eq!(
            windows.forget(peer(1)).as_deref(),
            Some("https://a.example/actor")
        );
        assert_eq!(windows.get(peer(1)), None, "the next pass opens fully");
        assert_eq!(windows.forget(peer(1)), None);
    }

    #[test]
    fn only_followers_windows_are_retained() {
        let windows = Windows::default();
        windows.keep(peer(1), "https://a.example/actor", Window::new(8));
        windows.keep(peer(2), "https://b.example/actor", Window::new(8));
        windows.keep(peer(3), "https://c.example/actor", Window::new(8));
        let followers = HashSet::from([peer(2)]);
        let mut dropped = windows.retain(&followers);
        dropped.sort();
        assert_eq!(
            dropped,
            ["https://a.example/actor", "https://c.example/actor"]
        );
        assert_eq!(windows.len(), 1);
        assert!(windows.get(peer(2)).is_some());
    }
}

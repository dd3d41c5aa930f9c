//! What each server accepted of the HTTP signature schemes, remembered
//! per origin for as long as the process runs (which scheme to try first
//! is `apub::knocking`'s to decide).

use std::collections::HashMap;
use std::sync::Mutex;

/// Origins remembered at once; beyond, the map starts afresh.
const MAX_REMEMBERED: usize = 10_000;

/// How one request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    Rfc9421Ed25519,
    Rfc9421Rsa,
    Cavage,
}

impl Signing {
    /// The metric label of the scheme.
    pub fn label(self) -> &'static str {
        match self {
            Signing::Rfc9421Ed25519 => "rfc9421-ed25519",
            Signing::Rfc9421Rsa => "rfc9421-rsa",
            Signing::Cavage => "cavage",
        }
    }
}

/// What each server accepted, by origin.
#[derive(Default)]
pub struct Knocking {
    accepted: Mutex<HashMap<String, Signing>>,
}

impl Knocking {
    /// The scheme `origin` accepted last, if any.
    pub fn accepted(&self, origin: &str) -> Option<Signing> {
        self.lock().get(origin).copied()
    }

    /// `origin` accepted a request signed with `signing`.
    pub fn remember(&self, origin: &str, signing: Signing) {
        let mut accepted = self.lock();
        if accepted.len() >= MAX_REMEMBERED {
            accepted.clear();
        }
        accepted.insert(origin.to_owned(), signing);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Signing>> {
        self.accepted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

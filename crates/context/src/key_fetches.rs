//! The memory of the key fetches of the current window: per URL the one
//! fetch every request shares, per origin how many were started (the
//! bounds are `apub::key_fetches`'s to apply).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::OnceCell;
use url::Url;

/// URLs (and origins) remembered at once; the oldest is forgotten first.
const MAX_REMEMBERED: usize = 10_000;

/// The fetches of the current window: per URL, the one fetch shared by
/// every request that needs it; per origin, how many were started.
pub struct KeyFetches {
    window: Duration,
    per_origin: u32,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    fetches: HashMap<String, KeyFetch>,
    origins: HashMap<String, Budget>,
}

#[derive(Clone)]
pub struct KeyFetch {
    started: Instant,
    /// The document, or `None` when it could not be fetched.
    pub document: Arc<OnceCell<Option<Value>>>,
}

struct Budget {
    started: Instant,
    spent: u32,
}

/// Forgets what started a window ago, then the oldest, to stay bounded.
fn bounded<V>(map: &mut HashMap<String, V>, window: Duration, started: impl Fn(&V) -> Instant) {
    if map.len() < MAX_REMEMBERED {
        return;
    }
    map.retain(|_, value| started(value).elapsed() < window);
    if map.len() >= MAX_REMEMBERED {
        if let Some(oldest) = map
            .iter()
            .min_by_key(|(_, value)| started(value))
            .map(|(key, _)| key.clone())
        {
            map.remove(&oldest);
        }
    }
}

impl KeyFetches {
    /// At most one fetch per URL and `per_origin` per origin in `window`.
    pub fn new(window: Duration, per_origin: u32) -> KeyFetches {
        KeyFetches {
            window,
            per_origin,
            state: Mutex::new(State::default()),
        }
    }

    /// The fetch of `url` for this window: the one already started if
    /// there is one, else a new one if `url`'s origin has budget left, else
    /// how long until it has.
    pub fn slot(&self, url: &Url) -> std::result::Result<KeyFetch, Duration> {
        let window = self.window;
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(fetch) = state.fetches.get(url.as_str()) {
            if fetch.started.elapsed() < window {
                return Ok(fetch.clone());
            }
        }
        let origin = url.origin().ascii_serialization();
        bounded(&mut state.origins, window, |budget| budget.started);
        let budget = state.origins.entry(origin).or_insert(Budget {
            started: Instant::now(),
            spent: 0,
        });
        if budget.started.elapsed() >= window {
            *budget = Budget {
                started: Instant::now(),
                spent: 0,
            };
        }
        if budget.spent >= self.per_origin {
            return Err(window.saturating_sub(budget.started.elapsed()));
        }
        budget.spent += 1;
        bounded(&mut state.fetches, window, |fetch| fetch.started);
        let fetch = KeyFetch {
            started: Instant::now(),
            document: Arc::new(OnceCell::new()),
        };
        state.fetches.insert(url.as_str().to_owned(), fetch.clone());
        Ok(fetch)
    }
}

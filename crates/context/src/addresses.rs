//! The node's other addresses as the serving process knows them: read from
//! the database at most once a second, so a move recorded by the command
//! line, or by another replica, takes effect within a second without a
//! query on every request.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use url::Url;

use passerelle_model::error::Result;
use passerelle_store::{AddressRelation, Store};

/// How long a reading serves before the database is asked again.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// Where the node moved, and when (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedTo {
    pub actor: Url,
    pub at: i64,
}

/// The node's other addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeAddresses {
    /// Where the node was before (its actor's `alsoKnownAs`).
    pub earlier: Vec<Url>,
    /// Where it moved (its actor's `movedTo`), once it did.
    pub moved_to: Option<MovedTo>,
}

/// The last reading of the node's addresses.
#[derive(Default)]
pub struct KnownAddresses {
    reading: Mutex<Option<(Instant, Arc<NodeAddresses>)>>,
}

impl KnownAddresses {
    /// The node's addresses, read again when the last reading is over a
    /// second old.
    pub async fn get(&self, store: &Store) -> Result<Arc<NodeAddresses>> {
        if let Some((at, addresses)) = self.lock().as_ref() {
            if at.elapsed() < FRESH_FOR {
                return Ok(Arc::clone(addresses));
            }
        }
        let mut addresses = NodeAddresses::default();
        for row in store.node_addresses().await? {
            // A row this node wrote; one it cannot parse is not an address.
            let Ok(actor) = Url::parse(&row.actor_uri) else {
                continue;
            };
            match row.relation {
                AddressRelation::Earlier => addresses.earlier.push(actor),
                AddressRelation::MovedTo => {
                    addresses.moved_to = Some(MovedTo {
                        actor,
                        at: row.recorded_at,
                    });
                }
            }
        }
        let addresses = Arc::new(addresses);
        *self.lock() = Some((Instant::now(), Arc::clone(&addresses)));
        Ok(addresses)
    }

    /// Forgets the last reading: this process just changed the addresses.
    pub fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<NodeAddresses>)>> {
        // A panic while holding this lock cannot leave a half-written
        // reading: the value is replaced whole.
        self.reading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

//! Delivery streams: each peer's position in the activity log, the lease
//! that lets one replica drive it, how each pass ends, and what each peer
//! received of our objects.

mod hours;
mod leases;
mod outcomes;
mod receipts;
mod streams;

pub use hours::{HOUR_MS, HourRow};
pub use outcomes::{PassEnd, StreamProgress};
pub(crate) use receipts::stored_kind;
pub use receipts::{Receipt, ReceiptRow};
pub use streams::{OutgoingActivity, StreamRow};

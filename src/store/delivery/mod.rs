//! Delivery streams: each peer's position in the activity log, the lease
//! that lets one replica drive it, how each pass ends, and what each peer
//! received of our objects.

mod leases;
mod outcomes;
mod receipts;
mod streams;

pub use outcomes::StreamProgress;
pub use receipts::ReceiptRow;
pub use streams::{OutgoingActivity, StreamRow};

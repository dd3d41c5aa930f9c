//! The tools a developer points at a node while writing a platform or a
//! peer: `passerelle lookup` and `passerelle inbox`, run as binaries
//! against real nodes.

mod inbox;
mod lookup;

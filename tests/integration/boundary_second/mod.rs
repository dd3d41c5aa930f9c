//! The boundary, second pass (issue 24): each module is one hostile party's
//! attempt, tried from outside with stub peers that count what they receive.

mod agreements;
mod archive;
mod host_binding;
mod key_fetches;
mod limits;
mod votes;

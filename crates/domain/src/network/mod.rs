//! Network membership (issue 27): who belongs to a network is decided by
//! the network. The charter's host keeps the signed member directory,
//! takes `Join` requests and runs inclusion and exclusion votes (the
//! amendment vote machinery, `crate::amendments`); every member node in
//! `network` admission applies the directory: it follows and approves the
//! members and excludes those removed, unless its admin overrides.

mod apply;
pub mod candidacy;
pub mod directory;
pub mod intake;
pub mod joins;
pub mod membership;
pub mod outcome;
pub mod overrides;
pub mod participation;
pub mod votes;

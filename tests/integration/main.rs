//! Integration tests: real nodes on loopback ports, spoken to over HTTP,
//! on SQLite and on PostgreSQL. One test binary keeps link time low.

mod rig;
mod signing;

mod actor;
mod catalog;
mod cli;
mod discovery;
mod documents;
mod durability;
mod federation;
mod inbox;
mod jsonld;
mod ops;
mod outbox;
mod publishing;
mod replicas;

//! Integration tests: real nodes on loopback ports, spoken to over HTTP,
//! on SQLite and on PostgreSQL. One test binary keeps link time low.

mod mock_peer;
mod rig;
mod signing;

mod actor;
mod boundary;
mod browser;
mod catalog;
mod cli;
mod console;
mod demo;
mod discovery;
mod documents;
mod durability;
mod federation;
mod fedify;
mod inbox;
mod interop;
mod jsonld;
mod ops;
mod outbox;
mod postgres_restart;
mod process;
mod publishing;
mod reliability;
mod replicas;

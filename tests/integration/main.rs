//! Integration tests: real nodes on loopback ports, spoken to over HTTP,
//! on SQLite and on PostgreSQL. One test binary keeps link time low.

// A test is a scenario read top to bottom, and its counts and timings are
// small: the crate's length and cast lints are for the product's code.
#![allow(
    clippy::too_many_lines,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::needless_pass_by_value
)]

mod mock_peer;
mod rig;
mod sharing;
mod signing;

mod access;
mod actor;
mod admin_pages;
mod agreements;
mod amendments;
mod archive;
mod boundary;
mod boundary_second;
mod browser;
mod catalog;
mod cli;
mod console;
mod console_truth;
mod demo;
mod deploy_files;
mod deploy_start;
mod developer_tools;
mod dfc;
mod discovery;
mod docs_drift;
mod documents;
mod durability;
mod federation;
mod fedify;
mod inbox;
mod intake;
mod interop;
mod jsonld;
mod layers;
mod membership;
mod monitoring;
mod moving;
mod network;
mod ops;
mod outbox;
mod periodic;
mod postgres_restart;
mod process;
mod progress;
mod publishing;
mod readme_contents;
mod reliability;
mod replicas;
mod replicas_proxy;
mod rotation;
mod webhook_doc;
mod window;

//! The DFC bridge (issue 16): an Open Food Network hub's Data Food
//! Consortium catalog becomes FEP-0837 offers through the platform API's
//! own publication path, and the offers a node holds are served back as a
//! DFC graph.
//!
//! JSON-LD is read by a documented reader of the compacted form
//! (`context`, `graph`), not by a JSON-LD processor crate: DFC platforms
//! serve compacted documents under a handful of known contexts, which are
//! shipped in `schemas/dfc/` and never fetched; resolving prefixes, terms
//! and `@vocab`, flattening `@graph` and nested (blank) nodes, and
//! reading numbers written as strings is all the catalog needs. A full
//! processor (the `json-ld` crate) would bring a large dependency tree
//! and a document loader to stub out for no gain on these documents.
//!
//! Modules: `context` (the contexts), `graph` (the reader, with `node`),
//! `outside` (received text cut short, language maps), `measures` (units
//! and currencies), `mapping` (DFC → offer payloads), `export` (offers →
//! DFC), `source` (HTTP), `import` (a run, all or nothing), `forget` (a
//! source's offers removed),
//! `schedule` (the configured sources' runs), `views` (what the API and
//! the console read).

pub mod admin;
pub mod context;
pub mod export;
pub mod forget;
pub mod graph;
pub mod import;
pub mod mapping;
pub mod measures;
pub mod node;
pub mod outside;
pub mod schedule;
pub mod source;
pub mod views;

pub use forget::forget;
pub use import::{RunReport, run};
pub use source::Source;

#[cfg(test)]
mod reader_tests;
#[cfg(test)]
mod tests;

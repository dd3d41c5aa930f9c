//! A node of a DFC graph (`graph`): its id, types and property values.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A node: by `@id`, or an embedded (possibly blank) node.
    Node(String),
    Text(String),
    Number(f64),
}

#[derive(Debug, Clone, Default)]
pub struct Node {
    pub id: String,
    pub types: Vec<String>,
    pub(super) properties: HashMap<String, Vec<Term>>,
}

impl Node {
    pub fn is_blank(&self) -> bool {
        self.id.starts_with("_:")
    }

    pub fn has_type(&self, iri: &str) -> bool {
        self.types.iter().any(|t| t == iri)
    }

    pub fn values(&self, property: &str) -> &[Term] {
        self.properties.get(property).map_or(&[], Vec::as_slice)
    }
}

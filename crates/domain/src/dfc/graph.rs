//! A DFC document read as a graph of nodes: the compacted JSON-LD form DFC
//! platforms serve (`@graph` or nested objects, blank nodes, numbers or
//! strings), with every property and type expanded by the document's
//! context (`context`). Nested objects become nodes of their own
//! referenced from where they were; a node met twice has its properties
//! merged. Blank-node labels are scoped per document read (`_:x` of the
//! n-th document is `_:d{n}.x`) and embedded objects without `@id` get
//! `_:n{k}`, which no label becomes: nothing merges by accident. JSON-LD
//! the reader does not support (`@reverse`, `@included`, a nested
//! `@graph`, language maps…) is malformed, never skipped. Types and
//! reverse references are indexed once per read, so lookups do not scan.
//! Whether a string value is an IRI or a literal is decided by whoever
//! reads it (`reference` or `text`), as DFC's contexts decide it per
//! property.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::dfc::context::Context;
pub use crate::dfc::node::{Node, Term};
use crate::dfc::outside::is_language_map;
pub use crate::dfc::outside::quoted;
use crate::error::{Error, Result};

/// Deepest nesting read: deeper documents are refused, not overflowed.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone)]
pub struct Graph {
    context: Context,
    nodes: HashMap<String, Node>,
    /// Node ids in the order the document gave them.
    order: Vec<String>,
    /// Nodes generated for embedded objects without `@id`: `_:n1`, `_:n2`…,
    /// a namespace no document label reaches (those become `_:d{n}.label`).
    blank: usize,
    /// Documents read so far: each gets its own blank-node scope.
    documents: usize,
    /// Node ids by type, in document order (built after each read).
    by_type: HashMap<String, Vec<String>>,
    /// Who names a node: (property, target id) → referring node ids, in
    /// document order (built after each read).
    referrers: HashMap<(String, String), Vec<String>>,
    /// Each node's place in `order`.
    positions: HashMap<String, usize>,
}

impl Graph {
    /// Reads a whole DFC document; anything but a JSON object (or an
    /// array of them) is malformed.
    pub fn read(document: &Value) -> Result<Graph> {
        let mut graph = Graph {
            context: Context::of(document.get("@context")),
            nodes: HashMap::new(),
            order: Vec::new(),
            blank: 0,
            documents: 0,
            by_type: HashMap::new(),
            referrers: HashMap::new(),
            positions: HashMap::new(),
        };
        graph.merge(document)?;
        Ok(graph)
    }

    /// Adds the nodes of another document (an enterprise or address
    /// fetched apart), read with its own context and its own blank-node
    /// scope: `_:x` of one document is not `_:x` of another.
    pub fn merge(&mut self, document: &Value) -> Result<()> {
        let own = self.context.clone();
        if let Some(declared) = document.get("@context") {
            self.context = Context::of(Some(declared));
        }
        self.documents += 1;
        let read = match document {
            Value::Array(items) => items.iter().try_for_each(|item| self.top(item)),
            Value::Object(_) => self.top(document),
            _ => Err(malformed("the document is not a JSON-LD object")),
        };
        self.context = own;
        self.reindex();
        read
    }

    /// Rebuilds the type and reverse indexes, so lookups never scan the
    /// graph per item.
    fn reindex(&mut self) {
        let mut by_type: HashMap<String, Vec<String>> = HashMap::new();
        let mut referrers: HashMap<(String, String), Vec<String>> = HashMap::new();
        for id in &self.order {
            let Some(node) = self.nodes.get(id) else {
                continue;
            };
            for t in &node.types {
                by_type.entry(t.clone()).or_default().push(id.clone());
            }
            for property in node.properties.keys() {
                for target in self.references(node, property) {
                    let named = referrers.entry((property.clone(), target)).or_default();
                    if named.last() != Some(id) {
                        named.push(id.clone());
                    }
                }
            }
        }
        self.by_type = by_type;
        self.referrers = referrers;
        self.positions = self
            .order
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
    }

    /// A node id as this graph keeps it: IRIs expanded, blank labels
    /// scoped to the document being read.
    fn node_id(&self, id: &str) -> String {
        match id.strip_prefix("_:") {
            Some(label) => format!("_:d{}.{label}", self.documents),
            None => self.context.expand(id),
        }
    }

    fn top(&mut self, value: &Value) -> Result<()> {
        let Some(object) = value.as_object() else {
            return Err(malformed("a top-level entry is not an object"));
        };
        match object.get("@graph") {
            Some(Value::Array(items)) => {
                for item in items {
                    self.node(
                        item.as_object()
                            .ok_or_else(|| malformed("an entry of `@graph` is not an object"))?,
                        2,
                    )?;
                }
                // A graph object may describe a node itself.
                let described =
                    object.keys().any(|k| !k.starts_with('@')) || object.contains_key("@type");
                if described {
                    self.node(object, 1)?;
                }
                Ok(())
            }
            Some(Value::Object(one)) => self.node(one, 2).map(drop),
            Some(_) => Err(malformed("`@graph` is not an array")),
            None => self.node(object, 1).map(drop),
        }
    }

    /// Reads one node object; returns its id. Only a top-level object
    /// (depth 1) may carry `@context` and `@graph`; any other keyword the
    /// reader does not support (`@reverse`, `@included`, `@nest`, a nested
    /// `@graph`…) makes the document malformed rather than silently
    /// dropped: a dropped item would be deleted.
    fn node(&mut self, object: &Map<String, Value>, depth: usize) -> Result<String> {
        if depth > MAX_DEPTH {
            return Err(malformed("the document nests deeper than 32 levels"));
        }
        for key in object.keys().filter(|k| k.starts_with('@')) {
            let allowed = matches!(key.as_str(), "@id" | "@type" | "@index")
                || (depth == 1 && matches!(key.as_str(), "@context" | "@graph"));
            if !allowed {
                return Err(malformed(&format!(
                    "the JSON-LD keyword `{}` is not supported here",
                    quoted(key)
                )));
            }
        }
        let id = match object.get("@id") {
            Some(Value::String(id)) if !id.is_empty() => self.node_id(id),
            Some(_) => return Err(malformed("an `@id` is not a string")),
            None => {
                self.blank += 1;
                format!("_:n{}", self.blank)
            }
        };
        let types = match object.get("@type") {
            None => Vec::new(),
            Some(Value::String(t)) => vec![self.context.expand(t)],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .map(|t| self.context.expand(t))
                .collect(),
            Some(_) => return Err(malformed("an `@type` is not a string")),
        };
        let mut properties: Vec<(String, Vec<Term>)> = Vec::new();
        for (key, value) in object {
            if key.starts_with('@') {
                continue;
            }
            let property = self.context.expand(key);
            let terms = self.terms(value, depth)?;
            properties.push((property, terms));
        }
        if !self.nodes.contains_key(&id) {
            self.order.push(id.clone());
        }
        let node = self.nodes.entry(id.clone()).or_insert_with(|| Node {
            id: id.clone(),
            ..Node::default()
        });
        for t in types {
            if !node.types.contains(&t) {
                node.types.push(t);
            }
        }
        for (property, terms) in properties {
            node.properties.entry(property).or_default().extend(terms);
        }
        Ok(id)
    }

    fn terms(&mut self, value: &Value, depth: usize) -> Result<Vec<Term>> {
        Ok(match value {
            Value::Null => Vec::new(),
            Value::Bool(b) => vec![Term::Text(b.to_string())],
            Value::Number(n) => n.as_f64().map(Term::Number).into_iter().collect(),
            // A blank-node label written as a string names a node of
            // this document's scope.
            Value::String(s) if s.starts_with("_:") => vec![Term::Node(self.node_id(s))],
            Value::String(s) => vec![Term::Text(s.clone())],
            Value::Array(items) => {
                let mut terms = Vec::new();
                for item in items {
                    terms.extend(self.terms(item, depth)?);
                }
                terms
            }
            Value::Object(object) => return self.object_terms(object, depth),
        })
    }

    /// An object in value position: a value object, a list or set, a
    /// reference, or an embedded node. Language maps are refused.
    fn object_terms(&mut self, object: &Map<String, Value>, depth: usize) -> Result<Vec<Term>> {
        if let Some(literal) = object.get("@value") {
            let known = |k: &String| {
                matches!(
                    k.as_str(),
                    "@value" | "@type" | "@language" | "@direction" | "@index"
                )
            };
            if let Some(key) = object.keys().find(|k| !known(k)) {
                return Err(malformed(&format!(
                    "a value object carries `{}`",
                    quoted(key)
                )));
            }
            if literal.is_object() || literal.is_array() {
                return Err(malformed("an `@value` is not a literal"));
            }
            return self.terms(literal, depth + 1);
        }
        for keyword in ["@list", "@set"] {
            if let Some(list) = object.get(keyword) {
                if object.keys().any(|k| k != keyword && k != "@index") {
                    return Err(malformed(&format!("a `{keyword}` object carries more")));
                }
                return self.terms(list, depth + 1);
            }
        }
        if is_language_map(object) {
            return Err(malformed(
                "a language map (`{\"en\": …}`) is not supported: write the text as a string",
            ));
        }
        if object.len() == 1 {
            if let Some(id) = object.get("@id") {
                return match id {
                    Value::String(id) => Ok(vec![Term::Node(self.node_id(id))]),
                    _ => Err(malformed("an `@id` is not a string")),
                };
            }
        }
        Ok(vec![Term::Node(self.node(object, depth + 1)?)])
    }

    pub fn get(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The nodes of a type, in document order.
    pub fn of_type(&self, iri: &str) -> Vec<&Node> {
        self.by_type
            .get(iri)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|id| self.nodes.get(id))
            .collect()
    }

    /// Where a node stands in document order (for ties between referrers).
    pub fn position(&self, id: &str) -> usize {
        self.positions.get(id).copied().unwrap_or(usize::MAX)
    }

    /// How many nodes have a type.
    pub fn count_of_type(&self, iri: &str) -> usize {
        self.by_type.get(iri).map_or(0, Vec::len)
    }

    /// The nodes whose `property` names `target`, in document order.
    pub fn referring(&self, property: &str, target: &str) -> Vec<&Node> {
        self.referrers
            .get(&(property.to_owned(), target.to_owned()))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|id| self.nodes.get(id))
            .collect()
    }

    /// The first IRI (or embedded node id) `property` names.
    pub fn reference(&self, node: &Node, property: &str) -> Option<String> {
        node.values(property).iter().find_map(|term| match term {
            Term::Node(id) => Some(id.clone()),
            Term::Text(text) if !text.trim().is_empty() => Some(self.context.expand(text.trim())),
            _ => None,
        })
    }

    /// Every IRI `property` names.
    pub fn references(&self, node: &Node, property: &str) -> Vec<String> {
        node.values(property)
            .iter()
            .filter_map(|term| match term {
                Term::Node(id) => Some(id.clone()),
                Term::Text(text) => Some(self.context.expand(text.trim())),
                Term::Number(_) => None,
            })
            .collect()
    }

    /// The node `property` names, when the graph holds it.
    pub fn referenced(&self, node: &Node, property: &str) -> Option<&Node> {
        self.reference(node, property)
            .and_then(|id| self.nodes.get(&id))
    }

    /// The first literal of `property` as text (numbers written out).
    pub fn text(node: &Node, property: &str) -> Option<String> {
        node.values(property).iter().find_map(|term| match term {
            Term::Text(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
            Term::Number(n) => Some(n.to_string()),
            Term::Node(_) => None,
        })
    }

    /// The first literal of `property` as a number: a JSON number or a
    /// decimal string (`"2.50"`); anything else is malformed.
    pub fn number(node: &Node, property: &str) -> Result<Option<f64>> {
        let Some(term) = node.values(property).first() else {
            return Ok(None);
        };
        match term {
            Term::Number(n) => Ok(Some(*n)),
            Term::Text(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    malformed(&format!(
                        "{} of {} is `{}`, not a number",
                        short(property),
                        quoted(&node.id),
                        quoted(text)
                    ))
                }),
            Term::Node(_) => Err(malformed(&format!(
                "{} of {} is a node, not a number",
                short(property),
                quoted(&node.id)
            ))),
        }
    }
}

/// A property IRI as people write it (`dfc-b:name`).
pub fn short(property: &str) -> String {
    crate::dfc::context::compact(property)
}

/// A malformed-graph error.
pub fn malformed(detail: &str) -> Error {
    Error::DfcSource(crate::error::DfcFailure::Malformed, detail.to_owned())
}

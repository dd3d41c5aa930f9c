//! A DFC document read as a graph of nodes: the compacted JSON-LD form DFC
//! platforms serve (`@graph` or nested objects, blank nodes, numbers or
//! strings), with every property and type expanded by the document's
//! context (`context`). Nested objects become nodes of their own (blank
//! ones get `_:` ids) referenced from where they were; a node met twice
//! has its properties merged. Whether a string value is an IRI or a
//! literal is decided by whoever reads it (`reference` or `text`), as DFC's
//! contexts decide it per property.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::domain::dfc::context::Context;
use crate::error::{Error, Result};

/// Deepest nesting read: deeper documents are refused, not overflowed.
const MAX_DEPTH: usize = 32;

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
    properties: HashMap<String, Vec<Term>>,
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

#[derive(Debug, Clone)]
pub struct Graph {
    context: Context,
    nodes: HashMap<String, Node>,
    /// Node ids in the order the document gave them.
    order: Vec<String>,
    blank: usize,
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
        };
        graph.merge(document)?;
        Ok(graph)
    }

    /// Adds the nodes of another document (an enterprise or address
    /// fetched apart), read with its own context.
    pub fn merge(&mut self, document: &Value) -> Result<()> {
        let own = self.context.clone();
        if let Some(declared) = document.get("@context") {
            self.context = Context::of(Some(declared));
        }
        let read = match document {
            Value::Array(items) => items.iter().try_for_each(|item| self.top(item)),
            Value::Object(_) => self.top(document),
            _ => Err(malformed("the document is not a JSON-LD object")),
        };
        self.context = own;
        read
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
                        1,
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
            Some(Value::Object(one)) => self.node(one, 1).map(drop),
            Some(_) => Err(malformed("`@graph` is not an array")),
            None => self.node(object, 1).map(drop),
        }
    }

    /// Reads one node object; returns its id.
    fn node(&mut self, object: &Map<String, Value>, depth: usize) -> Result<String> {
        if depth > MAX_DEPTH {
            return Err(malformed("the document nests deeper than 32 levels"));
        }
        let id = match object.get("@id") {
            Some(Value::String(id)) if !id.is_empty() => self.context.expand(id),
            Some(_) => return Err(malformed("an `@id` is not a string")),
            None => {
                self.blank += 1;
                format!("_:b{}", self.blank)
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
            Value::String(s) => vec![Term::Text(s.clone())],
            Value::Array(items) => {
                let mut terms = Vec::new();
                for item in items {
                    terms.extend(self.terms(item, depth)?);
                }
                terms
            }
            Value::Object(object) => {
                if let Some(literal) = object.get("@value") {
                    return self.terms(literal, depth);
                }
                if let Some(list) = object.get("@list").or_else(|| object.get("@set")) {
                    return self.terms(list, depth);
                }
                let only_id = object.len() == 1 && object.contains_key("@id");
                if only_id {
                    match object.get("@id") {
                        Some(Value::String(id)) => vec![Term::Node(self.context.expand(id))],
                        _ => return Err(malformed("an `@id` is not a string")),
                    }
                } else {
                    vec![Term::Node(self.node(object, depth + 1)?)]
                }
            }
        })
    }

    pub fn get(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The nodes of a type, in document order.
    pub fn of_type(&self, iri: &str) -> Vec<&Node> {
        self.order
            .iter()
            .filter_map(|id| self.nodes.get(id))
            .filter(|node| node.has_type(iri))
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
                        "{} of {} is `{text}`, not a number",
                        short(property),
                        node.id
                    ))
                }),
            Term::Node(_) => Err(malformed(&format!(
                "{} of {} is a node, not a number",
                short(property),
                node.id
            ))),
        }
    }
}

/// A property IRI as people write it (`dfc-b:name`).
pub fn short(property: &str) -> String {
    crate::domain::dfc::context::compact(property)
}

/// A malformed-graph error.
pub fn malformed(detail: &str) -> Error {
    Error::DfcSource(crate::error::DfcFailure::Malformed, detail.to_owned())
}

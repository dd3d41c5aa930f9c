//! `Accept-Signature` challenges (RFC 9421 section 5.1): what a server
//! asks a request to be signed with.

use sfv::{BareItem, Dictionary, ListEntry, Parser};

/// What a server asks for in an `Accept-Signature` challenge (RFC 9421
/// section 5.1): the components to cover and, when it says, the algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub components: Vec<String>,
    pub alg: Option<String>,
}

impl Challenge {
    /// The first signature the header asks for; `None` when it is not a
    /// challenge this node can read (components with parameters included).
    pub fn parse(header: &str) -> Option<Challenge> {
        let requested: Dictionary = Parser::new(header).parse_dictionary().ok()?;
        let (_, ListEntry::InnerList(list)) = requested.iter().next()? else {
            return None;
        };
        let mut components = Vec::new();
        for item in &list.items {
            if !item.params.is_empty() {
                return None;
            }
            components.push(item.bare_item.as_string()?.as_str().to_ascii_lowercase());
        }
        let alg = list
            .params
            .get("alg")
            .and_then(BareItem::as_string)
            .map(|alg| alg.as_str().to_owned());
        Some(Challenge { components, alg })
    }
}

//! The signature base (RFC 9421 section 2.5): the covered components of
//! a request, one a line, then the signature parameters.

use http::{HeaderMap, Method, Uri};

use super::{MessageSignature, refused, single};
use crate::error::Result;

impl MessageSignature {
    /// The signature base (RFC 9421 section 2.5) of the request, whose
    /// target URI has scheme `scheme`.
    pub fn base(
        &self,
        headers: &HeaderMap,
        method: &Method,
        uri: &Uri,
        scheme: &str,
    ) -> Result<String> {
        let authority =
            || -> Result<String> { Ok(single(headers, "host")?.trim().to_ascii_lowercase()) };
        let path = if uri.path().is_empty() {
            "/"
        } else {
            uri.path()
        };
        let query = uri.query().map(|q| format!("?{q}"));
        let mut base = String::new();
        for component in &self.components {
            let value = match component.as_str() {
                "@method" => method.as_str().to_owned(),
                "@authority" => authority()?,
                "@scheme" => scheme.to_owned(),
                "@path" => path.to_owned(),
                "@query" => query.clone().unwrap_or_else(|| "?".to_owned()),
                "@request-target" => format!("{path}{}", query.as_deref().unwrap_or_default()),
                "@target-uri" => format!(
                    "{scheme}://{}{path}{}",
                    authority()?,
                    query.as_deref().unwrap_or_default()
                ),
                derived if derived.starts_with('@') => {
                    return Err(refused(format!(
                        "the component `{derived}` is not supported on a request"
                    )));
                }
                field => {
                    let values: Vec<&str> = headers
                        .get_all(field)
                        .iter()
                        .map(|v| v.to_str().map(str::trim))
                        .collect::<std::result::Result<_, _>>()
                        .map_err(|_| refused(format!("the `{field}` header is not text")))?;
                    if values.is_empty() {
                        return Err(refused(format!("the signed `{field}` header is missing")));
                    }
                    values.join(", ")
                }
            };
            base.push_str(&format!("\"{component}\": {value}\n"));
        }
        base.push_str(&format!(
            "\"@signature-params\": {}",
            self.serialized_params()
        ));
        Ok(base)
    }

    fn serialized_params(&self) -> String {
        let mut list = sfv::ListSerializer::new();
        {
            let mut inner = list.inner_list();
            inner.items(&self.params.items);
            let _ = inner.finish().parameters(&self.params.params);
        }
        list.finish().unwrap_or_default()
    }
}

//! `Create`: the first publication of an object.

use serde_json::Value;
use url::Url;

use crate::config::Settings;
use crate::domain::kinds::Audience;
use crate::error::Result;

pub const TYPE: &str = "Create";

pub fn document(
    settings: &Settings,
    id: Url,
    object: Value,
    audience: &Audience,
    published: &str,
) -> Result<Value> {
    super::envelope(settings, TYPE, id, object, audience, published)
}

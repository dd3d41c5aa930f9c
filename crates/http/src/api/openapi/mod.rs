//! The OpenAPI 3.1 description of the HTTP API, served at
//! `/api/v1/openapi.json`. It is generated from the handlers'
//! `#[utoipa::path]` attributes and the types they take and answer, by the
//! very router that serves `/api/v1` (`api::documented`), so the two cannot
//! drift. Object payload schemas are the files the API validates with
//! (`schemas/*.schema.json`): they are the contract platforms check against.

pub mod federation;
pub mod parameters;
pub mod problems;

use std::sync::OnceLock;

use axum::response::Response;
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{OneOfBuilder, Ref, Schema};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::api::documented::DocumentedRoutes;
use crate::domain::validation::{COMMON_SCHEMA, schema_source};
use crate::json_response;
use crate::model::kinds::ObjectKind;
use crate::problem::Problem;

pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// What the document names the bearer-token scheme; operations list the
/// token scope they need (`platform` or `admin`) as its role.
const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Passerelle",
        version = crate::VERSION,
        description = "Federation gateway for cooperative platforms. The platform API takes a token of scope `platform` (`passerelle token create --name NAME --scope platform`), the admin API one of scope `admin`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only")
    ),
    modifiers(&BearerScheme),
    components(schemas(Problem)),
    paths(
        federation::object,
        federation::object_collection,
        federation::charter_version,
        federation::outbox,
        federation::post_outbox,
        federation::activity,
        federation::amendment,
        federation::amendment_votes,
        federation::network_context,
        federation::inbox,
        federation::followers,
        federation::following,
    )
)]
struct Description;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                BEARER,
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

/// What no handler describes: the document's information, security scheme
/// and the ActivityPub endpoints routed outside `/api/v1`.
pub fn base() -> utoipa::openapi::OpenApi {
    Description::openapi()
}

pub fn routes() -> DocumentedRoutes {
    DocumentedRoutes::new().routes(utoipa_axum::routes!(openapi))
}

#[utoipa::path(get, path = OPENAPI_PATH, tag = "openapi",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 description of this node's API", content_type = "application/json")))]
async fn openapi() -> Response {
    json_response(document(), "application/json")
}

pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, generated) = crate::api::described_routes().into_parts();
        let mut document = serde_json::to_value(generated).unwrap_or_else(|e| {
            tracing::error!(error = %e, "serialising the OpenAPI document");
            Value::Null
        });
        if let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") {
            schemas.extend(payload_schemas());
        }
        document
    })
}

fn title(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Offer => "Offer",
        ObjectKind::Member => "Member",
        ObjectKind::Charter => "Charter",
        ObjectKind::Commitment => "Commitment",
    }
}

/// The request body of `PUT /api/v1/{collection}/{local_id}`: the payload
/// schema of the collection's kind.
pub struct ObjectPayload;

impl PartialSchema for ObjectPayload {
    fn schema() -> RefOr<Schema> {
        let kinds = ObjectKind::ALL.map(|kind| Ref::from_schema_name(title(kind)));
        kinds
            .into_iter()
            .fold(OneOfBuilder::new(), OneOfBuilder::item)
            .description(Some(
                "the payload schema of the collection's kind: offers take an Offer, members a Member, charters a Charter, commitments a Commitment",
            ))
            .into()
    }
}

impl ToSchema for ObjectPayload {}

/// The payload schema files as components; references to the shared
/// definitions point at their components.
fn payload_schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    if let Some(Value::Object(defs)) = component(COMMON_SCHEMA).get("$defs").cloned() {
        schemas.extend(defs);
    }
    for kind in ObjectKind::ALL {
        schemas.insert(title(kind).to_owned(), component(schema_source(kind)));
    }
    schemas
}

fn component(source: &str) -> Value {
    let text = source
        .replace("common.schema.json#/$defs/", "#/components/schemas/")
        .replace("\"#/$defs/", "\"#/components/schemas/");
    let mut schema: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut schema {
        fields.remove("$schema");
        fields.remove("$id");
    }
    schema
}

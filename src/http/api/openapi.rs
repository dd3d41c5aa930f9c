//! The OpenAPI 3.1 description of the HTTP API, served at
//! `/api/v1/openapi.json`. Payload schemas are the very files the API
//! validates with (`schemas/*.schema.json`), so the two cannot drift.

use std::sync::OnceLock;

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::domain::validation::{COMMON_SCHEMA, schema_source};
use crate::http::json_response;
use crate::model::kinds::ObjectKind;
use crate::node::NodeState;

pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

pub fn routes() -> Router<NodeState> {
    Router::new().route(OPENAPI_PATH, get(openapi))
}

async fn openapi() -> Response {
    json_response(document(), "application/json")
}

fn title(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Offer => "Offer",
        ObjectKind::Member => "Member",
        ObjectKind::Charter => "Charter",
        ObjectKind::Commitment => "Commitment",
    }
}

/// A schema file as an OpenAPI component: references to the shared
/// definitions point at their components.
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

fn problem_responses(codes: &[&str]) -> Map<String, Value> {
    codes
        .iter()
        .map(|code| {
            let description = match *code {
                "400" => "Malformed request (bad JSON, bad id, bad cursor)",
                "401" => "No token, or an unknown or revoked one",
                "403" => "The token lacks the scope",
                "404" => "No such object",
                "409" => "Conflict (a deleted id cannot be reused)",
                "410" => "The object was deleted",
                "413" => "Body too large",
                "415" => "Body is not application/json",
                "422" => "Schema violations, each with its JSON pointer",
                _ => "Error",
            };
            (
                (*code).to_owned(),
                json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}),
            )
        })
        .collect()
}

fn with_responses(mut responses: Map<String, Value>, problems: &[&str]) -> Value {
    responses.extend(problem_responses(problems));
    Value::Object(responses)
}

pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

fn build() -> Value {
    let mut schemas = Map::new();
    if let Some(Value::Object(defs)) = component(COMMON_SCHEMA).get("$defs").cloned() {
        schemas.extend(defs);
    }
    for kind in ObjectKind::ALL {
        schemas.insert(title(kind).to_owned(), component(schema_source(kind)));
    }
    schemas.insert("Problem".into(), json!({
        "type": "object",
        "description": "RFC 9457 problem details",
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "pointer": {"type": "string", "description": "JSON pointer into the payload"},
                "detail": {"type": "string"}}}}
        }
    }));
    schemas.insert("ObjectView".into(), json!({
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "the platform's id"},
            "kind": {"enum": ["offer", "member", "charter", "commitment"]},
            "uri": {"type": "string", "description": "the object's ActivityPub id"},
            "version": {"type": "integer"},
            "audience": {"$ref": "#/components/schemas/audience"},
            "payload": {"type": "object", "description": "the payload as last accepted"},
            "object": {"type": "object", "description": "the signed ActivityStreams document (FEP-8b32 proof)"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "deleted_at": {"type": "string", "format": "date-time"},
            "change": {"enum": ["created", "updated", "unchanged", "deleted"], "description": "PUT only"},
            "activity": {"type": "string", "description": "PUT only: the activity published, if any"}
        }
    }));

    let mut paths = Map::new();
    let id_parameter = json!({"name": "local_id", "in": "path", "required": true,
        "description": "the platform's own id: 1 to 128 of A-Z a-z 0-9 - _ . ~",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._~-]{1,128}$"}});
    let view = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ObjectView"}}}});
    for kind in ObjectKind::ALL {
        let name = title(kind);
        let collection = kind.collection();
        let payload_ref = json!({"$ref": format!("#/components/schemas/{name}")});
        paths.insert(format!("/api/v1/{collection}"), json!({
            "get": {
                "summary": format!("List the platform's {collection}, oldest first, deleted ones included"),
                "tags": [collection],
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "next_cursor of the previous page"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}
                ],
                "responses": with_responses(Map::from_iter([("200".to_owned(), json!({"description": "A page", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/ObjectView"}}, "next_cursor": {"type": "string"}}}}}}))]), &["400", "401", "403"])
            }
        }));
        paths.insert(format!("/api/v1/{collection}/{{local_id}}"), json!({
            "parameters": [id_parameter],
            "put": {
                "summary": format!("Create or update a {}: the first PUT publishes Create, a changed one Update, an identical one nothing", kind.as_str()),
                "tags": [collection],
                "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": payload_ref}}},
                "responses": with_responses(Map::from_iter([
                    ("201".to_owned(), json!({"description": "Created and published", "headers": {"Location": {"schema": {"type": "string"}}}, "content": view["content"]})),
                    ("200".to_owned(), json!({"description": "Updated (change: updated) or identical (change: unchanged)", "content": view["content"]})),
                ]), &["400", "401", "403", "409", "413", "415", "422"])
            },
            "get": {
                "summary": format!("Read a {}", kind.as_str()),
                "tags": [collection],
                "security": [{"bearer": []}],
                "responses": with_responses(Map::from_iter([("200".to_owned(), json!({"description": "The object", "content": view["content"]}))]), &["401", "403", "404", "410"])
            },
            "delete": {
                "summary": format!("Delete a {}: publishes Delete with a Tombstone; its URL then answers 410", kind.as_str()),
                "tags": [collection],
                "security": [{"bearer": []}],
                "responses": with_responses(Map::from_iter([("204".to_owned(), json!({"description": "Deleted (or already deleted)"}))]), &["401", "403", "404"])
            }
        }));
        paths.insert(format!("/{collection}/{{local_id}}"), json!({
            "parameters": [id_parameter],
            "get": {
                "summary": format!("The signed ActivityStreams {} (JSON for ActivityPub clients, HTML for browsers); non-public objects answer 404", kind.as_str()),
                "tags": ["activitypub"],
                "responses": {"200": {"description": "The object with its integrity proof"}, "404": {"description": "Unknown or not visible"}, "410": {"description": "Deleted: a Tombstone"}}
            }
        }));
        paths.insert(format!("/{collection}"), json!({
            "get": {"summary": format!("OrderedCollection of the public {collection}, newest first"), "tags": ["activitypub"],
                "parameters": [{"name": "page", "in": "query", "schema": {"type": "boolean"}}, {"name": "max_id", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "OrderedCollection or OrderedCollectionPage"}}}
        }));
    }
    paths.insert("/api/v1/charters/{local_id}/versions".into(), json!({
        "parameters": [id_parameter],
        "get": {"summary": "Every version of a charter, oldest first", "tags": ["charters"], "security": [{"bearer": []}],
            "responses": with_responses(Map::from_iter([("200".to_owned(), json!({"description": "The versions"}))]), &["401", "403", "404"])}
    }));
    paths.insert("/charters/{local_id}/versions/{version}".into(), json!({
        "get": {"summary": "One version of a charter, as committed to", "tags": ["activitypub"],
            "parameters": [id_parameter, {"name": "version", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": {"description": "The signed version document"}, "404": {"description": "No such version"}}}
    }));
    paths.insert("/outbox".into(), json!({
        "get": {"summary": "OrderedCollection of the node's public activities, newest first", "tags": ["activitypub"],
            "parameters": [{"name": "page", "in": "query", "schema": {"type": "boolean"}}, {"name": "max_id", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "OrderedCollection or OrderedCollectionPage"}}},
        "post": {"summary": "ActivityPub client-to-server: Create, Update or Delete of a Proposal, Person, Organization, Charter or CharterCommitment; same validation and publication as the REST API",
            "tags": ["activitypub"], "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/activity+json": {"schema": {"type": "object"}}, "application/ld+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}},
            "responses": with_responses(Map::from_iter([
                ("201".to_owned(), json!({"description": "Published; Location is the activity", "headers": {"Location": {"schema": {"type": "string"}}}})),
                ("200".to_owned(), json!({"description": "Nothing changed"}))]), &["400", "401", "403", "404", "409", "413", "415", "422"])}
    }));
    paths.insert("/activities/{id}".into(), json!({
        "get": {"summary": "A public activity", "tags": ["activitypub"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The signed activity"}, "404": {"description": "Unknown or not public"}}}
    }));
    paths.insert("/ns".into(), json!({
        "get": {"summary": "JSON-LD context of the network vocabulary (https://w3id.org/plateformes-en-communs/ns#)", "tags": ["activitypub"],
            "responses": {"200": {"description": "The context", "content": {"application/ld+json": {}}}}}
    }));

    admin_paths(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Passerelle",
            "version": crate::VERSION,
            "description": "Federation gateway for cooperative platforms. The platform API takes a token of scope `platform` (`passerelle token create --name NAME --scope platform`).",
            "license": {"name": "AGPL-3.0-only", "identifier": "AGPL-3.0-only"}
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

/// The admin API (scope `admin`).
fn admin_paths(paths: &mut Map<String, Value>) {
    let security = json!([{"bearer": []}]);
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let ok = |description: &str| {
        Map::from_iter([("200".to_owned(), json!({"description": description}))])
    };
    paths.insert("/api/v1/admin/follows".into(), json!({
        "get": {"summary": "This node's follows of peers, with their state (pending, active, rejected)", "tags": ["admin"], "security": security,
            "responses": with_responses(ok("The follows"), &["401", "403"])},
        "post": {"summary": "Ask a peer to let this node follow it; target is @name@host (resolved with WebFinger) or an actor URL", "tags": ["admin"], "security": security,
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["target"], "properties": {"target": {"type": "string"}}}}}},
            "responses": with_responses(Map::from_iter([
                ("202".to_owned(), json!({"description": "Follow sent, pending"})),
                ("200".to_owned(), json!({"description": "Already following or pending"})),
                ("502".to_owned(), json!({"description": "The peer could not be reached or resolved"}))]), &["400", "401", "403", "415", "422"])}
    }));
    paths.insert("/api/v1/admin/follows/{id}".into(), json!({
        "delete": {"summary": "Stop following (sends Undo(Follow))", "tags": ["admin"], "security": security, "parameters": [id],
            "responses": with_responses(Map::from_iter([("204".to_owned(), json!({"description": "Unfollowed"}))]), &["401", "403", "404"])}
    }));
    paths.insert("/api/v1/admin/follow-requests".into(), json!({
        "get": {"summary": "Follow requests with the requester's name, handle, summary and charter commitments (with proof check)", "tags": ["admin"], "security": security,
            "parameters": [{"name": "state", "in": "query", "schema": {"enum": ["pending", "approved", "rejected", "all"], "default": "pending"}}],
            "responses": with_responses(ok("The requests"), &["400", "401", "403"])}
    }));
    paths.insert("/api/v1/admin/follow-requests/{id}/approve".into(), json!({
        "post": {"summary": "Approve: the peer becomes a follower (sends Accept)", "tags": ["admin"], "security": security, "parameters": [id],
            "responses": with_responses(ok("The request, approved"), &["401", "403", "404"])}
    }));
    paths.insert("/api/v1/admin/follow-requests/{id}/reject".into(), json!({
        "post": {"summary": "Reject, with an optional reason told to the peer (sends Reject)", "tags": ["admin"], "security": security, "parameters": [id],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}},
            "responses": with_responses(ok("The request, rejected"), &["400", "401", "403", "404"])}
    }));
    paths.insert("/api/v1/admin/peers".into(), json!({
        "get": {"summary": "Every known peer: relationship in both directions, exclusion, delivery health", "tags": ["admin"], "security": security,
            "responses": with_responses(ok("The peers"), &["401", "403"])}
    }));
    paths.insert("/api/v1/admin/peers/{id}/exclude".into(), json!({
        "post": {"summary": "Exclude a peer: removed from followers, our follow undone, its domain refused; recorded with who, when and why", "tags": ["admin"], "security": security, "parameters": [id],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "minLength": 1}}}}}},
            "responses": with_responses(ok("The peer, excluded"), &["400", "401", "403", "404", "422"])}
    }));
    paths.insert("/api/v1/admin/peers/{id}/reinclude".into(), json!({
        "post": {"summary": "Lift an exclusion", "tags": ["admin"], "security": security, "parameters": [id],
            "responses": with_responses(ok("The peer"), &["401", "403", "404", "409"])}
    }));
    paths.insert("/api/v1/admin/audit".into(), json!({
        "get": {"summary": "The audit log of governance decisions, newest first", "tags": ["admin"], "security": security,
            "parameters": [{"name": "cursor", "in": "query", "schema": {"type": "string"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
            "responses": with_responses(ok("A page of entries"), &["400", "401", "403"])}
    }));
    paths.insert("/api/v1/admin/deliveries".into(), json!({
        "get": {"summary": "Delivery streams per peer: backlog, failures, last success and error, unreachable", "tags": ["admin"], "security": security,
            "parameters": [{"name": "peer", "in": "query", "schema": {"type": "string"}, "description": "peer id, @name@host or actor URL"},
                {"name": "state", "in": "query", "schema": {"enum": ["all", "pending", "failing", "unreachable"], "default": "all"}}],
            "responses": with_responses(ok("The streams"), &["400", "401", "403", "404"])}
    }));
    paths.insert("/api/v1/admin/peers/{id}/received".into(), json!({
        "get": {"summary": "Which of our objects this peer received, and when", "tags": ["admin"], "security": security, "parameters": [id],
            "responses": with_responses(ok("The objects"), &["401", "403", "404"])}
    }));
    paths.insert("/api/v1/catalog/{kind}".into(), json!({
        "parameters": [{"name": "kind", "in": "path", "required": true, "schema": {"enum": ["offers", "members", "charters", "commitments"]}}],
        "get": {"summary": "The federated catalog: objects received from followed peers, verified", "tags": ["catalog"], "security": [{"bearer": []}],
            "parameters": [{"name": "peer", "in": "query", "schema": {"type": "string"}}, {"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                {"name": "purpose", "in": "query", "schema": {"enum": ["offer", "request"]}}, {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "cursor", "in": "query", "schema": {"type": "string"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
            "responses": with_responses(ok("A page of items: object, peer, received_at, verified"), &["400", "401", "403", "404"])}
    }));
    paths.insert("/api/v1/catalog/{kind}/{id}".into(), json!({
        "parameters": [{"name": "kind", "in": "path", "required": true, "schema": {"enum": ["offers", "members", "charters", "commitments"]}},
            {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "description": "the object's URI, URL-encoded"}],
        "get": {"summary": "One catalog item", "tags": ["catalog"], "security": [{"bearer": []}],
            "responses": with_responses(ok("The item"), &["401", "403", "404"])}
    }));
    paths.insert("/api/v1/webhooks".into(), json!({
        "get": {"summary": "The platform's webhook endpoints (without secrets)", "tags": ["webhooks"], "security": [{"bearer": []}],
            "responses": with_responses(ok("The webhooks"), &["401", "403"])},
        "post": {"summary": "Register an endpoint for events: catalog.created|updated|deleted, follow_request.received, follow.accepted|rejected, peer.excluded. The answer holds the signing secret, shown once",
            "tags": ["webhooks"], "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["url", "events"],
                "properties": {"url": {"type": "string", "format": "uri"}, "events": {"type": "array", "items": {"type": "string"}}}}}}},
            "responses": with_responses(Map::from_iter([("201".to_owned(), json!({"description": "Registered; `secret` signs deliveries (Standard Webhooks)"}))]), &["400", "401", "403", "415", "422"])}
    }));
    paths.insert("/api/v1/webhooks/{id}".into(), json!({
        "delete": {"summary": "Remove an endpoint", "tags": ["webhooks"], "security": [{"bearer": []}], "parameters": [id],
            "responses": with_responses(Map::from_iter([("204".to_owned(), json!({"description": "Removed"}))]), &["401", "403", "404"])}
    }));
    paths.insert("/inbox".into(), json!({
        "post": {"summary": "ActivityPub inbox (and shared inbox): HTTP-signed Follow, Accept, Reject, Undo; other types acknowledged and ignored", "tags": ["activitypub"],
            "responses": {"202": {"description": "Accepted (or seen before)"}, "400": {"description": "Malformed JSON or wrong Digest"},
                "401": {"description": "No, bad or stale signature, or signed by another actor"}, "403": {"description": "Refused by policy"}, "413": {"description": "Too large"}}}
    }));
    paths.insert("/followers".into(), json!({"get": {"summary": "Approved followers (items hidden when federation.hide_relationships)", "tags": ["activitypub"], "responses": {"200": {"description": "OrderedCollection"}}}}));
    paths.insert("/following".into(), json!({"get": {"summary": "Peers this node follows (accepted)", "tags": ["activitypub"], "responses": {"200": {"description": "OrderedCollection"}}}}));
}

//! The ActivityPub endpoints, described for platform developers beside the
//! API. Their handlers and routers live in `http::activitypub` and
//! `http::inbox`; these declarations carry only the description, and the
//! documents test checks that each one is routed.

use crate::api::openapi::parameters::{CharterId, Collection, ObjectAddress};
use crate::api::openapi::problems::{
    BadRequest, Conflict, NotFound, PayloadTooLarge, TokenRefused, Unprocessable,
    UnsupportedMediaType,
};
use crate::apub::actor::{FOLLOWERS_PATH, FOLLOWING_PATH, INBOX_PATH, OUTBOX_PATH};
use crate::apub::context::NETWORK_CONTEXT_PATH;

/// `page` and `max_id` of an OrderedCollection.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CollectionPaging {
    /// true for the first OrderedCollectionPage, rather than the collection
    pub page: Option<bool>,
    /// the page holding the items before this position
    pub max_id: Option<i64>,
}

#[utoipa::path(get, path = "/{collection}/{local_id}", tag = "activitypub", params(ObjectAddress),
    summary = "The signed ActivityStreams object (JSON for ActivityPub clients, HTML for browsers); non-public objects answer 404",
    responses((status = 200, description = "The object with its integrity proof"),
        (status = 404, description = "Unknown or not visible"), (status = 410, description = "Deleted: a Tombstone")))]
pub async fn object() {}

#[utoipa::path(get, path = "/{collection}", tag = "activitypub", params(Collection, CollectionPaging),
    summary = "OrderedCollection of the public objects of a kind, newest first",
    responses((status = 200, description = "OrderedCollection or OrderedCollectionPage")))]
pub async fn object_collection() {}

#[utoipa::path(get, path = "/charters/{local_id}/versions/{version}", tag = "activitypub",
    params(CharterId, ("version" = u32, Path, minimum = 1, description = "the version number")),
    summary = "One version of a charter, as committed to",
    responses((status = 200, description = "The signed version document"), (status = 404, description = "No such version")))]
pub async fn charter_version() {}

#[utoipa::path(get, path = OUTBOX_PATH, tag = "activitypub", params(CollectionPaging),
    summary = "OrderedCollection of the node's public activities, newest first",
    responses((status = 200, description = "OrderedCollection or OrderedCollectionPage")))]
pub async fn outbox() {}

#[utoipa::path(post, path = OUTBOX_PATH, tag = "activitypub", security(("bearer" = ["platform"])),
    summary = "ActivityPub client-to-server: Create, Update or Delete of a Proposal, Person, Organization, Charter or CharterCommitment; same validation and publication as the REST API",
    request_body(content(
        (serde_json::Value = "application/activity+json"),
        (serde_json::Value = "application/ld+json"),
        (serde_json::Value = "application/json"))),
    responses(
        (status = 201, description = "Published; Location is the activity", headers(("Location" = String))),
        (status = 200, description = "Nothing changed"),
        BadRequest, TokenRefused, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable))]
pub async fn post_outbox() {}

#[utoipa::path(get, path = "/activities/{id}", tag = "activitypub",
    params(("id" = String, Path, description = "the activity's id")),
    summary = "A public activity",
    responses((status = 200, description = "The signed activity"), (status = 404, description = "Unknown or not public")))]
pub async fn activity() {}

#[utoipa::path(get, path = "/amendments/{id}", tag = "activitypub",
    params(("id" = String, Path, description = "the amendment's id")),
    summary = "A charter amendment's Question (FEP-9967), with its results once tallied",
    responses((status = 200, description = "The signed Question"), (status = 404, description = "Unknown, or its charter is not public")))]
pub async fn amendment() {}

#[utoipa::path(get, path = "/amendments/{id}/votes", tag = "activitypub",
    params(("id" = String, Path, description = "the amendment's id")),
    summary = "The counted votes of a tallied amendment, each with its voter's integrity proof",
    responses((status = 200, description = "A Collection of the signed votes"), (status = 404, description = "Unknown, not public, or not tallied yet")))]
pub async fn amendment_votes() {}

#[utoipa::path(get, path = NETWORK_CONTEXT_PATH, tag = "activitypub",
    summary = "JSON-LD context of the network vocabulary (https://w3id.org/plateformes-en-communs/ns#)",
    responses((status = 200, description = "The context", content_type = "application/ld+json")))]
pub async fn network_context() {}

#[utoipa::path(post, path = INBOX_PATH, tag = "activitypub",
    summary = "ActivityPub inbox (and shared inbox): HTTP-signed Follow, Accept, Reject, Undo; other types acknowledged and ignored",
    responses((status = 202, description = "Accepted (or seen before)"),
        (status = 400, description = "Malformed JSON or wrong Digest"),
        (status = 401, description = "No, bad or stale signature, or signed by another actor"),
        (status = 403, description = "Refused by policy"), (status = 413, description = "Too large")))]
pub async fn inbox() {}

#[utoipa::path(get, path = FOLLOWERS_PATH, tag = "activitypub",
    summary = "Approved followers (items hidden when federation.hide_relationships)",
    responses((status = 200, description = "OrderedCollection")))]
pub async fn followers() {}

#[utoipa::path(get, path = FOLLOWING_PATH, tag = "activitypub",
    summary = "Peers this node follows (accepted)",
    responses((status = 200, description = "OrderedCollection")))]
pub async fn following() {}

//! `/api/v1`: the platform API (scope `platform`) and the admin API
//! (scope `admin`), described by the OpenAPI document at
//! `/api/v1/openapi.json`, which is generated from the same routes.

pub mod admin;
pub mod agreements;
pub mod amendments;
pub mod catalog;
pub mod documented;
pub mod membership;
pub mod network;
pub mod objects;
pub mod openapi;
pub mod paging;
pub mod receipts;
pub mod sharing;
pub mod webhooks;

use axum::Router;

use crate::state::NodeState;
use documented::DocumentedRoutes;

/// Every `/api/v1` route with its description.
pub fn described_routes() -> DocumentedRoutes {
    DocumentedRoutes::with_base(openapi::base())
        .merge(admin::routes())
        .merge(agreements::routes())
        .merge(amendments::routes())
        .merge(membership::routes())
        .merge(catalog::routes())
        .merge(network::routes())
        .merge(sharing::routes())
        .merge(receipts::routes())
        .merge(webhooks::routes())
        .merge(objects::routes())
        .merge(openapi::routes())
}

pub fn routes() -> Router<NodeState> {
    described_routes().into_parts().0
}

//! `/api/v1`: the platform API (scope `platform`) and the admin API
//! (scope `admin`), described by the OpenAPI document at
//! `/api/v1/openapi.json`.

pub mod admin;
pub mod catalog;
pub mod objects;
pub mod openapi;
pub mod paging;
pub mod webhooks;

use axum::Router;

use crate::node::NodeState;

pub fn routes() -> Router<NodeState> {
    Router::new()
        .merge(admin::routes())
        .merge(catalog::routes())
        .merge(webhooks::routes())
        .merge(objects::routes())
        .merge(openapi::routes())
}

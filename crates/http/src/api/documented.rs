//! The only way to route an `/api/v1` endpoint: with its OpenAPI
//! description, a `#[utoipa::path]` handler given to `routes!`. The router
//! and the document are built from the one list, so neither can hold a
//! path the other lacks; there is no `route` here to bypass that.

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::state::NodeState;

pub struct DocumentedRoutes(OpenApiRouter<NodeState>);

impl DocumentedRoutes {
    pub fn new() -> DocumentedRoutes {
        DocumentedRoutes(OpenApiRouter::new())
    }

    /// Routes described by `base` besides their own descriptions.
    pub fn with_base(base: OpenApi) -> DocumentedRoutes {
        DocumentedRoutes(OpenApiRouter::with_openapi(base))
    }

    /// The handlers of one path, from `utoipa_axum::routes!`.
    pub fn routes(self, routes: UtoipaMethodRouter<NodeState>) -> DocumentedRoutes {
        DocumentedRoutes(self.0.routes(routes))
    }

    pub fn merge(self, other: DocumentedRoutes) -> DocumentedRoutes {
        DocumentedRoutes(self.0.merge(other.0))
    }

    pub fn into_parts(self) -> (Router<NodeState>, OpenApi) {
        self.0.split_for_parts()
    }
}

impl Default for DocumentedRoutes {
    fn default() -> DocumentedRoutes {
        DocumentedRoutes::new()
    }
}

//! The HTTP server's state: the context every layer below shares, and the
//! HTML templates that are the HTTP layer's own.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::context::Context;
use crate::html::Templates;

#[derive(Clone)]
pub struct NodeState {
    pub app: Context,
    pub templates: Arc<Templates>,
}

impl NodeState {
    pub fn new(app: Context) -> crate::error::Result<NodeState> {
        let templates = Arc::new(Templates::new(&app.settings.console.time_zone)?);
        Ok(NodeState { app, templates })
    }
}

impl FromRef<NodeState> for Context {
    fn from_ref(state: &NodeState) -> Context {
        state.app.clone()
    }
}

impl std::ops::Deref for NodeState {
    type Target = Context;
    fn deref(&self) -> &Context {
        &self.app
    }
}

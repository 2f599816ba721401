//! The chat widget and the demo page, embedded in the binary at build time.
//! (A plain page until the widget issue lands.)

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use super::AppState;

/// Routes `/`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(index))
}

async fn index() -> Html<&'static str> {
    Html("<!doctype html><title>casebot</title><h1>casebot</h1><p>Chat over WebSocket at <code>/ws</code>.</p>")
}

//! `GET /api/content`: the result of the latest attempt to put edited content live (when,
//! whether it went live, and every error and warning with its `path:line:col`), for
//! `casebot check --url` and for authors' own tools. Admin token required, like `/api`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::admin::{Admin, other_method};
use super::state::AppState;
use crate::reload::ReloadStatus;

/// The route.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/content",
        get(content_status).fallback(|State(state): State<AppState>| async move {
            other_method(&state, "GET, HEAD")
        }),
    )
}

async fn content_status(_: Admin, State(state): State<AppState>) -> Json<ReloadStatus> {
    Json(state.reload_status().as_ref().clone())
}

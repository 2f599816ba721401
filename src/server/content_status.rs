//! `GET /api/content`: the result of the latest attempt to put edited content live (when,
//! whether it went live, and every error and warning with its `path:line:col`), for
//! `casebot check --url` and for authors' own tools. Admin token required, like `/api`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};

use super::admin::Admin;
use super::state::AppState;
use crate::reload::ReloadStatus;

/// The route.
pub fn routes() -> Router<AppState> {
    // Other methods: 404 while the admin API is off, like every `/api` call, else 405.
    let other = |_: Admin| async {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
    };
    Router::new().route("/api/content", get(content_status).fallback(other))
}

async fn content_status(_: Admin, State(state): State<AppState>) -> Json<ReloadStatus> {
    Json(state.reload_status().as_ref().clone())
}

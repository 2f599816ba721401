//! The admin API: `PUT`/`GET`/`DELETE /api/cases/{receipt_number}`, enabled only when an
//! admin token is configured. (Filled in by the case-store work.)

use axum::Router;

use super::AppState;

/// Routes under `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
}

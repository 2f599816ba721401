//! The admin API: `PUT`/`GET`/`DELETE /api/cases/{receipt_number}`, the paged listing
//! `GET /api/cases?after=RECEIPT&limit=N` and `POST /api/cases/import` (JSON Lines),
//! enabled only when an admin token is configured.
//!
//! Every call needs `Authorization: Bearer <token>`; the token is compared in constant
//! time. Writes answer only once they are durable, and go through the store, so sessions
//! following a case are notified. Each write and bulk import is logged at `info` with what
//! it did, receipt numbers masked.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::page_query;
use super::state::AppState;
use crate::domain::identifiers::EntityKind;
use crate::nlu::mask::mask_value;
use crate::store::{self, InvalidRecord};

/// Largest body of a single-record call.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// Largest body of a bulk import call.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// Routes under `/api`, and `GET /metrics`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/api/report", get(unanswered_report))
        .route(
            "/api/cases",
            get(list_cases).fallback(|State(state): State<AppState>| async move {
                other_method(&state, "GET, HEAD")
            }),
        )
        .route(
            "/api/cases/{receipt_number}",
            put(put_case)
                .get(get_case)
                .delete(delete_case)
                .fallback(|State(state): State<AppState>| async move {
                    other_method(&state, "GET, HEAD, PUT, DELETE")
                })
                .layer(DefaultBodyLimit::max(MAX_RECORD_BYTES)),
        )
        .route(
            "/api/cases/import",
            post(import_cases)
                .fallback(
                    |State(state): State<AppState>| async move { other_method(&state, "POST") },
                )
                .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
}

/// The answer to a method a route does not have: `405` with the methods it has, or `404`
/// like every other call while the admin API is off, so it does not show that it exists.
pub(super) fn other_method(state: &AppState, allow: &'static str) -> Response {
    if !admin_enabled(state) {
        return not_found();
    }
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed", None);
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    response
}

fn admin_enabled(state: &AppState) -> bool {
    state
        .config()
        .admin_token
        .as_deref()
        .is_some_and(|t| !t.is_empty())
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not found", None)
}

/// A JSON error answer: `{"error": "...", "field": "..."}`.
fn error(status: StatusCode, message: impl Into<String>, field: Option<&str>) -> Response {
    let mut body = json!({ "error": message.into() });
    if let Some(field) = field.filter(|f| !f.is_empty()) {
        body["field"] = Value::String(field.to_string());
    }
    (status, Json(body)).into_response()
}

fn invalid(e: InvalidRecord) -> Response {
    error(StatusCode::BAD_REQUEST, e.reason, Some(&e.field))
}

/// 503 when the database cannot be reached (nothing was written; the call can be
/// repeated), 500 for any other store failure.
fn store_failure(e: store::StoreError) -> Response {
    if let store::StoreError::Unavailable(reason) = &e {
        tracing::warn!(error = %reason, "admin API call refused: the database is unreachable");
        let mut response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the case database cannot be reached right now; nothing was written, try again shortly",
            None,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
        return response;
    }
    tracing::error!(error = %e, "admin API call failed: the case store failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the case store failed: {e}"),
        None,
    )
}

/// Proof that the request carries the admin token. Rejects with 404 when the admin API is
/// off and 401 when the token is missing or wrong.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = state
            .config()
            .admin_token
            .as_deref()
            .filter(|t| !t.is_empty())
        else {
            return Err(not_found());
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        match given {
            Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(Admin),
            _ => {
                let mut response = error(
                    StatusCode::UNAUTHORIZED,
                    "this call needs the admin token: send `Authorization: Bearer <token>`",
                    None,
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
                Err(response)
            }
        }
    }
}

/// `GET /metrics` with the admin token: the Prometheus metrics.
async fn metrics_text(_: Admin) -> Response {
    super::metrics::response()
}

/// The `?since=` of `GET /api/report`.
#[derive(serde::Deserialize)]
struct ReportQuery {
    since: Option<String>,
}

/// `GET /api/report?since=7d` with the admin token: what went unanswered in the window
/// (default 7 days), grouped (see [`super::report`]). Only masked text is ever stored, so
/// only masked text is served.
async fn unanswered_report(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    let since = query
        .ok()
        .and_then(|Query(q)| q.since)
        .unwrap_or_else(|| "7d".to_string());
    let window = match super::report::parse_since(&since) {
        Ok(w) => w,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason, Some("since")),
    };
    let Some(log) = state.unanswered() else {
        return error(
            StatusCode::NOT_IMPLEMENTED,
            "this store keeps no record of unanswered messages",
            None,
        );
    };
    let from = crate::store::unix_ms(std::time::SystemTime::now())
        .saturating_sub(window.as_millis() as u64);
    match log.since(from).await {
        Ok(records) => Json(super::report::build(&records, &state.nlu())).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, &x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    diff == 0
}

/// The 400 answer for a malformed receipt number in the path, if it is one.
fn bad_path(rn: &str) -> Option<Response> {
    store::check_receipt_number(rn)
        .err()
        .map(|reason| error(StatusCode::BAD_REQUEST, reason, Some("receipt_number")))
}

/// How a logged admin call ended when it wrote nothing: the word for the log line.
fn failure_word(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid",
        StatusCode::NOT_FOUND => "not found",
        StatusCode::SERVICE_UNAVAILABLE => "database unreachable",
        _ => "failed",
    }
}

/// The receipt number of a path as it may be logged: masked, or `malformed` when it is not
/// a receipt number at all (it could be any identifier someone typed into the path).
fn logged_case(rn: &str) -> String {
    if store::check_receipt_number(rn).is_ok() {
        mask_value(EntityKind::ReceiptNumber, rn)
    } else {
        "malformed".to_string()
    }
}

async fn put_case(
    _: Admin,
    State(state): State<AppState>,
    Path(rn): Path<String>,
    body: Bytes,
) -> Response {
    let (result, response) = write_case(&state, &rn, &body).await;
    let result = result.unwrap_or_else(|| failure_word(response.status()));
    tracing::info!(action = "put", case = %logged_case(&rn), result, "admin API: PUT of a case");
    response
}

/// The `PUT` itself: what it did (when it wrote) and the answer.
async fn write_case(state: &AppState, rn: &str, body: &[u8]) -> (Option<&'static str>, Response) {
    if let Some(r) = bad_path(rn) {
        return (None, r);
    }
    let mut value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let answer = error(
                StatusCode::BAD_REQUEST,
                format!("malformed JSON: {e}"),
                None,
            );
            return (None, answer);
        }
    };
    if let Some(object) = value.as_object_mut() {
        match object.get("receipt_number") {
            None => {
                object.insert("receipt_number".into(), Value::String(rn.to_string()));
            }
            Some(Value::String(given)) if *given == rn => {}
            Some(given) => {
                let answer = error(
                    StatusCode::BAD_REQUEST,
                    format!("`receipt_number` {given} in the body does not match {rn} in the path"),
                    Some("receipt_number"),
                );
                return (None, answer);
            }
        }
    }
    let record = match store::record_from_value(value) {
        Ok(r) => r,
        Err(e) => return (None, invalid(e)),
    };
    match state.store().upsert(record).await {
        Ok((outcome, stored)) => (
            Some(outcome.as_str()),
            Json(json!({ "result": outcome.as_str(), "case": stored })).into_response(),
        ),
        Err(e) => (None, store_failure(e)),
    }
}

async fn get_case(_: Admin, State(state): State<AppState>, Path(rn): Path<String>) -> Response {
    if let Some(r) = bad_path(&rn) {
        return r;
    }
    match state.store().get(&rn).await {
        Ok(Some(record)) => Json(record).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no case {rn}"), None),
        Err(e) => store_failure(e),
    }
}

async fn delete_case(_: Admin, State(state): State<AppState>, Path(rn): Path<String>) -> Response {
    let response = match bad_path(&rn) {
        Some(r) => r,
        None => match state.store().delete(&rn).await {
            Ok(true) => StatusCode::NO_CONTENT.into_response(),
            Ok(false) => error(StatusCode::NOT_FOUND, format!("no case {rn}"), None),
            Err(e) => store_failure(e),
        },
    };
    let result = match response.status() {
        StatusCode::NO_CONTENT => "deleted",
        status => failure_word(status),
    };
    tracing::info!(action = "delete", case = %logged_case(&rn), result, "admin API: DELETE of a case");
    response
}

async fn import_cases(_: Admin, State(state): State<AppState>, body: Bytes) -> Response {
    match store::import::import_bytes(state.store().as_ref(), &body).await {
        Ok(report) => {
            tracing::info!(
                action = "import",
                bytes = body.len(),
                inserted = report.inserted,
                updated = report.updated,
                unchanged = report.unchanged,
                rejected = report.rejected_total,
                "admin API: bulk import"
            );
            Json(report).into_response()
        }
        Err(e) => {
            let response = match e {
                store::import::ImportError::Store(e) => store_failure(e),
                e => error(StatusCode::BAD_REQUEST, e.to_string(), None),
            };
            tracing::info!(
                action = "import",
                bytes = body.len(),
                result = failure_word(response.status()),
                "admin API: bulk import stopped; records written before the failure stay"
            );
            response
        }
    }
}

/// `GET /api/cases?after=RECEIPT&limit=N`: up to `limit` cases in receipt-number order
/// after `after`, and the cursor of the next page (`null` after the last one).
async fn list_cases(
    _: Admin,
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let pairs = match query {
        Ok(Query(pairs)) => pairs,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text(), None),
    };
    let page = match page_query::parse(&pairs) {
        Ok(page) => page,
        Err(bad) => return error(StatusCode::BAD_REQUEST, bad.reason, Some(&bad.field)),
    };
    // One record more than asked says whether another page follows, so the last page
    // says `next: null` and a listing needs no empty page at the end.
    match state
        .store()
        .page(page.after.as_deref(), page.limit + 1)
        .await
    {
        Ok(mut cases) => {
            let next = (cases.len() > page.limit).then(|| {
                cases.truncate(page.limit);
                cases.last().map(|c| c.receipt_number.clone())
            });
            Json(json!({ "cases": cases, "next": next.flatten() })).into_response()
        }
        Err(e) => store_failure(e),
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn tokens_match_only_when_identical() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3cres"));
        assert!(!constant_time_eq(b"s3cret", b"s3cret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}

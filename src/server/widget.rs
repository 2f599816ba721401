//! The chat widget and its demo page, embedded in the binary at build time from `widget/`:
//! `GET /` (the demo host page), `GET /widget.js` (the widget with its styles) and
//! `GET /demo.css`. Each answer carries an ETag, so a revalidation costs a `304`.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::state::AppState;

/// The demo page's policy: only its own scripts, styles and WebSocket; no framing.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const WIDGET_SOURCE: &str = include_str!("../../widget/widget.js");
const WIDGET_CSS: &str = include_str!("../../widget/widget.css");
const CSS_PLACEHOLDER: &str = "\"__CASEBOT_CSS__\"";

/// One embedded file and the headers it is served with.
struct Asset {
    body: String,
    content_type: &'static str,
    cache_control: &'static str,
    etag: String,
}

impl Asset {
    fn new(body: String, content_type: &'static str, cache_control: &'static str) -> Self {
        let etag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
        Asset {
            body,
            content_type,
            cache_control,
            etag,
        }
    }

    fn respond(
        &self,
        request: &HeaderMap,
        extra: &[(header::HeaderName, &'static str)],
    ) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(self.cache_control),
        );
        if let Ok(etag) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, etag);
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        for (name, value) in extra {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
        if etag_matches(request.get(header::IF_NONE_MATCH), &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        (StatusCode::OK, headers, self.body.clone()).into_response()
    }
}

/// The widget with its stylesheet spliced in as a JSON string (also a valid JS string).
static WIDGET: LazyLock<Asset> = LazyLock::new(|| {
    let css = serde_json::to_string(WIDGET_CSS).expect("a string serializes");
    let body = WIDGET_SOURCE.replacen(CSS_PLACEHOLDER, &css, 1);
    Asset::new(
        body,
        "text/javascript; charset=utf-8",
        "public, max-age=300",
    )
});

static PAGE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_str!("../../widget/demo.html").to_string(),
        "text/html; charset=utf-8",
        "no-cache",
    )
});

static PAGE_CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_str!("../../widget/demo.css").to_string(),
        "text/css; charset=utf-8",
        "public, max-age=300",
    )
});

/// Routes `/`, `/widget.js` and `/demo.css`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/widget.js", get(widget_js))
        .route("/demo.css", get(demo_css))
}

async fn index(headers: HeaderMap) -> Response {
    PAGE.respond(
        &headers,
        &[
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
    )
}

async fn widget_js(headers: HeaderMap) -> Response {
    // Host sites that isolate themselves (COEP) may still load the widget.
    WIDGET.respond(
        &headers,
        &[(
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "cross-origin",
        )],
    )
}

async fn demo_css(headers: HeaderMap) -> Response {
    PAGE_CSS.respond(&headers, &[])
}

/// True when an `If-None-Match` header names `etag` (weak or strong) or is `*`.
fn etag_matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    let Some(value) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// 64-bit FNV-1a: stable across builds and processes, so every server of one release
/// hands out the same ETag.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widget_carries_its_styles() {
        assert!(
            !WIDGET.body.contains("__CASEBOT_CSS__"),
            "placeholder replaced"
        );
        assert!(WIDGET.body.contains(".launcher"), "stylesheet spliced in");
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let etag = "\"00000000000000ab\"";
        let matches = |v: &str| etag_matches(Some(&HeaderValue::from_str(v).unwrap()), etag);
        assert!(matches("\"00000000000000ab\""));
        assert!(matches("\"x\", W/\"00000000000000ab\""));
        assert!(matches("*"));
        assert!(!matches("\"00000000000000ac\""));
        assert!(!etag_matches(None, etag));
    }
}

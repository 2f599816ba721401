//! The WebSocket upgrade: origin check, connection limits, frame-size limits, and handing
//! the socket to a tracked session task.
//!
//! A chat from a foreign origin is upgraded and closed at once with [`CLOSE_FOREIGN_ORIGIN`]:
//! browsers hide the status of a refused upgrade from the page, so a `403` would leave the
//! widget reconnecting forever, while a close code reaches it and it can say why.

use std::net::{IpAddr, SocketAddr};

use axum::Extension;
use axum::extract::{ConnectInfo, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::http::LocalAddr;
use super::state::AppState;
use crate::nlu::Lang;

/// Query parameters of `/ws`.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// Token of a session to resume.
    session: Option<String>,
    /// The language a new session starts in (`en`, `es`, or a regional code such as
    /// `es-MX`); another or none starts in English.
    lang: Option<String>,
}

/// `GET /ws`: checks origin and limits, then upgrades.
pub async fn ws_handler(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    local: Option<Extension<LocalAddr>>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let own = local.map(|Extension(LocalAddr(addr))| addr);
    if !origin_allowed(&headers, own, &state.config().limits.allowed_origins) {
        log_refused_origin(&headers);
        return refuse_origin(ws, &state);
    }
    let client = client_ip(
        &headers,
        peer,
        state.config().limits.trusted_proxy_header.as_deref(),
    );
    let Some(guard) = state.connections().acquire(client) else {
        tracing::info!("refused a chat: connection limit reached");
        return (StatusCode::TOO_MANY_REQUESTS, "too many connections").into_response();
    };
    let limit = state.config().limits.max_frame_bytes;
    // A token too long to be one cannot name a session, but it is still a failed resume:
    // the empty token never matches, so the welcome says `resume_failed`.
    let resume = query.session.map(|t| {
        if t.len() <= MAX_TOKEN_LEN {
            t
        } else {
            String::new()
        }
    });
    let lang = query.lang.as_deref().and_then(Lang::from_code);
    let tracker = state.tracker().clone();
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(256 * 1024)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                let _guard = guard;
                let _open = super::metrics::OpenConnection::open();
                super::session::run(socket, state, resume, lang, client).await;
            })
        })
}

/// Longest `?session=` value looked up.
const MAX_TOKEN_LEN: usize = 64;

/// Close code of a chat refused for its origin (documented in docs/protocol.md); the
/// widget stops reconnecting on it.
pub const CLOSE_FOREIGN_ORIGIN: u16 = 4403;
/// The close reason sent with [`CLOSE_FOREIGN_ORIGIN`].
const FOREIGN_ORIGIN_REASON: &str = "origin not allowed";
/// Most characters of a refused `Origin` quoted in the log.
const MAX_LOGGED_ORIGIN_CHARS: usize = 100;
/// Largest frame read from a refused connection before its Close arrives.
const REFUSED_FRAME_BYTES: usize = 1024;

/// Upgrades only to close at once with [`CLOSE_FOREIGN_ORIGIN`]: no welcome, no session,
/// no chat slot. The connection still holds its open-connection slot until it closes,
/// within the close handshake's 2 s.
fn refuse_origin(ws: WebSocketUpgrade, state: &AppState) -> Response {
    let tracker = state.tracker().clone();
    ws.max_message_size(REFUSED_FRAME_BYTES)
        .max_frame_size(REFUSED_FRAME_BYTES)
        .read_buffer_size(REFUSED_FRAME_BYTES)
        .write_buffer_size(0)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| {
            tracker.track_future(super::session::close_at_once(
                socket,
                CLOSE_FOREIGN_ORIGIN,
                FOREIGN_ORIGIN_REASON,
            ))
        })
}

/// Logs a refused origin so an operator can tell which page it was and what to change:
/// the `Origin` as sent (length-capped; quoted with its control characters escaped).
fn log_refused_origin(headers: &HeaderMap) {
    let Some(value) = headers.get(header::ORIGIN) else {
        return;
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let mut shown: String = text.chars().take(MAX_LOGGED_ORIGIN_CHARS).collect();
    if text.chars().count() > MAX_LOGGED_ORIGIN_CHARS {
        shown.push('…');
    }
    if Origin::parse(&text).is_some() {
        tracing::info!(
            "refused a chat from origin {shown:?}: to allow chats from that site, add it to \
             CASEBOT_ALLOWED_ORIGINS (comma-separated, scheme://host[:port])"
        );
    } else {
        tracing::info!(
            "refused a chat from origin {shown:?}: only http:// and https:// pages can be \
             allowed (CASEBOT_ALLOWED_ORIGINS)"
        );
    }
}

/// An origin as compared: scheme, lowercase host (IPv6 without brackets) and port.
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `scheme://host[:port]` (a trailing `/` is tolerated); only http and https.
    fn parse(text: &str) -> Option<Origin> {
        let text = text.trim().trim_end_matches('/').to_ascii_lowercase();
        let (scheme, authority) = text.split_once("://")?;
        let default_port = match scheme {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        if authority.is_empty() || authority.contains(['/', '@', '?', '#']) {
            return None;
        }
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            let (host, after) = rest.split_once(']')?;
            (host, after)
        } else {
            authority.split_at(authority.find(':').unwrap_or(authority.len()))
        };
        let port = match port {
            "" => default_port,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        if host.is_empty() {
            return None;
        }
        Some(Origin {
            scheme: scheme.to_string(),
            host: host.to_string(),
            port,
        })
    }
}

/// True when the request has no `Origin` (non-browser clients) or one on the allow-list:
/// a configured origin, localhost on any port, or `http://` plus the address the request
/// arrived on (`own`). The `Host` header is not trusted: a page on a host name that
/// resolves to this server (DNS rebinding) sends its own name there.
pub fn origin_allowed(headers: &HeaderMap, own: Option<SocketAddr>, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok().and_then(Origin::parse) else {
        return false;
    };
    if allowed
        .iter()
        .filter_map(|a| Origin::parse(a))
        .any(|a| a == origin)
    {
        return true;
    }
    if matches!(origin.host.as_str(), "localhost" | "127.0.0.1" | "::1") {
        return true;
    }
    own.is_some_and(|own| {
        origin.scheme == "http"
            && origin.port == own.port()
            && origin.host.parse::<IpAddr>().ok() == Some(own.ip().to_canonical())
    })
}

/// The client address: from the trusted proxy header when configured (its last entry, the
/// one the proxy itself added), else the TCP peer.
pub fn client_ip(headers: &HeaderMap, peer: SocketAddr, trusted_header: Option<&str>) -> IpAddr {
    trusted_header
        .and_then(|name| headers.get(name))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(peer.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: &str, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        h
    }

    fn own() -> Option<SocketAddr> {
        Some("192.0.2.10:8080".parse().unwrap())
    }

    #[test]
    fn allows_own_address_localhost_and_configured() {
        assert!(origin_allowed(
            &headers("http://192.0.2.10:8080", "x"),
            own(),
            &[]
        ));
        assert!(origin_allowed(
            &headers("http://localhost:3000", "chat.example.org"),
            own(),
            &[]
        ));
        assert!(origin_allowed(
            &headers("http://127.0.0.1:9", "x"),
            None,
            &[]
        ));
        assert!(origin_allowed(&headers("http://[::1]:9", "x"), None, &[]));
        assert!(origin_allowed(
            &headers("https://uscis.example", "x"),
            own(),
            &["https://uscis.example".into()]
        ));
        assert!(origin_allowed(
            &headers("https://uscis.example:443", "x"),
            own(),
            &["HTTPS://USCIS.example/".into()]
        ));
    }

    #[test]
    fn refuses_foreign_origins() {
        assert!(!origin_allowed(
            &headers("https://evil.example", "chat.example.org"),
            own(),
            &[]
        ));
        assert!(!origin_allowed(
            &headers("https://chat.example.org.evil.example", "chat.example.org"),
            own(),
            &[]
        ));
        assert!(!origin_allowed(
            &headers("null", "chat.example.org"),
            own(),
            &[]
        ));
        assert!(!origin_allowed(
            &headers("http://localhost.evil.example", "x"),
            own(),
            &[]
        ));
    }

    #[test]
    fn the_host_header_and_the_scheme_do_not_stretch_the_allow_list() {
        // DNS rebinding: the page's own name, sent as both Origin and Host.
        assert!(!origin_allowed(
            &headers(
                "http://rebind.evil.example:8080",
                "rebind.evil.example:8080"
            ),
            own(),
            &[]
        ));
        assert!(!origin_allowed(
            &headers("http://www.example.gov", "www.example.gov"),
            own(),
            &["https://www.example.gov".into()]
        ));
        assert!(!origin_allowed(
            &headers("https://192.0.2.10:8080", "x"),
            own(),
            &[]
        ));
        assert!(!origin_allowed(
            &headers("http://192.0.2.10:8081", "x"),
            own(),
            &[]
        ));
    }
}

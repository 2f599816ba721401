//! The WebSocket upgrade: origin check, connection limits, frame-size limits, and handing
//! the socket to a tracked session task.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;

/// Query parameters of `/ws`.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// Token of a session to resume.
    session: Option<String>,
}

/// `GET /ws`: checks origin and limits, then upgrades.
pub async fn ws_handler(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&headers, &state.config().limits.allowed_origins) {
        tracing::info!("refused a chat from a foreign origin");
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let client = client_ip(
        &headers,
        peer,
        state.config().limits.trusted_proxy_header.as_deref(),
    );
    let Some(guard) = state.0.connections.acquire(client) else {
        tracing::info!("refused a chat: connection limit reached");
        return (StatusCode::TOO_MANY_REQUESTS, "too many connections").into_response();
    };
    let limit = state.config().limits.max_frame_bytes;
    let resume = query.session.filter(|t| t.len() <= 64);
    let tracker = state.0.tracker.clone();
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(256 * 1024)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                let _guard = guard;
                super::session::run(socket, state, resume, client).await;
            })
        })
}

/// True when the request has no `Origin` (non-browser clients) or one on the allow-list:
/// the server's own origin (from `Host`), localhost on any port, or a configured origin.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(&origin))
    {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    if scheme != "http" && scheme != "https" {
        return false;
    }
    if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok())
        && host.eq_ignore_ascii_case(authority)
    {
        return true;
    }
    let host = if authority.starts_with('[') {
        authority
            .split_once(']')
            .map_or(authority, |(h, _)| h)
            .trim_start_matches('[')
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
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

/// Caps connections in total and per client address.
pub struct ConnectionLimiter {
    inner: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_ip: usize,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Holds one connection slot; frees it when dropped.
pub struct ConnectionGuard {
    inner: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl ConnectionLimiter {
    /// A limiter with these caps.
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        ConnectionLimiter {
            inner: Arc::default(),
            max_total,
            max_per_ip,
        }
    }

    /// Takes a slot for `ip`, or `None` when a cap is reached.
    pub fn acquire(&self, ip: IpAddr) -> Option<ConnectionGuard> {
        let mut counts = self.inner.lock().expect("limiter lock");
        let mine = counts.per_ip.get(&ip).copied().unwrap_or(0);
        if counts.total >= self.max_total || mine >= self.max_per_ip {
            return None;
        }
        counts.total += 1;
        counts.per_ip.insert(ip, mine + 1);
        Some(ConnectionGuard {
            inner: self.inner.clone(),
            ip,
        })
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut counts = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        counts.total -= 1;
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
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

    #[test]
    fn allows_own_origin_localhost_and_configured() {
        assert!(origin_allowed(
            &headers("https://chat.example.org", "chat.example.org"),
            &[]
        ));
        assert!(origin_allowed(
            &headers("http://localhost:3000", "chat.example.org"),
            &[]
        ));
        assert!(origin_allowed(&headers("http://127.0.0.1:9", "x"), &[]));
        assert!(origin_allowed(
            &headers("https://uscis.example", "x"),
            &["https://uscis.example".into()]
        ));
    }

    #[test]
    fn refuses_foreign_origins() {
        assert!(!origin_allowed(
            &headers("https://evil.example", "chat.example.org"),
            &[]
        ));
        assert!(!origin_allowed(
            &headers("https://chat.example.org.evil.example", "chat.example.org"),
            &[]
        ));
        assert!(!origin_allowed(&headers("null", "chat.example.org"), &[]));
        assert!(!origin_allowed(
            &headers("http://localhost.evil.example", "x"),
            &[]
        ));
    }

    #[test]
    fn limits_per_ip_and_frees_on_drop() {
        let limiter = ConnectionLimiter::new(10, 2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = limiter.acquire(ip).unwrap();
        let _b = limiter.acquire(ip).unwrap();
        assert!(limiter.acquire(ip).is_none());
        drop(a);
        assert!(limiter.acquire(ip).is_some());
    }
}

//! A small HTTP/1.1 client for the command line and the tests: one request on a fresh
//! connection, the whole answer read into memory. `casebot import --url` sends its parts
//! with it; the integration tests call the admin API and fetch the widget with it.
//!
//! ```no_run
//! # async fn example() -> Result<(), casebot::cli::http::HttpError> {
//! use casebot::cli::http::{self, Method};
//!
//! let answer = http::request(Method::GET, "http://127.0.0.1:8080/healthz", None, "").await?;
//! assert_eq!(answer.status, 200);
//! # Ok(())
//! # }
//! ```

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub use hyper::header::HeaderMap;
pub use hyper::{Method, Request, StatusCode, Uri};

/// The body type of a [`Request`] given to [`send`].
pub type Body = Full<Bytes>;

/// A whole HTTP answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code; compares equal to a plain number (`answer.status == 200`).
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, de-chunked.
    pub body: Bytes,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL is not an absolute `http://` URL with a host.
    #[error("{url:?} is not an http:// URL with a host")]
    InvalidUrl {
        /// The URL given.
        url: String,
    },
    /// The request could not be built (a header value with control characters, say).
    #[error("the request cannot be sent: {0}")]
    InvalidRequest(#[from] hyper::http::Error),
    /// No connection, or the connection failed while sending or reading.
    #[error("cannot reach the server at {authority}: {source}")]
    Unreachable {
        /// `host:port` of the server.
        authority: String,
        /// The failure from the network.
        source: std::io::Error,
    },
    /// The server answered with something that is not HTTP/1.1.
    #[error("the server at {authority} sent a malformed answer")]
    Malformed {
        /// `host:port` of the server.
        authority: String,
        /// What the HTTP parser said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Sends `method url` with `body`, and `Authorization: Bearer TOKEN` when a token is given.
/// A non-empty body is labelled `application/json`; use [`send`] for other headers.
pub async fn request(
    method: Method,
    url: &str,
    token: Option<&str>,
    body: impl Into<Bytes>,
) -> Result<Response, HttpError> {
    let body = body.into();
    let uri: Uri = url.parse().map_err(|_| HttpError::InvalidUrl {
        url: url.to_string(),
    })?;
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    if !body.is_empty() {
        builder = builder.header(CONTENT_TYPE, "application/json");
    }
    send(builder.body(Full::new(body))?).await
}

/// Sends a request built by the caller on a fresh connection and reads the whole answer.
/// The URI must be an absolute `http://` URL; `Host` is set from it.
pub async fn send(request: Request<Body>) -> Result<Response, HttpError> {
    let uri = request.uri();
    let authority = match (uri.scheme_str(), uri.host()) {
        (Some("http"), Some(host)) => format!("{host}:{}", uri.port_u16().unwrap_or(80)),
        _ => {
            return Err(HttpError::InvalidUrl {
                url: uri.to_string(),
            });
        }
    };
    // No idle connections are kept: every request opens its own, as the tests expect
    // (connection caps, a killed server) and as a one-shot command needs.
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http::<Body>();
    let answer = client
        .request(request)
        .await
        .map_err(|e| classify(&authority, e.is_connect(), Box::new(e)))?;
    let (parts, body) = answer.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| classify(&authority, false, Box::new(e)))?
        .to_bytes();
    Ok(Response {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// A failure with a network error anywhere in its chain (or one while connecting) is the
/// server being unreachable; anything else is an answer hyper could not parse.
fn classify(
    authority: &str,
    connecting: bool,
    error: Box<dyn std::error::Error + Send + Sync>,
) -> HttpError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return HttpError::Unreachable {
                authority: authority.to_string(),
                source: std::io::Error::new(io.kind(), io.to_string()),
            };
        }
        cause = e.source();
    }
    if connecting {
        return HttpError::Unreachable {
            authority: authority.to_string(),
            source: std::io::Error::other(error.to_string()),
        };
    }
    HttpError::Malformed {
        authority: authority.to_string(),
        source: error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that reads one request head and answers with `raw`.
    async fn answering(raw: &'static [u8]) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = tcp.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            tcp.write_all(raw).await.unwrap();
        });
        format!("http://{addr}/x")
    }

    #[tokio::test]
    async fn answers_are_read_plain_or_chunked() {
        let url = answering(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").await;
        let answer = request(Method::GET, &url, None, "").await.unwrap();
        assert_eq!(
            (answer.status.as_u16(), &answer.body[..]),
            (200, &b"{}"[..])
        );

        let url = answering(
            b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nWWW-Authenticate: Bearer\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .await;
        let answer = request(Method::POST, &url, Some("t"), "[]").await.unwrap();
        assert_eq!(
            (answer.status.as_u16(), &answer.body[..]),
            (401, &b"abcde"[..])
        );
        assert_eq!(answer.headers["www-authenticate"], "Bearer");
    }

    #[tokio::test]
    async fn garbage_is_malformed_and_a_closed_port_unreachable() {
        let url = answering(b"garbage\r\n\r\n").await;
        let err = request(Method::GET, &url, None, "").await.unwrap_err();
        assert!(matches!(err, HttpError::Malformed { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("the server at 127.0.0.1:"),
            "{err}"
        );

        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let err = request(Method::GET, &format!("http://{addr}/"), None, "")
            .await
            .unwrap_err();
        assert!(matches!(err, HttpError::Unreachable { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("cannot reach the server at {addr}: ")),
            "{text}"
        );
        assert!(text.to_lowercase().contains("refused"), "{text}");
    }

    #[tokio::test]
    async fn only_http_urls_with_a_host_are_sent() {
        for url in ["https://127.0.0.1/", "/relative"] {
            let err = request(Method::GET, url, None, "").await.unwrap_err();
            assert!(
                matches!(err, HttpError::InvalidUrl { .. }),
                "{url}: {err:?}"
            );
        }
    }
}

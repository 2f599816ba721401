//! The HTTP front: accepts TCP connections, caps them in total and per client address, and
//! serves each with hyper's HTTP/1 server under read timeouts.
//!
//! `axum::serve` takes no configuration, so a client could hold connections open for ever
//! by sending nothing or trickling headers. Here every accepted socket holds a slot of a
//! [`ConnectionLimiter`] until the socket itself is dropped (an upgraded chat keeps its
//! slot), a new connection must deliver its first request's headers within the header
//! timeout, and hyper closes a keep-alive connection that does not deliver the next
//! request's headers within the keep-alive timeout. Chats are upgraded out of hyper and
//! keep their own idle and ping handling.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connections::{ConnectionGuard, ConnectionLimiter};

/// The local address a request arrived on: the address the client reached the server by.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

/// Timeouts of the HTTP front.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From accept until the first request's headers are in.
    pub header_read: Duration,
    /// From the end of a response until the next request's headers are in.
    pub keep_alive: Duration,
}

/// How long shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets requests in flight
/// finish (up to 30 s). Upgraded chats are not waited for: they watch `shutdown` themselves.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limiter: ConnectionLimiter,
    timeouts: Timeouts,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Most likely out of file descriptors: wait for some to be freed rather
                // than spin.
                tracing::error!(error = %e, "accepting a connection failed");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => continue,
                }
            }
        };
        let Some(guard) = limiter.acquire(peer.ip()) else {
            refuse(tcp);
            continue;
        };
        let local = tcp.local_addr().unwrap_or(peer);
        let io = TokioIo::new(Guarded { tcp, _guard: guard });
        connections.spawn(serve_connection(
            io,
            peer,
            local,
            router.clone(),
            timeouts,
            shutdown.clone(),
        ));
    }
    drop(listener);
    connections.close();
    if tokio::time::timeout(DRAIN, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("some HTTP requests did not finish within 30 s of shutdown");
    }
    Ok(())
}

/// Closes a connection over a cap. The answer is best effort: the socket is not waited on.
fn refuse(tcp: TcpStream) {
    tracing::debug!("refused a connection: connection limit reached");
    let _ = tcp.try_write(
        b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    );
}

/// Errors that concern one connection only; the listener is fine.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

async fn serve_connection(
    io: TokioIo<Guarded>,
    peer: SocketAddr,
    local: SocketAddr,
    router: Router,
    timeouts: Timeouts,
    shutdown: CancellationToken,
) {
    let got_request = Arc::new(AtomicBool::new(false));
    let seen = got_request.clone();
    let router = TowerToHyperService::new(router);
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        seen.store(true, Ordering::Relaxed);
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(LocalAddr(local));
        router.call(request)
    });
    // hyper's header timer starts whenever the connection waits for a request head, so it
    // bounds idle keep-alive connections; the first request has its own, usually shorter,
    // deadline below.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.keep_alive);
    let conn = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(conn);
    let first_deadline = tokio::time::sleep(timeouts.header_read);
    tokio::pin!(first_deadline);
    let mut waiting_first = true;
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "HTTP connection ended with an error");
                }
                return;
            }
            _ = &mut first_deadline, if waiting_first => {
                if !got_request.load(Ordering::Relaxed) {
                    tracing::debug!("closed a connection that sent no request headers in time");
                    return;
                }
                waiting_first = false;
            }
            _ = shutdown.cancelled(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A TCP stream holding its connection slot: the slot is freed when the socket is dropped,
/// by hyper or, after an upgrade, by the chat.
struct Guarded {
    tcp: TcpStream,
    _guard: ConnectionGuard,
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

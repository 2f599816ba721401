//! The widget and its demo page are served by the binary with the right headers.

mod common;

use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A minimal HTTP/1.1 GET over a real TCP connection; returns (status line, headers, body).
async fn get(server: &TestServer, path: &str, extra: &str) -> (String, String, String) {
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\n{extra}Connection: close\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .expect("read");
    let raw = String::from_utf8(raw).expect("utf-8 response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("headers end");
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (
        status.to_string(),
        headers.to_ascii_lowercase(),
        body.to_string(),
    )
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::trim))
}

#[tokio::test]
async fn the_demo_page_embeds_the_widget_under_a_strict_policy() {
    let server = TestServer::start().await;
    let (status, headers, body) = get(&server, "/", "").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = header(&headers, "content-security-policy").expect("a CSP on the page");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        body.contains(r#"<script src="/widget.js""#),
        "the page loads the widget"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_widget_script_is_javascript_with_its_styles_and_revalidates() {
    let server = TestServer::start().await;
    let (status, headers, body) = get(&server, "/widget.js", "").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(header(&headers, "cache-control").is_some_and(|c| c.contains("max-age")));
    assert!(
        body.contains(".launcher") && !body.contains("__CASEBOT_CSS__"),
        "styles are spliced in"
    );
    let etag = header(&headers, "etag").expect("an etag").to_string();

    let (status, _, body) = get(&server, "/widget.js", &format!("If-None-Match: {etag}\r\n")).await;
    assert!(status.contains(" 304 "), "{status}");
    assert!(body.is_empty());

    let (status, headers, _) = get(&server, "/demo.css", "").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/css; charset=utf-8")
    );
    server.stop().await.unwrap();
}

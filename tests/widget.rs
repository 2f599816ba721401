//! The widget and its demo page are served by the binary with the right headers.

mod common;

use casebot::cli::http::{self, Request, Response};
use common::TestServer;

/// A GET over a real TCP connection, with an `If-None-Match` header when `etag` is given.
async fn get(server: &TestServer, path: &str, etag: Option<&str>) -> Response {
    let mut request = Request::get(server.http_url(path));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let request = request.body(http::Body::default()).expect("a request");
    tokio::time::timeout(common::WAIT, http::send(request))
        .await
        .expect("answer in time")
        .expect("an answer")
}

fn header<'a>(answer: &'a Response, name: &str) -> Option<&'a str> {
    answer.headers.get(name).and_then(|v| v.to_str().ok())
}

fn body(answer: &Response) -> &str {
    std::str::from_utf8(&answer.body).expect("utf-8 body")
}

#[tokio::test]
async fn the_demo_page_embeds_the_widget_under_a_strict_policy() {
    let server = TestServer::start().await;
    let page = get(&server, "/", None).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        header(&page, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = header(&page, "content-security-policy").expect("a CSP on the page");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        body(&page).contains(r#"<script src="/widget.js""#),
        "the page loads the widget"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_demo_page_lists_demo_receipt_numbers_that_the_seed_file_has() {
    let server = TestServer::start().await;
    let page = get(&server, "/", None).await;
    let listed: Vec<&str> = body(&page)
        .split("<code>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</code>").map(|(code, _)| code))
        .filter(|code| casebot::store::check_receipt_number(code).is_ok())
        .collect();
    assert!(listed.len() >= 3, "a few demo receipt numbers: {listed:?}");
    let seed = std::fs::read_to_string(common::repo().join("data/demo-cases.jsonl")).unwrap();
    for rn in listed {
        assert!(
            seed.contains(&format!("\"receipt_number\": \"{rn}\"")),
            "{rn} is not a demo case"
        );
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_widget_script_is_javascript_with_its_styles_and_revalidates() {
    let server = TestServer::start().await;
    let script = get(&server, "/widget.js", None).await;
    assert_eq!(script.status, 200);
    assert_eq!(
        header(&script, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(header(&script, "cache-control").is_some_and(|c| c.contains("max-age")));
    let text = body(&script);
    assert!(
        text.contains(".launcher") && !text.contains("__CASEBOT_CSS__"),
        "styles are spliced in"
    );
    let etag = header(&script, "etag").expect("an etag");

    let again = get(&server, "/widget.js", Some(etag)).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    let css = get(&server, "/demo.css", None).await;
    assert_eq!(css.status, 200);
    assert_eq!(
        header(&css, "content-type"),
        Some("text/css; charset=utf-8")
    );
    server.stop().await.unwrap();
}

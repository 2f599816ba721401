//! The admin API on a real server with a real sled store: authentication, validation,
//! writes that are readable back, and notifications pushed over a real WebSocket.

mod common;
mod support;

use common::TestServer;
use serde_json::json;
use support::{TOKEN, http, record};

async fn server() -> TestServer {
    TestServer::start_with(|c| c.admin_token = Some(TOKEN.to_string())).await
}

/// Sends JSON Lines to the bulk import endpoint with the right token.
async fn bulk_import(server: &TestServer, body: &str) -> support::Answer {
    http(
        server.addr,
        "POST",
        "/api/cases/import",
        Some(TOKEN),
        body.as_bytes(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_admin_api_does_not_exist_without_a_token_configured() {
    let server = TestServer::start().await;
    let body = record("EAC2690000001", "I-130", "Case Was Received", "2026-01-02");
    let put = http(
        server.addr,
        "PUT",
        "/api/cases/EAC2690000001",
        Some(TOKEN),
        body.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(put.status, 404);
    let get = http(
        server.addr,
        "GET",
        "/api/cases/EAC2690000001",
        Some(TOKEN),
        b"",
    )
    .await
    .unwrap();
    assert_eq!(get.status, 404);
    let listing = http(server.addr, "GET", "/api/cases", Some(TOKEN), b"")
        .await
        .unwrap();
    assert_eq!(listing.status, 404);
    assert_eq!(server.store.get("EAC2690000001").await.unwrap(), None);
}

#[tokio::test]
async fn calls_without_the_right_token_are_refused() {
    let server = server().await;
    let body = record("EAC2690000001", "I-130", "Case Was Received", "2026-01-02");
    for token in [None, Some("wrong-token"), Some("")] {
        let answer = http(
            server.addr,
            "PUT",
            "/api/cases/EAC2690000001",
            token,
            body.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(answer.status, 401, "token {token:?}");
        let challenge = answer.headers.get("www-authenticate");
        assert!(
            challenge
                .and_then(|c| c.to_str().ok())
                .is_some_and(|c| c.to_ascii_lowercase().starts_with("bearer")),
            "{:?}",
            answer.headers
        );
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap()
                .contains("admin token")
        );
    }
    let get = http(
        server.addr,
        "GET",
        "/api/cases/EAC2690000001",
        Some("nope"),
        b"",
    )
    .await
    .unwrap();
    assert_eq!(get.status, 401);
    assert_eq!(
        server.store.get("EAC2690000001").await.unwrap(),
        None,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_stored_case_can_be_read_updated_and_deleted() {
    let server = server().await;
    let path = "/api/cases/IOE2690000007";
    let missing = http(server.addr, "GET", path, Some(TOKEN), b"")
        .await
        .unwrap();
    assert_eq!(missing.status, 404);

    // The body may leave out the receipt number: the path names the case.
    let body = json!({"form": "I-765", "status": "Case Was Received", "updated": "2026-03-02", "office": "Potomac"});
    let put = http(
        server.addr,
        "PUT",
        path,
        Some(TOKEN),
        body.to_string().as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    assert_eq!(put.json()["result"], "inserted");

    let update = record("IOE2690000007", "I-765", "Case Was Approved", "2026-04-20");
    let put = http(server.addr, "PUT", path, Some(TOKEN), update.as_bytes())
        .await
        .unwrap();
    assert_eq!(put.json()["result"], "updated");

    let got = http(server.addr, "GET", path, Some(TOKEN), b"")
        .await
        .unwrap()
        .json();
    assert_eq!(got["status"], "Case Was Approved");
    assert_eq!(
        got["history"],
        json!([
            {"date": "2026-03-02", "status": "Case Was Received"},
            {"date": "2026-04-20", "status": "Case Was Approved"}
        ])
    );
    assert_eq!(
        got["office"],
        json!(null),
        "a full replacement drops fields it does not send"
    );

    let delete = http(server.addr, "DELETE", path, Some(TOKEN), b"")
        .await
        .unwrap();
    assert_eq!(delete.status, 204);
    assert_eq!(
        http(server.addr, "DELETE", path, Some(TOKEN), b"")
            .await
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        http(server.addr, "GET", path, Some(TOKEN), b"")
            .await
            .unwrap()
            .status,
        404
    );
}

#[tokio::test]
async fn invalid_records_are_refused_with_the_field_and_the_reason() {
    let server = server().await;
    let cases = [
        (
            "/api/cases/EAC2690000001",
            record("EAC2690000001", "I-130", "Case Was Received", "2026-02-30"),
            "updated",
            "not a real day",
        ),
        (
            "/api/cases/EAC2690000001",
            record("EAC2690000001", "I-1300", "Case Was Received", "2026-02-03"),
            "form",
            "not a known USCIS form",
        ),
        (
            "/api/cases/EAC2690000001",
            record("EAC2690000002", "I-130", "Case Was Received", "2026-02-03"),
            "receipt_number",
            "does not match",
        ),
        (
            "/api/cases/eac2690000001",
            record("eac2690000001", "I-130", "Case Was Received", "2026-02-03"),
            "receipt_number",
            "did you mean EAC2690000001",
        ),
        (
            "/api/cases/EAC2690000001",
            record("EAC2690000001", "I-130", "", "2026-02-03"),
            "status",
            "must not be empty",
        ),
    ];
    for (path, body, field, reason) in cases {
        let answer = http(server.addr, "PUT", path, Some(TOKEN), body.as_bytes())
            .await
            .unwrap();
        assert_eq!(answer.status, 400, "{body}");
        let error = answer.json();
        assert_eq!(error["field"], field, "{error}");
        assert!(error["error"].as_str().unwrap().contains(reason), "{error}");
    }
    let malformed = http(
        server.addr,
        "PUT",
        "/api/cases/EAC2690000001",
        Some(TOKEN),
        b"{\"form\": ",
    )
    .await
    .unwrap();
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json()["error"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );
    let huge = format!(
        r#"{{"form":"I-130","status":"x","updated":"2026-01-01","description":"{}"}}"#,
        "a".repeat(70_000)
    );
    let too_big = http(
        server.addr,
        "PUT",
        "/api/cases/EAC2690000001",
        Some(TOKEN),
        huge.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(too_big.status, 413);
    assert!(
        server.store.count().await.unwrap() == 0,
        "nothing invalid was stored"
    );
}

#[tokio::test]
async fn a_session_following_a_case_is_notified_when_an_admin_changes_it() {
    let server = server().await;
    let body = record("WAC2690000036", "I-129", "Case Was Received", "2026-03-09");
    http(
        server.addr,
        "PUT",
        "/api/cases/WAC2690000036",
        Some(TOKEN),
        body.as_bytes(),
    )
    .await
    .unwrap();
    let mut client = server.client().await;
    server
        .state
        .sessions()
        .follow(&client.token(), "WAC2690000036", true);

    let update = record("WAC2690000036", "I-129", "Case Was Approved", "2026-04-02");
    let put = http(
        server.addr,
        "PUT",
        "/api/cases/WAC2690000036",
        Some(TOKEN),
        update.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(put.status, 200);
    let frame = client.recv().await;
    assert_eq!(frame["type"], "notification", "{frame}");
    assert_eq!(frame["receipt_number"], "WAC2690000036");
    assert_eq!(frame["status"], "Case Was Approved");
}

#[tokio::test]
async fn the_bulk_endpoint_imports_good_lines_reports_bad_ones_and_notifies() {
    let server = server().await;
    let mut client = server.client().await;
    server
        .state
        .sessions()
        .follow(&client.token(), "LIN2690000040", true);
    let body = [
        record("LIN2690000040", "I-140", "Case Was Approved", "2026-03-27"),
        String::new(),
        "{not json".to_string(),
        record("LIN2690000041", "I-140", "Case Was Received", "2026-13-01"),
        record("LIN2690000042", "I-140", "Case Was Received", "2026-02-01"),
    ]
    .join("\n");
    let answer = bulk_import(&server, &body).await;
    assert_eq!(answer.status, 200);
    let report = answer.json();
    assert_eq!(
        (
            report["inserted"].as_u64(),
            report["rejected_total"].as_u64()
        ),
        (Some(2), Some(2)),
        "{report}"
    );
    let lines: Vec<u64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4]);
    assert_eq!(client.recv().await["receipt_number"], "LIN2690000040");
    assert!(server.store.get("LIN2690000042").await.unwrap().is_some());

    let again = bulk_import(&server, &body).await.json();
    assert_eq!(
        (again["inserted"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
}

#[tokio::test]
async fn a_person_who_asked_to_be_notified_hears_about_an_admin_update() {
    let server = server().await;
    let body = record(
        "NBC2690000010",
        "I-485",
        "Case is Ready to Be Scheduled for An Interview",
        "2026-05-31",
    );
    http(
        server.addr,
        "PUT",
        "/api/cases/NBC2690000010",
        Some(TOKEN),
        body.as_bytes(),
    )
    .await
    .unwrap();
    let mut client = server.client().await;
    let reply = client.ask("notify me about NBC2690000010").await;
    assert_eq!(reply["intent"], "subscribe", "{reply}");

    let update = record(
        "NBC2690000010",
        "I-485",
        "Interview Was Scheduled",
        "2026-07-15",
    );
    let put = http(
        server.addr,
        "PUT",
        "/api/cases/NBC2690000010",
        Some(TOKEN),
        update.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(put.status, 200);
    let frame = client.recv().await;
    assert_eq!(frame["type"], "notification", "{frame}");
    assert_eq!(frame["status"], "Interview Was Scheduled");
}

#[tokio::test]
async fn a_follower_still_hears_of_a_change_when_a_huge_import_overruns_the_change_feed() {
    let server = server().await;
    let mut client = server.client().await;
    server
        .state
        .sessions()
        .follow(&client.token(), "IOE2600000000", true);
    // More changes than the feed holds, announced together after one flush: the oldest,
    // including the followed case, are dropped from the feed before they are forwarded.
    let body: String = (0..9000)
        .map(|i| {
            record(
                &format!("IOE26{i:08}"),
                "I-765",
                "Case Was Received",
                "2026-02-03",
            ) + "\n"
        })
        .collect();
    let answer = bulk_import(&server, &body).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["inserted"], 9000);
    let frame = client.recv().await;
    assert_eq!(frame["type"], "notification", "{frame}");
    assert_eq!(frame["receipt_number"], "IOE2600000000");
    assert_eq!(frame["status"], "Case Was Received");
}

/// `GET /api/cases` with `query`, with the token.
async fn list(server: &TestServer, query: &str) -> support::Answer {
    http(
        server.addr,
        "GET",
        &format!("/api/cases{query}"),
        Some(TOKEN),
        b"",
    )
    .await
    .unwrap()
}

/// The receipt numbers of a listing page.
fn receipts(page: &serde_json::Value) -> Vec<String> {
    page["cases"]
        .as_array()
        .expect("a list of cases")
        .iter()
        .map(|c| c["receipt_number"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_listing_pages_through_every_case_in_receipt_order() {
    let server = server().await;
    // Written out of order, one of them twice so it has a history of two steps.
    let numbers = [
        "WAC2690000005",
        "EAC2690000001",
        "LIN2690000003",
        "EAC2690000002",
        "SRC2690000004",
        "IOE2690000006",
        "MSC2690000007",
    ];
    let lines: Vec<String> = numbers
        .iter()
        .map(|rn| record(rn, "I-130", "Case Was Received", "2026-01-02"))
        .collect();
    assert_eq!(bulk_import(&server, &lines.join("\n")).await.status, 200);
    let approved = record("LIN2690000003", "I-130", "Case Was Approved", "2026-03-04");
    let put = http(
        server.addr,
        "PUT",
        "/api/cases/LIN2690000003",
        Some(TOKEN),
        approved.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(put.status, 200);

    let mut sorted: Vec<String> = numbers.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let query = match &cursor {
            Some(after) => format!("?limit=3&after={after}"),
            None => "?limit=3".to_string(),
        };
        let answer = list(&server, &query).await;
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let page = answer.json();
        pages += 1;
        for case in page["cases"].as_array().unwrap() {
            // Whole records, as GET of one case answers them.
            let rn = case["receipt_number"].as_str().unwrap();
            let one = http(
                server.addr,
                "GET",
                &format!("/api/cases/{rn}"),
                Some(TOKEN),
                b"",
            )
            .await
            .unwrap();
            assert_eq!(&one.json(), case);
        }
        seen.extend(receipts(&page));
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), seen.last().map(String::as_str));
                cursor = Some(next.to_string());
            }
            None => {
                assert!(page["next"].is_null(), "{page}");
                break;
            }
        }
    }
    assert_eq!(seen, sorted);
    assert_eq!(
        pages, 3,
        "3 + 3 + 1: the last page says there is no next one"
    );
    let lin = list(&server, "?after=IOE2690000006&limit=1").await.json();
    assert_eq!(
        lin["cases"][0]["history"],
        json!([{"date": "2026-01-02", "status": "Case Was Received"},
               {"date": "2026-03-04", "status": "Case Was Approved"}])
    );

    // A page that ends exactly at the last case says so; one past it is empty.
    let last = list(&server, "?after=MSC2690000007&limit=2").await.json();
    assert_eq!(receipts(&last), ["SRC2690000004", "WAC2690000005"]);
    assert!(last["next"].is_null());
    let past = list(&server, "?after=WAC2690000005").await.json();
    assert_eq!(past, json!({"cases": [], "next": null}));
}

#[tokio::test]
async fn the_listing_caps_its_limit_and_refuses_bad_parameters_with_a_json_error() {
    let server = server().await;
    let lines: Vec<String> = (0..1005)
        .map(|i| {
            record(
                &format!("EAC26{i:08}"),
                "I-130",
                "Case Was Received",
                "2026-01-02",
            )
        })
        .collect();
    assert_eq!(bulk_import(&server, &lines.join("\n")).await.status, 200);
    let default = list(&server, "").await.json();
    assert_eq!(receipts(&default).len(), 100);
    assert_eq!(default["next"], "EAC2600000099");
    let capped = list(&server, "?limit=5000").await.json();
    assert_eq!(receipts(&capped).len(), 1000);
    assert_eq!(capped["next"], "EAC2600000999");

    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=ten", "limit"),
        ("?limit=-3", "limit"),
        ("?after=eac2600000001", "after"),
        ("?after=EAC260000000", "after"),
        ("?afer=EAC2600000001", "afer"),
        ("?limit=5&limit=6", "limit"),
    ] {
        let answer = list(&server, query).await;
        assert_eq!(answer.status, 400, "{query}");
        let body = answer.json();
        assert_eq!(body["field"], field, "{query}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
    }
    let hinted = list(&server, "?after=eac2600000001").await.json();
    assert!(
        hinted["error"]
            .as_str()
            .unwrap()
            .contains("did you mean EAC2600000001?"),
        "{hinted}"
    );

    // Like every admin call: the token is needed, and other methods are named.
    let anonymous = http(server.addr, "GET", "/api/cases", None, b"")
        .await
        .unwrap();
    assert_eq!(anonymous.status, 401);
    let post = http(server.addr, "POST", "/api/cases", Some(TOKEN), b"{}")
        .await
        .unwrap();
    assert_eq!(post.status, 405);
    assert_eq!(
        post.headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD")
    );
}

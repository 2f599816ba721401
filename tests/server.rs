//! The chat server as a client sees it: welcome, replies in order, bad input, size limit,
//! resume, shutdown, health.

mod common;

use std::time::Duration;

use casebot::cli::http::{self, Method};
use common::{Client, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn welcome_carries_a_fresh_unguessable_session_token() {
    let server = TestServer::start().await;
    let a = server.client().await;
    let b = server.client().await;
    assert_eq!(a.welcome["resumed"], false);
    assert_eq!(a.welcome["protocol"], 1);
    assert!(!a.welcome["text"].as_str().unwrap().is_empty());
    let (ta, tb) = (a.token(), b.token());
    assert_eq!(ta.len(), 32, "128 bits as hex");
    assert!(ta.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(ta, tb);
}

#[tokio::test]
async fn every_message_gets_exactly_one_reply_in_order() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let texts = [
        "hello",
        "what can you do",
        "talk to a person",
        "thanks",
        "bye",
    ];
    for (i, text) in texts.iter().enumerate() {
        client
            .send_raw(&json!({"type": "message", "text": text, "id": format!("m{i}")}).to_string())
            .await;
    }
    for i in 0..texts.len() {
        let frame = client.recv().await;
        assert_eq!(frame["type"], "reply");
        assert_eq!(frame["reply_to"], format!("m{i}"));
        for field in [
            "text",
            "intent",
            "confidence",
            "entities",
            "quick_replies",
            "links",
        ] {
            assert!(frame.get(field).is_some(), "reply has {field}: {frame}");
        }
    }
    assert_eq!(client.ask("hello").await["intent"], "greeting");
    assert_eq!(
        client.ask("talk to a person").await["intent"],
        "talk_to_person"
    );
}

#[tokio::test]
async fn numeric_ids_are_echoed_and_missing_ids_are_null() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client
        .send_raw(r#"{"type":"message","text":"hi","id":42}"#)
        .await;
    assert_eq!(client.recv().await["reply_to"], 42);
    client.send_raw(r#"{"type":"message","text":"hi"}"#).await;
    let frame = client.recv().await;
    assert_eq!(frame["type"], "reply");
    assert_eq!(frame["reply_to"], Value::Null);
}

#[tokio::test]
async fn bad_frames_get_error_codes_and_the_chat_stays_usable() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let cases = [
        ("not json at all", "invalid_json"),
        ("[1,2,3]", "invalid_frame"),
        (r#"{"text":"hi"}"#, "missing_type"),
        (r#"{"type":"dance","text":"hi"}"#, "unknown_type"),
        (r#"{"type":"message"}"#, "missing_text"),
        (r#"{"type":"message","text":42}"#, "invalid_text"),
        (r#"{"type":"message","text":"   "}"#, "empty_text"),
        (r#"{"type":"message","text":""}"#, "empty_text"),
    ];
    for (raw, code) in cases {
        client.send_raw(raw).await;
        let frame = client.recv().await;
        assert_eq!(frame["type"], "error", "{raw}");
        assert_eq!(frame["code"], code, "{raw}");
        assert!(!frame["message"].as_str().unwrap().is_empty());
    }
    client
        .ws
        .send(Message::binary(vec![1u8, 2, 3]))
        .await
        .unwrap();
    assert_eq!(client.recv().await["code"], "binary_not_supported");
    let long = "a".repeat(2001);
    client
        .send_raw(&json!({"type":"message","text":long,"id":"x"}).to_string())
        .await;
    let frame = client.recv().await;
    assert_eq!(frame["code"], "text_too_long");
    assert_eq!(frame["reply_to"], "x");
    assert_eq!(
        client.ask("hello").await["intent"],
        "greeting",
        "still usable after errors"
    );
}

#[tokio::test]
async fn a_frame_over_the_size_limit_closes_with_1009() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let big = json!({"type":"message","text":"x".repeat(64 * 1024)}).to_string();
    client.send_raw(&big).await;
    loop {
        match tokio::time::timeout(WAIT, client.ws.next())
            .await
            .expect("close in time")
        {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::Size);
                break;
            }
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => panic!("expected close 1009"),
            Some(Ok(_)) => continue,
        }
    }
    let mut other = server.client().await;
    assert_eq!(
        other.ask("hi").await["intent"],
        "greeting",
        "server still serves others"
    );
}

#[tokio::test]
async fn the_frame_limit_is_configurable() {
    let server = TestServer::start_with(|c| c.limits.max_frame_bytes = 64).await;
    let mut client = server.client().await;
    client
        .send_raw(&json!({"type":"message","text":"y".repeat(100)}).to_string())
        .await;
    let next = tokio::time::timeout(WAIT, client.ws.next())
        .await
        .expect("in time");
    assert!(matches!(&next, Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::Size));
}

#[tokio::test]
async fn reconnecting_with_the_token_resumes_the_dialog() {
    let server = TestServer::start().await;
    let mut first = server.client().await;
    let token = first.token();
    // Ask for the history without a receipt number: the assistant asks for it.
    let asked = first.ask("show me the history of my case").await;
    assert_eq!(asked["intent"], "case_history");
    first.ws.close(None).await.unwrap();

    let mut again = Client::connect(&format!("{}?session={token}", server.ws_url())).await;
    assert_eq!(again.welcome["resumed"], true);
    assert_eq!(again.token(), token);
    // The pending question survived the reconnect: a bare receipt number now completes the
    // history request (on a fresh session it would be a status question).
    let answered = again.ask("EAC2190012345").await;
    assert_eq!(answered["intent"], "case_history", "{answered}");
}

#[tokio::test]
async fn an_unknown_token_starts_a_new_session_and_says_so() {
    let server = TestServer::start().await;
    let client = Client::connect(&format!(
        "{}?session=0123456789abcdef0123456789abcdef",
        server.ws_url()
    ))
    .await;
    assert_eq!(client.welcome["resumed"], false);
    assert_eq!(client.welcome["resume_failed"], true);
    assert_ne!(client.token(), "0123456789abcdef0123456789abcdef");
}

#[tokio::test]
async fn an_expired_session_cannot_be_resumed() {
    let server = TestServer::start_with(|c| c.limits.session_ttl_secs = 0).await;
    let mut first = server.client().await;
    let token = first.token();
    first.ws.close(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = Client::connect(&format!("{}?session={token}", server.ws_url())).await;
    assert_eq!(again.welcome["resumed"], false);
}

#[tokio::test]
async fn resuming_from_a_second_connection_closes_the_first() {
    let server = TestServer::start().await;
    let mut first = server.client().await;
    let token = first.token();
    let mut second = Client::connect(&format!("{}?session={token}", server.ws_url())).await;
    assert_eq!(second.welcome["resumed"], true);
    let next = tokio::time::timeout(WAIT, first.ws.next())
        .await
        .expect("in time");
    assert!(
        matches!(&next, Some(Ok(Message::Close(Some(f)))) if u16::from(f.code) == 4001),
        "{next:?}"
    );
    assert_eq!(second.ask("hello").await["intent"], "greeting");
}

#[tokio::test]
async fn application_ping_gets_pong() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client.send_raw(r#"{"type":"ping","id":"p1"}"#).await;
    let frame = client.recv().await;
    assert_eq!(frame["type"], "pong");
    assert_eq!(frame["reply_to"], "p1");
}

#[tokio::test]
async fn shutdown_closes_open_chats_with_1001_and_returns() {
    let server = TestServer::start().await;
    let mut a = server.client().await;
    let mut b = server.client().await;
    let stopping = tokio::spawn(server.stop());
    for client in [&mut a, &mut b] {
        let next = tokio::time::timeout(WAIT, client.ws.next())
            .await
            .expect("close in time");
        assert!(
            matches!(&next, Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::Away),
            "{next:?}"
        );
    }
    stopping.await.unwrap().expect("server stopped cleanly");
}

#[tokio::test]
async fn idle_clients_are_disconnected() {
    let server = TestServer::start_with(|c| {
        c.limits.idle_timeout_secs = 1;
        c.limits.ping_secs = 60;
    })
    .await;
    let mut client = server.client().await;
    let next = tokio::time::timeout(Duration::from_secs(10), client.ws.next())
        .await
        .expect("closed in time");
    assert!(
        matches!(&next, Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::Away),
        "{next:?}"
    );
}

#[tokio::test]
async fn too_many_messages_get_rate_limited() {
    let server = TestServer::start_with(|c| {
        c.limits.messages_per_sec = 0.0;
        c.limits.message_burst = 3.0;
    })
    .await;
    let mut client = server.client().await;
    for _ in 0..3 {
        assert_eq!(client.ask("hi").await["type"], "reply");
    }
    client.send_raw(r#"{"type":"message","text":"hi"}"#).await;
    assert_eq!(client.recv().await["code"], "rate_limited");
}

#[tokio::test]
async fn health_reports_ready() {
    let server = TestServer::start().await;
    let mut ready = false;
    for _ in 0..50 {
        if let Ok(answer) = http::request(Method::GET, &server.http_url("/healthz"), None, "").await
            && answer.status == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "healthz answers 200");
}

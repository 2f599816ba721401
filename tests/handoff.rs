//! Handing a chat to a live agent, over real WebSockets against a real server: a person
//! asks for a person, waits in line, an agent takes the chat, they talk, the agent hands it
//! back; and every way it does not happen (no agent, the wait runs out, a wrong token).

mod common;

use common::agent::{AGENT_TOKEN as TOKEN, Agent};
use common::{Client, TestServer, WAIT};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
/// A phrase of the contact center answer in each language.
const CONTACT_NUMBER: &str = "800-375-5283";

async fn with_agents(wait_seconds: u64) -> TestServer {
    TestServer::start_with(|c| {
        c.agent_token = Some(TOKEN.into());
        c.agent_wait_seconds = wait_seconds;
    })
    .await
}

/// The next frame of type `kind` on a person's chat, skipping others.
async fn person_next(client: &mut Client, kind: &str) -> Value {
    loop {
        let frame = client.recv().await;
        if frame["type"] == kind {
            return frame;
        }
    }
}

#[tokio::test]
async fn a_person_talks_with_an_agent_and_comes_back_to_the_assistant() {
    let server = with_agents(300).await;
    let mut agent = Agent::sign_in(&server, "Ana").await;
    let mut person = server.client().await;

    let earlier = person.ask("what is the status of EAC2190012345").await;
    assert!(!earlier["text"].as_str().unwrap().is_empty());
    let asked = person.ask("talk to a person").await;
    assert_eq!(asked["intent"], "talk_to_person");
    let text = asked["text"].as_str().unwrap();
    assert!(
        !text.contains(CONTACT_NUMBER),
        "queued, not the numbers: {text}"
    );
    let queued = person_next(&mut person, "queued").await;
    assert_eq!(queued["position"], 1);
    assert!(queued["wait_seconds"].is_u64());

    // Asking again keeps the place in line.
    let again = person.ask("i want to talk to a human").await;
    assert!(!again["text"].as_str().unwrap().contains(CONTACT_NUMBER));
    assert_eq!(person_next(&mut person, "queued").await["position"], 1);

    let chats = agent.waiting().await;
    assert_eq!(chats.len(), 1);
    let chat = chats[0]["chat"].as_str().unwrap().to_string();
    assert_eq!(chats[0]["position"], 1);
    assert_eq!(chats[0]["lang"], "en");
    let preview = chats[0]["preview"].as_str().unwrap();
    assert!(
        preview.contains("status") && !preview.contains("2190012345"),
        "the preview is the earlier question, masked: {preview}"
    );

    agent.send(json!({"type": "take", "chat": chat})).await;
    let transcript = agent.next("transcript").await;
    assert_eq!(transcript["chat"], chat.as_str());
    let messages = transcript["messages"].as_array().unwrap();
    assert_eq!(messages[0]["from"], "person");
    assert_eq!(
        messages[0]["text"], "what is the status of EAC2190012345",
        "the agent sees identifiers"
    );
    assert_eq!(messages[1]["from"], "assistant");
    assert_eq!(messages[1]["text"], earlier["text"]);
    assert_eq!(messages[2]["text"], "talk to a person");
    assert_eq!(messages[4]["text"], "i want to talk to a human");
    assert_eq!(messages.len(), 6);

    assert_eq!(
        person_next(&mut person, "agent_joined").await,
        json!({"type": "agent_joined", "name": "Ana"})
    );
    agent.send(json!({"type": "typing", "chat": chat})).await;
    assert_eq!(
        person_next(&mut person, "agent_typing").await,
        json!({"type": "agent_typing", "name": "Ana"})
    );
    agent
        .send(json!({"type": "say", "chat": chat, "text": "Hi, I'm Ana. How can I help?"}))
        .await;
    assert_eq!(
        person_next(&mut person, "agent_message").await,
        json!({"type": "agent_message", "text": "Hi, I'm Ana. How can I help?", "name": "Ana"})
    );

    // The person's messages go to the agent; the contract's one reply per message is an
    // empty one naming the agent.
    let quiet = person.ask("what is an online account number?").await;
    assert_eq!(quiet["text"], "");
    assert_eq!(quiet["intent"], Value::Null);
    assert_eq!(quiet["agent"], "Ana");
    assert_eq!(quiet["quick_replies"], json!([]));
    let relayed = agent.next("message").await;
    assert_eq!(
        relayed,
        json!({"type": "message", "chat": chat, "text": "what is an online account number?"})
    );

    agent.send(json!({"type": "hand_back", "chat": chat})).await;
    assert_eq!(
        person_next(&mut person, "agent_left").await,
        json!({"type": "agent_left"})
    );
    let again = person.ask("what is an online account number?").await;
    assert!(again["agent"].is_null());
    assert!(!again["text"].as_str().unwrap().is_empty());
    assert!(again["intent"].is_string(), "{again}");
}

#[tokio::test]
async fn with_no_agent_online_a_person_gets_the_contact_center() {
    for server in [TestServer::start().await, with_agents(300).await] {
        let mut person = server.client().await;
        let reply = person.ask("talk to a person").await;
        assert_eq!(reply["intent"], "talk_to_person");
        assert!(reply["text"].as_str().unwrap().contains(CONTACT_NUMBER));
        let mut es = Client::connect(&format!("{}?lang=es", server.ws_url())).await;
        let reply = es.ask("quiero hablar con una persona").await;
        assert_eq!(reply["lang"], "es");
        let text = reply["text"].as_str().unwrap();
        assert!(
            text.contains(CONTACT_NUMBER) && text.contains("Centro de Contacto"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_wait_past_the_limit_gets_the_contact_center() {
    let server = with_agents(1).await;
    let _agent = Agent::sign_in(&server, "Ana").await;
    let mut person = server.client().await;
    let reply = person.ask("talk to a person").await;
    assert!(!reply["text"].as_str().unwrap().contains(CONTACT_NUMBER));
    assert_eq!(person_next(&mut person, "queued").await["position"], 1);
    let gave_up = person_next(&mut person, "agent_unavailable").await;
    let text = gave_up["text"].as_str().unwrap();
    assert!(
        text.contains(CONTACT_NUMBER) && text.starts_with("I'm sorry, no one on our team was free"),
        "says no one came, then the numbers: {gave_up}"
    );
    let after = person.ask("what is an online account number?").await;
    assert!(
        after["intent"].is_string(),
        "the assistant answers: {after}"
    );
}

#[tokio::test]
async fn a_wrong_agent_token_is_refused() {
    let server = with_agents(300).await;
    let mut agent = Agent::hello(&server, "not-the-token", "Eve").await;
    let closed = tokio::time::timeout(WAIT, agent.ws.next())
        .await
        .expect("closed in time");
    match closed {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 4003),
        other => panic!("expected a close with 4003, got {other:?}"),
    }
    // Without a token configured, the agent side does not exist.
    let plain = TestServer::start().await;
    let url = format!("ws://{}/agent/ws", plain.addr);
    assert!(tokio_tungstenite::connect_async(&url).await.is_err());
}

#[tokio::test]
async fn a_chat_one_agent_takes_leaves_the_other_agents_queue() {
    let server = with_agents(300).await;
    let mut ana = Agent::sign_in(&server, "Ana").await;
    let mut ben = Agent::sign_in(&server, "Ben").await;
    let mut person = server.client().await;
    person.ask("i want to talk to a human").await;
    let chat = ana.waiting().await[0]["chat"].as_str().unwrap().to_string();
    assert_eq!(ben.waiting().await[0]["chat"], chat.as_str());
    ana.send(json!({"type": "take", "chat": chat})).await;
    ana.next("transcript").await;
    assert_eq!(ben.next("queue").await["chats"], json!([]));
    ben.send(json!({"type": "take", "chat": chat})).await;
    assert_eq!(ben.next("error").await["code"], "not_yours");
    ben.send(json!({"type": "say", "chat": chat, "text": "hi"}))
        .await;
    assert_eq!(ben.next("error").await["code"], "not_yours");
}

#[tokio::test]
async fn accepting_the_offer_after_two_fallbacks_queues_the_chat() {
    let server = with_agents(300).await;
    let mut agent = Agent::sign_in(&server, "Ana").await;
    let mut person = server.client().await;
    let first = person.ask("zxqv blorptang wibble").await;
    assert_eq!(first["intent"], Value::Null);
    let second = person.ask("frobnicate the quuxes").await;
    assert_eq!(second["intent"], Value::Null);
    let offer = second["quick_replies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| *q == "Talk to a person")
        .cloned()
        .expect("the second fallback offers a person");
    let accepted = person.ask(offer.as_str().unwrap()).await;
    assert_eq!(accepted["intent"], "talk_to_person");
    assert_eq!(person_next(&mut person, "queued").await["position"], 1);
    assert_eq!(agent.waiting().await.len(), 1);
}

async fn get(server: &TestServer, path: &str) -> casebot::cli::http::Response {
    use casebot::cli::http::{self, Request};
    let request = Request::get(server.http_url(path))
        .body(http::Body::default())
        .expect("a request");
    tokio::time::timeout(WAIT, http::send(request))
        .await
        .expect("in time")
        .expect("an answer")
}

#[tokio::test]
async fn the_agent_page_is_served_only_with_an_agent_token() {
    let server = with_agents(300).await;
    for (path, kind) in [
        ("/agent", "text/html"),
        ("/agent.js", "text/javascript"),
        ("/agent.css", "text/css"),
    ] {
        let answer = get(&server, path).await;
        assert_eq!(answer.status, 200, "{path}");
        let content_type = answer
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
    }
    let page = String::from_utf8_lossy(&get(&server, "/agent").await.body).into_owned();
    assert!(page.contains("/agent.js") && page.contains("Hand back"));
    let plain = TestServer::start().await;
    for path in ["/agent", "/agent.js", "/agent.css"] {
        assert_eq!(get(&plain, path).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn the_agent_is_told_when_the_person_leaves_and_comes_back() {
    let server = with_agents(300).await;
    let mut agent = Agent::sign_in(&server, "Ana").await;

    // A person who closes the chat while waiting shows as away in the line.
    let mut waiting = server.client().await;
    let waiting_token = waiting.token();
    waiting.ask("talk to a person").await;
    assert_eq!(agent.waiting().await[0]["away"], false);
    waiting.ws.close(None).await.expect("close");
    drop(waiting);
    loop {
        let chats = agent.waiting().await;
        if chats[0]["away"] == true {
            break;
        }
    }
    let back = Client::connect(&format!("{}?session={waiting_token}", server.ws_url())).await;
    assert_eq!(back.welcome["resumed"], true);
    loop {
        let chats = agent.waiting().await;
        if chats[0]["away"] == false {
            break;
        }
    }
    drop(back);

    // A person who leaves a chat an agent holds: the agent is told, and told again when
    // the person resumes the session.
    let mut person = server.client().await;
    let token = person.token();
    person.ask("talk to a person").await;
    let chat = loop {
        let chats = agent.waiting().await;
        if let Some(c) = chats.iter().find(|c| c["position"] == 2) {
            break c["chat"].as_str().unwrap().to_string();
        }
    };
    agent.send(json!({"type": "take", "chat": chat})).await;
    agent.next("transcript").await;
    person.ws.close(None).await.expect("close");
    drop(person);
    assert_eq!(
        agent.next("person_left").await,
        json!({"type": "person_left", "chat": chat})
    );
    let mut person = Client::connect(&format!("{}?session={token}", server.ws_url())).await;
    assert_eq!(person.welcome["resumed"], true);
    assert_eq!(
        agent.next("person_back").await,
        json!({"type": "person_back", "chat": chat})
    );
    let relayed = person.ask("are you still there?").await;
    assert_eq!(relayed["agent"], "Ana", "the agent still holds the chat");
}

#[tokio::test]
async fn a_person_who_does_not_come_back_in_time_ends_the_chat() {
    let server = TestServer::start_with(|c| {
        c.agent_token = Some(TOKEN.into());
        c.agent_wait_seconds = 300;
        c.limits.session_ttl_secs = 1;
    })
    .await;
    let mut agent = Agent::sign_in(&server, "Ana").await;

    // Waiting in line: the chat leaves the line.
    let mut waiting = server.client().await;
    waiting.ask("talk to a person").await;
    assert_eq!(agent.waiting().await.len(), 1);
    waiting.ws.close(None).await.expect("close");
    drop(waiting);
    loop {
        let queue = agent.next("queue").await;
        if queue["chats"].as_array().unwrap().is_empty() {
            break;
        }
    }

    // Held by the agent: the agent is told, and the chat is no longer theirs.
    let mut person = server.client().await;
    person.ask("talk to a person").await;
    let chat = agent.waiting().await[0]["chat"]
        .as_str()
        .unwrap()
        .to_string();
    agent.send(json!({"type": "take", "chat": chat})).await;
    agent.next("transcript").await;
    person.ws.close(None).await.expect("close");
    drop(person);
    agent.next("person_left").await;
    assert_eq!(
        agent.next("person_gone").await,
        json!({"type": "person_gone", "chat": chat})
    );
    agent
        .send(json!({"type": "say", "chat": chat, "text": "hello?"}))
        .await;
    assert_eq!(agent.next("error").await["code"], "no_such_chat");
}

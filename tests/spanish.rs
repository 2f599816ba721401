//! Spanish conversations over a real WebSocket with a real sled store: the language of each
//! answer, slot filling, case replies, mistyped numbers, notifications, and switching
//! between English and Spanish in one chat.

mod common;

use common::{Client, TestServer, case_with_history};
use serde_json::{Value, json};

async fn server_with_cases() -> TestServer {
    let server = TestServer::start().await;
    for r in [
        case_with_history("EAC2190012345", "I-130", "Case Was Approved", "2026-09-14"),
        case_with_history("IOE0912345678", "I-765", "Case Was Received", "2026-03-02"),
    ] {
        server.store.upsert(r).await.unwrap();
    }
    server
}

fn text(reply: &Value) -> &str {
    reply["text"].as_str().unwrap()
}

/// Asserts a reply answered `intent` in `lang`.
fn answered(reply: &Value, intent: &str, lang: &str) {
    assert_eq!(reply["intent"], intent, "{reply}");
    assert_eq!(reply["lang"], lang, "{reply}");
}

#[tokio::test]
async fn a_spanish_status_question_asks_for_the_receipt_number_and_answers_in_spanish() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let asked = c.ask("quiero saber el estado de mi caso").await;
    answered(&asked, "case_status", "es");
    assert!(text(&asked).contains("recibo"), "{asked}");
    let answer = c.ask("es el EAC 21 900 12345").await;
    answered(&answer, "case_status", "es");
    let said = text(&answer);
    assert!(said.contains("EAC2190012345"), "{said}");
    assert!(
        said.contains("**Case Was Approved**"),
        "the title stays as USCIS writes it: {said}"
    );
    assert!(said.contains("Su caso"), "{said}");
    assert!(
        !said.contains("USCIS approved your case"),
        "the meaning is in Spanish: {said}"
    );
    let history = c.ask("muéstrame el historial").await;
    answered(&history, "case_history", "es");
    assert!(
        text(&history).contains("2 de marzo de 2026: Case Was Received"),
        "{history}"
    );
    let updated = c.ask("y cuando fue la ultima actualizacion?").await;
    answered(&updated, "case_updated", "es");
    assert!(
        text(&updated).contains("14 de septiembre de 2026"),
        "dates are written the Spanish way: {updated}"
    );
}

#[tokio::test]
async fn a_mistyped_receipt_number_is_explained_in_spanish_without_echoing_it() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let reply = c.ask("mi número de recibo es EAC219001234").await;
    assert_eq!(reply["lang"], "es", "{reply}");
    let said = text(&reply);
    assert!(said.contains("9") && said.contains("10"), "{said}");
    assert!(!said.contains("219001234"), "echoes the number: {said}");
    assert!(!said.contains("digits"), "English left in: {said}");
}

#[tokio::test]
async fn an_account_number_given_for_a_receipt_number_is_explained_in_spanish() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    answered(&c.ask("cómo va mi caso?").await, "case_status", "es");
    let reply = c.ask("mi número de cuenta es 1234 5678 9012").await;
    answered(&reply, "case_status", "es");
    assert!(text(&reply).contains("recibo"), "{reply}");
    assert!(!text(&reply).contains("account number"), "{reply}");
}

#[tokio::test]
async fn a_followed_case_sends_its_notification_in_spanish() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let sub = c
        .ask("avíseme por favor cuando cambie el caso IOE0912345678")
        .await;
    answered(&sub, "subscribe", "es");
    server
        .store
        .upsert(case_with_history(
            "IOE0912345678",
            "I-765",
            "Case Was Approved",
            "2026-11-20",
        ))
        .await
        .unwrap();
    let note = c.recv().await;
    assert_eq!(note["type"], "notification", "{note}");
    assert_eq!(note["lang"], "es", "{note}");
    assert_eq!(note["status"], "Case Was Approved");
    assert!(text(&note).contains("IOE0912345678"), "{note}");
    assert!(text(&note).contains("20 de noviembre de 2026"), "{note}");
    assert_eq!(
        note["updated"], "2026-11-20",
        "the field keeps the stored form"
    );
    assert!(!text(&note).contains("Update on your"), "{note}");
}

#[tokio::test]
async fn a_chat_switches_to_english_and_back_when_the_person_does() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    answered(&c.ask("hola").await, "greeting", "es");
    let asked = c.ask("what is the status of my case").await;
    answered(&asked, "case_status", "en");
    let english = c.ask("EAC2190012345").await;
    answered(&english, "case_status", "en");
    assert!(text(&english).contains("Your I-130"), "{english}");
    let ok = c.ask("ok").await;
    assert_eq!(ok["lang"], "en", "a word of no language keeps it: {ok}");
    let back = c.ask("gracias, y cuándo cambió por última vez?").await;
    answered(&back, "case_updated", "es");
}

#[tokio::test]
async fn spanglish_and_pasted_status_titles_stay_in_spanish() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    answered(&c.ask("buenas tardes").await, "greeting", "es");
    let where_ = c.ask("donde encuentro el receipt number").await;
    answered(&where_, "where-to-find-receipt-number", "es");
    let title = c.ask("mi caso dice Case Was Approved, que significa").await;
    answered(&title, "status-approved", "es");
}

#[tokio::test]
async fn the_client_chooses_the_language_with_lang() {
    let server = server_with_cases().await;
    let mut c = Client::connect(&format!("{}?lang=es-MX", server.ws_url())).await;
    assert_eq!(c.welcome["lang"], "es", "{}", c.welcome);
    assert!(
        c.welcome["text"].as_str().unwrap().contains("Hola"),
        "{}",
        c.welcome
    );
    // A message with no words of either language keeps the chosen one.
    let reply = c.ask("EAC2190012345").await;
    answered(&reply, "case_status", "es");
    c.send_raw(
        &json!({"type": "message", "text": "EAC2190012345", "id": "x", "lang": "en"}).to_string(),
    )
    .await;
    let english = c.recv().await;
    assert_eq!(english["reply_to"], "x");
    answered(&english, "case_status", "en");
    c.send_raw(&json!({"type": "message", "text": "hi", "id": "y", "lang": "fr"}).to_string())
        .await;
    let refused = c.recv().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "invalid_lang", "{refused}");
    assert_eq!(refused["reply_to"], "y", "{refused}");
}

#[tokio::test]
async fn an_unknown_lang_starts_in_english_and_a_spanish_first_message_switches() {
    let server = server_with_cases().await;
    let mut c = Client::connect(&format!("{}?lang=fr", server.ws_url())).await;
    assert_eq!(c.welcome["lang"], "en", "{}", c.welcome);
    let reply = c.ask("¿dónde está mi caso?").await;
    answered(&reply, "case_status", "es");
}

#[tokio::test]
async fn a_resumed_spanish_chat_is_welcomed_back_in_spanish() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let token = c.token();
    answered(&c.ask("hola, buenos días").await, "greeting", "es");
    c.ws.close(None).await.unwrap();
    drop(c);
    let back = Client::connect(&format!("{}?session={token}", server.ws_url())).await;
    assert_eq!(back.welcome["resumed"], true);
    assert_eq!(back.welcome["lang"], "es", "{}", back.welcome);
}

#[tokio::test]
async fn other_organizations_are_named_in_spanish() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let reply = c.ask("olvidé la contraseña de mi correo de gmail").await;
    assert_eq!(reply["intent"], Value::Null, "{reply}");
    assert_eq!(reply["lang"], "es", "{reply}");
    assert!(!text(&reply).contains("That sounds like"), "{reply}");
}
